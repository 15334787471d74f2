"""SSH to cluster nodes (paramiko): run a command, copy a file.

Used by ``gnt-node add`` (node daemon setup on the new node) and by
``gnt-cluster command``/``copyfile``.  We log in as ``SSH_LOGIN_USER`` with
the current user's own keys (``~/.ssh/id_ed25519``, ``id_ecdsa``, ``id_rsa``;
an ssh agent too if one is running) and check the node's host key against
``~/.ssh/known_hosts`` and the cluster's known_hosts file, where keys may
also be listed under the cluster name as an alias for every node.  Without
host key checking (``--no-ssh-key-check``) any key is accepted (and not
recorded).

Failures to connect, to authenticate or to verify the host key do not raise:
they give an SshResult with exit code 255 (like the ssh program) and a
one-line ``fail_reason``; ``SshResult.Raise`` turns that into OpExecError.

    runner = SshRunner(cluster_name)
    result = runner.Run("node2.example.com", ["hostname"], stdin="")
    result.Raise("Command on node2 failed")
    print(result.stdout)
"""

import errno
import logging
import os
import pwd
import shlex
import socket
import time
import uuid
from typing import Any, Callable, List, Optional, Sequence, Union

from ganeti import errors
from ganeti import pathutils

DEFAULT_PORT = 22
CONNECT_TIMEOUT = 10.0
# Exit code reported when no command could run (as the ssh program does).
EXIT_SSH_ERROR = 255
# Private key files tried, in order, in the user's ~/.ssh.
KEY_FILE_NAMES = ("id_ed25519", "id_ecdsa", "id_rsa", "id_dsa")

Command = Union[str, Sequence[str]]
Data = Union[None, str, bytes]
ClientFactory = Callable[[], Any]

_READ_CHUNK = 32768
_POLL = 0.05


def _paramiko():
    import paramiko  # imported lazily: CLI start-up stays lean
    return paramiko


def UserSshDir(uid: Optional[int] = None) -> str:
    """~/.ssh of the user running us (or of uid)."""
    if uid is None:
        uid = os.geteuid()
    try:
        home = pwd.getpwuid(uid).pw_dir
    except KeyError:
        home = os.path.expanduser("~")
    return os.path.join(home, ".ssh")


def FindPrivateKeys(ssh_dir: Optional[str] = None) -> List[str]:
    """The private key files present in ssh_dir, in preference order."""
    ssh_dir = ssh_dir or UserSshDir()
    return [os.path.join(ssh_dir, name) for name in KEY_FILE_NAMES
            if os.path.isfile(os.path.join(ssh_dir, name))]


def KnownHostsFiles(ssh_dir: Optional[str] = None) -> List[str]:
    """Where host keys are looked up: the user's file, then the cluster's."""
    ssh_dir = ssh_dir or UserSshDir()
    return [os.path.join(ssh_dir, "known_hosts"),
            pathutils.SSH_KNOWN_HOSTS_FILE]


def FormatCommand(command: Command) -> str:
    """A command for the remote shell (argument lists are quoted)."""
    if isinstance(command, str):
        return command
    return " ".join(shlex.quote(str(arg)) for arg in command)


def HostKeyName(host: str, port: int) -> str:
    """The name a host's keys are listed under in known_hosts."""
    return host if port == DEFAULT_PORT else "[%s]:%d" % (host, port)


class SshResult:
    """Outcome of one remote command (or file copy).

    exit_code is None when the command was cut off by the timeout and
    EXIT_SSH_ERROR when the connection itself failed (connect_failed).
    """

    def __init__(self, host: str, command: str, exit_code: Optional[int],
                 stdout: str = "", stderr: str = "",
                 fail_reason: Optional[str] = None,
                 connect_failed: bool = False) -> None:
        self.host = host
        self.command = command
        self.exit_code = exit_code
        self.stdout = stdout
        self.stderr = stderr
        self.connect_failed = connect_failed
        if fail_reason is None and exit_code != 0:
            if exit_code is None:
                fail_reason = "timed out"
            else:
                fail_reason = "exited with exit code %s" % exit_code
        self.fail_reason = fail_reason

    @property
    def failed(self) -> bool:
        return self.exit_code != 0

    @property
    def output(self) -> str:
        """stdout followed by stderr (what a terminal would have shown)."""
        return self.stdout + self.stderr

    def ErrorText(self) -> str:
        """One line: why it failed, plus the last line of error output."""
        if self.connect_failed:
            return self.fail_reason or "SSH connection failed"
        text = self.fail_reason or ""
        lines = [l for l in self.stderr.splitlines() if l.strip()]
        if not lines:
            lines = [l for l in self.stdout.splitlines() if l.strip()]
        if lines:
            text = "%s: %s" % (text, lines[-1].strip()) if text else \
                lines[-1].strip()
        return text

    def Raise(self, msg: Optional[str] = None) -> None:
        """Raise OpExecError("<msg>: <reason>") if the command failed."""
        if not self.failed:
            return
        reason = self.ErrorText()
        raise errors.OpExecError("%s: %s" % (msg, reason) if msg else reason)

    def __repr__(self) -> str:
        return "<SshResult %s %r exit=%s>" % (self.host, self.command,
                                             self.exit_code)


class SshRunner:
    """Runs commands and copies files on nodes over SSH.

    cluster_name: keys listed under this name in the known_hosts files are
    accepted for every node (the cluster-wide host key alias).
    strict_host_check: False accepts any host key (--no-ssh-key-check).
    key_files/known_hosts_files default to the current user's ~/.ssh
    (and the cluster's known_hosts).  client_factory builds the SSH client
    (paramiko.SSHClient; tests inject a fake).
    """

    def __init__(self, cluster_name: Optional[str] = None,
                 strict_host_check: bool = True,
                 connect_timeout: float = CONNECT_TIMEOUT,
                 user: Optional[str] = None,
                 key_files: Optional[Sequence[str]] = None,
                 known_hosts_files: Optional[Sequence[str]] = None,
                 use_agent: Optional[bool] = None,
                 client_factory: Optional[ClientFactory] = None) -> None:
        self.cluster_name = cluster_name
        self.strict_host_check = strict_host_check
        self.connect_timeout = connect_timeout
        self.user = user or pathutils.SSH_LOGIN_USER
        self.key_files = (list(key_files) if key_files is not None
                          else FindPrivateKeys())
        self.known_hosts_files = (list(known_hosts_files)
                                  if known_hosts_files is not None
                                  else KnownHostsFiles())
        if use_agent is None:
            use_agent = bool(os.environ.get("SSH_AUTH_SOCK"))
        self.use_agent = use_agent
        self._client_factory = client_factory
        self._pkeys: Optional[List[Any]] = None

    # -- connection ------------------------------------------------------

    def _NewClient(self) -> Any:
        if self._client_factory is not None:
            return self._client_factory()
        return _paramiko().SSHClient()

    def _LoadHostKeys(self, client: Any, host: str, port: int) -> None:
        """Known host keys for host (under its own name or the cluster's)."""
        keys = client.get_host_keys()
        for filename in self.known_hosts_files:
            if not os.path.isfile(filename):
                continue
            try:
                keys.load(filename)
            except (OSError, UnicodeError) as err:
                logging.warning("Can't read known hosts file %s: %s",
                                filename, err)
            except Exception as err:  # pylint: disable=broad-except
                # paramiko rejects some malformed lines with its own errors
                logging.warning("Can't parse known hosts file %s: %s",
                                filename, err)
        name = HostKeyName(host, port)
        if self.cluster_name and keys.lookup(name) is None:
            for alias in (HostKeyName(self.cluster_name, port),
                          self.cluster_name):
                entry = keys.lookup(alias)
                if entry is not None:
                    for key in entry.values():
                        keys.add(name, key.get_name(), key)
                    break

    def _PrivateKeys(self) -> List[Any]:
        """The usable private keys among key_files (loaded once)."""
        if self._pkeys is None:
            paramiko = _paramiko()
            self._pkeys = []
            for filename in self.key_files:
                try:
                    self._pkeys.append(paramiko.PKey.from_path(filename))
                except (OSError, ValueError, paramiko.SSHException) as err:
                    logging.debug("Skipping SSH key %s: %s", filename, err)
        return self._pkeys

    def _Connect(self, host: str, port: int) -> Any:
        """A connected client; raises _ConnectError with a one-line reason.

        Each private key is tried in turn (a new connection per key, as
        paramiko takes one key per connection); the agent with the first.
        """
        target = "%s@%s port %d" % (self.user, host, port)
        pkeys = self._PrivateKeys()
        if not pkeys and not self.use_agent:
            raise _ConnectError("Permission denied for %s (no usable SSH key"
                                " in %s)" % (target, ", ".join(self.key_files)
                                             or "(none)"))
        failure = "authentication failed"
        for index, pkey in enumerate(pkeys or [None]):
            try:
                return self._ConnectWith(host, port, target, pkey,
                                         self.use_agent and index == 0)
            except _AuthError as err:
                failure = str(err) or failure
        raise _ConnectError("Permission denied for %s (%s)" % (target,
                                                               failure))

    def _ConnectWith(self, host: str, port: int, target: str, pkey: Any,
                     use_agent: bool) -> Any:
        paramiko = _paramiko()
        client = self._NewClient()
        if self.strict_host_check:
            self._LoadHostKeys(client, host, port)
            client.set_missing_host_key_policy(paramiko.RejectPolicy())
        else:
            client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        try:
            client.connect(host, port=port, username=self.user, pkey=pkey,
                           timeout=self.connect_timeout,
                           banner_timeout=self.connect_timeout,
                           auth_timeout=self.connect_timeout,
                           allow_agent=use_agent, look_for_keys=False)
        except paramiko.BadHostKeyException:
            client.close()
            raise _ConnectError("Host key verification failed for %s: the"
                                " key offered differs from the known host"
                                " key" % host)
        except paramiko.AuthenticationException as err:
            client.close()
            raise _AuthError(_ErrText(err))
        except paramiko.SSHException as err:
            client.close()
            text = _ErrText(err)
            if "not found in known_hosts" in text:
                raise _ConnectError("Host key verification failed for %s:"
                                    " no known host key for it" % host)
            raise _ConnectError("SSH connection to %s failed: %s"
                                % (target, text or err.__class__.__name__))
        except socket.gaierror as err:
            client.close()
            raise _ConnectError("Can't resolve host name %s: %s"
                                % (host, err.strerror or err))
        except (socket.timeout, TimeoutError):
            client.close()
            raise _ConnectError("Can't connect to %s: connection timed out"
                                % target)
        except OSError as err:
            client.close()
            reason = err.strerror or _ErrText(err)
            if err.errno is None and getattr(err, "errors", None):
                # paramiko's NoValidConnectionsError: one error per address
                reason = "; ".join(sorted({e.strerror or str(e) for e in
                                           err.errors.values()}))
            elif err.errno == errno.ETIMEDOUT:
                reason = "connection timed out"
            raise _ConnectError("Can't connect to %s: %s" % (target, reason))
        except EOFError:
            client.close()
            raise _ConnectError("SSH connection to %s closed by the remote"
                                " side" % target)
        return client

    # -- commands --------------------------------------------------------

    def Run(self, host: str, command: Command, port: int = DEFAULT_PORT,
            stdin: Data = None, timeout: Optional[float] = None) -> SshResult:
        """Run command on host; stdin data is sent and then closed.

        timeout bounds the command's run time (None: no bound).
        """
        cmd = FormatCommand(command)
        port = port or DEFAULT_PORT
        try:
            client = self._Connect(host, port)
        except _ConnectError as err:
            logging.debug("ssh %s: %s", host, err)
            return SshResult(host, cmd, EXIT_SSH_ERROR, stderr=str(err),
                             fail_reason=str(err), connect_failed=True)
        try:
            return self._Exec(client, host, cmd, stdin, timeout)
        finally:
            client.close()

    def _Exec(self, client: Any, host: str, cmd: str, stdin: Data,
              timeout: Optional[float]) -> SshResult:
        paramiko = _paramiko()
        try:
            transport = client.get_transport()
            channel = transport.open_session(timeout=self.connect_timeout)
            channel.exec_command(cmd)
            try:
                if stdin:
                    channel.sendall(stdin.encode("utf-8")
                                    if isinstance(stdin, str) else stdin)
                channel.shutdown_write()
            except (paramiko.SSHException, OSError) as exc:
                # The command ended without reading all its input; what it
                # printed and its exit code still tell what happened.
                logging.debug("Sending input to %s stopped: %s", host, exc)
            exit_code, out, err = _Collect(channel, timeout)
        except (paramiko.SSHException, OSError, EOFError) as exc:
            reason = "SSH session with %s failed: %s" % (
                host, _ErrText(exc) or exc.__class__.__name__)
            return SshResult(host, cmd, EXIT_SSH_ERROR, stderr=reason,
                             fail_reason=reason, connect_failed=True)
        return SshResult(host, cmd, exit_code, _Decode(out), _Decode(err))

    # -- files -----------------------------------------------------------

    def CopyFile(self, host: str, filename: str,
                 remote_name: Optional[str] = None,
                 port: int = DEFAULT_PORT) -> SshResult:
        """Copy a local file to host (same path unless remote_name).

        Mode and timestamps are kept; the remote file is replaced
        atomically (written next to it, then renamed).
        """
        remote_name = remote_name or filename
        what = "copy %s to %s:%s" % (filename, host, remote_name)
        try:
            st = os.stat(filename)
            with open(filename, "rb") as handle:
                data = handle.read()
        except OSError as err:
            return SshResult(host, what, 1, stderr=str(err),
                             fail_reason="Can't read %s: %s"
                             % (filename, err.strerror or err))
        port = port or DEFAULT_PORT
        try:
            client = self._Connect(host, port)
        except _ConnectError as err:
            return SshResult(host, what, EXIT_SSH_ERROR, stderr=str(err),
                             fail_reason=str(err), connect_failed=True)
        tmp_name = "%s.%s.tmp" % (remote_name, uuid.uuid4().hex[:12])
        try:
            sftp = client.open_sftp()
            try:
                with sftp.open(tmp_name, "wb") as remote:
                    remote.write(data)
                sftp.chmod(tmp_name, st.st_mode & 0o7777)
                sftp.utime(tmp_name, (st.st_atime, st.st_mtime))
                sftp.posix_rename(tmp_name, remote_name)
            except (IOError, OSError) as err:
                try:
                    sftp.remove(tmp_name)
                except (IOError, OSError):
                    pass
                reason = "Can't write %s on %s: %s" % (
                    remote_name, host, err.strerror or _ErrText(err))
                return SshResult(host, what, 1, stderr=reason,
                                 fail_reason=reason)
            finally:
                sftp.close()
        except (_paramiko().SSHException, EOFError) as err:
            reason = "SFTP session with %s failed: %s" % (host, _ErrText(err))
            return SshResult(host, what, EXIT_SSH_ERROR, stderr=reason,
                             fail_reason=reason, connect_failed=True)
        finally:
            client.close()
        return SshResult(host, what, 0)


class _ConnectError(Exception):
    """Internal: the connection could not be set up (message: why)."""


class _AuthError(Exception):
    """Internal: the server refused the key (message: paramiko's reason)."""


def _ErrText(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else ""


def _Decode(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def _Collect(channel: Any, timeout: Optional[float]):
    """Read stdout and stderr until the command exits (or the timeout).

    Returns (exit code or None on timeout, stdout bytes, stderr bytes).
    Both streams are drained together so neither can block the other.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    out: List[bytes] = []
    err: List[bytes] = []
    channel.settimeout(_POLL)
    while True:
        got = False
        while channel.recv_ready():
            chunk = channel.recv(_READ_CHUNK)
            if not chunk:
                break
            out.append(chunk)
            got = True
        while channel.recv_stderr_ready():
            chunk = channel.recv_stderr(_READ_CHUNK)
            if not chunk:
                break
            err.append(chunk)
            got = True
        if (channel.exit_status_ready() and not channel.recv_ready()
                and not channel.recv_stderr_ready()):
            break
        if deadline is not None and time.monotonic() > deadline:
            channel.close()
            return None, b"".join(out), b"".join(err)
        if not got:
            time.sleep(_POLL)
    return channel.recv_exit_status(), b"".join(out), b"".join(err)


def RunCommand(host: str, command: Command, port: int = DEFAULT_PORT,
               stdin: Data = None, cluster_name: Optional[str] = None,
               strict_host_check: bool = True,
               timeout: Optional[float] = None) -> SshResult:
    """Shortcut: SshRunner(cluster_name, strict_host_check).Run(...)."""
    return SshRunner(cluster_name, strict_host_check).Run(
        host, command, port=port, stdin=stdin, timeout=timeout)


def CopyFileToNode(host: str, port: int, filename: str,
                   cluster_name: Optional[str] = None) -> bool:
    """Copy filename to the same path on host; False (logged) on failure."""
    result = SshRunner(cluster_name).CopyFile(host, filename, port=port)
    if result.failed:
        logging.error("Copy of %s to %s failed: %s", filename, host,
                      result.ErrorText())
        return False
    return True
