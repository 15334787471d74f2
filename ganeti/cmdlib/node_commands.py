"""Logical unit running the administrator's pre-approved commands on
nodes (gnt-node restricted-command)."""

from ganeti import locking
from ganeti.cmdlib.base import ExpandNodeUuid, NoHooksLU


class LURestrictedCommand(NoHooksLU):
    """Run a command of the nodes' restricted-commands directory.

    The result has one (success, output or error message) pair per node,
    in the order of the opcode's node list.
    """
    REQ_BGL = False

    def ExpandNames(self):
        self.op.node_uuids = [ExpandNodeUuid(self.cfg, name)
                              for name in self.op.nodes]
        self.op.nodes = [self.cfg.GetNodeName(uuid)
                         for uuid in self.op.node_uuids]
        self.needed_locks = {locking.LEVEL_NODE: list(self.op.node_uuids)}
        self.share_locks[locking.LEVEL_NODE] = int(not self.op.use_locking)

    def Exec(self, feedback_fn):
        answers = self.rpc.call_restricted_command(self.op.node_uuids,
                                                   self.op.command)
        result = []
        for node_uuid, node_name in zip(self.op.node_uuids, self.op.nodes):
            answer = answers[node_uuid]
            if answer.fail_msg:
                result.append((False, "Command '%s' on node '%s' failed: %s" %
                               (self.op.command, node_name,
                                answer.fail_msg)))
            else:
                result.append((True, answer.payload))
        return result
