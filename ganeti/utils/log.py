"""Logging set-up for daemons and command line tools.

Log lines look like upstream's:
``2024-01-01 12:00:00,123: ganeti-noded pid=1234 INFO message``
(with ``/ThreadName`` after the pid when multithreaded and
`` module:line`` before the level in debug mode).
"""

import logging
import logging.handlers
import os
import sys
from typing import Callable, Optional

from ganeti import constants


class ReopenableFileHandler(logging.FileHandler):
    """A file handler that reopens its file on request (after log rotation).

    RequestReopen is safe to call from a signal handler: the reopen happens
    on the next emitted record.
    """

    def __init__(self, filename: str) -> None:
        super().__init__(filename, mode="a", encoding="utf-8", delay=False)
        self._reopen = False

    def RequestReopen(self) -> None:
        """Reopen the file before writing the next record."""
        self._reopen = True

    def emit(self, record: logging.LogRecord) -> None:
        if self._reopen:
            self._reopen = False
            self.acquire()
            try:
                if self.stream is not None:
                    self.stream.close()
                self.stream = self._open()
            except OSError:
                self.stream = None  # type: ignore[assignment]
            finally:
                self.release()
        super().emit(record)


def GetLogFormatter(program: str, multithreaded: bool = False,
                    debug: bool = False, syslog: bool = False
                    ) -> logging.Formatter:
    """Build the formatter for upstream's log line layout."""
    if syslog:
        fmt = program + "[%(process)d]:"
        if multithreaded:
            fmt += " (%(threadName)s)"
    else:
        fmt = "%(asctime)s: " + program + " pid=%(process)d"
        if multithreaded:
            fmt += "/%(threadName)s"
        if debug:
            fmt += " %(module)s:%(lineno)s"
    fmt += " %(levelname)s %(message)s"
    return logging.Formatter(fmt)


def SetupLogging(logfile: Optional[str], program: str, debug: int = 0,
                 stderr_logging: bool = False, multithreaded: bool = False,
                 syslog: str = constants.SYSLOG_USAGE,
                 console_logging: bool = False,
                 root_logger: Optional[logging.Logger] = None
                 ) -> Callable[[], None]:
    """Configure logging to logfile (and stderr/syslog); return a reopen fn.

    syslog is one of constants.SYSLOG_NO/YES/ONLY.  stderr_logging shows
    everything on stderr in debug mode, only critical messages otherwise.
    console_logging falls back to /dev/console if logfile can't be opened.
    The returned function makes the file handler reopen (call on SIGHUP).
    """
    if root_logger is None:
        root_logger = logging.getLogger("")
    root_logger.setLevel(logging.NOTSET)
    for handler in list(root_logger.handlers):
        root_logger.removeHandler(handler)
        handler.close()

    file_level = logging.DEBUG if debug else logging.INFO
    formatter = GetLogFormatter(program, multithreaded, bool(debug))

    if stderr_logging:
        stderr_handler = logging.StreamHandler(sys.stderr)
        stderr_handler.setFormatter(formatter)
        stderr_handler.setLevel(logging.NOTSET if debug
                                else logging.CRITICAL)
        root_logger.addHandler(stderr_handler)

    if syslog in (constants.SYSLOG_YES, constants.SYSLOG_ONLY):
        try:
            sys_handler = logging.handlers.SysLogHandler(
                constants.SYSLOG_SOCKET,
                logging.handlers.SysLogHandler.LOG_DAEMON)
        except OSError as err:
            sys.stderr.write("Cannot connect to syslog: %s\n" % err)
        else:
            sys_handler.setFormatter(GetLogFormatter(
                program, multithreaded, bool(debug), syslog=True))
            sys_handler.setLevel(file_level)
            root_logger.addHandler(sys_handler)

    reopeners = []
    if syslog != constants.SYSLOG_ONLY and logfile:
        try:
            file_handler: logging.Handler = ReopenableFileHandler(logfile)
        except OSError as err:
            if console_logging and os.path.exists("/dev/console"):
                file_handler = logging.FileHandler("/dev/console", mode="a")
            elif stderr_logging or syslog == constants.SYSLOG_YES:
                root_logger.error("Failed to enable logging to file '%s':"
                                  " %s", logfile, err)
                file_handler = None  # type: ignore[assignment]
            else:
                raise
        if file_handler is not None:
            file_handler.setFormatter(formatter)
            file_handler.setLevel(file_level)
            root_logger.addHandler(file_handler)
            if isinstance(file_handler, ReopenableFileHandler):
                reopeners.append(file_handler.RequestReopen)

    def _Reopen() -> None:
        for fn in reopeners:
            fn()

    return _Reopen


def ResetLogging(root_logger: Optional[logging.Logger] = None) -> None:
    """Remove every handler (tests, forked children)."""
    logger = root_logger or logging.getLogger("")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
