"""Interruption of a job's thread (gnt-job cancel --kill, daemon shutdown).

Jobs run in worker threads of the master daemon, which cannot be killed
from outside.  Instead the worker binds an ``Interruptor`` to its thread
while an opcode runs; ``Interrupt()`` marks it, and the thread stops at its
next interruption point by raising ``Interrupted``.  Interruption points:
every lock wait, every RPC (also while waiting for the answers), every job
log message, the processor's steps and the sleeps of test opcodes
(``Sleep``).  ``finally`` clauses run as for any exception, so the locks
are released.  A thread with no Interruptor bound is never interrupted.
"""

import contextlib
import threading
import time
from typing import Iterator, Optional

# Longest time an interruptible wait goes without checking (seconds).
POLL_INTERVAL = 0.2

_local = threading.local()


class Interrupted(Exception):
    """The current thread was asked to stop (deliberately not a
    GenericError, so that code catching Ganeti errors lets it through)."""


class Interruptor:
    """The interruption request of one job's execution."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason: Optional[str] = None

    def Interrupt(self, reason: str) -> None:
        """Ask the bound thread to stop (the first reason given wins)."""
        if self.reason is None:
            self.reason = reason
        self._event.set()

    def IsInterrupted(self) -> bool:
        return self._event.is_set()

    def Wait(self, timeout: float) -> bool:
        """Wait up to timeout seconds; True if interrupted."""
        return self._event.wait(max(0.0, timeout))


@contextlib.contextmanager
def Bound(interruptor: Optional[Interruptor]) -> Iterator[None]:
    """Bind interruptor to the current thread for the with block."""
    previous = getattr(_local, "current", None)
    _local.current = interruptor
    try:
        yield
    finally:
        _local.current = previous


def Current() -> Optional[Interruptor]:
    return getattr(_local, "current", None)


def IsInterrupted() -> bool:
    """True if the current thread was asked to stop."""
    current = getattr(_local, "current", None)
    return current is not None and current.IsInterrupted()


def Check() -> None:
    """Raise Interrupted if the current thread was asked to stop."""
    current = getattr(_local, "current", None)
    if current is not None and current.IsInterrupted():
        raise Interrupted(current.reason)


def Sleep(duration: float) -> None:
    """time.sleep(duration), ended early by Interrupted."""
    current = getattr(_local, "current", None)
    if current is None:
        time.sleep(max(0.0, duration))
        return
    if current.Wait(duration):
        raise Interrupted(current.reason)
