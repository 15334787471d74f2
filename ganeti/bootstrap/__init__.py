"""Cluster creation and destruction (gnt-cluster init / destroy).

InitCluster runs on the future master, outside any daemon: it validates the
parameters, creates the secrets, writes config.data and the ssconf files,
starts the node daemon, brings up the master IP and starts masterd.
"""

import logging
import os
import time
from typing import Callable, Dict, List, Optional

from ganeti import constants
from ganeti import defaults
from ganeti import errors
from ganeti import netutils
from ganeti import objects
from ganeti import pathutils
from ganeti import serializer
from ganeti import ssconf
from ganeti.utils import io as uio
from ganeti.utils import process
from ganeti.utils import x509

LVM_TEMPLATES = (constants.DT_PLAIN, constants.DT_DRBD8)
_DAEMON_WAIT = 30.0


def _prereq(msg: str, code: str = errors.ECODE_INVAL) -> errors.OpPrereqError:
    return errors.OpPrereqError(msg, code)


def _check_netdev(netdev: str) -> None:
    result = process.RunCmd(["ip", "link", "show", "dev", netdev])
    if result.failed:
        raise _prereq("Invalid master netdev given (%s): '%s'" %
                      (netdev, result.output.strip()), errors.ECODE_INVAL)


def _check_file_storage_dir(path: str, what: str) -> str:
    if not path:
        return path
    if not os.path.isabs(path):
        raise _prereq("The %s path '%s' must be absolute" % (what, path))
    try:
        os.makedirs(path, mode=0o750, exist_ok=True)
    except OSError as err:
        raise _prereq("Cannot create %s directory '%s': %s" % (what, path, err),
                      errors.ECODE_ENVIRON)
    return path


def _check_vg(vg_name: str) -> None:
    """The volume group must exist on this node and be big enough."""
    from ganeti.storage import lvm
    try:
        vglist = lvm.ListVolumeGroups()
    except errors.GenericError as err:
        raise _prereq("Error: %s" % err)
    status = lvm.CheckVolumeGroupSize(vglist, vg_name)
    if status:
        raise _prereq("Error: %s" % status)


def GenerateClusterCrypto(hostname: str) -> str:
    """Create server.pem, client.pem, rapi.pem, hmac.key, domain secret.

    Returns the digest of this node's client certificate.
    """
    uio.EnsureDirs([(pathutils.DATA_DIR, 0o755)])
    x509.GenerateSelfSignedServerCert(pathutils.NODED_CERT_FILE)
    digest = x509.GenerateClientCert(pathutils.NODED_CLIENT_CERT_FILE,
                                     pathutils.NODED_CERT_FILE, hostname)
    x509.GenerateSelfSignedServerCert(pathutils.RAPI_CERT_FILE)
    x509.GenerateHmacKey(pathutils.CONFD_HMAC_KEY)
    x509.GenerateClusterDomainSecret(pathutils.CLUSTER_DOMAIN_SECRET_FILE)
    return digest


def _ReadHostKeys() -> dict:
    """This node's SSH host public keys: {key type: "type base64"}."""
    keys = {}
    for kind in ("rsa", "ecdsa", "ed25519", "dsa"):
        path = os.path.join(pathutils.SSH_CONFIG_DIR,
                            "ssh_host_%s_key.pub" % kind)
        try:
            fields = uio.ReadFile(path).split()
        except EnvironmentError:
            continue
        if len(fields) >= 2:
            keys[kind] = "%s %s" % (fields[0], fields[1])
    return keys


def WriteKnownHostsFile(cluster_name: str, host_keys: dict) -> None:
    """The cluster's known_hosts: the host keys under the cluster name (every
    node of a cluster has the same host keys)."""
    lines = ["%s %s\n" % (cluster_name, key)
             for _, key in sorted(host_keys.items())]
    uio.WriteFile(pathutils.SSH_KNOWN_HOSTS_FILE, data="".join(lines),
                  mode=0o644)


def InitSshSetup(node_uuid: str, key_type: str, key_bits: int) -> None:
    """root's cluster key pair for the new master: made (an older pair of
    the type is kept as a backup), authorized, and the only key of the
    public key file."""
    from ganeti import ssh_keys
    priv, _ = ssh_keys.KeyFiles(key_type)
    pub = ssh_keys.GenerateKeyPair(key_type, key_bits, priv)
    ssh_keys.UpdateAuthorizedKeys(add=[pub])
    ssh_keys.WritePubKeyFile({node_uuid: [pub]})


def _wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise errors.OpExecError("Timeout while waiting for %s" % what)


def _ForceParamTypes(hvparams: Optional[Dict[str, dict]],
                     beparams: Optional[dict], ndparams: Optional[dict],
                     diskparams: Optional[Dict[str, dict]]) -> tuple:
    """The command-line parameter strings converted to their declared types
    ("acpi=False" is stored as the boolean False, "maxmem=1G" as 1024)."""
    from ganeti import hypervisor
    from ganeti.cmdlib import group
    from ganeti.cmdlib.instance_utils import ForceBeParamTypes
    hvparams = {name: dict(params) for name, params in
                (hvparams or {}).items()}
    for name, params in hvparams.items():
        group.ForceVTypes(params, hypervisor.ParameterTypes(name),
                          allow_default=False)
    ndparams = dict(ndparams or {})
    group.ForceDictType(ndparams, group.ND_PARAMETER_TYPES)
    return (hvparams, ForceBeParamTypes(beparams or {}), ndparams,
            group.UpdateDiskParams({}, diskparams or {}))


def InitCluster(cluster_name: str, mac_prefix: str = "aa:00:00",
                master_netmask: Optional[int] = None,
                master_netdev: str = "", file_storage_dir: str = "",
                shared_file_storage_dir: str = "",
                gluster_storage_dir: str = "",
                candidate_pool_size: int = 10,
                secondary_ip: Optional[str] = None,
                vg_name: Optional[str] = None,
                beparams: Optional[dict] = None,
                nicparams: Optional[dict] = None,
                ndparams: Optional[dict] = None,
                hvparams: Optional[Dict[str, dict]] = None,
                diskparams: Optional[Dict[str, dict]] = None,
                enabled_hypervisors: Optional[List[str]] = None,
                modify_etc_hosts: bool = True, modify_ssh_setup: bool = True,
                maintain_node_health: bool = False,
                drbd_helper: Optional[str] = None,
                uid_pool: Optional[list] = None,
                default_iallocator: str = "",
                default_iallocator_params: Optional[dict] = None,
                primary_ip_version: int = 4,
                ipolicy: Optional[dict] = None,
                prealloc_wipe_disks: bool = False,
                use_external_mip_script: bool = False,
                hv_state: Optional[dict] = None,
                disk_state: Optional[dict] = None,
                enabled_disk_templates: Optional[List[str]] = None,
                install_image: str = "", zeroing_image: str = "",
                compression_tools: Optional[List[str]] = None,
                enabled_user_shutdown: bool = False,
                ssh_key_type: str = "rsa", ssh_key_bits: Optional[int] = None,
                feedback_fn: Callable[[str], None] = logging.info,
                start_daemons: bool = True) -> None:
    """Create a new cluster with this node as its master."""
    if os.path.exists(pathutils.CLUSTER_CONF_FILE):
        raise _prereq("Cluster is already initialised", errors.ECODE_STATE)

    enabled_hypervisors = enabled_hypervisors or [constants.HT_KVM]
    for hv in enabled_hypervisors:
        if hv not in constants.HYPER_TYPES:
            raise _prereq("Invalid hypervisor '%s', valid ones are: %s" %
                          (hv, ", ".join(constants.HYPER_TYPES)))
    enabled_disk_templates = (enabled_disk_templates or
                              list(constants.DEFAULT_ENABLED_DISK_TEMPLATES))
    for dt in enabled_disk_templates:
        if dt not in constants.DISK_TEMPLATES:
            raise _prereq("Cannot enable disk template '%s', valid ones are:"
                          " %s" % (dt, ", ".join(constants.DISK_TEMPLATES)))
    from ganeti.cmdlib import group  # the master-side ipolicy checks
    ipolicy = group.GetUpdatedIPolicy(defaults.IPOLICY_DEFAULTS,
                                      ipolicy or {}, group_policy=False)
    # the policy allows only enabled disk templates
    ipolicy["disk-templates"] = [dt for dt in enabled_disk_templates
                                 if dt in ipolicy["disk-templates"]]
    if any(dt in LVM_TEMPLATES for dt in enabled_disk_templates):
        if not vg_name:
            raise _prereq("Enabling an LVM-based disk template requires a"
                          " volume group name (--vg-name)")
        _check_vg(vg_name)

    if primary_ip_version not in (4, 6):
        raise _prereq("Invalid primary ip version: %s" % primary_ip_version)
    family = 2 if primary_ip_version == 4 else 10
    if master_netmask is None:
        master_netmask = 32 if family == 2 else 128
    if not netutils.ValidateNetmask(master_netmask, family):
        raise _prereq("CIDR netmask (%s) not valid for IPv%s" %
                      (master_netmask, primary_ip_version))
    if not mac_prefix or len(mac_prefix.split(":")) != 3:
        raise _prereq("Invalid mac prefix given '%s'" % mac_prefix)

    hostname = netutils.Hostname()
    if netutils.IsLoopback(hostname.ip):
        raise _prereq("This host's IP (%s) resolves to a loopback address."
                      " Please fix DNS or %s." % (hostname.ip, "/etc/hosts"),
                      errors.ECODE_ENVIRON)
    if not netutils.OwnIpAddress(hostname.ip):
        raise _prereq("Inconsistency: this host's name resolves to %s,"
                      " but this ip address does not belong to this host" %
                      hostname.ip, errors.ECODE_ENVIRON)
    try:
        clustername = netutils.Hostname(cluster_name)
    except errors.ResolverError as err:
        raise _prereq("Cannot resolve cluster name '%s': %s" %
                      (cluster_name, err), errors.ECODE_RESOLVER)
    if netutils.TcpPing(clustername.ip, constants.DEFAULT_NODED_PORT,
                        timeout=1.0):
        raise _prereq("Cluster IP already active", errors.ECODE_NOTUNIQUE)

    if secondary_ip:
        if not netutils.IsValidIP4(secondary_ip):
            raise _prereq("Invalid secondary ip given")
        if secondary_ip != hostname.ip and not netutils.OwnIpAddress(secondary_ip):
            raise _prereq("You gave %s as secondary IP, but it does not belong"
                          " to this host." % secondary_ip, errors.ECODE_ENVIRON)
    else:
        secondary_ip = hostname.ip

    master_netdev = master_netdev or defaults.DEFAULT_BRIDGE
    _check_netdev(master_netdev)
    if constants.DT_FILE in enabled_disk_templates:
        file_storage_dir = _check_file_storage_dir(
            file_storage_dir or pathutils.DEFAULT_FILE_STORAGE_DIR, "file storage")
    if constants.DT_SHARED_FILE in enabled_disk_templates:
        shared_file_storage_dir = _check_file_storage_dir(
            shared_file_storage_dir or pathutils.DEFAULT_SHARED_FILE_STORAGE_DIR,
            "shared file storage")

    for name, params in (hvparams or {}).items():
        if name not in constants.HYPER_TYPES:
            raise _prereq("Invalid hypervisor '%s' in hypervisor parameters" % name)
        unknown = set(params) - set(defaults.HVC_DEFAULTS.get(name, params))
        if unknown:
            raise _prereq("Unknown parameter(s) for hypervisor %s: %s" %
                          (name, ", ".join(sorted(unknown))))
    for name, params, known in (("backend", beparams, defaults.BEC_DEFAULTS),
                                ("nic", nicparams, defaults.NICC_DEFAULTS),
                                ("node", ndparams, defaults.NDC_DEFAULTS)):
        unknown = set(params or {}) - set(known) - {"memory"}
        if unknown:
            raise _prereq("Unknown %s parameter(s): %s" %
                          (name, ", ".join(sorted(unknown))))
    hvparams, beparams, ndparams, diskparams = _ForceParamTypes(
        hvparams, beparams, ndparams, diskparams)
    from ganeti import ssh_keys
    ssh_key_bits = ssh_keys.DetermineKeyBits(ssh_key_type, ssh_key_bits)

    # From here on the node changes: a failure puts it back as it was, so
    # that init can simply be run again.
    try:
        feedback_fn("Generating cluster secrets")
        uio.EnsureDirs([(pathutils.DATA_DIR, 0o755), (pathutils.QUEUE_DIR, 0o700),
                        (pathutils.RAPI_DATA_DIR, 0o750),
                        (pathutils.RUN_DIR, 0o775), (pathutils.SOCKET_DIR, 0o750),
                        (pathutils.LOG_DIR, 0o750)])
        client_digest = GenerateClusterCrypto(hostname.name)
        host_keys = _ReadHostKeys()
        WriteKnownHostsFile(clustername.name, host_keys)

        now = time.time()
        group = objects.stamp_new(objects.NodeGroup(name="default", members=[]), now)
        group.UpgradeConfig()
        node = objects.stamp_new(objects.Node(
            name=hostname.name, primary_ip=hostname.ip, secondary_ip=secondary_ip,
            master_candidate=True, offline=False, drained=False, group=group.uuid,
            master_capable=True, vm_capable=True, ndparams={}, powered=True,
            tags=[]), now)
        group.members.append(node.uuid)
        if modify_ssh_setup:
            feedback_fn("Initializing the SSH setup")
            InitSshSetup(node.uuid, ssh_key_type, ssh_key_bits)

        be = dict(beparams or {})
        if "memory" in be:
            be["maxmem"] = be["minmem"] = be.pop("memory")
        cluster = objects.stamp_new(objects.Cluster(
            cluster_name=clustername.name, master_node=node.uuid,
            master_ip=clustername.ip, master_netdev=master_netdev,
            master_netmask=master_netmask, mac_prefix=mac_prefix,
            volume_group_name=vg_name, drbd_usermode_helper=drbd_helper,
            file_storage_dir=file_storage_dir,
            shared_file_storage_dir=shared_file_storage_dir,
            gluster_storage_dir=gluster_storage_dir or "/var/run/ganeti/gluster",
            enabled_hypervisors=enabled_hypervisors,
            hvparams=hvparams or {}, beparams={"default": be},
            nicparams={"default": dict(nicparams or {})},
            ndparams=dict(ndparams or {}), diskparams=diskparams or {},
            ipolicy=ipolicy, candidate_pool_size=candidate_pool_size,
            modify_etc_hosts=modify_etc_hosts, modify_ssh_setup=modify_ssh_setup,
            maintain_node_health=maintain_node_health, uid_pool=uid_pool or [],
            default_iallocator=default_iallocator,
            default_iallocator_params=default_iallocator_params or {},
            primary_ip_family=family, prealloc_wipe_disks=prealloc_wipe_disks,
            use_external_mip_script=use_external_mip_script,
            hv_state_static=hv_state or {}, disk_state_static=disk_state or {},
            enabled_disk_templates=enabled_disk_templates,
            candidate_certs={node.uuid: client_digest},
            install_image=install_image, zeroing_image=zeroing_image,
            compression_tools=compression_tools,
            enabled_user_shutdown=enabled_user_shutdown,
            ssh_key_type=ssh_key_type, ssh_key_bits=ssh_key_bits,
            highest_used_port=32000, tcpudp_port_pool=[], tags=[],
            rsahostkeypub=host_keys.get("rsa", ""),
            dsahostkeypub=host_keys.get("dsa", "")), now)
        cluster.UpgradeConfig()

        data = objects.ConfigData(version=constants.CONFIG_VERSION, cluster=cluster,
                                  nodes={node.uuid: node},
                                  nodegroups={group.uuid: group}, instances={},
                                  networks={}, disks={}, filters={}, serial_no=1,
                                  ctime=now, mtime=now)
        from ganeti import config  # avoid a cycle at import time
        cfg = config.ConfigWriter(data=data)
        cfg.Flush()
        ssconf.WriteSsconfFiles(cfg.GetSsconfValues())
        feedback_fn("Configuration written (%s)" % pathutils.CLUSTER_CONF_FILE)

        if start_daemons:
            _StartDaemons(cfg)
    except BaseException:
        _UndoInit()
        raise


def _UndoInit() -> None:
    """Undo a failed init on this node: stop the daemons it started, drop
    the master IP if it came up, remove the files it wrote."""
    from ganeti import backend
    from ganeti import config
    from ganeti import daemon_util
    try:
        data = config.load_config_data(pathutils.CLUSTER_CONF_FILE)
    except errors.GenericError:
        data = None
    try:
        backend.StopMasterDaemons()
        for name in reversed(daemon_util.NODE_DAEMONS):
            daemon_util.stop(name)
    except (errors.GenericError, backend.RPCFail, OSError) as err:
        logging.warning("Could not stop the daemons: %s", err)
    if data is not None and netutils.OwnIpAddress(data.cluster.master_ip):
        cl = data.cluster
        try:
            backend.DeactivateMasterIp(
                {"uuid": cl.master_node, "ip": cl.master_ip,
                 "netmask": cl.master_netmask, "netdev": cl.master_netdev,
                 "ip_family": cl.primary_ip_family},
                cl.use_external_mip_script)
        except (errors.GenericError, backend.RPCFail) as err:
            logging.warning("Could not remove the master IP: %s", err)
    backend.ForgetCluster(False)


def _StartDaemons(cfg, no_voting: bool = False) -> List[str]:
    """Start the node daemons, bring up the master IP, start masterd.

    Used by init and by master-failover (ganeti.bootstrap.failover) on the
    node becoming the master; returns warnings (a master IP that did not
    come up does not stop the master daemon from starting).
    """
    from ganeti import daemon_util
    from ganeti import rpc

    warnings = []
    for name in daemon_util.NODE_DAEMONS:
        daemon_util.start(name)
    runner = rpc.RpcRunner.for_bootstrap()
    master = cfg.GetMasterNodeName()

    def noded_answers() -> bool:
        return not runner.call_version([master])[master].fail_msg
    _wait_for(noded_answers, _DAEMON_WAIT, "the node daemon to start")

    result = runner.call_node_activate_master_ip(
        master, cfg.GetMasterNetworkParameters(),
        cfg.GetClusterInfo().use_external_mip_script)
    if result.fail_msg:
        warnings.append("Could not activate the master IP: %s"
                        % result.fail_msg)
        logging.warning("%s", warnings[-1])
    result = runner.call_node_start_master_daemons(master, no_voting)
    result.Raise("Could not start the master daemon")
    _wait_for(lambda: os.path.exists(pathutils.MASTER_SOCKET), _DAEMON_WAIT,
              "the master daemon to start")
    return warnings


def FinalizeClusterDestroy(master_name: str, modify_ssh_setup: bool,
                           master_params: dict,
                           use_external_mip_script: bool) -> None:
    """After OpClusterDestroy: stop the master, remove the node's files."""
    from ganeti import rpc
    runner = rpc.RpcRunner.for_bootstrap()
    result = runner.call_node_deactivate_master_ip(master_name, master_params,
                                                   use_external_mip_script)
    if result.fail_msg:
        logging.warning("Could not disable the master IP: %s", result.fail_msg)
    result = runner.call_node_stop_master(master_name)
    if result.fail_msg:
        logging.warning("Could not disable the master role: %s", result.fail_msg)
    result = runner.call_node_leave_cluster(master_name, modify_ssh_setup)
    if result.fail_msg:
        logging.warning("Could not shutdown the node daemon and cleanup the"
                        " node: %s", result.fail_msg)


def ReadClusterConfig() -> objects.ConfigData:
    """config.data as objects (for tools running outside masterd)."""
    return objects.ConfigData.FromDict(
        serializer.LoadJson(uio.ReadFile(pathutils.CLUSTER_CONF_FILE)))
