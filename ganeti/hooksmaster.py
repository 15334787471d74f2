"""Running the hooks of an operation on the cluster's nodes.

Hook scripts live on every node in /etc/ganeti/hooks/<path>-{pre,post}.d/;
the master asks the nodes to run them with the `hooks_runner` RPC, passing
the environment built here: the common GANETI_* variables plus the logical
unit's own variables prefixed "GANETI_" (and, in the post phase, their
post-execution values prefixed "GANETI_POST_").
"""

import logging
from typing import (Any, Callable, Dict, Iterable, Iterator, List, Optional,
                    Tuple)

from ganeti import constants
from ganeti import errors
from ganeti import pathutils

# Values are upstream facts; constants.py is the home of those it defines.
_C = constants
HOOKS_VERSION = getattr(_C, "HOOKS_VERSION", 2)
HOOKS_PHASE_PRE = getattr(_C, "HOOKS_PHASE_PRE", "pre")
HOOKS_PHASE_POST = getattr(_C, "HOOKS_PHASE_POST", "post")
HOOKS_PATH = getattr(_C, "HOOKS_PATH", "/sbin:/bin:/usr/sbin:/usr/bin")
HOOKS_NAME_CFGUPDATE = getattr(_C, "HOOKS_NAME_CFGUPDATE", "config-update")
HOOKS_NAME_WATCHER = getattr(_C, "HOOKS_NAME_WATCHER", "watcher")

# GANETI_OBJECT_TYPE values (a logical unit's HTYPE).
HTYPE_CLUSTER = getattr(_C, "HTYPE_CLUSTER", "CLUSTER")
HTYPE_NODE = getattr(_C, "HTYPE_NODE", "NODE")
HTYPE_GROUP = getattr(_C, "HTYPE_GROUP", "GROUP")
HTYPE_INSTANCE = getattr(_C, "HTYPE_INSTANCE", "INSTANCE")
HTYPE_NETWORK = getattr(_C, "HTYPE_NETWORK", "NETWORK")

# Per-script status in a hooks_runner answer ([script, status, output]).
HKR_SKIP = getattr(_C, "HKR_SKIP", 0)
HKR_FAIL = getattr(_C, "HKR_FAIL", 1)
HKR_SUCCESS = getattr(_C, "HKR_SUCCESS", 2)

_ENV_PREFIX = "GANETI_"
_POST_PREFIX = "GANETI_POST_"


def NodeNames(cfg, nodes: Optional[Iterable[str]]) -> List[str]:
    """Node names for node UUIDs (names pass through), without duplicates."""
    result: List[str] = []
    for node in nodes or []:
        name = node
        getter = getattr(cfg, "GetNodeInfo", None) if cfg is not None else None
        info = getter(node) if getter is not None else None
        if info is not None and getattr(info, "name", None):
            name = info.name
        if name not in result:
            result.append(name)
    return result


class HooksMaster:
    """Builds hook environments and runs one operation's hooks.

    hooks_execution_fn(node_names, hooks_path, phase, env) must return
    {node_name: result} where result has .fail_msg, .offline and .payload
    (a list of [script, status, output]); RpcRunner.call_hooks_runner fits.
    """

    def __init__(self, opcode: str, hooks_path: Optional[str],
                 nodes, hooks_execution_fn: Callable,
                 build_env_fn: Optional[Callable[[], Dict]] = None,
                 prepare_post_nodes_fn: Optional[Callable] = None,
                 log_fn: Optional[Callable] = None,
                 htype: Optional[str] = None,
                 cluster_name: Optional[str] = None,
                 master_name: Optional[str] = None) -> None:
        self.opcode = opcode
        self.hooks_path = hooks_path
        self.pre_nodes, self.post_nodes = nodes
        self.hooks_execution_fn = hooks_execution_fn
        self.build_env_fn = build_env_fn
        self.prepare_post_nodes_fn = prepare_post_nodes_fn
        self.log_fn = log_fn if log_fn is not None else logging.warning
        self.htype = htype
        self.cluster_name = cluster_name
        self.master_name = master_name
        self.pre_env = self._BuildEnv(HOOKS_PHASE_PRE)

    @classmethod
    def BuildFromLu(cls, hooks_execution_fn: Callable, lu) -> "HooksMaster":
        """A HooksMaster for a logical unit (after its CheckPrereq)."""
        cfg = lu.cfg
        if lu.HPATH is None:
            nodes = ([], [])
        else:
            pre, post = lu.BuildHooksNodes()
            nodes = (NodeNames(cfg, pre), NodeNames(cfg, post))
        prepare = None
        if getattr(lu, "PreparePostHookNodes", None) is not None:
            def prepare(names):
                return NodeNames(cfg, lu.PreparePostHookNodes(names))
        return cls(lu.op.OP_ID, lu.HPATH, nodes, hooks_execution_fn,
                   build_env_fn=lu.BuildHooksEnv if lu.HPATH else None,
                   prepare_post_nodes_fn=prepare,
                   log_fn=lu.LogWarning, htype=lu.HTYPE,
                   cluster_name=cfg.GetClusterName(),
                   master_name=cfg.GetMasterNodeName())

    def _BuildEnv(self, phase: str) -> Dict[str, str]:
        """The LU's variables for one phase, with the phase's prefix."""
        if self.hooks_path is None or self.build_env_fn is None:
            return {}
        prefix = _ENV_PREFIX if phase == HOOKS_PHASE_PRE else _POST_PREFIX
        lu_env = self.build_env_fn() or {}
        env = {}
        for key, value in lu_env.items():
            if str(key).upper().startswith(_ENV_PREFIX):
                raise errors.ProgrammerError("Hook variable %s must not carry"
                                             " the %s prefix" % (key, prefix))
            env[prefix + str(key)] = value
        return env

    def BuildEnv(self, phase: str, hooks_path: str,
                 phase_env: Optional[Dict] = None) -> Dict[str, str]:
        """The complete environment of one hooks run (all values strings)."""
        env = {
            "PATH": HOOKS_PATH,
            "GANETI_HOOKS_VERSION": HOOKS_VERSION,
            "GANETI_OP_CODE": self.opcode,
            "GANETI_DATA_DIR": pathutils.DATA_DIR,
            "GANETI_HOOKS_PHASE": phase,
            "GANETI_HOOKS_PATH": hooks_path,
        }
        if self.htype:
            env["GANETI_OBJECT_TYPE"] = self.htype
        if self.cluster_name is not None:
            env["GANETI_CLUSTER"] = self.cluster_name
        if self.master_name is not None:
            env["GANETI_MASTER"] = self.master_name
        for key, value in (phase_env or {}).items():
            if key in env:
                raise errors.ProgrammerError("Hook variable %s set twice" % key)
            env[key] = value
        return {str(k): str(v) for k, v in env.items()}


    def _Run(self, node_names: List[str], hooks_path: str, phase: str,
             phase_env: Dict) -> Dict:
        if not node_names:
            return {}
        env = self.BuildEnv(phase, hooks_path, phase_env)
        return self.hooks_execution_fn(node_names, hooks_path, phase, env)

    def RunPhase(self, phase: str, node_names: Optional[List[str]] = None
                 ) -> Dict:
        """Run one phase's hooks; returns {node: result}.

        Pre phase: a failing script on any node raises errors.HooksAbort
        with [(node, script, output), ...]; no answer at all raises
        errors.HooksFailure.  Post phase: failures are only reported
        through log_fn.
        """
        if self.hooks_path is None:
            return {}
        if phase == HOOKS_PHASE_PRE:
            nodes = self.pre_nodes if node_names is None else node_names
            env = dict(self.pre_env)
        elif phase == HOOKS_PHASE_POST:
            nodes = self.post_nodes if node_names is None else node_names
            if node_names is None and self.prepare_post_nodes_fn is not None:
                nodes = self.prepare_post_nodes_fn(nodes)
            env = self._BuildEnv(HOOKS_PHASE_POST)
            env.update(self.pre_env)
        else:
            raise errors.ProgrammerError("Unknown hooks phase %r" % phase)
        if not nodes:
            return {}
        results = self._Run(list(nodes), self.hooks_path, phase, env)
        if not results:
            msg = "Communication Failure"
            if phase == HOOKS_PHASE_PRE:
                raise errors.HooksFailure(msg)
            self.log_fn(msg)
            return results or {}
        failures = []
        for node, script, output in self._FailedScripts(results):
            if phase == HOOKS_PHASE_PRE:
                failures.append((node, script, output))
            else:
                self._LogFailedScript(node, script, output)
        if failures:
            raise errors.HooksAbort(failures)
        return results

    def RunConfigUpdate(self) -> None:
        """Run the config-update post hooks on the master node."""
        if not self.master_name:
            return
        results = self._Run([self.master_name], HOOKS_NAME_CFGUPDATE,
                            HOOKS_PHASE_POST, {})
        for node, script, output in self._FailedScripts(results or {}):
            self._LogFailedScript(node, script, output)

    def _FailedScripts(self, results: Dict[str, Any]
                       ) -> Iterator[Tuple[str, str, str]]:
        """(node, script, output) of each failed hook script in the
        hooks_runner results; nodes that could not be asked are logged."""
        for node, res in results.items():
            if getattr(res, "offline", False):
                continue
            if res.fail_msg:
                self.log_fn("Communication failure to node %s: %s" %
                            (node, res.fail_msg))
                continue
            for script, status, output in res.payload or []:
                if status == HKR_FAIL:
                    yield node, script, output

    def _LogFailedScript(self, node: str, script: str, output: str) -> None:
        self.log_fn("On %s script %s failed, output: %s" %
                    (node, script, output or "(no output)"))
