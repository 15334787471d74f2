"""Instance policy (ipolicy) checks shared by the instance logical units.

An instance is checked against the policy of its node group filled from the
cluster's policy: its specs must lie within one of the ``minmax`` bounds
pairs and its disk template must be allowed.  Violations are reported with
upstream's messages; ``ignore_ipolicy`` skips the check (create, modify) or
turns the error into a warning (grow-disk, migrate, failover, move).  The
``vcpu-ratio`` and ``spindle-ratio`` are, as upstream, only read by the
instance allocators.
"""

from typing import Any, Callable, Iterable, List, Optional

from ganeti import errors
from ganeti.defaults import IPOLICY_DEFAULTS
from ganeti.query.node import FillIPolicy

ISPEC_MEM_SIZE = "memory-size"
ISPEC_CPU_COUNT = "cpu-count"
ISPEC_DISK_COUNT = "disk-count"
ISPEC_DISK_SIZE = "disk-size"
ISPEC_NIC_COUNT = "nic-count"
ISPEC_SPINDLE_USE = "spindle-use"


def FilledGroupIPolicy(cluster_ipolicy: Optional[dict],
                       group_ipolicy: Optional[dict]) -> dict:
    """The effective policy of a group: defaults < cluster < group."""
    return FillIPolicy(FillIPolicy(IPOLICY_DEFAULTS, cluster_ipolicy or {}),
                       group_ipolicy or {})


def GroupIPolicy(cfg: Any, group_uuid: str) -> dict:
    """The effective policy of the group group_uuid."""
    group = cfg.GetNodeGroup(group_uuid)
    return FilledGroupIPolicy(cfg.GetClusterInfo().ipolicy,
                              group.ipolicy if group else None)


def _SpecValueViolation(name: str, qualifier: str, minmax: dict,
                        value: Optional[int]) -> Optional[str]:
    """Upstream's message when value is outside minmax[min/max][name]."""
    if value is None or value == "auto":
        return None
    low = minmax.get("min", {}).get(name, value)
    high = minmax.get("max", {}).get(name, value)
    if low <= value <= high:
        return None
    fqn = "%s/%s" % (name, qualifier) if qualifier else name
    return "%s value %s is not in range [%s, %s]" % (fqn, value, low, high)


def ComputeIPolicySpecViolation(ipolicy: dict, mem_size: Optional[int],
                                cpu_count: Optional[int],
                                disk_count: Optional[int],
                                nic_count: Optional[int],
                                disk_sizes: Iterable[int],
                                spindle_use: Optional[int],
                                disk_template: str) -> List[str]:
    """Violations of a set of instance specs against a filled ipolicy
    (None values are not checked)."""
    found = []
    allowed = ipolicy.get("disk-templates", [])
    if disk_template not in allowed:
        found.append("Disk template %s is not allowed (allowed templates:"
                     " %s)" % (disk_template, ", ".join(allowed)))
    checks = [(ISPEC_MEM_SIZE, "", mem_size),
              (ISPEC_CPU_COUNT, "", cpu_count),
              (ISPEC_NIC_COUNT, "", nic_count),
              (ISPEC_SPINDLE_USE, "", spindle_use)]
    checks.extend((ISPEC_DISK_SIZE, str(idx), size)
                  for idx, size in enumerate(disk_sizes))
    if disk_template != "diskless":
        checks.append((ISPEC_DISK_COUNT, "", disk_count))
    best: Optional[List[str]] = None
    for minmax in ipolicy.get("minmax", []):
        errs = [msg for msg in (_SpecValueViolation(name, qual, minmax, val)
                                for name, qual, val in checks) if msg]
        if best is None or len(errs) < len(best):
            best = errs
    return found + (best or [])


def _DiskSizes(disks: Iterable[Any]) -> List[int]:
    return [d["size"] if isinstance(d, dict) else d.size for d in disks]


def ComputeIPolicyInstanceViolation(ipolicy: dict, beparams: dict,
                                    disks: Iterable[Any], nic_count: int,
                                    disk_template: str,
                                    mem_key: str = "maxmem") -> List[str]:
    """Violations of an instance (filled beparams, disk objects/dicts)."""
    sizes = _DiskSizes(disks)
    return ComputeIPolicySpecViolation(
        ipolicy, beparams.get(mem_key), beparams.get("vcpus"), len(sizes),
        nic_count, sizes, beparams.get("spindle_use"), disk_template)


def _InstanceViolations(cfg: Any, instance: Any, policy: dict) -> List[str]:
    return ComputeIPolicyInstanceViolation(
        policy, cfg.GetClusterInfo().FillBE(instance.beparams),
        cfg.GetInstanceDisks(instance.uuid), len(instance.nics or []),
        cfg.GetInstanceDiskTemplate(instance.uuid))


def NewPolicyViolations(cfg: Any, new_cluster_ipolicy: Optional[dict],
                        new_group_ipolicies: dict) -> List[str]:
    """Sorted names of the instances that violate the new policies but not
    the current ones (new_group_ipolicies: group uuid -> new custom group
    policy; other groups keep theirs)."""
    cluster = cfg.GetClusterInfo()
    groups = cfg.GetAllNodeGroupsInfo()
    found = []
    for instance in cfg.GetAllInstancesInfo().values():
        node = cfg.GetNodeInfo(instance.primary_node)
        group = groups.get(node.group) if node else None
        if group is None:
            continue
        old = FilledGroupIPolicy(cluster.ipolicy, group.ipolicy)
        new = FilledGroupIPolicy(
            new_cluster_ipolicy or cluster.ipolicy,
            new_group_ipolicies.get(group.uuid, group.ipolicy))
        if (_InstanceViolations(cfg, instance, new) and
                not _InstanceViolations(cfg, instance, old)):
            found.append(instance.name)
    return sorted(found)


def CheckIpolicyVsDiskTemplates(policy: dict, enabled: List[str]) -> None:
    """A policy may only allow disk templates enabled on the cluster."""
    not_enabled = [dt for dt in policy.get("disk-templates", [])
                   if dt not in enabled]
    if not_enabled:
        raise errors.OpPrereqError("The following disk templates are allowed"
                                   " by the ipolicy, but not enabled on the"
                                   " cluster: %s" % ", ".join(not_enabled),
                                   errors.ECODE_INVAL)


def WarnNewPolicyViolations(lu: Any, violations: List[str]) -> None:
    """Upstream's warning after an ipolicy change."""
    if violations:
        lu.LogWarning("After the ipolicy change the following instances"
                      " violate them: %s" % ", ".join(violations))


def _Report(violations: List[str], fmt: str, ignore: bool,
            warn_fn: Optional[Callable[[str], None]]) -> None:
    """Raise OpPrereqError(fmt % text), or warn when ignore is set."""
    if not violations:
        return
    text = fmt % ", ".join(violations)
    if not ignore:
        raise errors.OpPrereqError(text, errors.ECODE_INVAL)
    if warn_fn is not None:
        warn_fn(text)


def CheckInstanceAllocation(cfg: Any, group_uuid: str, beparams: dict,
                            disks: Iterable[Any], nic_count: int,
                            disk_template: str,
                            mem_keys: Iterable[str] = ("maxmem",)) -> None:
    """The create (maxmem) and modify (maxmem, minmem) check, with
    upstream's message."""
    ipolicy = GroupIPolicy(cfg, group_uuid)
    disks = list(disks)
    found: List[str] = []
    for mem_key in mem_keys:
        for msg in ComputeIPolicyInstanceViolation(
                ipolicy, beparams, disks, nic_count, disk_template, mem_key):
            if msg not in found:
                found.append(msg)
    group = cfg.GetNodeGroup(group_uuid)
    fmt = ("Instance allocation to group %s (%s) violates policy: %%s" %
           (group_uuid, group.name if group else group_uuid))
    _Report(found, fmt, False, None)


def CheckGrowDiskPolicy(cfg: Any, group_uuid: str, disk_sizes: List[int],
                        disk_template: str, disk_index: int, ignore: bool,
                        warn_fn: Callable[[str], None]) -> None:
    """The grow-disk check of the new disk sizes, upstream's message."""
    found = ComputeIPolicySpecViolation(
        GroupIPolicy(cfg, group_uuid), None, None, len(disk_sizes), None,
        disk_sizes, None, disk_template)
    _Report(found, "Growing disk %s violates policy: %%s" % disk_index,
            ignore, warn_fn)


def CheckTargetNodeIPolicy(cfg: Any, instance: Any, target_node_uuid: str,
                           ignore: bool, warn_fn: Callable[[str], None]
                           ) -> None:
    """The migrate/failover/move check when the target node is in another
    group than the instance's primary node, upstream's message."""
    target = cfg.GetNodeInfo(target_node_uuid)
    current = cfg.GetNodeInfo(instance.primary_node)
    if target is None or current is None or target.group == current.group:
        return
    found = _InstanceViolations(cfg, instance,
                                GroupIPolicy(cfg, target.group))
    fmt = ("Instance does not meet target node group's (%s) instance"
           " policy: %%s" % target.group)
    _Report(found, fmt, ignore, warn_fn)
