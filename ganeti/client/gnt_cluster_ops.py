"""gnt-cluster command, copyfile, rename and renew-crypto (merged into
gnt-cluster's table), and the options of verify.

command and copyfile work over SSH (ganeti.ssh) from the node they run on;
renew-crypto replaces certificates and secrets on the master while the
cluster's daemons are stopped, copies them to the other nodes over SSH, and
then has the master record the nodes' new client certificates
(OpClusterRenewCrypto).
"""

import fcntl
import json
import os
import sys
import time
from typing import Any, Callable, Dict, List, Optional

from ganeti import constants
from ganeti import errors
from ganeti import opcodes
from ganeti import pathutils
from ganeti.cli import (ARGS_NONE, DRY_RUN_OPT, FAILURE_ONLY_OPT, FORCE_OPT,
                        NEW_CLUSTER_CERT_OPT, NEW_CLUSTER_DOMAIN_SECRET_OPT,
                        NEW_CONFD_HMAC_KEY_OPT, NEW_NODE_CERT_OPT,
                        NEW_RAPI_CERT_OPT, NEW_SPICE_CERT_OPT, NEW_SSH_KEY_OPT,
                        NODEGROUP_OPT, NODE_LIST_OPT, NOSSH_KEYCHECK_OPT,
                        RAPI_CERT_OPT, SHOW_MACHINE_OPT, SPICE_CACERT_OPT,
                        SPICE_CERT_OPT, SSH_KEY_BITS_OPT, SSH_KEY_TYPE_OPT,
                        USE_REPL_NET_OPT, VERBOSE_OPT,
                        CLUSTER_DOMAIN_SECRET_OPT, ArgCommand, ArgFile,
                        ArgHost, AskUser, EXIT_FAILURE, EXIT_SUCCESS,
                        FormatError, GetClient, OnlineNodeAddresses,
                        SubmitOpCode, ToStderr, ToStdout, cli_option)
from ganeti.utils.text import NiceSortKey

# gnt-cluster verify -I/--ignore-errors: every verify error code.
VERIFY_IGNORE_ERRORS_OPT = cli_option(
    "-I", "--ignore-errors", default=[], action="append",
    dest="ignore_errors", choices=sorted(constants.CV_ALL_ECODES_STRINGS),
    help="Error code to be ignored")

_SEPARATOR = "-" * 48
_SSH_TIMEOUT = 120.0
_MASTER_WAIT = 60.0


# ------------------------------------------------------------ node lists

def _SshPorts() -> Dict[str, int]:
    from ganeti import ssconf
    try:
        return ssconf.SimpleStore().GetSshPortMap()
    except errors.ConfigurationError:
        return {}


def _SshRunner(cluster_name: str, strict: bool = True):
    from ganeti import ssh
    return ssh.SshRunner(cluster_name, strict_host_check=strict)


# ---------------------------------------------------------- command/copyfile

def RunClusterCommand(opts, args) -> int:
    """Run a shell command on the (online) nodes, the master last."""
    command = " ".join(args)
    cl = GetClient()
    nodes = [name for (name, _) in
             OnlineNodeAddresses(opts.nodes, cl=cl, nodegroup=opts.nodegroup)]
    cluster_name, master = cl.QueryConfigValues(["cluster_name",
                                                 "master_node"])
    if master in nodes:
        nodes.remove(master)
        nodes.append(master)
    ports = _SshPorts()
    runner = _SshRunner(cluster_name)
    for name in nodes:
        result = runner.Run(name, command, port=ports.get(name, 22))
        if opts.failure_only and result.exit_code == constants.EXIT_SUCCESS:
            continue
        ToStdout(_SEPARATOR)
        if opts.show_machine_names:
            for line in result.output.splitlines():
                ToStdout("%s: %s", name, line)
        else:
            ToStdout("node: %s", name)
            ToStdout("%s", result.output)
        ToStdout("return code = %s", result.exit_code)
    return EXIT_SUCCESS


def ClusterCopyFile(opts, args) -> int:
    """Copy a local file to the same path on the other (online) nodes."""
    filename = os.path.abspath(args[0])
    if not os.path.exists(filename):
        raise errors.OpPrereqError("No such filename '%s'" % filename,
                                   errors.ECODE_INVAL)
    cl = GetClient()
    (cluster_name, ) = cl.QueryConfigValues(["cluster_name"])
    nodes = OnlineNodeAddresses(opts.nodes, cl=cl, nodegroup=opts.nodegroup,
                                filter_master=True)
    ports = _SshPorts()
    runner = _SshRunner(cluster_name)
    for name, sip in nodes:
        target = sip if opts.use_replication_network else name
        port = ports.get(name, 22)
        result = runner.CopyFile(target, filename, port=port)
        if result.failed:
            ToStderr("Copy of file %s to node %s:%d failed", filename, target,
                     port)
    return EXIT_SUCCESS


# ------------------------------------------------------------------ rename

def RenameCluster(opts, args) -> int:
    cl = GetClient()
    (cluster_name, ) = cl.QueryConfigValues(["cluster_name"])
    new_name = args[0]
    if not opts.force:
        usertext = ("This will rename the cluster from '%s' to '%s'. If you"
                    " are connected over the network to the cluster name, the"
                    " operation is very dangerous as the IP address will be"
                    " removed from the node and the change may not go"
                    " through. Continue?") % (cluster_name, new_name)
        if not AskUser(usertext):
            return EXIT_FAILURE
    op = opcodes.OpClusterRename(name=new_name)
    result = SubmitOpCode(op, opts=opts, cl=cl)
    if result:
        ToStdout("Cluster renamed from '%s' to '%s'", cluster_name, result)
    return EXIT_SUCCESS


# ----------------------------------------------------- stopping the cluster

def _DaemonUtil() -> List[str]:
    """The daemon-util command of the code that is running."""
    source = os.path.join(pathutils.SOURCE_DAEMON_DIR, "daemon-util")
    if os.path.isfile(source):
        return [sys.executable, source]
    return [os.path.join(pathutils.PKGLIBDIR, "daemon-util")]


class _StoppedCluster:
    """What a function run while the daemons are stopped needs."""

    def __init__(self, feedback_fn: Callable[[str], None]) -> None:
        from ganeti import netutils
        self.feedback_fn = feedback_fn
        feedback_fn("Gathering cluster information")
        cl = GetClient()
        self.cluster_name, self.master = cl.QueryConfigValues(
            ["cluster_name", "master_node"])
        if netutils.Hostname.GetFqdn() != self.master:
            raise errors.OpPrereqError("This command must be run on the"
                                       " master node (%s)" % self.master,
                                       errors.ECODE_INVAL)
        response = cl.Query("node", ["name", "offline"], None)
        rows = response["data"] if isinstance(response, dict) else \
            response.data
        online = sorted((row[0][1] for row in rows if not row[1][1]),
                        key=NiceSortKey)
        self.nonmaster_nodes = [n for n in online if n != self.master]
        self.ssh_ports = _SshPorts()
        self.ssh = _SshRunner(self.cluster_name)
        self._watcher_lock = None

    def Port(self, node: str) -> int:
        return self.ssh_ports.get(node, 22)

    def RunCmd(self, node: str, cmd: List[str], stdin: Optional[str] = None
               ) -> str:
        """Run cmd on node (locally on the master); its output, or raise."""
        if node == self.master:
            from ganeti.utils import process
            result = process.RunCmd(cmd, input_data=stdin,
                                    timeout=_SSH_TIMEOUT)
            if result.failed:
                raise errors.OpExecError("Command '%s' failed: %s; output: %s"
                                         % (" ".join(cmd), result.fail_reason,
                                            result.output.strip()))
            return result.stdout
        result = self.ssh.Run(node, cmd, port=self.Port(node), stdin=stdin,
                              timeout=_SSH_TIMEOUT)
        if result.failed:
            raise errors.OpExecError("Command '%s' on node %s failed: %s" %
                                     (" ".join(cmd), node, result.ErrorText()))
        return result.stdout

    def CopyFile(self, node: str, filename: str) -> None:
        result = self.ssh.CopyFile(node, filename, port=self.Port(node))
        if result.failed:
            raise errors.OpExecError("Copy of file %s to node %s failed: %s" %
                                     (filename, node, result.ErrorText()))

    def BlockWatcher(self) -> None:
        """Hold the watcher's lock so it does not restart the daemons."""
        self.feedback_fn("Blocking watcher")
        filename = pathutils.WATCHER_LOCK_FILE
        os.makedirs(os.path.dirname(filename), exist_ok=True)
        handle = open(filename, "a")
        deadline = time.monotonic() + 60
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    handle.close()
                    raise errors.OpExecError("Can't acquire the watcher lock"
                                             " %s" % filename)
                time.sleep(0.2)
        self._watcher_lock = handle

    def UnblockWatcher(self) -> None:
        if self._watcher_lock is not None:
            self._watcher_lock.close()
            self._watcher_lock = None


# The online nodes of the cluster and how to run commands on them (for the
# checks made before the daemons are stopped).
StoppedClusterNodes = _StoppedCluster


def _WaitForMaster() -> None:
    deadline = time.monotonic() + _MASTER_WAIT
    while True:
        try:
            GetClient().QueryClusterInfo()
            return
        except errors.GenericError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def RunWhileClusterStopped(feedback_fn: Callable[[str], None],
                           fn: Callable[[_StoppedCluster], Any]) -> Any:
    """Stop the daemons on every online node, run fn, start them again
    (the master last)."""
    ctx = _StoppedCluster(feedback_fn)
    util = _DaemonUtil()
    ctx.BlockWatcher()
    try:
        feedback_fn("Stopping master daemons")
        ctx.RunCmd(ctx.master, util + ["stop-master"])
        try:
            for node in [ctx.master] + ctx.nonmaster_nodes:
                feedback_fn("Stopping daemons on %s" % node)
                ctx.RunCmd(node, util + ["stop-all"])
            try:
                return fn(ctx)
            except Exception as err:
                feedback_fn(FormatError(err)[1])
                raise
        finally:
            failed = []
            for node in ctx.nonmaster_nodes + [ctx.master]:
                feedback_fn("Starting daemons on %s" % node)
                try:
                    ctx.RunCmd(node, util + ["start-all"])
                    if node == ctx.master:
                        ctx.RunCmd(node, util + ["start-master"])
                except errors.OpExecError as err:
                    failed.append(str(err))
            if failed:
                ToStderr("Could not start the daemons everywhere:\n%s",
                         "\n".join(failed))
    finally:
        ctx.UnblockWatcher()
    _WaitForMaster()


# ------------------------------------------------------------ renew-crypto

def _ReadAndVerifyCert(filename: str, with_key: bool = False) -> str:
    """The PEM text of a certificate file (with its private key)."""
    from ganeti.utils import x509
    try:
        with open(filename) as handle:
            pem = handle.read()
    except OSError as err:
        raise errors.X509CertError(filename, "Unable to read certificate: %s"
                                   % err)
    try:
        x509.LoadCertificate(pem)
    except errors.X509CertError as err:
        raise errors.X509CertError(filename, "Unable to load certificate: %s"
                                   % err.args[-1])
    if with_key:
        try:
            x509.CheckKeyCertPair(pem)
        except errors.X509CertError as err:
            raise errors.X509CertError(filename, "Unable to load private"
                                       " key: %s" % err.args[-1])
    return pem


def _WriteSecretFile(filename: str, data: str, mode: int = 0o440) -> None:
    """Write a certificate or secret (mode: upstream's, see utils.x509)."""
    from ganeti.utils import io as utils_io
    utils_io.WriteFile(filename, data=data, mode=mode)


class _CryptoRequest:
    """The files renew-crypto was asked to replace, and their contents."""

    def __init__(self, opts) -> None:
        self.new_rapi = bool(opts.new_rapi_cert)
        self.new_spice = bool(opts.new_spice_cert)
        self.new_hmac = bool(opts.new_confd_hmac_key)
        self.new_cds = bool(opts.new_cluster_domain_secret)
        self.rapi_pem = self.spice_pem = self.spice_ca_pem = None
        self.cds = None

    def FilesWanted(self) -> bool:
        return bool(self.new_rapi or self.rapi_pem or self.new_spice or
                    self.spice_pem or self.new_hmac or self.new_cds or
                    self.cds)


def _RenewFiles(req: _CryptoRequest, ctx: _StoppedCluster) -> None:
    """Write the requested certificates and secrets, copy them around."""
    from ganeti.utils import x509
    ctx.feedback_fn("Updating certificates and keys")
    files = []
    if req.new_rapi:
        x509.GenerateSelfSignedServerCert(pathutils.RAPI_CERT_FILE)
    elif req.rapi_pem:
        _WriteSecretFile(pathutils.RAPI_CERT_FILE, req.rapi_pem)
    if req.new_rapi or req.rapi_pem:
        files.append(pathutils.RAPI_CERT_FILE)
    if req.new_spice:
        key_pem, cert_pem = x509.GenerateSelfSignedX509Cert()
        _WriteSecretFile(pathutils.SPICE_CERT_FILE, key_pem + cert_pem)
        _WriteSecretFile(pathutils.SPICE_CACERT_FILE, cert_pem)
    elif req.spice_pem:
        _WriteSecretFile(pathutils.SPICE_CERT_FILE, req.spice_pem)
        _WriteSecretFile(pathutils.SPICE_CACERT_FILE, req.spice_ca_pem)
    if req.new_spice or req.spice_pem:
        files += [pathutils.SPICE_CERT_FILE, pathutils.SPICE_CACERT_FILE]
    if req.new_hmac:
        x509.GenerateHmacKey(pathutils.CONFD_HMAC_KEY)
        files.append(pathutils.CONFD_HMAC_KEY)
    if req.new_cds:
        x509.GenerateClusterDomainSecret(pathutils.CLUSTER_DOMAIN_SECRET_FILE)
    elif req.cds is not None:
        _WriteSecretFile(pathutils.CLUSTER_DOMAIN_SECRET_FILE, req.cds,
                         x509.DOMAIN_SECRET_MODE)
    if req.new_cds or req.cds is not None:
        files.append(pathutils.CLUSTER_DOMAIN_SECRET_FILE)
    for node in ctx.nonmaster_nodes:
        ctx.feedback_fn("Copying %s to %s:%d" %
                        (", ".join(files), node, ctx.Port(node)))
        for filename in files:
            ctx.CopyFile(node, filename)


def _RecordBootstrapDigest(digest: str) -> None:
    """Let every node accept the master's new client certificate until the
    master records all candidates' digests (OpClusterRenewCrypto)."""
    from ganeti import config
    from ganeti.utils import io as utils_io
    utils_io.WriteFile(pathutils.ssconf_file(constants.SS_MASTER_CANDIDATES_CERTS),
                       data="%s=%s\n" % (constants.CRYPTO_BOOTSTRAP, digest),
                       mode=0o444)
    cfg = config.ConfigWriter(offline=True)
    cluster = cfg.GetClusterInfo()
    certs = dict(cluster.candidate_certs or {})
    certs[constants.CRYPTO_BOOTSTRAP] = digest
    cluster.candidate_certs = certs
    cfg.Update(cluster)


def _RenewNodeCertificates(new_cluster_cert: bool,
                           ctx: _StoppedCluster) -> None:
    """New cluster certificate (optionally) and client certificates."""
    from ganeti import ssconf
    from ganeti.tools import node_daemon_setup as nds
    from ganeti.utils import x509
    if new_cluster_cert:
        ctx.feedback_fn("Updating the cluster SSL certificate.")
        x509.GenerateSelfSignedServerCert(pathutils.NODED_CERT_FILE)
        for node in ctx.nonmaster_nodes:
            ctx.feedback_fn("Copying %s to %s:%d" % (
                pathutils.NODED_CERT_FILE, node, ctx.Port(node)))
            ctx.CopyFile(node, pathutils.NODED_CERT_FILE)
    ctx.feedback_fn("Updating client SSL certificates.")
    digest = x509.GenerateClientCert(pathutils.NODED_CLIENT_CERT_FILE,
                                     pathutils.NODED_CERT_FILE, ctx.master)
    _RecordBootstrapDigest(digest)
    ssdata = ssconf.SimpleStore().ReadAll()
    for node in ctx.nonmaster_nodes:
        data = nds.BuildSetupData(node, cluster_name=ctx.cluster_name,
                                  start_node_daemon=False)
        data[nds.NDS_SSCONF] = ssdata
        out = ctx.RunCmd(node, nds.SetupCommand(), stdin=json.dumps(data))
        answer = nds.ParseResult(out) or {}
        if not answer.get("success"):
            raise errors.OpExecError("Can't create a client certificate on"
                                     " node %s: %s" %
                                     (node, answer.get("error", out.strip())))


def _CheckRenewOptions(opts) -> Optional[str]:
    if opts.new_rapi_cert and opts.rapi_cert:
        return ("Only one of the --new-rapi-certificate and"
                " --rapi-certificate options can be specified at the same"
                " time.")
    if opts.new_cluster_domain_secret and opts.cluster_domain_secret:
        return ("Only one of the --new-cluster-domain-secret and"
                " --cluster-domain-secret options can be specified at the"
                " same time.")
    if opts.new_spice_cert and (opts.spice_cert or opts.spice_cacert):
        return ("When using --new-spice-certificate, the --spice-certificate"
                " and --spice-ca-certificate must not be used.")
    if bool(opts.spice_cacert) ^ bool(opts.spice_cert):
        return ("Both --spice-certificate and --spice-ca-certificate must be"
                " specified.")
    return None


def RenewCrypto(opts, args) -> int:
    """Renew the cluster's certificates, keys and secrets."""
    ToStdout("Updating certificates now. Running \"gnt-cluster verify\" "
             " is recommended after this operation.")
    problem = _CheckRenewOptions(opts)
    if problem:
        ToStderr(problem)
        return EXIT_FAILURE
    req = _CryptoRequest(opts)
    try:
        if opts.rapi_cert:
            req.rapi_pem = _ReadAndVerifyCert(opts.rapi_cert, True)
        if opts.spice_cert:
            req.spice_pem = _ReadAndVerifyCert(opts.spice_cert, True)
            req.spice_ca_pem = _ReadAndVerifyCert(opts.spice_cacert)
    except errors.X509CertError as err:
        ToStderr("Unable to load X509 certificate from %s: %s", err.args[0],
                 err.args[1])
        return EXIT_FAILURE
    if opts.cluster_domain_secret:
        try:
            with open(opts.cluster_domain_secret) as handle:
                req.cds = handle.read()
        except OSError as err:
            ToStderr("Can't load new cluster domain secret from %s: %s",
                     opts.cluster_domain_secret, err)
            return EXIT_FAILURE
    if not opts.force:
        usertext = ("This requires all daemons on all nodes to be restarted"
                    " and may take some time. Continue?")
        if not AskUser(usertext):
            return EXIT_FAILURE

    if req.FilesWanted():
        RunWhileClusterStopped(ToStdout, lambda ctx: _RenewFiles(req, ctx))
    if opts.new_cluster_cert or opts.new_node_cert:
        RunWhileClusterStopped(ToStdout, lambda ctx: _RenewNodeCertificates(
            bool(opts.new_cluster_cert), ctx))
    if opts.new_node_cert or opts.new_cluster_cert or opts.new_ssh_keys:
        op = opcodes.OpClusterRenewCrypto(
            node_certificates=bool(opts.new_node_cert or
                                   opts.new_cluster_cert),
            renew_ssh_keys=bool(opts.new_ssh_keys),
            ssh_key_type=opts.ssh_key_type, ssh_key_bits=opts.ssh_key_bits,
            verbose=bool(opts.verbose), debug=bool(opts.debug))
        SubmitOpCode(op, cl=GetClient(), opts=opts)
    ToStdout("All requested certificates and keys have been replaced."
             " Running \"gnt-cluster verify\" now is recommended.")
    return EXIT_SUCCESS


COMMANDS = {
    "rename": (
        RenameCluster, [ArgHost(min=1, max=1)], [FORCE_OPT, DRY_RUN_OPT],
        "<new_name>", "Renames the cluster"),
    "copyfile": (
        ClusterCopyFile, [ArgFile(min=1, max=1)],
        [NODE_LIST_OPT, USE_REPL_NET_OPT, NODEGROUP_OPT],
        "[-n node...] <filename>",
        "Copies a file to all (or only some) nodes"),
    "command": (
        RunClusterCommand, [ArgCommand(min=1)],
        [NODE_LIST_OPT, NODEGROUP_OPT, SHOW_MACHINE_OPT, FAILURE_ONLY_OPT],
        "[-n node...] <command>",
        "Runs a command on all (or only some) nodes"),
    "renew-crypto": (
        RenewCrypto, ARGS_NONE,
        [NEW_CLUSTER_CERT_OPT, NEW_RAPI_CERT_OPT, RAPI_CERT_OPT,
         NEW_SPICE_CERT_OPT, SPICE_CERT_OPT, SPICE_CACERT_OPT,
         NEW_CONFD_HMAC_KEY_OPT, FORCE_OPT, NEW_CLUSTER_DOMAIN_SECRET_OPT,
         CLUSTER_DOMAIN_SECRET_OPT, NEW_NODE_CERT_OPT, NEW_SSH_KEY_OPT,
         NOSSH_KEYCHECK_OPT, VERBOSE_OPT, SSH_KEY_BITS_OPT, SSH_KEY_TYPE_OPT],
        "", "Renews cluster certificates, keys and secrets"),
}
