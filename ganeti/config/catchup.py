"""Bringing nodes that missed configuration pushes up to date (masterd).

Every config write is pushed synchronously to the nodes
(ganeti.config.PushConfigToNodes); a node that was down or cut off misses
it and, without this, would stay stale until the next write reaching it or
gnt-cluster redist-conf.  A candidate left stale is dangerous: a master
failover to it would take over with an older configuration.

ConfigCatchUp keeps the names of the nodes that missed a push.  One
background thread probes them (a bounded number of nodes, a short timeout,
PROBE_INTERVAL seconds after the miss, then a backoff doubling up to
MAX_INTERVAL) and, as soon as one answers, pushes the current config.data
and ssconf files to it.  A node answering an RPC again (the reachability
listener, ganeti.rpc.reach) is probed at once.  The probe is
``x_config_newer_than`` (an extension call): a node whose configuration is
newer than the master's is never overwritten (logged as an error); a node
that answers with an error (no config.data on a non-candidate, or a node
daemon not knowing the call) is reachable and just gets the push.  The
push runs under the configuration lock, so no write (with its own push)
can interleave and an older config.data never lands after a newer one.
At its start the master daemon also checks every other candidate once
(``Check``: pushed only if its serial is older).  Jobs never wait for any
of this.
"""

import logging
import threading
import time
from typing import Callable, Dict, Iterable, List, Optional

PROBE_INTERVAL = 5.0
MAX_INTERVAL = 60.0
PROBE_TIMEOUT = 10.0


class _Stale:
    """When to try a node again, how often it failed in a row, and whether
    it is only suspected (verify: pushed only if its serial is older)."""

    __slots__ = ("due", "failures", "verify")

    def __init__(self, due: float, verify: bool = False) -> None:
        self.due = due
        self.failures = 0
        self.verify = verify


class ConfigCatchUp:
    """One thread re-pushing the configuration to nodes that missed it."""

    def __init__(self, cfg, runner, push_fn: Callable[..., List[str]],
                 interval: float = PROBE_INTERVAL,
                 max_interval: float = MAX_INTERVAL,
                 probe_timeout: float = PROBE_TIMEOUT,
                 clock: Callable[[], float] = time.monotonic) -> None:
        """push_fn(cfg, runner, ssconf_values, only=, outcome=) is
        ganeti.config.PushConfigToNodes (passed in: no import circle)."""
        self._cfg = cfg
        self._runner = runner
        self._push = push_fn
        self.interval = interval
        self.max_interval = max_interval
        self.probe_timeout = probe_timeout
        self._clock = clock
        self._cond = threading.Condition(threading.Lock())
        self._stale: Dict[str, _Stale] = {}
        self._stopped = False
        self._thread: Optional[threading.Thread] = None

    # --- what the distributor and the reachability marks report ----------

    def Record(self, outcome: Dict[str, bool]) -> None:
        """One push's {node: got everything}: misses become stale."""
        with self._cond:
            for name, got in outcome.items():
                if got:
                    self._stale.pop(name, None)
                elif name not in self._stale or self._stale[name].verify:
                    logging.info("Node %s missed a configuration push; it is"
                                 " brought up to date once it answers", name)
                    self._stale[name] = _Stale(self._clock() + self.interval)
            self._cond.notify()

    def Check(self, names: Iterable[str]) -> None:
        """Probe these nodes soon; push to those with an older config.data
        (the master daemon's start: a failover may have missed some)."""
        with self._cond:
            for name in names:
                if name not in self._stale:
                    self._stale[name] = _Stale(self._clock(), verify=True)
            self._cond.notify()

    def Wake(self, names: Iterable[str]) -> None:
        """Probe these nodes now (if stale): they answer again."""
        with self._cond:
            woken = False
            for name in names:
                entry = self._stale.get(name)
                if entry is not None:
                    entry.due = self._clock()
                    woken = True
            if woken:
                self._cond.notify()

    def Stale(self) -> List[str]:
        """The nodes known to have missed a push, sorted."""
        with self._cond:
            return sorted(self._stale)

    # --- the worker -------------------------------------------------------

    def Start(self) -> None:
        self._thread = threading.Thread(target=self._Run,
                                        name="config-catchup", daemon=True)
        self._thread.start()

    def Shutdown(self, timeout: float = 10.0) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(timeout)

    def _Due(self) -> Optional[List[str]]:
        """Wait for nodes due for a try (None once stopped); their next try
        is pushed back, so one answer or wake-up gives one try."""
        with self._cond:
            while not self._stopped:
                now = self._clock()
                due = sorted(name for name, entry in self._stale.items()
                             if entry.due <= now)
                if due:
                    for name in due:
                        self._Backoff(self._stale[name], now)
                    return due
                wait = min((e.due for e in self._stale.values()),
                           default=None)
                self._cond.wait(None if wait is None else max(0.0, wait - now))
            return None

    def _Backoff(self, entry: _Stale, now: float) -> None:
        entry.failures += 1
        entry.due = now + min(self.max_interval,
                              self.interval * 2 ** (entry.failures - 1))

    def _Run(self) -> None:
        while True:
            names = self._Due()
            if names is None:
                return
            try:
                self.CatchUp(names)
            except Exception:  # pylint: disable=broad-except
                logging.exception("Configuration catch-up of %s failed",
                                  names)

    def CatchUp(self, names: List[str]) -> Dict[str, bool]:
        """One try on names: probe, then push to those that answered.

        Returns {node: up to date now}; nodes that stay stale keep their
        backoff, nodes no longer in the configuration are forgotten.
        """
        serial = self._cfg.GetConfigSerial()
        with self._cond:
            verify = {name for name in names
                      if name in self._stale and self._stale[name].verify}
        results = self._runner.call_x_config_newer_than(
            names, serial, read_timeout=self.probe_timeout,
            quick_contact=True)
        reachable = []
        for name in names:
            res = results.get(name)
            if res is None or res.offline or res.unreachable:
                continue
            newer = _NewerSerial(res, serial)
            if newer is not None:
                logging.error("Node %s holds a newer configuration (serial"
                              " %d) than the master (serial %d); not"
                              " overwriting it", name, newer, serial)
                self._Forget([name])
                continue
            if name in verify and _Serial(res) == serial:
                self._Forget([name])  # it has the master's config.data
                continue
            reachable.append(name)
        outcome: Dict[str, bool] = {}

        def _Push() -> bool:
            if self._cfg.GetConfigSerial() != serial:
                return False  # a write came in between: probe again
            self._push(self._cfg, self._runner, self._cfg.GetSsconfValues(),
                       only=reachable, outcome=outcome)
            return True

        if reachable and not self._cfg.CallLocked(_Push):
            self.Wake(reachable)
            reachable = []
        with self._cond:
            for name in reachable:
                if name not in outcome:
                    self._stale.pop(name, None)  # no longer a target
                elif outcome[name]:
                    logging.info("Node %s is up to date again (configuration"
                                 " serial %d)", name, serial)
                    self._stale.pop(name, None)
        return {name: bool(outcome.get(name)) for name in names}

    def _Forget(self, names: Iterable[str]) -> None:
        with self._cond:
            for name in names:
                self._stale.pop(name, None)


def _Serial(res) -> Optional[int]:
    """The config serial an x_config_newer_than answer names, if any."""
    if res.fail_msg or not isinstance(res.payload, list) or \
            len(res.payload) != 2:
        return None
    theirs = res.payload[0]
    if isinstance(theirs, int) and not isinstance(theirs, bool):
        return theirs
    return None


def _NewerSerial(res, serial: int) -> Optional[int]:
    """The node's serial if its answer says it is newer than serial."""
    theirs = _Serial(res)
    return theirs if theirs is not None and theirs > serial else None
