"""Tags on the cluster, nodes, node groups, instances and networks."""

import re

from ganeti import errors
from ganeti import locking
from ganeti.cmdlib.base import NoHooksLU

MAX_TAG_LEN = 128
MAX_TAGS_PER_OBJ = 4096
_TAG_RE = re.compile(r"^[\w.+*/:@-]+$")


def CheckTagName(tag: str) -> None:
    if not isinstance(tag, str):
        raise errors.TagError("Invalid tag type (not a string)")
    if len(tag) > MAX_TAG_LEN:
        raise errors.TagError("Tag too long (>%d characters)" % MAX_TAG_LEN)
    if not tag:
        raise errors.TagError("Tags cannot be empty")
    if not _TAG_RE.match(tag):
        raise errors.TagError("Tag contains invalid characters")


def GetTaggedObject(cfg, kind: str, name):
    """The config object a (kind, name) pair designates."""
    if kind == "cluster":
        return cfg.GetClusterInfo()
    if kind == "node":
        uuid = cfg.ExpandNodeName(name or "")
        obj = cfg.GetNodeInfo(uuid) if uuid else None
    elif kind == "instance":
        obj = next((i for i in cfg.GetAllInstancesInfo().values()
                    if i.name == name or i.name.startswith((name or "") + ".")),
                   None)
    elif kind == "nodegroup":
        obj = next((g for g in cfg.GetAllNodeGroupsInfo().values()
                    if g.name == name or g.uuid == name), None)
    elif kind == "network":
        obj = next((n for n in cfg.GetAllNetworksInfo().values()
                    if n.name == name or n.uuid == name), None)
    else:
        raise errors.ProgrammerError("Unhandled tag kind '%s'" % kind)
    if obj is None:
        what = {"nodegroup": "Node group"}.get(kind, kind.capitalize())
        raise errors.OpPrereqError("%s '%s' not known" % (what, name),
                                   errors.ECODE_NOENT)
    return obj


class _TagsLU(NoHooksLU):
    REQ_BGL = False

    def ExpandNames(self):
        self.needed_locks = {}

    def CheckPrereq(self):
        self.target = GetTaggedObject(self.cfg, self.op.kind, self.op.name)


class LUTagsGet(_TagsLU):
    def Exec(self, feedback_fn):
        return sorted(self.target.GetTags())


class LUTagsSearch(NoHooksLU):
    REQ_BGL = False

    def ExpandNames(self):
        self.needed_locks = {}

    def CheckPrereq(self):
        try:
            self.regex = re.compile(self.op.pattern)
        except re.error as err:
            raise errors.OpPrereqError("Invalid search pattern '%s': %s" %
                                       (self.op.pattern, err), errors.ECODE_INVAL)

    def Exec(self, feedback_fn):
        cfg = self.cfg
        objs = [("/cluster", cfg.GetClusterInfo())]
        objs += [("/instances/%s" % i.name, i)
                 for i in cfg.GetAllInstancesInfo().values()]
        objs += [("/nodes/%s" % n.name, n) for n in cfg.GetAllNodesInfo().values()]
        objs += [("/nodegroup/%s" % g.name, g)
                 for g in cfg.GetAllNodeGroupsInfo().values()]
        objs += [("/networks/%s" % n.name, n)
                 for n in cfg.GetAllNetworksInfo().values()]
        return [(path, tag) for path, obj in objs
                for tag in sorted(obj.GetTags()) if self.regex.search(tag)]


class LUTagsSet(_TagsLU):
    REQ_BGL = False

    def ExpandNames(self):
        self.needed_locks = {}
        if self.op.kind == "node":
            self.needed_locks[locking.LEVEL_NODE] = locking.ALL_SET

    def CheckPrereq(self):
        super().CheckPrereq()
        for tag in self.op.tags:
            try:
                CheckTagName(tag)
            except errors.TagError as err:
                raise errors.OpPrereqError("Invalid tag '%s': %s" % (tag, err),
                                           errors.ECODE_INVAL)
        if len(set(self.target.GetTags()) | set(self.op.tags)) > MAX_TAGS_PER_OBJ:
            raise errors.OpPrereqError("Too many tags on object",
                                       errors.ECODE_STATE)

    def Exec(self, feedback_fn):
        for tag in self.op.tags:
            self.target.AddTag(tag)
        self.cfg.Update(self.target, feedback_fn)


class LUTagsDel(_TagsLU):
    def CheckPrereq(self):
        super().CheckPrereq()
        missing = sorted(set(self.op.tags) - set(self.target.GetTags()))
        if missing:
            raise errors.OpPrereqError("Tag(s) %s not found" %
                                       ", ".join("'%s'" % t for t in missing),
                                       errors.ECODE_NOENT)

    def Exec(self, feedback_fn):
        for tag in self.op.tags:
            self.target.RemoveTag(tag)
        self.cfg.Update(self.target, feedback_fn)
