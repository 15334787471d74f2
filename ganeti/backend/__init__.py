"""Node-side work of the node RPC calls (called by ganeti-noded).

Every function here implements one RPC call (see server/noded.py for the
name -> function table).  Failures are reported by raising RPCFail with a
one-line message, which noded sends back as ``[false, message]``; anything
returned is sent as ``[true, value]``.

Node information and verification are in backend_verify.py.
"""

import logging
import os
import shutil
import re
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from ganeti import constants
from ganeti import errors
from ganeti import netutils
from ganeti import pathutils
from ganeti import serializer
from ganeti import ssconf
from ganeti.rpc.defs import Decompress
from ganeti.utils import io as utils_io
from ganeti.utils import process as utils_process


class RPCFail(Exception):
    """A failed RPC call; its single argument is the message for the master."""


def _Fail(msg: str, *args: Any, log: bool = True, exc: bool = False) -> None:
    """Log and raise RPCFail(msg % args)."""
    if args:
        msg = msg % args
    if log:
        if exc:
            logging.exception(msg)
        else:
            logging.error(msg)
    raise RPCFail(msg)


def LocalizeVirtualPath(path: str) -> str:
    """Map a path as the master sends it to this node's file system.

    Nodes of a virtual cluster without mount namespaces live below a root
    directory (pathutils.set_root / GANETI_ROOTDIR); the master sends paths
    without that root.  Paths already below our root are kept.
    """
    root = pathutils.get_root()
    if not root or path == root or path.startswith(root + "/"):
        return path
    return root + path


def IsExecutable(path: str) -> bool:
    """Whether path is a regular file we may execute."""
    return utils_io.IsRegularFile(path) and os.access(path, os.X_OK)


def GetVersion() -> int:
    """The node RPC protocol version (``version``)."""
    return constants.PROTOCOL_VERSION


# ------------------------------------------------------------------ files

def _EtcHostsFile() -> str:
    return getattr(pathutils, "ETC_HOSTS", pathutils.get_root() + "/etc/hosts")


def _UploadAllowedFiles() -> frozenset:
    """The files the master may overwrite through upload_file.

    The node's file-storage-paths file is deliberately absent: it decides
    where file disks may live and must only be changed locally.
    """
    files = {
        pathutils.CLUSTER_CONF_FILE,
        _EtcHostsFile(),
        pathutils.SSH_KNOWN_HOSTS_FILE,
        pathutils.VNC_PASSWORD_FILE,
        pathutils.RAPI_CERT_FILE,
        pathutils.SPICE_CERT_FILE,
        pathutils.SPICE_CACERT_FILE,
        pathutils.RAPI_USERS_FILE,
        pathutils.CONFD_HMAC_KEY,
        pathutils.CLUSTER_DOMAIN_SECRET_FILE,
    }
    files.update(_HypervisorAncillaryFiles())
    files.discard(pathutils.FILE_STORAGE_PATHS_FILE)
    return frozenset(files)


def _HypervisorAncillaryFiles() -> List[str]:
    """Extra files the hypervisors need on every node (if they declare any)."""
    try:
        from ganeti import hypervisor
    except ImportError:
        return []
    get_class = getattr(hypervisor, "GetHypervisorClass", None)
    if get_class is None:
        return []
    files: List[str] = []
    for name in constants.HYPER_TYPES:
        try:
            ancillary = get_class(name).GetAncillaryFiles()
        except (errors.GenericError, AttributeError, KeyError):
            continue
        files.extend(ancillary[0] if ancillary else [])
    return files


def _LookupId(value: Any, kind: str) -> int:
    """uid/gid from a name (as the master sends them) or a number."""
    if value is None:
        return -1
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    import grp
    import pwd
    try:
        if kind == "user":
            return pwd.getpwnam(value).pw_uid
        return grp.getgrnam(value).gr_gid
    except KeyError:
        _Fail("Unknown %s '%s'", kind, value)
    raise AssertionError  # not reached


def _DecodeContent(content: Any) -> bytes:
    try:
        return Decompress(content)
    except (ValueError, TypeError) as err:
        _Fail("Invalid file content encoding: %s", err)
    raise AssertionError


def UploadFile(file_name: str, data: Any, mode: int, uid: Any, gid: Any,
               atime: float, mtime: float) -> None:
    """Replace one of the allowed cluster files (``upload_file[_single]``).

    data is COMPRESS-encoded ([encoding, content]); uid/gid are user and
    group names (or numbers).
    """
    if not isinstance(file_name, str) or not os.path.isabs(file_name):
        _Fail("Filename passed to UploadFile is not absolute: '%s'",
              file_name)
    local_name = LocalizeVirtualPath(os.path.normpath(file_name))
    if local_name not in _UploadAllowedFiles():
        _Fail("Filename passed to UploadFile not in allowed upload targets:"
              " '%s'", file_name)
    raw = _DecodeContent(data)
    try:
        utils_io.WriteFile(local_name, data=raw, mode=int(mode) & 0o7777,
                           uid=_LookupId(uid, "user"),
                           gid=_LookupId(gid, "group"),
                           atime=atime, mtime=mtime)
    except (OSError, errors.GenericError) as err:
        _Fail("Can't write file %s: %s", local_name, err)


def UploadFileDetails(details: Sequence) -> None:
    """``upload_file``: the argument is the FILE_DETAILS list."""
    if not isinstance(details, (list, tuple)) or len(details) != 7:
        _Fail("Invalid file details: expected [name, content, mode, uid,"
              " gid, atime, mtime]")
    UploadFile(*details)


def WriteSsconfFiles(values: Dict[str, Any]) -> None:
    """``write_ssconf_files``: write ssconf_<key> files (unknown keys fail)."""
    if not isinstance(values, dict):
        _Fail("Invalid ssconf values: expected a dictionary")
    try:
        ssconf.WriteSsconfFiles(values)
    except errors.ProgrammerError as err:
        _Fail(str(err))
    except (OSError, errors.GenericError) as err:
        _Fail("Can't write ssconf files: %s", err)


def EtcHostsModify(mode: str, host: str, ip: Optional[str]) -> None:
    """``etc_hosts_modify``: add (with ip) or remove a host in /etc/hosts."""
    filename = _EtcHostsFile()
    if mode == constants.ETC_HOSTS_ADD:
        if not ip:
            _Fail("Mode 'add' needs 'ip' parameter, but parameter not present")
    elif mode != constants.ETC_HOSTS_REMOVE:
        _Fail("Mode not supported: %s", mode)
    short = host.split(".")[0]
    names = {host, short}
    try:
        lines = utils_io.ReadFile(filename).splitlines()
    except FileNotFoundError:
        lines = []
    except OSError as err:
        _Fail("Can't read %s: %s", filename, err)
    kept = []
    for line in lines:
        fields = line.split("#", 1)[0].split()
        if len(fields) > 1 and names.intersection(fields[1:]):
            rest = [f for f in fields[1:] if f not in names]
            if not rest:
                continue
            line = "%s\t%s" % (fields[0], " ".join(rest))
        kept.append(line)
    if mode == constants.ETC_HOSTS_ADD:
        aliases = host if short == host else "%s %s" % (host, short)
        kept.append("%s\t%s" % (ip, aliases))
    try:
        utils_io.WriteFile(filename, data="\n".join(kept) + "\n", mode=0o644)
    except OSError as err:
        _Fail("Can't write %s: %s", filename, err)


# ------------------------------------------------------------------ job queue

# noded serialises its queue changes (it is the only writer on non-masters).
_QUEUE_LOCK = threading.Lock()


def _QueueFile(file_name: Any) -> str:
    """The local path of a queue file; fails for paths outside the queue."""
    if not isinstance(file_name, str) or not os.path.isabs(file_name):
        _Fail("Passed job queue file '%s' is not an absolute path",
              file_name)
    local = LocalizeVirtualPath(os.path.normpath(file_name))
    if not utils_io.IsBelowDir(pathutils.QUEUE_DIR, local):
        _Fail("Passed job queue file '%s' does not belong to the queue"
              " directory '%s'", file_name, pathutils.QUEUE_DIR)
    return local


def _JobStore() -> Any:
    """The local queue directory (imported on use: most calls never need it)."""
    from ganeti.jqueue import store as jqueue_store  # noqa: E402
    return jqueue_store.JobStore(pathutils.QUEUE_DIR)


def JobQueueUpdate(file_name: str, content: Any) -> None:
    """``jobqueue_update``: write a queue file (content COMPRESS-encoded)."""
    local = _QueueFile(file_name)
    raw = _DecodeContent(content)
    with _QUEUE_LOCK:
        try:
            utils_io.MakeDirWithPerm(os.path.dirname(local),
                                     constants.JOB_QUEUE_DIR_MODE)
            utils_io.WriteFile(local, data=raw,
                               mode=constants.JOB_QUEUE_FILES_PERMS)
        except (OSError, errors.GenericError) as err:
            _Fail("Can't write job queue file %s: %s", local, err)


def JobQueueRename(old_new: Sequence[Sequence[str]]) -> None:
    """``jobqueue_rename``: rename queue files ([[old, new], ...])."""
    if not isinstance(old_new, (list, tuple)):
        _Fail("Invalid rename list")
    pairs = []
    for item in old_new:
        if not isinstance(item, (list, tuple)) or len(item) != 2:
            _Fail("Invalid rename entry %r", item)
        pairs.append((_QueueFile(item[0]), _QueueFile(item[1])))
    with _QUEUE_LOCK:
        for old, new in pairs:
            try:
                utils_io.RenameFile(old, new, mkdir=True,
                                    mkdir_mode=constants.JOB_QUEUE_DIR_MODE)
            except OSError as err:
                _Fail("Can't rename %s to %s: %s", old, new, err)


def _CleanDirectory(path: str, exclude: Sequence[str] = ()) -> None:
    """Remove the plain files directly in path (not subdirectories)."""
    if not os.path.isdir(path):
        return
    excluded = {os.path.normpath(e) for e in exclude}
    for name in os.listdir(path):
        full = os.path.join(path, name)
        if full in excluded or os.path.islink(full) \
                or not os.path.isfile(full):
            continue
        utils_io.RemoveFile(full)


def JobQueuePurge() -> None:
    """``jobqueue_purge``: remove all queue files except the lock."""
    with _QUEUE_LOCK:
        _CleanDirectory(pathutils.QUEUE_DIR,
                        exclude=[pathutils.JOB_QUEUE_LOCK_FILE])
        _CleanDirectory(pathutils.JOB_QUEUE_ARCHIVE_DIR)


def JobQueueSetDrainFlag(flag: bool) -> None:
    """``jobqueue_set_drain_flag``: create or remove the queue's drain file
    (answers null, as upstream's noded)."""
    with _QUEUE_LOCK:
        try:
            if flag:
                utils_io.MakeDirWithPerm(pathutils.QUEUE_DIR,
                                         constants.JOB_QUEUE_DIR_MODE)
            _JobStore().SetDrained(bool(flag))
        except (OSError, errors.GenericError) as err:
            _Fail("Can't change the drain flag: %s", err)


# ------------------------------------------------------------------ hooks

def _SafeOutput(text: str) -> str:
    """Hook output made safe for logs and JSON: control characters escaped."""
    out = []
    for char in text:
        if char in "\n\t" or (char.isprintable() and ord(char) < 0xd800):
            out.append(char)
        else:
            out.append("\\x%02x" % (ord(char) & 0xff) if ord(char) < 256
                       else "\\u%04x" % ord(char))
    return "".join(out)


def RunHooks(hpath: str, phase: str, env: Dict[str, Any],
             base_dir: Optional[str] = None,
             timeout: float = constants.HOOKS_TIMEOUT
             ) -> List[Tuple[str, int, str]]:
    """``hooks_runner``: run <base>/<hpath>-<phase>.d/* like run-parts.

    Scripts whose names match EXT_PLUGIN_MASK and are executable run in
    sorted order with a clean environment (env plus PATH), cwd /.  Returns
    ``[("<hpath>-<phase>.d/<script>", HKR_*, output), ...]``.
    """
    if phase == constants.HOOKS_PHASE_PRE:
        suffix = "pre"
    elif phase == constants.HOOKS_PHASE_POST:
        suffix = "post"
    else:
        _Fail("Unknown hooks phase '%s'", phase)
    if not isinstance(hpath, str) or not re.match(r"^[a-zA-Z0-9_-]+$", hpath):
        _Fail("Invalid hooks path '%s'", hpath)
    subdir = "%s-%s.d" % (hpath, suffix)
    dir_name = os.path.join(base_dir or pathutils.HOOKS_BASE_DIR, subdir)
    run_env = {"PATH": constants.HOOKS_PATH}
    run_env.update({str(k): str(v) for k, v in (env or {}).items()})
    try:
        names = sorted(os.listdir(dir_name))
    except FileNotFoundError:
        return []
    except OSError as err:
        _Fail("Can't list hooks directory %s: %s", dir_name, err)
    mask = re.compile(constants.EXT_PLUGIN_MASK)
    results = []
    for name in names:
        path = os.path.join(dir_name, name)
        relname = "%s/%s" % (subdir, name)
        if not (mask.match(name) and IsExecutable(path)):
            results.append((relname, constants.HKR_SKIP, ""))
            continue
        try:
            result = utils_process.RunCmd([path], env=run_env, reset_env=True,
                                          cwd="/", timeout=timeout)
        except (errors.OpExecError, OSError) as err:
            results.append((relname, constants.HKR_FAIL,
                            "Error executing hook: %s" % err))
            continue
        output = _SafeOutput(result.output.strip())
        if result.failed:
            status = constants.HKR_FAIL
            if result.fail_reason and not output:
                output = result.fail_reason
        else:
            status = constants.HKR_SUCCESS
        results.append((relname, status, output))
    return results


def _LocalHooksEnv(hpath: str, opcode: str, phase: str,
                   extra: Dict[str, str]) -> Dict[str, str]:
    """Environment of node-local hooks (master IP turnup/turndown)."""
    store = ssconf.SimpleStore()
    env = {"GANETI_HOOKS_VERSION": str(constants.HOOKS_VERSION),
           "GANETI_HOOKS_PHASE": phase, "GANETI_HOOKS_PATH": hpath,
           "GANETI_OP_CODE": opcode, "GANETI_DATA_DIR": pathutils.DATA_DIR,
           "GANETI_OBJECT_TYPE": constants.HTYPE_CLUSTER}
    for var, getter in (("GANETI_CLUSTER", store.GetClusterName),
                        ("GANETI_MASTER", store.GetMasterNode)):
        try:
            env[var] = getter()
        except errors.ConfigurationError:
            env[var] = ""
    env.update({"GANETI_" + k: v for k, v in extra.items()})
    return env


def _WithLocalHooks(hpath: str, opcode: str, extra: Dict[str, str],
                    fn: Callable[[], Any]) -> Any:
    """Run pre hooks (any failure aborts), fn, then post hooks."""
    pre = RunHooks(hpath, constants.HOOKS_PHASE_PRE,
                   _LocalHooksEnv(hpath, opcode, "pre", extra))
    failed = [name for name, status, _ in pre
              if status == constants.HKR_FAIL]
    if failed:
        _Fail("Hooks failed in the %s pre phase: %s", hpath,
              ", ".join(failed))
    result = fn()
    for name, status, output in RunHooks(
            hpath, constants.HOOKS_PHASE_POST,
            _LocalHooksEnv(hpath, opcode, "post", extra)):
        if status == constants.HKR_FAIL:
            logging.warning("Post hook %s failed: %s", name, output)
    return result


# ----------------------------------------------------------------- master role

def _MasterDaemonCommands(no_voting: bool) -> List[Tuple[str, List[str]]]:
    """(daemon, extra arguments) of every master daemon, in start order.

    The one place deciding what "start the master" means on this node.
    """
    voting = ["--no-voting", "--yes-do-it"] if no_voting else []
    return [(constants.MASTERD, voting), (constants.RAPI, [])]


def _DaemonAvailable(name: str) -> bool:
    from ganeti import daemon_util
    try:
        daemon_util.daemon_executable(name)
    except errors.ProgrammerError:
        return False
    return True


def StartMasterDaemons(no_voting: bool) -> None:
    """``node_start_master_daemons``: start masterd (and RAPI if present)."""
    from ganeti import daemon_util
    for name, args in _MasterDaemonCommands(bool(no_voting)):
        if name != constants.MASTERD and not _DaemonAvailable(name):
            logging.info("Daemon %s is not installed, not starting it", name)
            continue
        try:
            daemon_util.start(name, args)
        except errors.GenericError as err:
            _Fail("Can't start Ganeti master: %s", err)


def StopMasterDaemons() -> None:
    """``node_stop_master``: stop the master daemons."""
    from ganeti import daemon_util
    errs = []
    for name, _ in reversed(_MasterDaemonCommands(False)):
        try:
            daemon_util.stop(name)
        except (errors.GenericError, OSError) as err:
            errs.append("%s: %s" % (name, err))
    if errs:
        _Fail("Could not stop Ganeti master: %s", "; ".join(errs))


def _MasterIpEnv(params: Dict[str, Any]) -> Dict[str, str]:
    family = params.get("ip_family", constants.IP4_FAMILY)
    version = (constants.IP6_VERSION if family == constants.IP6_FAMILY
               else constants.IP4_VERSION)
    return {"MASTER_NETDEV": str(params["netdev"]),
            "MASTER_IP": str(params["ip"]),
            "MASTER_NETMASK": str(params["netmask"]),
            "CLUSTER_IP_VERSION": str(version)}


def _DefaultMasterIpSetup(action: str, env: Dict[str, str]) -> None:
    """Built-in master IP handling: ``ip address add/del`` plus arping."""
    address = "%s/%s" % (env["MASTER_IP"], env["MASTER_NETMASK"])
    dev = env["MASTER_NETDEV"]
    if action == constants.MASTER_IP_START:
        if netutils.OwnIpAddress(env["MASTER_IP"]):
            return
        result = utils_process.RunCmd(["ip", "address", "add", address, "dev",
                                       dev, "label", "%s:0" % dev])
        if result.failed:
            _Fail("Failed to start the master IP: %s", result.output.strip()
                  or result.fail_reason)
        if env["CLUSTER_IP_VERSION"] == str(constants.IP4_VERSION):
            # Gratuitous ARP so that neighbours learn the new location.
            try:
                utils_process.RunCmd(["arping", "-q", "-U", "-c", "3", "-I",
                                      dev, "-s", env["MASTER_IP"],
                                      env["MASTER_IP"]], timeout=10)
            except errors.OpExecError:
                logging.info("arping not available, not announcing the"
                             " master IP")
    else:
        if not netutils.OwnIpAddress(env["MASTER_IP"]):
            return
        result = utils_process.RunCmd(["ip", "address", "del", address, "dev",
                                       dev])
        if result.failed:
            _Fail("Failed to stop the master IP: %s", result.output.strip()
                  or result.fail_reason)


def _RunMasterSetup(params: Dict[str, Any], action: str,
                    use_external_mip_script: bool) -> None:
    env = _MasterIpEnv(params)
    if not use_external_mip_script:
        _DefaultMasterIpSetup(action, env)
        return
    script = pathutils.EXTERNAL_MASTER_SETUP_SCRIPT
    try:
        result = utils_process.RunCmd([script, action], env=env,
                                      reset_env=True)
    except errors.OpExecError as err:
        _Fail("Can't run the master IP script %s: %s", script, err)
    if result.failed:
        _Fail("Failed to %s the master IP. Script return value: %s,"
              " output: '%s'", action, result.exit_code, result.output.strip())


def _CheckMasterParams(params: Any) -> Dict[str, Any]:
    if not isinstance(params, dict) or \
            not {"ip", "netmask", "netdev"} <= set(params):
        _Fail("Invalid master network parameters: %r", params)
    return params


def ActivateMasterIp(master_params: Dict[str, Any],
                     use_external_mip_script: bool) -> None:
    """``node_activate_master_ip`` (runs the master-ip-turnup hooks)."""
    params = _CheckMasterParams(master_params)
    _WithLocalHooks(constants.HOOKS_PATH_MASTER_IP_TURNUP,
                    constants.FAKE_OP_MASTER_TURNUP, _MasterIpEnv(params),
                    lambda: _RunMasterSetup(params, constants.MASTER_IP_START,
                                            use_external_mip_script))


def DeactivateMasterIp(master_params: Dict[str, Any],
                       use_external_mip_script: bool) -> None:
    """``node_deactivate_master_ip`` (runs the master-ip-turndown hooks)."""
    params = _CheckMasterParams(master_params)
    _WithLocalHooks(constants.HOOKS_PATH_MASTER_IP_TURNDOWN,
                    constants.FAKE_OP_MASTER_TURNDOWN, _MasterIpEnv(params),
                    lambda: _RunMasterSetup(params, constants.MASTER_IP_STOP,
                                            use_external_mip_script))


def ChangeMasterNetmask(old_netmask: int, netmask: int, master_ip: str,
                        master_netdev: str) -> None:
    """``node_change_master_netmask``: re-add the master IP with a new mask."""
    if old_netmask == netmask:
        return
    if not netutils.OwnIpAddress(master_ip):
        _Fail("The master IP address is not up, not attempting to change its"
              " netmask")
    result = utils_process.RunCmd(["ip", "address", "add", "%s/%s"
                                   % (master_ip, netmask), "dev",
                                   master_netdev, "label",
                                   "%s:0" % master_netdev])
    if result.failed:
        _Fail("Could not set the new netmask on the master IP address: %s",
              result.output.strip())
    result = utils_process.RunCmd(["ip", "address", "del", "%s/%s"
                                   % (master_ip, old_netmask), "dev",
                                   master_netdev])
    if result.failed:
        _Fail("Could not bring down the master IP address with the old"
              " netmask: %s", result.output.strip())


def NodeHasIpAddress(address: str) -> bool:
    """``node_has_ip_address``: whether this node owns address."""
    return netutils.OwnIpAddress(address)


def GetMasterNodeName() -> str:
    """``master_node_name``: the master's name as this node's ssconf says."""
    try:
        return ssconf.SimpleStore().GetMasterNode()
    except errors.ConfigurationError as err:
        _Fail("Error while reading the master node name: %s", err)
    raise AssertionError


def GetConfigNewerThan(known_serial: int) -> list:
    """``x_config_newer_than`` (an extension, see ganeti.rpc.defs):
    [serial_no of this node's config.data, its text if that serial is
    higher than known_serial, else None]."""
    if isinstance(known_serial, bool) or not isinstance(known_serial, int):
        _Fail("Invalid configuration serial %r: expected a number",
              known_serial)
    try:
        text = utils_io.ReadFile(pathutils.CLUSTER_CONF_FILE)
    except EnvironmentError as err:
        _Fail("Cannot read the configuration file %s: %s",
              pathutils.CLUSTER_CONF_FILE, err)
    try:
        serial = serializer.LoadJson(text)["serial_no"]
    except (ValueError, KeyError, TypeError) as err:
        _Fail("Invalid configuration file %s: %s",
              pathutils.CLUSTER_CONF_FILE, err)
    if isinstance(serial, bool) or not isinstance(serial, int):
        _Fail("Invalid configuration file %s: serial_no %r is not a number",
              pathutils.CLUSTER_CONF_FILE, serial)
    return [serial, text if serial > known_serial else None]


def LeaveCluster(modify_ssh_setup: bool) -> None:
    """``node_leave_cluster``: forget the cluster, stop the other node
    daemons (confd), then noded.

    Removes the cluster's state files (see ForgetCluster) and raises
    QuitGanetiException so that noded answers and then shuts down.
    """
    from ganeti import daemon_util
    ForgetCluster(modify_ssh_setup)
    for name in daemon_util.NODE_DAEMONS:
        if name != constants.NODED:
            daemon_util.stop(name)
    logging.info("Node left the cluster, shutting down")
    raise errors.QuitGanetiException(True, "Shutdown scheduled")


def ForgetCluster(modify_ssh_setup: bool) -> None:
    """Remove this node's cluster state files: ssconf, config, queue,
    certificates and secrets (also used to undo a failed init)."""
    _CleanDirectory(pathutils.DATA_DIR)
    _CleanDirectory(pathutils.CRYPTO_KEYS_DIR)
    JobQueuePurge()
    # The node leaves for good: the queue's lock and archive go as well.
    utils_io.RemoveFile(pathutils.JOB_QUEUE_LOCK_FILE)
    shutil.rmtree(pathutils.JOB_QUEUE_ARCHIVE_DIR, ignore_errors=True)
    if modify_ssh_setup:
        utils_io.RemoveFile(pathutils.SSH_PUB_KEYS)
    for path in (pathutils.CONFD_HMAC_KEY, pathutils.RAPI_CERT_FILE,
                 pathutils.SPICE_CERT_FILE, pathutils.SPICE_CACERT_FILE,
                 pathutils.NODED_CERT_FILE, pathutils.NODED_CLIENT_CERT_FILE,
                 pathutils.RAPI_USERS_FILE):
        utils_io.RemoveFile(path)
    try:
        os.rmdir(pathutils.RAPI_DATA_DIR)  # kept if an admin put more there
    except OSError:
        pass


# node_crypto_tokens: token types, actions and options (upstream's values).
CRYPTO_TYPE_SSL_DIGEST = "ssl"
CRYPTO_TYPE_SSH = "ssh"
CRYPTO_ACTION_GET = "get"
CRYPTO_ACTION_CREATE = "create"
CRYPTO_OPTION_CERT_FILE = "cert_file"
CRYPTO_OPTION_SERIAL_NO = "serial_no"


def GetCryptoTokens(token_requests: Sequence) -> List[Tuple[str, str]]:
    """``node_crypto_tokens``: [(type, action, options)] -> [(type, value)].

    Only SSL digests exist: "get" answers the digest of this node's client
    certificate, "create" first makes a new one signed by the cluster
    certificate (options: cert_file, serial_no).
    """
    from ganeti.utils import x509  # pylint: disable=import-outside-toplevel
    if not isinstance(token_requests, (list, tuple)):
        _Fail("Invalid token requests: expected a list")
    result = []
    for request in token_requests:
        if not isinstance(request, (list, tuple)) or len(request) != 3:
            _Fail("Invalid token request %r", request)
        token_type, action, options = request
        if token_type != CRYPTO_TYPE_SSL_DIGEST:
            _Fail("Token type '%s' not supported", token_type)
        options = options or {}
        cert_file = options.get(CRYPTO_OPTION_CERT_FILE,
                                pathutils.NODED_CLIENT_CERT_FILE)
        if not isinstance(cert_file, str) or not os.path.isabs(cert_file):
            _Fail("Invalid certificate file name '%s'", cert_file)
        cert_file = LocalizeVirtualPath(cert_file)
        try:
            if action == CRYPTO_ACTION_CREATE:
                digest = x509.GenerateClientCert(
                    cert_file, pathutils.NODED_CERT_FILE, netutils.Hostname.
                    GetFqdn(), serial_no=options.get(CRYPTO_OPTION_SERIAL_NO))
            elif action == CRYPTO_ACTION_GET:
                digest = x509.GetCertificateDigest(cert_file)
            else:
                _Fail("Action '%s' not supported", action)
        except (errors.X509CertError, OSError) as err:
            _Fail("Can't handle the certificate %s: %s", cert_file, err)
        result.append((token_type, digest))
    return result


# ------------------------------------------------------------------ misc

def TestDelay(duration: float) -> None:
    """``test_delay``: sleep for duration seconds."""
    try:
        seconds = float(duration)
    except (TypeError, ValueError):
        seconds = -1.0
    if seconds < 0:
        _Fail("Invalid sleep duration '%s'", duration)
    time.sleep(seconds)


def GetWatcherPause(now: Optional[float] = None) -> Optional[float]:
    """``get_watcher_pause``: the pause-until timestamp, or None.

    A stale pause file (more than an hour past) is removed.
    """
    filename = pathutils.WATCHER_PAUSEFILE
    try:
        value = float(utils_io.ReadOneLineFile(filename))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, errors.GenericError) as err:
        logging.warning("Can't read watcher pause file %s: %s", filename, err)
        return None
    if now is None:
        now = time.time()
    if now > value + 3600:
        utils_io.RemoveFile(filename)
    return value if value > now else None


def SetWatcherPause(until: Optional[float]) -> None:
    """``set_watcher_pause``: pause the watcher until a timestamp (or not)."""
    filename = pathutils.WATCHER_PAUSEFILE
    if until is None:
        logging.info("Received request to no longer pause the watcher")
        utils_io.RemoveFile(filename)
        return
    if isinstance(until, bool) or not isinstance(until, (int, float)):
        _Fail("Duration must be numeric")
    logging.info("Received request to pause the watcher until %s", until)
    utils_io.WriteFile(filename, data="%d\n" % until, mode=0o644)


def BridgesExist(bridges_list: Sequence[str]) -> None:
    """``bridges_exist``: fail naming the bridges this node lacks."""
    missing = [br for br in bridges_list
               if not os.path.isdir("/sys/class/net/%s/bridge" % br)]
    if missing:
        _Fail("Missing bridges %s", ", ".join(missing))


def GetBootId() -> str:
    """The kernel's boot id (changes at every reboot)."""
    try:
        return utils_io.ReadOneLineFile("/proc/sys/kernel/random/boot_id")
    except (OSError, errors.GenericError) as err:
        _Fail("Can't read the boot id: %s", err)
    raise AssertionError
