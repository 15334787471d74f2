"""ganeti-noded: the node daemon serving node RPC over HTTPS (port 1811).

``POST /<call>`` with a JSON list of arguments; the answer is JSON
``[true, result]`` or ``[false, "error message"]``.  Other methods get 400,
unknown calls 404 (both with a ``[false, message]`` body).  The client must
present a certificate signed by (or equal to) the cluster certificate; once
ssconf lists the master candidates' certificate digests, only those (and
the cluster certificate itself) are accepted.
"""

import ctypes
import ctypes.util
import logging
import optparse
import threading
from typing import Any, Callable, Dict, Optional, Sequence, Tuple

from ganeti import backend
from ganeti.backend import blockdev as backend_blockdev
from ganeti.backend import blockdev_extra as backend_blockdev_extra
from ganeti.backend import exports as backend_exports
from ganeti.backend import node_extra as backend_node_extra
from ganeti.backend import instance as backend_instance
from ganeti.backend import node_services as backend_services
from ganeti.backend import osinstall as backend_os
from ganeti.backend import storage as backend_storage
from ganeti.backend import ssh_keys as backend_ssh_keys
from ganeti.backend import verify as backend_verify
from ganeti import constants
from ganeti import daemon
from ganeti import errors
from ganeti import iallocator
from ganeti import serializer
from ganeti import ssconf
from ganeti.http import server as http_server
from ganeti.rpc import defs as rpc_defs
from ganeti.utils import x509_digest

# The RPC calls this daemon serves: call name -> backend function taking
# the call's arguments (in rpc.defs order).
RPC_CALLS: Dict[str, Callable[..., Any]] = {
    "version": backend.GetVersion,
    "node_info": backend_verify.GetNodeInfo,
    "node_verify": backend_verify.VerifyNode,
    "node_verify_light": backend_verify.VerifyNode,
    "upload_file": backend.UploadFileDetails,
    "upload_file_single": backend.UploadFile,
    "write_ssconf_files": backend.WriteSsconfFiles,
    "etc_hosts_modify": backend.EtcHostsModify,
    "jobqueue_update": backend.JobQueueUpdate,
    "jobqueue_rename": backend.JobQueueRename,
    "jobqueue_purge": backend.JobQueuePurge,
    "jobqueue_set_drain_flag": backend.JobQueueSetDrainFlag,
    "hooks_runner": backend.RunHooks,
    "node_start_master_daemons": backend.StartMasterDaemons,
    "node_stop_master": backend.StopMasterDaemons,
    "node_activate_master_ip": backend.ActivateMasterIp,
    "node_deactivate_master_ip": backend.DeactivateMasterIp,
    "node_change_master_netmask": backend.ChangeMasterNetmask,
    "node_has_ip_address": backend.NodeHasIpAddress,
    "master_node_name": backend.GetMasterNodeName,
    "x_config_newer_than": backend.GetConfigNewerThan,
    "node_leave_cluster": backend.LeaveCluster,
    "node_crypto_tokens": backend.GetCryptoTokens,
    "bridges_exist": backend.BridgesExist,
    "test_delay": backend.TestDelay,
    "get_watcher_pause": backend.GetWatcherPause,
    "set_watcher_pause": backend.SetWatcherPause,
}
RPC_CALLS.update(backend_blockdev.RPC_CALLS)
RPC_CALLS.update(backend_blockdev_extra.RPC_CALLS)
RPC_CALLS.update(backend_node_extra.RPC_CALLS)
RPC_CALLS.update(backend_instance.RPC_CALLS)
RPC_CALLS.update(backend_os.RPC_CALLS)
RPC_CALLS.update(backend_exports.RPC_CALLS)
RPC_CALLS.update(backend_services.RPC_CALLS)
RPC_CALLS.update(backend_ssh_keys.RPC_CALLS)
RPC_CALLS.update(iallocator.RPC_CALLS)  # iallocator_runner
# Volumes, storage units, power, OOB and demotion (ganeti.backend.storage);
# entries above take precedence.
for _name, _fn in backend_storage.RPC_CALLS.items():
    RPC_CALLS.setdefault(_name, _fn)

# Calls whose JSON body is their single argument rather than a list of
# arguments (upstream's Haskell daemons call them that way).
BODY_IS_ARGUMENT = frozenset(["instance_console_info"])

_JSON_HEADERS = {"Content-Type": "application/json"}


def _Answer(status: int, success: bool, payload: Any
            ) -> Tuple[int, Dict[str, str], str]:
    return (status, dict(_JSON_HEADERS),
            serializer.DumpJson([success, payload],
                                private_encoder=serializer.
                                EncodeWithPrivateFields))


def _ArgCount(name: str) -> Optional[int]:
    call = rpc_defs.CALLS.get(name)
    return len(call.args) if call is not None else None


class NodeRequestHandler:
    """Turns HTTP requests into backend calls; never lets an error escape."""

    def __init__(self, quit_fn: Optional[Callable[[], None]] = None,
                 calls: Optional[Dict[str, Callable[..., Any]]] = None
                 ) -> None:
        self._quit_fn = quit_fn
        self._calls = RPC_CALLS if calls is None else calls

    def __call__(self, method: str, path: str, headers: Any,
                 body: bytes) -> Tuple[int, Dict[str, str], str]:
        if method.upper() != "POST":
            return _Answer(400, False, "Only the POST method is supported")
        name = path.split("?", 1)[0].lstrip("/")
        fn = self._calls.get(name)
        if fn is None:
            return _Answer(404, False, "Unknown RPC call '%s'" % name)
        try:
            args = serializer.LoadUntrustedJson(body) if body.strip() else []
        except (ValueError, UnicodeDecodeError) as err:
            return _Answer(400, False, "Invalid JSON in the body of RPC call"
                           " '%s': %s" % (name, err))
        if name in BODY_IS_ARGUMENT:
            args = [args]
        elif isinstance(args, dict) and not args and _ArgCount(name) == 0:
            args = []  # upstream's Haskell daemons send {} for no arguments
        if not isinstance(args, list):
            return _Answer(400, False, "The body of RPC call '%s' must be a"
                           " JSON list of arguments" % name)
        expected = _ArgCount(name)
        if expected is not None and len(args) != expected:
            return _Answer(400, False, "RPC call '%s' takes %d argument(s),"
                           " %d given" % (name, expected, len(args)))
        return self._Run(name, fn, args)

    def _Run(self, name: str, fn: Callable[..., Any], args: Sequence
             ) -> Tuple[int, Dict[str, str], str]:
        logging.debug("RPC call %s", name)
        try:
            return _Answer(200, True, fn(*args))
        except backend.RPCFail as err:
            return _Answer(200, False, str(err))
        except errors.QuitGanetiException as err:
            logging.info("Shutting down the node daemon, arguments: %s",
                         err.args)
            if self._quit_fn is not None:
                # After the answer went out (Shutdown waits for requests).
                threading.Timer(0.2, self._quit_fn).start()
            success, message = (list(err.args) + [True, ""])[:2]
            return _Answer(200, bool(success), message)
        except Exception as err:  # pylint: disable=broad-except
            logging.exception("Error in RPC call %s", name)
            return _Answer(200, False, "Error while executing backend"
                           " function: %s" % err)


class ClientCertChecker:
    """Accepts a verified client certificate if the cluster trusts it.

    With ssconf master_candidates_certs present, its digests and the
    cluster certificate's own are trusted; before it exists (bootstrap)
    every certificate signed by the cluster certificate is.
    """

    def __init__(self, cluster_cert_file: str) -> None:
        self._cluster_digest = \
            x509_digest.GetCertificateFileDigest(cluster_cert_file)

    def __call__(self, der: bytes) -> bool:
        try:
            digest = x509_digest.GetCertificateDigestFromDer(der)
        except ValueError:
            return False
        if digest == self._cluster_digest:
            return True
        try:
            candidates = ssconf.SimpleStore().GetMasterCandidatesCertMap()
        except errors.ConfigurationError:
            candidates = {}
        if not candidates:
            return True
        return digest in candidates.values()


def Mlockall() -> None:
    """Lock the daemon's memory (so it works on a failing root disk)."""
    libc_name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(libc_name or "libc.so.6", use_errno=True)
        if libc.mlockall(1 | 2) != 0:  # MCL_CURRENT | MCL_FUTURE
            logging.warning("Cannot set memory lock: %s",
                            ctypes.get_errno())
    except (OSError, AttributeError) as err:
        logging.warning("Cannot set memory lock: %s", err)


def CheckNoded(options: Any, args: Sequence[str]) -> None:
    if args:
        print("Usage: ganeti-noded [-f] [-d] [-p port] [-b ADDRESS]"
              " [-i INTERFACE]")
        raise SystemExit(constants.EXIT_FAILURE)
    if options.max_clients < 1:
        print("--max-clients must be at least 1")
        raise SystemExit(constants.EXIT_FAILURE)


# Request threads get small stacks: with mlockall every thread's whole
# stack is locked in RAM (glibc's default is 8 MiB). Deep input is refused
# long before it could need more (serializer nesting limit).
NODED_THREAD_STACK = 512 * 1024


def PrepNoded(options: Any, args: Sequence[str]) -> http_server.HttpServer:
    """Lock memory and bind the server (errors still reach the terminal)."""
    threading.stack_size(NODED_THREAD_STACK)
    if options.mlock:
        Mlockall()
    handler = NodeRequestHandler(quit_fn=options.shutdown.Request)
    ssl_args: Dict[str, Any] = {}
    if options.ssl:
        ssl_args = dict(ssl_cert=options.ssl_cert, ssl_key=options.ssl_key,
                        ssl_verify_peer=True, ssl_ca=options.ssl_cert,
                        peer_check=ClientCertChecker(options.ssl_cert))
    server = http_server.HttpServer(options.bind_address, options.port,
                                    handler, max_clients=options.max_clients,
                                    name="noded", **ssl_args)
    logging.info("Listening on %s port %d%s", options.bind_address,
                 server.port, "" if options.ssl else " (no SSL)")
    return server


def ExecNoded(options: Any, args: Sequence[str],
              server: http_server.HttpServer) -> None:
    options.shutdown.Register(server.Shutdown)
    server.Serve()


def BuildParser() -> optparse.OptionParser:
    """The option parser of ganeti-noded (without the common daemon
    options, which daemon.GenericMain adds)."""
    parser = optparse.OptionParser(
        description="Ganeti node daemon",
        usage="%prog [-f] [-d] [-p port] [-b ADDRESS] [-i INTERFACE]",
        version="%%prog (ganeti) %s" % constants.RELEASE_VERSION)
    parser.add_option("--no-mlock", dest="mlock", default=True,
                      action="store_false",
                      help="Do not mlock the node memory in RAM")
    parser.add_option("--max-clients", dest="max_clients", type="int",
                      default=constants.NODED_MAX_CLIENTS,
                      help="Number of simultaneous connections accepted"
                      " by noded (default: %default)")
    return parser


# The prose of the ganeti-noded(8) man page (ganeti.tools.manpages adds the
# synopsis, the options and the common daemon sections).
MAN_SECTIONS = [
    ("DESCRIPTION", [
        "ganeti-noded is the node daemon: it runs on every node of a cluster"
        " and does the work on that node that the master asks for: block"
        " devices (LVM, DRBD, files), instances (start, stop, migrate),"
        " OS installation scripts, hooks, file uploads (configuration,"
        " ssconf, job queue replication), storage reports and node"
        " verification. It runs as root.",
        "It answers node RPC calls, HTTPS POST requests with JSON bodies,"
        " on TCP port %d. The client must present a certificate signed by"
        " the cluster certificate (%s); once the master candidates are"
        " known, only theirs are accepted." % (constants.DEFAULT_NODED_PORT,
                                              "/var/lib/ganeti/server.pem"),
        "Instances started by the node daemon keep running when it stops or"
        " restarts.",
    ]),
]


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = BuildParser()
    daemon.GenericMain(constants.NODED, parser, CheckNoded, PrepNoded,
                       ExecNoded, multithreaded=True,
                       argv=list(argv) if argv is not None else None)
