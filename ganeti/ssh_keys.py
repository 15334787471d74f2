"""The cluster's SSH keys on one node: root's key pair, authorized_keys and
the public key file (pathutils.SSH_PUB_KEYS, "ganeti_pub_keys").

With ``modify_ssh_setup`` every node has its own root key pair
(``~/.ssh/id_<type>``, type and bits from the cluster's ``ssh_key_type`` and
``ssh_key_bits``); the public keys of the master candidates are in every
node's ``authorized_keys``, so candidates reach every node; every node's
public key is listed in the public key file of every potential master
candidate, one ``<node uuid> <key>`` line per key (a node not yet in the
configuration is listed under its name).  Keys are compared by their type
and base64 fields (comments do not matter).
"""

import os
import tempfile
from typing import Dict, Iterable, List, Optional, Tuple

from ganeti import constants
from ganeti import errors
from ganeti import pathutils
from ganeti import ssh
from ganeti.utils import io as uio
from ganeti.utils import process

# Default key size per type, and the sizes ssh-keygen accepts.
DEFAULT_KEY_BITS = {constants.SSHK_RSA: 2048, constants.SSHK_DSA: 1024,
                    constants.SSHK_ECDSA: 384}
_ECDSA_BITS = (256, 384, 521)
_MIN_RSA_BITS = 768

KeyMap = Dict[str, List[str]]


def DetermineKeyBits(key_type: str, key_bits: Optional[int],
                     old_type: Optional[str] = None,
                     old_bits: Optional[int] = None) -> int:
    """The bits to use for key_type (key_bits, the old ones for the same
    type, or the type's default); OpPrereqError if invalid for the type."""
    if key_bits is None:
        if old_type == key_type and old_bits is not None:
            key_bits = old_bits
        else:
            key_bits = DEFAULT_KEY_BITS[key_type]
    if key_type == constants.SSHK_DSA and key_bits != 1024:
        raise errors.OpPrereqError("DSA keys must be 1024 bits",
                                   errors.ECODE_INVAL)
    if key_type == constants.SSHK_ECDSA and key_bits not in _ECDSA_BITS:
        raise errors.OpPrereqError("ECDSA key must be 256, 384 or 521 bits",
                                   errors.ECODE_INVAL)
    if key_type == constants.SSHK_RSA and key_bits < _MIN_RSA_BITS:
        raise errors.OpPrereqError("RSA key must be at least %d bits"
                                   % _MIN_RSA_BITS, errors.ECODE_INVAL)
    return key_bits


def KeyFiles(key_type: str, ssh_dir: Optional[str] = None
             ) -> Tuple[str, str]:
    """(private, public) key file of root's key of key_type."""
    ssh_dir = ssh_dir or ssh.UserSshDir()
    priv = os.path.join(ssh_dir, "id_%s" % key_type)
    return priv, priv + ".pub"


def AuthorizedKeysFile(ssh_dir: Optional[str] = None) -> str:
    return os.path.join(ssh_dir or ssh.UserSshDir(), "authorized_keys")


def NormalizeKey(key: str) -> str:
    """"type base64" of a public key line (its comment dropped)."""
    fields = key.split()
    if len(fields) < 2:
        raise errors.GenericError("Invalid SSH public key: %r" % key[:40])
    return "%s %s" % (fields[0], fields[1])


def ReadPublicKey(key_type: str, ssh_dir: Optional[str] = None) -> str:
    """root's public key of key_type; OpExecError if there is none."""
    path = KeyFiles(key_type, ssh_dir)[1]
    try:
        return uio.ReadFile(path).strip()
    except EnvironmentError as err:
        raise errors.OpExecError("Can't read the public SSH key %s: %s"
                                 % (path, err.strerror or err))


def GenerateKeyPair(key_type: str, key_bits: int, priv: str) -> str:
    """Make a new key pair at priv (and priv.pub); the public key.

    An existing pair there is kept as a backup first (as upstream does).
    """
    os.makedirs(os.path.dirname(priv), mode=0o700, exist_ok=True)
    for name in (priv, priv + ".pub"):
        if os.path.isfile(name):
            uio.CreateBackup(name)
            uio.RemoveFile(name)
    result = process.RunCmd(["ssh-keygen", "-t", key_type, "-b",
                             str(key_bits), "-q", "-N", "", "-C",
                             "root@%s" % os.uname().nodename, "-f", priv])
    if result.failed:
        raise errors.OpExecError("Could not generate SSH key of type %s and"
                                 " %d bits: %s" % (key_type, key_bits,
                                                   result.output.strip()))
    return uio.ReadFile(priv + ".pub").strip()


def InstallKeyPair(source_priv: str, key_type: str,
                   ssh_dir: Optional[str] = None) -> None:
    """Move a key pair made aside (GenerateKeyPair) to id_<key_type>."""
    priv, pub = KeyFiles(key_type, ssh_dir)
    for name in (priv, pub):
        if os.path.isfile(name):
            uio.CreateBackup(name)
    os.rename(source_priv + ".pub", pub)
    os.rename(source_priv, priv)


def RemoveKeyPair(key_type: str, ssh_dir: Optional[str] = None) -> None:
    for name in KeyFiles(key_type, ssh_dir):
        uio.RemoveFile(name)


def TempKeyPath(ssh_dir: Optional[str] = None) -> str:
    """A fresh name beside root's keys for a key pair made aside."""
    ssh_dir = ssh_dir or ssh.UserSshDir()
    os.makedirs(ssh_dir, mode=0o700, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=".ganeti-new-key-", dir=ssh_dir)
    os.close(fd)
    os.unlink(name)
    return name


# ---------------------------------------------------------- authorized_keys

def _ReadLines(path: str) -> List[str]:
    try:
        return uio.ReadFile(path).splitlines()
    except FileNotFoundError:
        return []


def _KeyOfLine(line: str) -> Optional[str]:
    """"type base64" of an authorized_keys line (options allowed)."""
    fields = line.split()
    for index, field in enumerate(fields[:-1]):
        if field.startswith(("ssh-", "ecdsa-", "sk-")):
            return "%s %s" % (field, fields[index + 1])
    return None


def UpdateAuthorizedKeys(add: Iterable[str] = (), remove: Iterable[str] = (),
                         path: Optional[str] = None) -> None:
    """Add and remove keys in authorized_keys (other lines are kept)."""
    path = path or AuthorizedKeysFile()
    drop = {NormalizeKey(key) for key in remove}
    lines = [line for line in _ReadLines(path)
             if _KeyOfLine(line) not in drop]
    present = {_KeyOfLine(line) for line in lines}
    for key in add:
        if NormalizeKey(key) not in present and NormalizeKey(key) not in drop:
            lines.append(key.strip())
            present.add(NormalizeKey(key))
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    uio.WriteFile(path, data="".join(line + "\n" for line in lines),
                  mode=0o600)


def AuthorizedKeys(path: Optional[str] = None) -> List[str]:
    """The keys ("type base64") listed in authorized_keys."""
    return [key for key in (_KeyOfLine(line) for line in
                            _ReadLines(path or AuthorizedKeysFile()))
            if key is not None]


# ---------------------------------------------------------- ganeti_pub_keys

def ReadPubKeyFile(path: Optional[str] = None) -> KeyMap:
    """{uuid or node name: [keys]} of the public key file."""
    result: KeyMap = {}
    for line in _ReadLines(path or pathutils.SSH_PUB_KEYS):
        fields = line.split(None, 1)
        if len(fields) == 2:
            result.setdefault(fields[0], []).append(fields[1].strip())
    return result


def WritePubKeyFile(keys: KeyMap, path: Optional[str] = None) -> None:
    lines = ["%s %s\n" % (owner, key) for owner in sorted(keys)
             for key in keys[owner]]
    uio.WriteFile(path or pathutils.SSH_PUB_KEYS, data="".join(lines),
                  mode=0o600)


def UpdatePubKeyFile(action: str, keys: KeyMap,
                     path: Optional[str] = None) -> None:
    """Apply an ssh-update action to the public key file: add, remove (the
    given owners' keys; with no keys all of the owner's), replace_or_add,
    override (the file becomes keys) or clear (the file goes)."""
    path = path or pathutils.SSH_PUB_KEYS
    if action == SSHS_CLEAR:
        uio.RemoveFile(path)
        return
    current = {} if action == SSHS_OVERRIDE else ReadPubKeyFile(path)
    for owner, owner_keys in keys.items():
        if action == SSHS_REMOVE:
            if owner_keys:
                drop = {NormalizeKey(k) for k in owner_keys}
                kept = [k for k in current.get(owner, [])
                        if NormalizeKey(k) not in drop]
            else:
                kept = []
            if kept:
                current[owner] = kept
            else:
                current.pop(owner, None)
        elif action in (SSHS_REPLACE_OR_ADD, SSHS_OVERRIDE):
            current[owner] = list(owner_keys)
        elif action == SSHS_ADD:
            known = {NormalizeKey(k) for k in current.get(owner, [])}
            current.setdefault(owner, []).extend(
                k for k in owner_keys if NormalizeKey(k) not in known)
        else:
            raise errors.GenericError("Unknown public key action '%s'"
                                      % action)
    WritePubKeyFile(current, path)


def RenameKeyOwner(old: str, new: str, path: Optional[str] = None) -> bool:
    """List old's keys (a node's name) under new (its uuid); False if old
    has none."""
    keys = ReadPubKeyFile(path)
    if old not in keys:
        return False
    keys[new] = keys.pop(old)
    WritePubKeyFile(keys, path)
    return True


# ssh-update's actions (upstream's SSHS_* values).
SSHS_ADD = "add"
SSHS_REPLACE_OR_ADD = "replace_or_add"
SSHS_REMOVE = "remove"
SSHS_OVERRIDE = "override"
SSHS_CLEAR = "clear"
