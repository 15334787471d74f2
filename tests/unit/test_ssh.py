"""Tests for ganeti.ssh: host key checking, commands with stdin, errors.

Most tests talk to a real (paramiko) SSH server running in a thread on
127.0.0.1; connection errors and SFTP copies use an injected fake client.
"""

import errno
import os
import socket
import threading
import time

import paramiko
import pytest

from ganeti import errors
from ganeti import ssh


# --- a small SSH server ------------------------------------------------------

class _ServerIface(paramiko.ServerInterface):
    """Accepts one client key for root; "commands" are handled in Python."""

    def __init__(self, allowed_key, log):
        self.allowed_key = allowed_key
        self.log = log

    def check_channel_request(self, kind, chanid):
        if kind == "session":
            return paramiko.OPEN_SUCCEEDED
        return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def get_allowed_auths(self, username):
        return "publickey"

    def check_auth_publickey(self, username, key):
        if username == "root" and key == self.allowed_key:
            return paramiko.AUTH_SUCCESSFUL
        return paramiko.AUTH_FAILED

    def check_channel_exec_request(self, channel, command):
        self.log.append(command.decode())
        threading.Thread(target=_RunCommand, args=(channel, command.decode()),
                         daemon=True).start()
        return True


def _RunCommand(channel, command):
    # Like sshd, answer the exec request before the command runs.
    time.sleep(0.1)
    try:
        if command.startswith("echo-stdin"):
            data = b""
            while True:
                chunk = channel.recv(65536)
                if not chunk:
                    break
                data += chunk
            channel.sendall(data)
            channel.sendall_stderr(b"read %d bytes\n" % len(data))
            channel.send_exit_status(0)
        elif command.startswith("fail"):
            channel.sendall(b"partial output\n")
            channel.sendall_stderr(b"warning\nsomething went wrong\n")
            channel.send_exit_status(3)
        elif command.startswith("big"):
            # more than any window: both streams must be drained together
            for _ in range(64):
                channel.sendall(b"o" * 16384)
                channel.sendall_stderr(b"e" * 16384)
            channel.send_exit_status(0)
        elif command.startswith("hang"):
            time.sleep(5)
            channel.send_exit_status(0)
        else:
            channel.sendall_stderr(b"unknown command\n")
            channel.send_exit_status(127)
    except (OSError, EOFError, paramiko.SSHException):
        pass
    finally:
        channel.close()


class SshServer:
    def __init__(self, host_key, client_key):
        self.host_key = host_key
        self.log = []
        self.iface = _ServerIface(client_key, self.log)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.transports = []
        self._stop = False
        self.thread = threading.Thread(target=self._Serve, daemon=True)
        self.thread.start()

    def _Serve(self):
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            transport = paramiko.Transport(conn)
            transport.add_server_key(self.host_key)
            self.transports.append(transport)
            try:
                transport.start_server(server=self.iface)
            except (paramiko.SSHException, EOFError, OSError):
                continue

    def Stop(self):
        self._stop = True
        self.sock.close()
        for transport in self.transports:
            transport.close()


@pytest.fixture(scope="module")
def keys():
    return {"host": paramiko.ECDSAKey.generate(),
            "other_host": paramiko.ECDSAKey.generate(),
            "client": paramiko.ECDSAKey.generate(),
            "stranger": paramiko.ECDSAKey.generate()}


@pytest.fixture(scope="module")
def server(keys):
    srv = SshServer(keys["host"], keys["client"])
    yield srv
    srv.Stop()


def _KnownHosts(path, name, key):
    with open(path, "w") as handle:
        handle.write("%s %s %s\n" % (name, key.get_name(), key.get_base64()))
    return str(path)


@pytest.fixture
def client_key_file(keys, tmp_path):
    path = str(tmp_path / "id_ecdsa")
    keys["client"].write_private_key_file(path)
    return path


def _Runner(tmp_path, key_file, known, **kwargs):
    kwargs.setdefault("connect_timeout", 5)
    return ssh.SshRunner(key_files=[key_file], known_hosts_files=known,
                         use_agent=False, **kwargs)


# --- commands against the server ----------------------------------------------

def test_run_passes_stdin_and_collects_output(server, keys, client_key_file,
                                              tmp_path):
    known = _KnownHosts(tmp_path / "kh", "[127.0.0.1]:%d" % server.port,
                        keys["host"])
    runner = _Runner(tmp_path, client_key_file, [known])
    payload = '{"cluster_name": "c"}' * 1000
    result = runner.Run("127.0.0.1", ["echo-stdin", "a b"], port=server.port,
                        stdin=payload)
    assert not result.failed, result.fail_reason
    assert result.exit_code == 0
    assert result.stdout == payload
    assert result.stderr == "read %d bytes\n" % len(payload)
    assert server.log[-1] == "echo-stdin 'a b'"


def test_run_reports_exit_code_and_last_error_line(server, keys,
                                                   client_key_file, tmp_path):
    known = _KnownHosts(tmp_path / "kh", "[127.0.0.1]:%d" % server.port,
                        keys["host"])
    result = _Runner(tmp_path, client_key_file, [known]).Run(
        "127.0.0.1", "fail", port=server.port)
    assert result.failed and not result.connect_failed, result.fail_reason
    assert result.exit_code == 3
    assert result.stdout == "partial output\n"
    assert result.ErrorText() == "exited with exit code 3: something went wrong"
    with pytest.raises(errors.OpExecError) as err:
        result.Raise("Setup failed")
    assert str(err.value) == ("Setup failed: exited with exit code 3:"
                              " something went wrong")


def test_run_drains_both_streams(server, keys, client_key_file, tmp_path):
    known = _KnownHosts(tmp_path / "kh", "[127.0.0.1]:%d" % server.port,
                        keys["host"])
    result = _Runner(tmp_path, client_key_file, [known]).Run(
        "127.0.0.1", "big", port=server.port, timeout=30)
    assert result.exit_code == 0
    assert len(result.stdout) == len(result.stderr) == 64 * 16384


def test_run_timeout(server, keys, client_key_file, tmp_path):
    known = _KnownHosts(tmp_path / "kh", "[127.0.0.1]:%d" % server.port,
                        keys["host"])
    start = time.monotonic()
    result = _Runner(tmp_path, client_key_file, [known]).Run(
        "127.0.0.1", "hang", port=server.port, timeout=0.5)
    assert time.monotonic() - start < 4
    assert result.exit_code is None and result.failed
    assert result.fail_reason == "timed out"


def test_unknown_host_key_is_refused(server, client_key_file, tmp_path):
    result = _Runner(tmp_path, client_key_file, [str(tmp_path / "none")]).Run(
        "127.0.0.1", "echo-stdin", port=server.port)
    assert result.connect_failed and result.exit_code == 255
    assert result.fail_reason == ("Host key verification failed for"
                                  " 127.0.0.1: no known host key for it")


def test_changed_host_key_is_refused(server, keys, client_key_file, tmp_path):
    known = _KnownHosts(tmp_path / "kh", "[127.0.0.1]:%d" % server.port,
                        keys["other_host"])
    before = len(server.log)
    result = _Runner(tmp_path, client_key_file, [known]).Run(
        "127.0.0.1", "echo-stdin", port=server.port)
    assert result.connect_failed
    assert result.fail_reason == ("Host key verification failed for"
                                  " 127.0.0.1: the key offered differs from"
                                  " the known host key")
    assert len(server.log) == before  # nothing ran


def test_no_key_check_accepts_any_host_key(server, keys, client_key_file,
                                           tmp_path):
    known = _KnownHosts(tmp_path / "kh", "[127.0.0.1]:%d" % server.port,
                        keys["other_host"])
    result = _Runner(tmp_path, client_key_file, [known],
                     strict_host_check=False).Run(
        "127.0.0.1", "echo-stdin", port=server.port, stdin="x")
    assert result.exit_code == 0 and result.stdout == "x"
    with open(known) as handle:  # nothing was recorded
        assert keys["host"].get_base64() not in handle.read()


def test_cluster_name_alias_in_known_hosts(server, keys, client_key_file,
                                           tmp_path):
    # The cluster's known_hosts lists the key under the cluster name only.
    known = _KnownHosts(tmp_path / "cluster_kh", "cluster.example.com",
                        keys["host"])
    missing = str(tmp_path / "user_kh")
    runner = _Runner(tmp_path, client_key_file, [missing, known],
                     cluster_name="cluster.example.com")
    result = runner.Run("127.0.0.1", "echo-stdin", port=server.port,
                        stdin="ok")
    assert result.exit_code == 0 and result.stdout == "ok"
    # Without the cluster name the alias does not count.
    result = _Runner(tmp_path, client_key_file, [missing, known]).Run(
        "127.0.0.1", "echo-stdin", port=server.port)
    assert result.connect_failed


def test_authentication_failure(server, keys, tmp_path):
    stranger = str(tmp_path / "id_stranger")
    keys["stranger"].write_private_key_file(stranger)
    known = _KnownHosts(tmp_path / "kh", "[127.0.0.1]:%d" % server.port,
                        keys["host"])
    result = _Runner(tmp_path, stranger, [known]).Run(
        "127.0.0.1", "echo-stdin", port=server.port)
    assert result.connect_failed and result.exit_code == 255
    assert result.fail_reason.startswith(
        "Permission denied for root@127.0.0.1 port %d (" % server.port)
    with pytest.raises(errors.OpExecError) as err:
        result.Raise()
    assert "\n" not in str(err.value)


def test_connection_refused(keys, client_key_file, tmp_path):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    result = _Runner(tmp_path, client_key_file, []).Run(
        "127.0.0.1", "true", port=port)
    assert result.connect_failed
    assert result.fail_reason.startswith(
        "Can't connect to root@127.0.0.1 port %d: " % port)
    assert "refused" in result.fail_reason.lower()


# --- injected fake client -----------------------------------------------------

class FakeHostKeys:
    def __init__(self):
        self.loaded = []
        self.entries = {}

    def load(self, filename):
        self.loaded.append(filename)

    def lookup(self, name):
        return self.entries.get(name)

    def add(self, name, keytype, key):
        self.entries.setdefault(name, {})[keytype] = key


class FakeClient:
    def __init__(self, error=None):
        self.error = error
        self.host_keys = FakeHostKeys()
        self.policy = None
        self.connect_args = None
        self.closed = False
        self.sftp = FakeSftp()

    def get_host_keys(self):
        return self.host_keys

    def set_missing_host_key_policy(self, policy):
        self.policy = policy

    def connect(self, host, **kwargs):
        self.connect_args = dict(kwargs, host=host)
        if self.error is not None:
            raise self.error

    def open_sftp(self):
        return self.sftp

    def close(self):
        self.closed = True


class FakeSftp:
    def __init__(self):
        self.files = {}
        self.ops = []

    def open(self, name, mode):
        sftp = self

        class _File:
            def __enter__(self):
                return self

            def __exit__(self, *args):
                return False

            def write(self, data):
                sftp.files[name] = data
        return _File()

    def chmod(self, name, mode):
        self.ops.append(("chmod", name, mode))

    def utime(self, name, times):
        self.ops.append(("utime", name))

    def posix_rename(self, old, new):
        self.files[new] = self.files.pop(old)
        self.ops.append(("rename", old, new))

    def remove(self, name):
        self.files.pop(name, None)

    def close(self):
        pass


@pytest.fixture(scope="module")
def fake_key_file(keys, tmp_path_factory):
    path = str(tmp_path_factory.mktemp("keys") / "id_ecdsa")
    keys["client"].write_private_key_file(path)
    return path


def _FakeRunner(client, key_file, **kwargs):
    return ssh.SshRunner(key_files=[key_file],
                         known_hosts_files=kwargs.pop("known", []),
                         use_agent=False, client_factory=lambda: client,
                         **kwargs)


def test_connect_parameters_and_policies(tmp_path, keys, fake_key_file):
    known = _KnownHosts(tmp_path / "kh", "node1", keys["other_host"])
    client = FakeClient(error=socket.timeout("timed out"))
    result = _FakeRunner(client, fake_key_file,
                         known=[known, str(tmp_path / "missing")],
                         connect_timeout=7).Run("node1", "true", port=2222)
    args = client.connect_args
    assert args["host"] == "node1" and args["port"] == 2222
    assert args["username"] == "root"
    assert args["pkey"] == keys["client"]
    assert args["timeout"] == 7 and args["look_for_keys"] is False
    assert args["allow_agent"] is False
    assert isinstance(client.policy, paramiko.RejectPolicy)
    assert client.host_keys.loaded == [known]  # missing files are skipped
    assert client.closed
    assert result.fail_reason == ("Can't connect to root@node1 port 2222:"
                                  " connection timed out")
    client = FakeClient(error=socket.timeout())
    _FakeRunner(client, fake_key_file, strict_host_check=False).Run(
        "node1", "true")
    assert isinstance(client.policy, paramiko.AutoAddPolicy)
    assert client.host_keys.loaded == []


@pytest.mark.parametrize("error,expected", [
    (OSError(errno.EHOSTUNREACH, "No route to host"),
     "Can't connect to root@node9 port 22: No route to host"),
    (paramiko.ssh_exception.NoValidConnectionsError(
        {("10.0.0.9", 22): OSError(errno.ECONNREFUSED, "Connection refused")}),
     "Can't connect to root@node9 port 22: Connection refused"),
    (socket.gaierror(-2, "Name or service not known"),
     "Can't resolve host name node9: Name or service not known"),
    (paramiko.SSHException("Error reading SSH protocol banner"),
     "SSH connection to root@node9 port 22 failed: Error reading SSH"
     " protocol banner"),
    (EOFError(), "SSH connection to root@node9 port 22 closed by the remote"
                 " side"),
])
def test_connect_errors_are_one_line(error, expected, fake_key_file):
    result = _FakeRunner(FakeClient(error=error), fake_key_file).Run(
        "node9", ["hostname"])
    assert result.connect_failed and result.exit_code == ssh.EXIT_SSH_ERROR
    assert result.fail_reason == expected
    assert result.ErrorText() == expected


def test_copy_file_is_atomic_and_keeps_mode(tmp_path, fake_key_file):
    src = tmp_path / "known_hosts"
    src.write_bytes(b"data\n")
    os.chmod(str(src), 0o640)
    client = FakeClient()
    result = _FakeRunner(client, fake_key_file).CopyFile("node2", str(src),
                                                         port=22)
    assert not result.failed
    assert client.sftp.files == {str(src): b"data\n"}
    kinds = [op[0] for op in client.sftp.ops]
    assert kinds == ["chmod", "utime", "rename"]
    assert client.sftp.ops[0][2] == 0o640
    assert client.sftp.ops[2][1].startswith(str(src) + ".")
    result = _FakeRunner(FakeClient(), fake_key_file).CopyFile(
        "node2", str(tmp_path / "nope"))
    assert result.failed and "Can't read" in result.fail_reason


def test_format_command_quotes_lists():
    assert ssh.FormatCommand(["/usr/bin/python3", "/x y/tool", "--a"]) == \
        "/usr/bin/python3 '/x y/tool' --a"
    assert ssh.FormatCommand("ls -l") == "ls -l"
    assert ssh.HostKeyName("node1", 22) == "node1"
    assert ssh.HostKeyName("node1", 2222) == "[node1]:2222"


def test_find_private_keys_order(tmp_path):
    for name in ("id_ecdsa", "id_ed25519", "config"):
        (tmp_path / name).write_text("x")
    assert ssh.FindPrivateKeys(str(tmp_path)) == [
        str(tmp_path / "id_ed25519"), str(tmp_path / "id_ecdsa")]
    files = ssh.KnownHostsFiles(str(tmp_path))
    assert files[0] == str(tmp_path / "known_hosts")
    assert files[1].endswith("/known_hosts") and "ganeti" in files[1]


def test_no_usable_key_fails_early(tmp_path):
    bad = tmp_path / "id_ed25519"
    bad.write_text("not a key")
    client = FakeClient()
    result = ssh.SshRunner(key_files=[str(bad)], known_hosts_files=[],
                           use_agent=False,
                           client_factory=lambda: client).Run("node1", "true")
    assert client.connect_args is None
    assert result.connect_failed
    assert result.fail_reason == ("Permission denied for root@node1 port 22"
                                  " (no usable SSH key in %s)" % bad)


def test_each_key_is_tried(keys, client_key_file, server, tmp_path):
    stranger = str(tmp_path / "id_stranger")
    keys["stranger"].write_private_key_file(stranger)
    known = _KnownHosts(tmp_path / "kh", "[127.0.0.1]:%d" % server.port,
                        keys["host"])
    runner = ssh.SshRunner(key_files=[stranger, client_key_file],
                           known_hosts_files=[known], use_agent=False)
    result = runner.Run("127.0.0.1", "echo-stdin", port=server.port,
                        stdin="second key")
    assert result.exit_code == 0 and result.stdout == "second key"
