"""ganeti.rpc package."""

# The master's (and tools') side of the node RPC: RpcRunner exposes one
# call_<name> method per call declared in ganeti.rpc.defs.CALLS.
#
#   runner = RpcRunner.for_config(cfg)          # masterd: nodes from config
#   res = runner.call_version([uuid1, uuid2])   # multi: {uuid: RpcResult}
#   runner.call_instance_start(node_uuid, (inst, None, None), False, reason)
#   res.Raise("Could not start instance")       # single: one RpcResult
#
#   RpcRunner.for_bootstrap().call_version(["node1.example.com"])  # no config

import logging
import os
import socket
import threading
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from ganeti import constants
from ganeti import errors
from ganeti import pathutils
from ganeti import serializer
from ganeti.rpc import defs
from ganeti.utils import interrupt
from ganeti.rpc.reach import NodeReach
from ganeti.rpc.client import (  # noqa: F401 (re-exported)
    OFFLINE_MSG, MakeResults, Request, RpcResult, Transport)

# A resolver maps node keys (names or uuids) to (name, ip, offline) or
# (name, ip, offline, port), one tuple per key, in order. ip None = unknown.
Resolved = Tuple  # (name, ip, offline[, port])
Resolver = Callable[[Sequence[str]], List[Resolved]]


def _ssconf_primary_ips() -> Dict[str, str]:
    """name -> primary IP from ssconf (empty if not a cluster node yet)."""
    try:
        with open(pathutils.ssconf_file("node_primary_ips")) as handle:
            lines = handle.read().splitlines()
    except OSError:
        return {}
    result = {}
    for line in lines:
        parts = line.split()
        if len(parts) == 2:
            result[parts[0]] = parts[1]
    return result


class DefaultResolver:
    """Resolve names without a config: ssconf node_primary_ips, then DNS.

    A name that cannot be resolved is used as the address itself (curl then
    reports the failure for that node). Nothing is ever offline.
    """

    def __init__(self, use_ssconf: bool = True) -> None:
        self.use_ssconf = use_ssconf

    def __call__(self, names: Sequence[str]) -> List[Resolved]:
        known = _ssconf_primary_ips() if self.use_ssconf else {}
        result = []
        for name in names:
            ip = known.get(name)
            if ip is None:
                try:
                    ip = socket.gethostbyname(name)
                except (OSError, UnicodeError):
                    ip = name
            result.append((name, ip, False))
        return result


class ConfigResolver:
    """Resolve node uuids or names through the cluster configuration.

    Uses cfg.GetAllNodesInfo() ({uuid: node}); nodes have .name,
    .primary_ip and .offline. Keys not in the config fall back to DNS.
    """

    def __init__(self, cfg: Any) -> None:
        self.cfg = cfg

    def __call__(self, keys: Sequence[str]) -> List[Resolved]:
        nodes = self.cfg.GetAllNodesInfo() or {}
        by_name = {getattr(n, "name", None): n for n in nodes.values()}
        result = []
        unknown = []
        for key in keys:
            node = nodes.get(key) or by_name.get(key)
            if node is None:
                unknown.append(key)
                result.append(None)
            else:
                result.append((node.name, node.primary_ip,
                               bool(getattr(node, "offline", False))))
        if unknown:
            dns = iter(DefaultResolver(use_ssconf=False)(unknown))
            result = [r if r is not None else next(dns) for r in result]
        return result


class RpcRunner:
    """Issue node RPC calls; call_<name> exists for every call in defs.CALLS.

    Single calls take one node key and return an RpcResult; multi calls take
    a list of keys and return {key: RpcResult}. Keys are whatever the resolver
    understands (uuids or names with ConfigResolver). Every call_<name> also
    accepts Call's keywords: read_timeout (seconds) overriding the call's
    class, skip_unreachable and quick_contact.
    ``reach`` (a NodeReach) records which nodes answer and which failed.
    """

    def __init__(self, resolver: Optional[Resolver] = None,
                 port: int = constants.DEFAULT_NODED_PORT, cfg: Any = None,
                 transport: Optional[Transport] = None,
                 reach: Optional[NodeReach] = None) -> None:
        self.resolver = resolver or DefaultResolver()
        self.port = port
        self.cfg = cfg
        self.encode_ctx = defs.EncodeContext(cfg)
        self.transport = transport or _shared_transport()
        self.reach = reach if reach is not None else NodeReach()

    @classmethod
    def for_config(cls, cfg: Any, port: int = constants.DEFAULT_NODED_PORT
                   ) -> "RpcRunner":
        """Runner bound to a ConfigWriter (masterd's context.rpc)."""
        return cls(ConfigResolver(cfg), port=port, cfg=cfg)

    @classmethod
    def for_bootstrap(cls, port: int = constants.DEFAULT_NODED_PORT
                      ) -> "RpcRunner":
        """Runner without a config: names/addresses resolved by ssconf/DNS."""
        return cls(DefaultResolver(), port=port)

    def Call(self, procedure: str, nodes: Sequence[str], args: Sequence,
             read_timeout: Optional[float] = None,
             skip_unreachable: bool = False,
             quick_contact: bool = False) -> Dict[str, RpcResult]:
        """Run one call on a list of nodes; returns {node key: RpcResult}.

        With quick_contact (verify, file distribution, probes) every node
        is contacted over a fresh connection with a short connect timeout
        (defs.RPC_QUICK_CONNECT_TIMEOUT): a stopped node daemon or a cut
        link fails in about a second and is marked unreachable in
        self.reach, instead of costing the call's read timeout.  With
        skip_unreachable (queries, hooks; implies quick_contact) nodes
        already marked are not waited for at all: they get a failed,
        unreachable result with the mark's last error at once, and are
        probed again in the background (see _ProbeLater).
        """
        interrupt.Check()
        call = defs.CALLS[procedure]
        call.CheckArgs(args)
        keys = list(dict.fromkeys(nodes))  # unique, in order
        if read_timeout is None:
            read_timeout = call.ReadTimeout(args)
        quick = quick_contact or skip_unreachable
        connect_timeout = defs.RPC_QUICK_CONNECT_TIMEOUT if quick else None
        shared_body = None
        if not call.per_node:
            shared_body = _dump(call.Encode(self.encode_ctx, args))
        offline: Dict[str, str] = {}
        skipped: Dict[str, Tuple[str, str]] = {}
        requests: Dict[str, Tuple[str, Request]] = {}
        resolved = list(self.resolver(keys)) if keys else []
        if len(resolved) != len(keys):
            raise errors.ProgrammerError("Resolver answered %d entries for %d"
                                         " nodes" % (len(resolved), len(keys)))
        for key, entry in zip(keys, resolved):
            name, ip, is_offline = entry[:3]
            port = entry[3] if len(entry) > 3 and entry[3] else self.port
            if is_offline and not call.accept_offline:
                offline[key] = name
                continue
            if skip_unreachable:
                mark = self.reach.Skip(name)
                if mark is not None:
                    skipped[key] = (name, mark)
                    continue
            body = shared_body
            if body is None:
                body = _dump(call.Encode(self.encode_ctx, args, node=key))
            req = Request(ip if ip else name, port, "/" + procedure, body,
                          read_timeout, nicename="%s/%s" % (name, procedure),
                          connect_timeout=connect_timeout, fresh=quick)
            requests[key] = (name, req)
        self.transport.Process([req for _, req in requests.values()])
        for name, req in requests.values():
            self.reach.Record(name, req.error, req.elapsed)
        results = MakeResults(procedure, offline, requests)
        for key, (name, error) in skipped.items():
            results[key] = RpcResult(data=error, failed=True, node=name,
                                     call=procedure, unreachable=True)
        if skipped:
            self._ProbeLater([key for key in skipped
                              if self.reach.ProbeDue(skipped[key][0])])
        if call.postproc is not None:
            for result in results.values():
                _postprocess(call, result)
        return results

    def _ProbeLater(self, keys: List[str]) -> None:
        """Ask keys for their version in a background thread; an answer
        clears their reachability marks (RpcRunner.Call records it)."""
        if not keys:
            return
        thread = threading.Thread(target=self._Probe, args=(keys,),
                                  name="rpc-probe", daemon=True)
        thread.start()

    def _Probe(self, keys: List[str]) -> None:
        try:
            self.Call("version", keys, [], quick_contact=True)
        except Exception:  # pylint: disable=broad-except
            logging.exception("Probing unreachable nodes %s failed", keys)


def _dump(args: list) -> bytes:
    return serializer.DumpJson(
        args, private_encoder=serializer.EncodeWithPrivateFields).encode("utf-8")


def _postprocess(call: defs.RpcCall, result: RpcResult) -> None:
    if result.fail_msg:
        return
    try:
        result.payload = call.postproc(result.payload)
    except Exception as err:  # a malformed answer must not crash the caller
        logging.exception("Post-processing of %s from %s failed",
                          call.name, result.node)
        result.fail_msg = "Invalid answer to %s: %s" % (call.name, err)
        result.failed = True
        result.payload = None


_TRANSPORT: Optional[Transport] = None
_TRANSPORT_PID = 0


def _shared_transport() -> Transport:
    """One Transport per process, so every runner shares the curl pools."""
    global _TRANSPORT, _TRANSPORT_PID
    if _TRANSPORT is None or _TRANSPORT_PID != os.getpid():
        _TRANSPORT, _TRANSPORT_PID = Transport(), os.getpid()
    return _TRANSPORT


def _make_method(call: defs.RpcCall):
    argnames = ", ".join(a.name for a in call.args)
    if call.kind == defs.SINGLE:
        def method(self, node, *args, **options):
            return self.Call(call.name, [node], args, **options)[node]
        sig = "call_%s(node%s)" % (call.name, ", " + argnames if argnames else "")
        ret = "RpcResult"
    else:
        def method(self, nodes, *args, **options):
            if isinstance(nodes, str):
                raise TypeError("call_%s needs a list of nodes" % call.name)
            return self.Call(call.name, nodes, args, **options)
        sig = "call_%s(nodes%s)" % (call.name, ", " + argnames if argnames else "")
        ret = "{node: RpcResult}"
    method.__name__ = "call_%s" % call.name
    method.__qualname__ = "RpcRunner.call_%s" % call.name
    method.__doc__ = "%s -> %s (%s call, timeout %s)." % (
        sig, ret, call.kind,
        "computed" if callable(call.timeout) else "%ss" % call.timeout)
    return method


for _call in defs.CALLS.values():
    setattr(RpcRunner, "call_%s" % _call.name, _make_method(_call))
del _call

__all__ = ["RpcRunner", "RpcResult", "ConfigResolver", "DefaultResolver",
           "Transport", "Request", "NodeReach", "OFFLINE_MSG"]
