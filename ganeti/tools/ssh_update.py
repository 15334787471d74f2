"""ssh-update: change a node's SSH key files as the master asks.

The master (its node daemon, for node_ssh_key_add/remove/keys_renew, and
``gnt-node add``) runs ``ssh-update`` on a node over SSH and writes a JSON
document to its standard input (upstream's keys):

  cluster_name             the cluster's name (must be the node's)
  node_daemon_certificate  the cluster certificate (PEM; must be the
                           node's server.pem certificate)
  authorized_keys          [action, {uuid: [keys]}]: add or remove keys in
                           root's authorized_keys
  public_keys              [action, {uuid: [keys]}]: change the public key
                           file (add, remove, replace_or_add, override,
                           clear)
  generate                 {} or {"suffix": ...}: make a new root key pair
                           (ssh_key_type, ssh_key_bits) in ~/.ssh/id_<type>
                           (or aside, at the path + suffix)
  ssh_key_type, ssh_key_bits
  remove_key_type          a key type whose root key pair goes

On success it prints ``{"success": true}`` (with ``public_key``, the new
key, after generate); on failure ``{"success": false, "error": ...}`` and
exits 1.  SshUpdateCommand/RunSshUpdate are the master's side.
"""

import json
import logging
import optparse
import os
import sys
from typing import Any, Dict, List, Optional, Sequence, TextIO

from ganeti import constants
from ganeti import errors
from ganeti import pathutils
from ganeti import ssconf
from ganeti import ssh_keys
from ganeti.utils import io as uio
from ganeti.utils import x509_digest

TOOL_NAME = "ssh-update"
SSHS_CLUSTER_NAME = "cluster_name"
SSHS_NODE_DAEMON_CERTIFICATE = "node_daemon_certificate"
SSHS_SSH_AUTHORIZED_KEYS = "authorized_keys"
SSHS_SSH_PUBLIC_KEYS = "public_keys"
SSHS_GENERATE = "generate"
SSHS_SSH_KEY_TYPE = "ssh_key_type"
SSHS_SSH_KEY_BITS = "ssh_key_bits"
SSHS_REMOVE_KEY_TYPE = "remove_key_type"
SSHS_SUFFIX = "suffix"

_KEY_TYPES = {
    SSHS_CLUSTER_NAME: str, SSHS_NODE_DAEMON_CERTIFICATE: str,
    SSHS_SSH_AUTHORIZED_KEYS: list, SSHS_SSH_PUBLIC_KEYS: list,
    SSHS_GENERATE: dict, SSHS_SSH_KEY_TYPE: str, SSHS_SSH_KEY_BITS: int,
    SSHS_REMOVE_KEY_TYPE: str,
}
_AUTH_ACTIONS = (ssh_keys.SSHS_ADD, ssh_keys.SSHS_REMOVE)
_PUB_ACTIONS = (ssh_keys.SSHS_ADD, ssh_keys.SSHS_REMOVE,
                ssh_keys.SSHS_REPLACE_OR_ADD, ssh_keys.SSHS_OVERRIDE,
                ssh_keys.SSHS_CLEAR)
# Seconds one run may take on a node.
UPDATE_TIMEOUT = 120.0


class UpdateError(errors.GenericError):
    """The update can't be done (message: why)."""


# ---------------------------------------------------------------- node side

def LoadData(text: str) -> Dict[str, Any]:
    """Parse and type-check the JSON document (unknown keys are refused)."""
    try:
        data = json.loads(text)
    except ValueError as err:
        raise UpdateError("Invalid JSON on standard input: %s" % err)
    if not isinstance(data, dict):
        raise UpdateError("Invalid data: expected a JSON object")
    unknown = sorted(set(data) - set(_KEY_TYPES))
    if unknown:
        raise UpdateError("Unknown key(s) in the data: %s"
                          % ", ".join(unknown))
    for key, kind in _KEY_TYPES.items():
        if key in data and (not isinstance(data[key], kind) or
                            isinstance(data[key], bool)):
            raise UpdateError("Invalid value for '%s'" % key)
    return data


def _VerifyCluster(data: Dict[str, Any]) -> None:
    name = data.get(SSHS_CLUSTER_NAME)
    if not name:
        raise UpdateError("Cluster name must be specified")
    try:
        current = ssconf.SimpleStore().GetClusterName()
    except errors.ConfigurationError:
        raise UpdateError("This node is not part of a cluster")
    if current != name:
        raise UpdateError("Current cluster name is '%s'" % current)
    pem = data.get(SSHS_NODE_DAEMON_CERTIFICATE)
    if not pem:
        raise UpdateError("Node daemon certificate must be specified")
    try:
        given = x509_digest.GetCertificatePemDigest(pem.encode("ascii"))
        own = x509_digest.GetCertificateFileDigest(pathutils.NODED_CERT_FILE)
    except (errors.X509CertError, UnicodeError) as err:
        raise UpdateError("Can't verify the node daemon certificate: %s"
                          % err)
    if given != own:
        raise UpdateError("The node daemon certificate is not the"
                          " cluster's")


def _Change(data: Dict[str, Any], key: str, actions: Sequence[str]):
    """(action, {uuid: [keys]}) of a key-change entry of data."""
    value = data[key]
    if len(value) != 2 or value[0] not in actions or \
            not isinstance(value[1], dict):
        raise UpdateError("Invalid value for '%s'" % key)
    keys = value[1]
    for owner, owner_keys in keys.items():
        if not isinstance(owner_keys, list) or \
                not all(isinstance(k, str) for k in owner_keys):
            raise UpdateError("Invalid keys of '%s' in '%s'" % (owner, key))
    return value[0], keys


def ApplyUpdate(data: Dict[str, Any]) -> Dict[str, Any]:
    """Do what data asks on this node (data verified); the result."""
    result: Dict[str, Any] = {"success": True}
    if SSHS_GENERATE in data:
        key_type = data.get(SSHS_SSH_KEY_TYPE, constants.SSHK_RSA)
        if key_type not in constants.SSHK_ALL:
            raise UpdateError("Invalid SSH key type '%s'" % key_type)
        key_bits = ssh_keys.DetermineKeyBits(key_type,
                                             data.get(SSHS_SSH_KEY_BITS))
        priv, _ = ssh_keys.KeyFiles(key_type)
        suffix = data[SSHS_GENERATE].get(SSHS_SUFFIX)
        if suffix:
            priv += str(suffix)
        result["public_key"] = ssh_keys.GenerateKeyPair(key_type, key_bits,
                                                        priv)
    if SSHS_SSH_AUTHORIZED_KEYS in data:
        action, keys = _Change(data, SSHS_SSH_AUTHORIZED_KEYS, _AUTH_ACTIONS)
        flat = [k for owner_keys in keys.values() for k in owner_keys]
        if action == ssh_keys.SSHS_ADD:
            ssh_keys.UpdateAuthorizedKeys(add=flat)
        else:
            ssh_keys.UpdateAuthorizedKeys(remove=flat)
    if SSHS_SSH_PUBLIC_KEYS in data:
        action, keys = _Change(data, SSHS_SSH_PUBLIC_KEYS, _PUB_ACTIONS)
        ssh_keys.UpdatePubKeyFile(action, keys)
    if SSHS_REMOVE_KEY_TYPE in data:
        ssh_keys.RemoveKeyPair(data[SSHS_REMOVE_KEY_TYPE])
    return result


def Main(argv: Optional[Sequence[str]] = None,
         stdin: Optional[TextIO] = None,
         stdout: Optional[TextIO] = None) -> int:
    parser = optparse.OptionParser(
        usage="%prog [--debug|--verbose]", prog=TOOL_NAME,
        description="Update this node's SSH key files (JSON on standard"
        " input).",
        version="%%prog (ganeti) %s" % constants.RELEASE_VERSION)
    parser.add_option("-d", "--debug", dest="debug", action="store_true",
                      default=False, help="Enable debug messages")
    parser.add_option("-v", "--verbose", dest="verbose", action="store_true",
                      default=False, help="Enable verbose messages")
    opts, args = parser.parse_args(argv)
    if args:
        parser.error("no arguments expected")
    stdin = stdin if stdin is not None else sys.stdin
    stdout = stdout if stdout is not None else sys.stdout
    level = (logging.DEBUG if opts.debug else
             logging.INFO if opts.verbose else logging.WARNING)
    logging.basicConfig(stream=sys.stderr, level=level,
                        format="%s: %%(message)s" % TOOL_NAME)
    try:
        data = LoadData(stdin.read())
        _VerifyCluster(data)
        result = ApplyUpdate(data)
    except (errors.GenericError, OSError) as err:
        message = str(err.args[0]) if isinstance(err, errors.GenericError) \
            and err.args else str(err)
        sys.stderr.write("%s\n" % message)
        stdout.write(json.dumps({"success": False, "error": message}) + "\n")
        return constants.EXIT_FAILURE
    stdout.write(json.dumps(result, sort_keys=True) + "\n")
    return constants.EXIT_SUCCESS


# ---------------------------------------------------------------- master side

def BaseData(cluster_name: str) -> Dict[str, Any]:
    """The identification part of an ssh-update document (this node's
    cluster certificate, without its key)."""
    pem = x509_digest.CertificatePem(uio.ReadBinaryFile(
        pathutils.NODED_CERT_FILE), pathutils.NODED_CERT_FILE).decode("ascii")
    return {SSHS_CLUSTER_NAME: cluster_name,
            SSHS_NODE_DAEMON_CERTIFICATE: pem}


def RunSshUpdate(runner: Any, node: str, port: int,
                 data: Dict[str, Any]) -> Dict[str, Any]:
    """Run ssh-update on node with data; its result, or OpExecError."""
    from ganeti.tools import node_daemon_setup
    cmd = [sys.executable, node_daemon_setup.FindTool(TOOL_NAME)]
    result = runner.Run(node, cmd, port=port or 22, stdin=json.dumps(data),
                        timeout=UPDATE_TIMEOUT)
    answer = node_daemon_setup.ParseResult(result.stdout)
    if result.failed or not answer or not answer.get("success"):
        reason = (answer or {}).get("error") or result.ErrorText() or \
            "no result from %s" % TOOL_NAME
        raise errors.OpExecError("Updating the SSH setup of node %s failed:"
                                 " %s" % (node, reason))
    return answer


def LocalUpdate(data: Dict[str, Any]) -> Dict[str, Any]:
    """ssh-update's work on this node itself (the master)."""
    try:
        return ApplyUpdate(data)
    except (UpdateError, OSError) as err:
        raise errors.OpExecError("Updating the local SSH setup failed: %s"
                                 % err)


def Changes(authorized: Optional[List] = None, public: Optional[List] = None
            ) -> Dict[str, Any]:
    """The change part of a document: [action, keys] pairs."""
    data: Dict[str, Any] = {}
    if authorized is not None:
        data[SSHS_SSH_AUTHORIZED_KEYS] = authorized
    if public is not None:
        data[SSHS_SSH_PUBLIC_KEYS] = public
    return data


if __name__ == "__main__":
    sys.exit(Main())
