"""The common frame of every Ganeti daemon: options, pid file, logging.

A daemon module builds an optparse.OptionParser with its own options and
calls GenericMain(name, parser, check_fn, prepare_fn, exec_fn).  GenericMain
adds the common options, detaches (unless -f), takes the pid file lock,
sets up logging and signals, then calls exec_fn(options, args, prep_data).

exec_fn learns about SIGTERM/SIGINT through ``options.shutdown`` (a
Shutdown object): wait on it, poll it, or register callbacks (e.g. a
server's shutdown method).  SIGHUP reopens the log files and runs the
callbacks registered with ``options.reload``.  When exec_fn returns the pid file is removed
and the process exits 0.
"""

import ctypes
import fcntl
import logging
import optparse
import os
import signal
import socket
import struct
import sys
import threading
from typing import Any, Callable, List, NoReturn, Optional

from ganeti import constants
from ganeti import errors
from ganeti import pathutils
from ganeti.utils import io as utils_io
from ganeti.utils import log as utils_log
from ganeti.utils import process as utils_process

_SIOCGIFADDR = 0x8915


class Shutdown:
    """Shutdown request shared between the signal handlers and the daemon."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._callbacks: List[Callable[[], Any]] = []
        self._lock = threading.Lock()
        self.signum: Optional[int] = None

    def Register(self, fn: Callable[[], Any]) -> None:
        """Call fn (in a helper thread) when shutdown is requested."""
        with self._lock:
            self._callbacks.append(fn)
            run_now = self._event.is_set()
        if run_now:
            self._RunCallbacks([fn])

    def Request(self, signum: Optional[int] = None) -> None:
        """Ask the daemon to stop (idempotent)."""
        with self._lock:
            if self._event.is_set():
                return
            self.signum = signum
            self._event.set()
            callbacks = list(self._callbacks)
        logging.info("Shutdown requested%s",
                     "" if signum is None else " (signal %d)" % signum)
        if callbacks:
            # Not in the signal handler: a callback may wait for the main
            # thread (e.g. socketserver's shutdown()).
            self._thread = threading.Thread(
                target=self._RunCallbacks, args=(callbacks,),
                name="ShutdownCallbacks", daemon=True)
            self._thread.start()

    @staticmethod
    def _RunCallbacks(callbacks: List[Callable[[], Any]]) -> None:
        for fn in callbacks:
            try:
                fn()
            except Exception:  # pylint: disable=broad-except
                logging.exception("Error in shutdown callback %r", fn)

    def JoinCallbacks(self, timeout: float = 10.0) -> None:
        """Wait (bounded) for the shutdown callbacks to finish."""
        thread = getattr(self, "_thread", None)
        if thread is not None:
            thread.join(timeout)

    def IsRequested(self) -> bool:
        """Whether shutdown was requested."""
        return self._event.is_set()

    def Wait(self, timeout: Optional[float] = None) -> bool:
        """Block until shutdown is requested (or timeout); True if it was."""
        return self._event.wait(timeout)


class Reload:
    """What SIGHUP does besides reopening the log files: callbacks that
    re-read configuration files (ganeti-rapi: the users file)."""

    def __init__(self) -> None:
        self._callbacks: List[Callable[[], Any]] = []
        self._lock = threading.Lock()

    def Register(self, fn: Callable[[], Any]) -> None:
        """Call fn (in a helper thread) on every SIGHUP."""
        with self._lock:
            self._callbacks.append(fn)

    def Request(self) -> Optional[threading.Thread]:
        """Run the callbacks in a helper thread (not in the signal handler:
        they may take locks the interrupted main thread holds)."""
        with self._lock:
            callbacks = list(self._callbacks)
        if not callbacks:
            return None
        logging.info("SIGHUP received, reloading")
        thread = threading.Thread(target=Shutdown._RunCallbacks,
                                  args=(callbacks,), name="ReloadCallbacks",
                                  daemon=True)
        thread.start()
        return thread


def InstallSignalHandlers(reopen_logs: Callable[[], Any], shutdown: Shutdown,
                          reload: Reload) -> None:
    """SIGHUP reopens the log files and runs the reload callbacks;
    SIGTERM and SIGINT request the shutdown."""
    def on_hup(_signum, _frame):
        reopen_logs()
        reload.Request()
    signal.signal(signal.SIGHUP, on_hup)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda signum, frame: shutdown.Request(signum))


def GetDaemonPort(daemon_name: str) -> int:
    """The daemon's port: /etc/services entry if any, else the default."""
    proto, default = constants.DAEMONS_PORTS[daemon_name]
    try:
        return socket.getservbyname(daemon_name, proto)
    except OSError:
        return default


def GetInterfaceAddress(ifname: str) -> str:
    """Return the IPv4 address of network interface ifname."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            packed = fcntl.ioctl(sock.fileno(), _SIOCGIFADDR,
                                 struct.pack("256s", ifname[:15].encode()))
        except OSError as err:
            raise errors.GenericError("Can't get the address of interface"
                                      " %s: %s" % (ifname, err))
    return socket.inet_ntoa(packed[20:24])


def DefaultBindAddress() -> str:
    """Wildcard address of the cluster's primary IP family (ssconf)."""
    try:
        family = utils_io.ReadOneLineFile(
            pathutils.ssconf_file("primary_ip_family"))
    except (OSError, errors.GenericError):
        family = str(int(socket.AF_INET))
    return "::" if family == str(int(socket.AF_INET6)) else "0.0.0.0"


def _DefaultSslFiles(daemon_name: str) -> str:
    if daemon_name == constants.RAPI:
        return pathutils.RAPI_CERT_FILE
    return pathutils.NODED_CERT_FILE


def AddCommonOptions(parser: optparse.OptionParser, daemon_name: str,
                     default_ssl_cert: Optional[str] = None,
                     default_ssl_key: Optional[str] = None) -> None:
    """Add the options every daemon has (and port/SSL ones where relevant)."""
    parser.add_option("-f", "--foreground", dest="fork", default=True,
                      action="store_false", help="Don't detach from the"
                      " current terminal")
    parser.add_option("-d", "--debug", dest="debug", default=False,
                      action="store_true", help="Enable some debug messages")
    parser.add_option("--syslog", dest="syslog",
                      default=constants.SYSLOG_USAGE,
                      choices=[constants.SYSLOG_NO, constants.SYSLOG_YES,
                               constants.SYSLOG_ONLY],
                      help="Enable logging to syslog (except debug messages);"
                      " one of 'no', 'yes' or 'only' [%default]")
    if daemon_name in constants.DAEMONS_PORTS:
        parser.add_option("-p", "--port", dest="port", type="int",
                          default=GetDaemonPort(daemon_name),
                          help="Network port (default: %default)")
        parser.add_option("-b", "--bind", dest="bind_address", default=None,
                          metavar="ADDRESS", help="Bind address (default:"
                          " wildcard of the cluster's IP family)")
        parser.add_option("-i", "--interface", dest="interface", default=None,
                          metavar="INTERFACE", help="Bind to the address of"
                          " this network interface")
    if daemon_name in constants.DAEMONS_SSL:
        default_file = _DefaultSslFiles(daemon_name)
        parser.add_option("--no-ssl", dest="ssl", default=True,
                          action="store_false",
                          help="Do not secure HTTP protocol with SSL")
        parser.add_option("-K", "--ssl-key", dest="ssl_key",
                          default=default_ssl_key or default_file,
                          metavar="SSL_KEY_PATH", help="SSL key path")
        parser.add_option("-C", "--ssl-cert", dest="ssl_cert",
                          default=default_ssl_cert or default_file,
                          metavar="SSL_CERT_PATH", help="SSL certificate path")


def _CheckCommonOptions(parser: optparse.OptionParser, options: Any,
                        daemon_name: str) -> None:
    if daemon_name in constants.DAEMONS_PORTS:
        if options.interface and options.bind_address:
            parser.error("Can only specify one of --bind and --interface")
        if options.interface:
            try:
                options.bind_address = GetInterfaceAddress(options.interface)
            except errors.GenericError as err:
                parser.error(str(err))
        elif options.bind_address is None:
            options.bind_address = DefaultBindAddress()
    if daemon_name in constants.DAEMONS_SSL and options.ssl:
        for fname in sorted({options.ssl_key, options.ssl_cert}):
            if not os.path.isfile(fname):
                sys.stderr.write("Need SSL file %s to run with SSL (or use"
                                 " --no-ssl)\n" % fname)
                sys.exit(constants.EXIT_FAILURE)


def _StartupError(wpipe: Optional[int], msg: str) -> NoReturn:
    """Report a start-up failure on one line and exit 1."""
    msg = " ".join(str(msg).split()) or "unknown error"
    if logging.getLogger().handlers:  # no implicit stderr handler
        logging.error("Startup failed: %s", msg)
    if wpipe is not None:
        os.write(wpipe, msg.encode("utf-8", "replace"))
        os.close(wpipe)
    else:
        sys.stderr.write("Error when starting daemon process: %s\n" % msg)
        sys.stderr.flush()
    os._exit(constants.EXIT_FAILURE)  # pylint: disable=protected-access


def _EnsureRuntimeDirs() -> None:
    """Create the run and log directories if they are missing."""
    for path, mode in ((pathutils.RUN_DIR, 0o775), (pathutils.LOG_DIR, 0o750)):
        if not os.path.isdir(path):
            os.makedirs(path, mode, exist_ok=True)


# glibc's mallopt parameter and the arena count kept for the daemons:
# one arena per thread (glibc's default, up to 8 per core) costs each
# daemon tens of MiB for no gain, as the GIL serialises most allocations.
_M_ARENA_MAX = -8
DAEMON_MALLOC_ARENAS = 2


def LimitMallocArenas(arenas: int = DAEMON_MALLOC_ARENAS) -> bool:
    """Cap glibc's malloc arenas, unless MALLOC_ARENA_MAX is set already.

    Must run before the daemon starts threads; returns whether it applied.
    """
    if "MALLOC_ARENA_MAX" in os.environ:
        return False
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        return bool(libc.mallopt(_M_ARENA_MAX, arenas))
    except (OSError, AttributeError):
        return False  # not glibc: nothing to tune


def GenericMain(daemon_name: str, optionparser: optparse.OptionParser,
                check_fn: Optional[Callable[[Any, List[str]], None]],
                prepare_fn: Optional[Callable[[Any, List[str]], Any]],
                exec_fn: Callable[[Any, List[str], Any], Any],
                multithreaded: bool = False, console_logging: bool = False,
                default_ssl_cert: Optional[str] = None,
                default_ssl_key: Optional[str] = None,
                argv: Optional[List[str]] = None) -> NoReturn:
    """Run a daemon: parse options, detach, lock the pid file, call exec_fn.

    check_fn(options, args) validates options before detaching (may exit);
    prepare_fn(options, args) runs detached but before start-up is reported
    to the invoking process, so its errors still reach the terminal; its
    result is passed to exec_fn(options, args, prep_data).  Never returns.
    """
    LimitMallocArenas()
    AddCommonOptions(optionparser, daemon_name, default_ssl_cert,
                     default_ssl_key)
    options, args = optionparser.parse_args(argv)
    _CheckCommonOptions(optionparser, options, daemon_name)
    if check_fn is not None:
        check_fn(options, args)

    logfile = pathutils.daemon_log_file(
        constants.DAEMONS_LOGBASE.get(daemon_name, daemon_name))
    pidfile = pathutils.daemon_pid_file(daemon_name)
    try:
        _EnsureRuntimeDirs()
    except OSError as err:
        _StartupError(None, "Can't create runtime directories: %s" % err)

    wpipe = None
    if options.fork:
        try:
            wpipe = utils_process.Daemonize(logfile)
        except OSError as err:
            _StartupError(None, "Can't detach: %s" % err)

    try:
        pid_fd = utils_process.WritePidFile(pidfile)
    except (errors.LockError, OSError) as err:
        _StartupError(wpipe, str(err))

    shutdown = Shutdown()
    options.shutdown = shutdown
    options.reload = Reload()
    try:
        reopen = utils_log.SetupLogging(
            logfile, daemon_name, debug=options.debug,
            stderr_logging=not options.fork, multithreaded=multithreaded,
            syslog=options.syslog, console_logging=console_logging)
        InstallSignalHandlers(reopen, shutdown, options.reload)
        logging.info("%s daemon startup", daemon_name)
        prep_data = prepare_fn(options, args) if prepare_fn else None
    except SystemExit as err:
        utils_process.RemovePidFile(pidfile)
        _StartupError(wpipe, "exit code %s" % err.code)
    except Exception as err:  # pylint: disable=broad-except
        logging.exception("Error during daemon start-up")
        utils_process.RemovePidFile(pidfile)
        _StartupError(wpipe, str(err))

    if wpipe is not None:
        os.close(wpipe)  # tells the invoking process we are up

    code = constants.EXIT_SUCCESS
    try:
        exec_fn(options, args, prep_data)
    except SystemExit as err:
        code = err.code if isinstance(err.code, int) else \
            constants.EXIT_FAILURE
    except Exception:  # pylint: disable=broad-except
        logging.exception("Unhandled exception in %s", daemon_name)
        code = constants.EXIT_FAILURE
    finally:
        options.shutdown.JoinCallbacks()
        utils_process.RemovePidFile(pidfile)
        os.close(pid_fd)
        logging.info("%s daemon shutting down (exit code %s)",
                     daemon_name, code)
        logging.shutdown()
    sys.exit(code)
