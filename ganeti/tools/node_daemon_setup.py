"""node-daemon-setup: make a machine able to join a cluster (gnt-node add).

The master runs ``node-daemon-setup`` on the new node over SSH and writes a
JSON document to its standard input (keys as upstream names them):

  cluster_name             the cluster's name
  node_daemon_certificate  server.pem: the cluster certificate and its key
  ssconf                   {ssconf key: value} as the master has them
  start_node_daemon        whether to (re)start ganeti-noded
  hmac_key                 the confd HMAC key (optional)
  node_name                the node's name in the cluster (optional; the
                           common name of its client certificate)

The node checks it does not belong to another cluster (a different
``ssconf_cluster_name``; ``--force-join`` overrides), writes server.pem,
hmac.key and the ssconf files, creates its own client.pem signed by the
cluster certificate, restarts ganeti-noded and prints a JSON result on
stdout (``{"success": true, "client_cert_digest": ...}``; on failure
``{"success": false, "error": ...}``, the message also on stderr, exit 1).
Everything else (rapi.pem, config.data, the job queue...) then comes from
the master over node RPC.

This module holds both sides: Main() for the node, SetupNodeDaemon() for
the master (gnt-node add).
"""

import json
import logging
import optparse
import os
import sys
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, TextIO

from ganeti import constants
from ganeti import errors
from ganeti import netutils
from ganeti import pathutils
from ganeti import ssconf
from ganeti.utils import io as utils_io
from ganeti.utils import x509

# Keys of the JSON document (upstream's NDS_* names).
NDS_CLUSTER_NAME = "cluster_name"
NDS_NODE_DAEMON_CERTIFICATE = "node_daemon_certificate"
NDS_SSCONF = "ssconf"
NDS_START_NODE_DAEMON = "start_node_daemon"
NDS_HMAC = "hmac_key"
NDS_NODE_NAME = "node_name"

_KEY_TYPES = {
    NDS_CLUSTER_NAME: str,
    NDS_NODE_DAEMON_CERTIFICATE: str,
    NDS_SSCONF: dict,
    NDS_START_NODE_DAEMON: bool,
    NDS_HMAC: str,
    NDS_NODE_NAME: str,
}

TOOL_NAME = "node-daemon-setup"
# Modes of the files written here (upstream's).
NODED_CERT_MODE = x509.CERT_FILE_MODE
# Seconds the remote setup may take, and the new noded to answer.
SETUP_TIMEOUT = 120.0
NODED_WAIT = 30.0


class SetupError(errors.GenericError):
    """The node can't be set up (message: why)."""


# ---------------------------------------------------------------- node side

def LoadData(text: str) -> Dict[str, Any]:
    """Parse and type-check the JSON document (unknown keys are refused)."""
    try:
        data = json.loads(text)
    except ValueError as err:
        raise SetupError("Invalid JSON on standard input: %s" % err)
    if not isinstance(data, dict):
        raise SetupError("Invalid data: expected a JSON object")
    unknown = sorted(set(data) - set(_KEY_TYPES))
    if unknown:
        raise SetupError("Unknown key(s) in the data: %s" % ", ".join(unknown))
    for key, kind in _KEY_TYPES.items():
        if key in data and not isinstance(data[key], kind):
            raise SetupError("Invalid value for '%s': expected %s" %
                             (key, "a JSON " + {str: "string", dict: "object",
                                                bool: "boolean"}[kind]))
    return data


def VerifyClusterName(data: Dict[str, Any], force_join: bool = False) -> str:
    """The cluster name; refuse a node that belongs to another cluster."""
    name = data.get(NDS_CLUSTER_NAME)
    if not name:
        raise SetupError("Cluster name must be specified")
    try:
        current = ssconf.SimpleStore().GetClusterName()
    except errors.ConfigurationError:
        current = None  # not a cluster member (yet)
    if current and current != name:
        if not force_join:
            raise SetupError("Current cluster name is '%s'" % current)
        logging.warning("Leaving cluster '%s' to join '%s'", current, name)
    return name


def VerifyCertificate(data: Dict[str, Any]) -> str:
    """The cluster certificate and key (PEM); checks that they match."""
    pem = data.get(NDS_NODE_DAEMON_CERTIFICATE)
    if not pem:
        raise SetupError("Node daemon certificate must be specified")
    try:
        x509.CheckKeyCertPair(pem)
    except errors.X509CertError as err:
        raise SetupError("Invalid node daemon certificate: %s" % err.args[-1])
    return pem


def VerifySsconf(data: Dict[str, Any], cluster_name: str) -> Dict[str, str]:
    """The ssconf values; they must name the same cluster."""
    values = data.get(NDS_SSCONF)
    if not values:
        raise SetupError("Ssconf values must be specified")
    bad = sorted(str(k) for k, v in values.items()
                 if k not in ssconf.VALID_KEYS or not isinstance(v, str))
    if bad:
        raise SetupError("Invalid ssconf key(s) or value(s): %s"
                         % ", ".join(bad))
    if values.get(constants.SS_CLUSTER_NAME) != cluster_name:
        raise SetupError("Cluster name in ssconf does not match")
    return values


def VerifyHmac(data: Dict[str, Any]) -> Optional[str]:
    key = data.get(NDS_HMAC)
    if key is not None and not key.strip():
        raise SetupError("Invalid (empty) HMAC key")
    return key


def _EnsureDirs() -> None:
    utils_io.EnsureDirs([(pathutils.DATA_DIR, 0o755),
                         (pathutils.QUEUE_DIR, 0o700),
                         (pathutils.RAPI_DATA_DIR, 0o750),
                         (pathutils.RUN_DIR, 0o775),
                         (pathutils.SOCKET_DIR, 0o750),
                         (pathutils.LOG_DIR, 0o750)])


def _RestartNodeDaemon() -> None:
    """Stop whatever Ganeti daemons run here, then start the node daemons
    afresh (noded must load the new certificate, confd the new key)."""
    from ganeti import daemon_util  # pylint: disable=import-outside-toplevel
    for name in daemon_util.MASTER_DAEMONS + daemon_util.NODE_DAEMONS:
        if daemon_util.stop(name):
            logging.info("Stopped %s", name)
    for name in daemon_util.NODE_DAEMONS:
        daemon_util.start(name)
        logging.info("Started %s", name)


def SetupNode(data: Dict[str, Any], force_join: bool = False,
              dry_run: bool = False) -> Dict[str, Any]:
    """Check data, write the node's files, (re)start noded; the result."""
    cluster_name = VerifyClusterName(data, force_join)
    server_pem = VerifyCertificate(data)
    ssdata = VerifySsconf(data, cluster_name)
    hmac_key = VerifyHmac(data)
    node_name = data.get(NDS_NODE_NAME) or netutils.Hostname.GetFqdn()
    result: Dict[str, Any] = {"success": True, "cluster_name": cluster_name,
                              "node_name": node_name,
                              "node_daemon_started": False}
    if dry_run:
        result["client_cert_digest"] = None
        return result
    _EnsureDirs()
    logging.info("Writing ssconf files")
    ssconf.WriteSsconfFiles(ssdata)
    if hmac_key is not None:
        logging.info("Writing %s", pathutils.CONFD_HMAC_KEY)
        utils_io.WriteFile(pathutils.CONFD_HMAC_KEY, data=hmac_key,
                           mode=NODED_CERT_MODE)
    logging.info("Writing %s", pathutils.NODED_CERT_FILE)
    utils_io.WriteFile(pathutils.NODED_CERT_FILE, data=server_pem,
                       mode=NODED_CERT_MODE)
    logging.info("Creating %s", pathutils.NODED_CLIENT_CERT_FILE)
    result["client_cert_digest"] = x509.GenerateClientCert(
        pathutils.NODED_CLIENT_CERT_FILE, pathutils.NODED_CERT_FILE,
        node_name)
    if data.get(NDS_START_NODE_DAEMON):
        _RestartNodeDaemon()
        result["node_daemon_started"] = True
    return result


def _ParseOptions(argv: Sequence[str]):
    parser = optparse.OptionParser(
        usage="%prog [--dry-run] [--force-join] < data.json",
        description="Set up the node daemon of a node joining a cluster"
                    " (reads the cluster's data as JSON on stdin)",
        prog=TOOL_NAME)
    parser.add_option("-d", "--debug", dest="debug", action="store_true",
                      default=False, help="Enable debug logging")
    parser.add_option("-v", "--verbose", dest="verbose", action="store_true",
                      default=False, help="Enable verbose logging")
    parser.add_option("--dry-run", dest="dry_run", action="store_true",
                      default=False, help="Only check the data")
    parser.add_option("--force-join", dest="force_join", action="store_true",
                      default=False,
                      help="Join even if the node belongs to another cluster")
    opts, args = parser.parse_args(list(argv))
    if args:
        parser.error("no arguments expected")
    return opts


def Main(argv: Optional[Sequence[str]] = None,
         stdin: Optional[TextIO] = None,
         stdout: Optional[TextIO] = None) -> int:
    """The node-daemon-setup program; returns the exit code."""
    argv = sys.argv[1:] if argv is None else argv
    stdin = stdin if stdin is not None else sys.stdin
    stdout = stdout if stdout is not None else sys.stdout
    opts = _ParseOptions(argv)
    level = (logging.DEBUG if opts.debug else
             logging.INFO if opts.verbose else logging.WARNING)
    logging.basicConfig(stream=sys.stderr, level=level,
                        format="%s: %%(message)s" % TOOL_NAME)
    try:
        result = SetupNode(LoadData(stdin.read()), force_join=opts.force_join,
                           dry_run=opts.dry_run)
    except (errors.GenericError, OSError) as err:
        message = _ErrorMessage(err)
        logging.debug("Setup failed", exc_info=True)
        sys.stderr.write("%s\n" % message)
        stdout.write(json.dumps({"success": False, "error": message}) + "\n")
        return constants.EXIT_FAILURE
    stdout.write(json.dumps(result, sort_keys=True) + "\n")
    return constants.EXIT_SUCCESS


def _ErrorMessage(err: BaseException) -> str:
    if isinstance(err, OSError):
        return "%s: %s" % (err.filename, err.strerror) if err.filename \
            else str(err)
    if isinstance(err, SetupError) and err.args:
        return str(err.args[0])
    return "%s: %s" % (err.__class__.__name__, err)


# ---------------------------------------------------------------- master side

def FindTool(name: str = TOOL_NAME) -> str:
    """Path of a helper from tools/: the one belonging to the code running.

    A source tree runs its own tools/ (so that it never mixes with an older
    installed copy); an installed package runs PKGLIBDIR/tools.
    """
    package_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    source_tool = os.path.join(os.path.dirname(package_dir), "tools", name)
    if os.path.isfile(source_tool):
        return source_tool
    return os.path.join(pathutils.PKGLIBDIR, "tools", name)


def SetupCommand(debug: int = 0, verbose: bool = False,
                 force_join: bool = False) -> List[str]:
    """The command the master runs on the new node."""
    cmd = [sys.executable, FindTool(TOOL_NAME)]
    if debug:
        cmd.append("--debug")
    if verbose:
        cmd.append("--verbose")
    if force_join:
        cmd.append("--force-join")
    return cmd


def BuildSetupData(node_name: str, cluster_name: Optional[str] = None,
                   start_node_daemon: bool = True) -> Dict[str, Any]:
    """The JSON document for a new node, from this (master) node's files."""
    store = ssconf.SimpleStore()
    ssdata = store.ReadAll()
    data = {
        NDS_CLUSTER_NAME: cluster_name or store.GetClusterName(),
        NDS_NODE_DAEMON_CERTIFICATE:
            utils_io.ReadFile(pathutils.NODED_CERT_FILE),
        NDS_SSCONF: ssdata,
        NDS_START_NODE_DAEMON: start_node_daemon,
        NDS_NODE_NAME: node_name,
    }
    if os.path.isfile(pathutils.CONFD_HMAC_KEY):
        data[NDS_HMAC] = utils_io.ReadFile(pathutils.CONFD_HMAC_KEY)
    return data


def ParseResult(stdout: str) -> Optional[Dict[str, Any]]:
    """The tool's JSON result (last JSON line of its output), if any."""
    for line in reversed(stdout.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if isinstance(value, dict):
                return value
    return None


def WaitForNodeDaemon(node: str, timeout: float = NODED_WAIT,
                      runner: Any = None) -> None:
    """Wait until noded on node answers the version call."""
    if runner is None:
        from ganeti import rpc  # pylint: disable=import-outside-toplevel
        runner = rpc.RpcRunner.for_bootstrap()
    deadline = time.monotonic() + timeout
    last = None
    while True:
        res = runner.call_version([node])[node]
        if not res.fail_msg:
            return
        last = res.fail_msg
        if time.monotonic() >= deadline:
            break
        time.sleep(0.2)
    raise errors.OpExecError("Node daemon on %s didn't answer queries within"
                             " %d seconds: %s" % (node, timeout, last))


def SetupNodeDaemon(cluster_name: str, node: str, ssh_port: int = 22,
                    ssh_key_check: bool = True, debug: int = 0,
                    verbose: bool = False, force_join: bool = False,
                    ssh_runner: Any = None, wait: bool = True,
                    feedback_fn: Optional[Callable[[str], None]] = None
                    ) -> Dict[str, Any]:
    """Run node-daemon-setup on node over SSH and wait for its noded.

    Raises OpExecError (one line: why) if SSH, the setup or the daemon
    failed; returns the tool's result.  With debug/verbose the tool's log
    lines go to feedback_fn.
    """
    if ssh_runner is None:
        from ganeti import ssh  # pylint: disable=import-outside-toplevel
        ssh_runner = ssh.SshRunner(cluster_name,
                                   strict_host_check=ssh_key_check)
    data = BuildSetupData(node, cluster_name)
    result = ssh_runner.Run(node, SetupCommand(debug, verbose, force_join),
                            port=ssh_port, stdin=json.dumps(data),
                            timeout=SETUP_TIMEOUT)
    if result.connect_failed:
        raise errors.OpExecError(result.ErrorText())
    if feedback_fn is not None and (debug or verbose):
        for line in result.stderr.splitlines():
            feedback_fn(line)
    answer = ParseResult(result.stdout)
    if result.failed or not answer or not answer.get("success"):
        reason = (answer or {}).get("error") or result.ErrorText() or \
            "no result from %s" % TOOL_NAME
        raise errors.OpExecError("Node daemon setup on %s failed: %s"
                                 % (node, reason))
    if wait and answer.get("node_daemon_started"):
        WaitForNodeDaemon(node)
    return answer


if __name__ == "__main__":
    sys.exit(Main())
