"""ganeti-rapi's daemon options and signals: SIGHUP re-reads the users
file, --ssl-chain sends the intermediate certificates, the connection
threads are capped."""

import datetime
import os
import signal
import socket
import ssl
import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from ganeti import constants
from ganeti import daemon
from ganeti.http import server as http_server
from ganeti.rapi.users import UsersFile
from ganeti.server import rapi
from ganeti.utils import x509 as ux509


def _WaitFor(cond, timeout=10.0):
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            return False
        time.sleep(0.02)
    return True


@pytest.fixture
def signal_handlers():
    saved = {signum: signal.getsignal(signum)
             for signum in (signal.SIGHUP, signal.SIGTERM, signal.SIGINT)}
    yield
    for signum, handler in saved.items():
        signal.signal(signum, handler)


def test_sighup_rereads_the_users_file(tmp_path, signal_handlers):
    path = tmp_path / "users"
    path.write_text("alice secret read\n")
    users = UsersFile(str(path))
    users.watched = True   # as under inotify: no re-read on every request
    assert users.Get("alice") is not None
    reopened = []
    reload = daemon.Reload()
    reload.Register(users.Reload)
    daemon.InstallSignalHandlers(lambda: reopened.append(1),
                                 daemon.Shutdown(), reload)
    path.write_text("alice secret read\nbob other write\n")
    assert users.Get("bob") is None      # not re-read yet
    os.kill(os.getpid(), signal.SIGHUP)
    assert _WaitFor(lambda: users.Get("bob") is not None)
    assert users.Get("bob").options == frozenset(["write"])
    assert reopened == [1]               # the log files are reopened too


def test_reload_reads_even_an_unchanged_looking_file(tmp_path):
    path = tmp_path / "users"
    path.write_text("alice secret read\n")
    users = UsersFile(str(path))
    users._users = {}                    # whatever it holds is replaced
    users.Check()                        # same stamp: nothing re-read
    assert users.Get("alice") is None
    users.Reload()
    assert users.Get("alice") is not None


def test_reload_without_callbacks_starts_nothing():
    assert daemon.Reload().Request() is None


# --- --ssl-chain -------------------------------------------------------------

def _Key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _Pem(key, cert):
    key_pem = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption()).decode()
    return key_pem, cert.public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    """root CA -> intermediate CA -> server certificate, as files."""
    base = tmp_path_factory.mktemp("chain")
    root_key, mid_key, leaf_key = _Key(), _Key(), _Key()
    days = 30
    root = ux509._BuildCert("root.test", root_key, days, 1, is_ca=True)
    mid = ux509._BuildCert("intermediate.test", mid_key, days, 2, is_ca=True,
                           issuer_cert=root, issuer_key=root_key)
    leaf = ux509._BuildCert("rapi.test", leaf_key, days, 3, is_ca=False,
                            issuer_cert=mid, issuer_key=mid_key)
    assert leaf.not_valid_after_utc > datetime.datetime.now(
        datetime.timezone.utc)
    files = {}
    for name, (key, cert) in {"root": (root_key, root),
                              "mid": (mid_key, mid),
                              "leaf": (leaf_key, leaf)}.items():
        key_pem, cert_pem = _Pem(key, cert)
        (base / (name + ".key")).write_text(key_pem)
        (base / (name + ".pem")).write_text(cert_pem)
        files[name] = str(base / name)
    return files


def _Handshake(port, root_file):
    """Whether a client trusting only the root CA accepts the server."""
    ctx = ssl.create_default_context(cafile=root_file)
    ctx.check_hostname = False
    with socket.create_connection(("127.0.0.1", port), 10) as sock:
        try:
            with ctx.wrap_socket(sock):
                return True
        except ssl.SSLCertVerificationError:
            return False


@pytest.mark.parametrize("with_chain", [False, True])
def test_ssl_chain_is_sent_after_the_certificate(chain, with_chain):
    srv = http_server.HttpServer(
        "127.0.0.1", 0, lambda m, p, h, b: (200, {}, b"ok"),
        ssl_cert=chain["leaf"] + ".pem", ssl_key=chain["leaf"] + ".key",
        ssl_chain=chain["mid"] + ".pem" if with_chain else None)
    srv.Start()
    try:
        assert _Handshake(srv.port, chain["root"] + ".pem") == with_chain
    finally:
        srv.Shutdown()


def test_ssl_chain_option_and_missing_file(tmp_path, capsys, monkeypatch):
    parser = rapi.BuildParser()
    daemon.AddCommonOptions(parser, constants.RAPI)
    options, _ = parser.parse_args(["--ssl-chain", str(tmp_path / "none")])
    assert options.ssl_chain == str(tmp_path / "none")
    with pytest.raises(SystemExit) as err:
        rapi.CheckRapi(options, [])
    assert err.value.code == constants.EXIT_FAILURE
    assert "Need SSL file %s" % (tmp_path / "none") in capsys.readouterr().err


def test_prep_rapi_caps_connections_and_reloads_on_sighup(ganeti_root):
    """The server PrepRapi builds refuses connections beyond
    CONNECTIONS_PER_CLIENT_SLOT per --max-clients (one thread each), and
    SIGHUP's reload re-reads the users file."""
    parser = rapi.BuildParser()
    daemon.AddCommonOptions(parser, constants.RAPI)
    options, _ = parser.parse_args(["--no-ssl", "-b", "127.0.0.1", "-p", "0",
                                    "--max-clients", "3"])
    options.shutdown = daemon.Shutdown()
    options.reload = daemon.Reload()
    srv = rapi.PrepRapi(options, [])
    try:
        assert srv.max_connections == \
            3 * http_server.CONNECTIONS_PER_CLIENT_SLOT
        thread = options.reload.Request()
        assert thread is not None
        thread.join(10)
        assert not thread.is_alive()
    finally:
        options.shutdown.Request()
        options.shutdown.JoinCallbacks()
        srv.Shutdown()
