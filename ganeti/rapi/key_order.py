"""Upstream's key orders in RAPI answers.

LUXI answers reach the RAPI daemon with sorted keys; upstream's answers
keep the order of its configuration objects' fields instead (as in the
recorded /2/info, /2/nodes, /2/instances and /2/groups answers).  JSON
clients do not care, people reading the answers (and diffing them against
upstream's) do.  Keys not named here keep their place after the named ones.
"""

from typing import Any, Dict, Sequence

INFO_KEYS = (
    "software_version", "protocol_version", "config_version",
    "os_api_version", "export_version", "vcs_version", "architecture",
    "name", "master", "default_hypervisor", "enabled_hypervisors",
    "hvparams", "os_hvp", "beparams", "osparams", "ipolicy", "nicparams",
    "ndparams", "diskparams", "candidate_pool_size", "max_running_jobs",
    "max_tracked_jobs", "mac_prefix", "master_netdev", "master_netmask",
    "use_external_mip_script", "volume_group_name", "drbd_usermode_helper",
    "file_storage_dir", "shared_file_storage_dir", "gluster_storage_dir",
    "maintain_node_health", "ctime", "mtime", "uuid", "tags", "uid_pool",
    "default_iallocator", "default_iallocator_params", "reserved_lvs",
    "primary_ip_version", "prealloc_wipe_disks", "hidden_os",
    "blacklisted_os", "enabled_disk_templates", "install_image",
    "instance_communication_network", "zeroing_image", "compression_tools",
    "enabled_user_shutdown", "enabled_data_collectors",
    "data_collector_interval", "modify_ssh_setup", "ssh_key_type",
    "ssh_key_bits", "vg_name", "drbd_helper")
HYPERVISOR_KEYS = ("kvm", "xen-pvm", "chroot", "xen-hvm", "lxc", "fake")
BEPARAMS_KEYS = ("minmem", "maxmem", "vcpus", "auto_balance",
                 "always_failover", "spindle_use", "memory")
NICPARAMS_KEYS = ("mode", "link", "vlan")
NDPARAMS_KEYS = ("oob_program", "spindle_count", "exclusive_storage", "ovs",
                 "ovs_name", "ovs_link", "ssh_port", "cpu_speed")
IPOLICY_KEYS = ("minmax", "std", "spindle-ratio", "vcpu-ratio",
                "disk-templates")
MINMAX_KEYS = ("min", "max")
ISPEC_KEYS = ("memory-size", "disk-size", "disk-count", "cpu-count",
              "nic-count", "spindle-use")


def Ordered(data: Any, keys: Sequence[str]) -> Any:
    """data (a dict) with keys first, in that order; other values as is."""
    if not isinstance(data, dict):
        return data
    result = {key: data[key] for key in keys if key in data}
    for key, value in data.items():
        result.setdefault(key, value)
    return result


def _EachOrdered(data: Any, keys: Sequence[str]) -> Any:
    """A dict of dicts (e.g. per hypervisor), each one Ordered."""
    if not isinstance(data, dict):
        return data
    return {name: Ordered(value, keys) for name, value in data.items()}


def OrderedIPolicy(ipolicy: Any) -> Any:
    """An instance policy in upstream's order, its specs included."""
    ipolicy = Ordered(ipolicy, IPOLICY_KEYS)
    if not isinstance(ipolicy, dict):
        return ipolicy
    if isinstance(ipolicy.get("minmax"), list):
        ipolicy["minmax"] = [_EachOrdered(Ordered(pair, MINMAX_KEYS),
                                          ISPEC_KEYS)
                             for pair in ipolicy["minmax"]]
    if "std" in ipolicy:
        ipolicy["std"] = Ordered(ipolicy["std"], ISPEC_KEYS)
    return ipolicy


def OrderedInfo(info: Dict[str, Any]) -> Dict[str, Any]:
    """/2/info's answer in upstream's order."""
    info = Ordered(info, INFO_KEYS)
    for key, keys in (("hvparams", HYPERVISOR_KEYS),
                      ("ndparams", NDPARAMS_KEYS)):
        if key in info:
            info[key] = Ordered(info[key], keys)
    for key, keys in (("beparams", BEPARAMS_KEYS),
                      ("nicparams", NICPARAMS_KEYS)):
        if key in info:
            info[key] = _EachOrdered(info[key], keys)
    if "ipolicy" in info:
        info["ipolicy"] = OrderedIPolicy(info["ipolicy"])
    return info
