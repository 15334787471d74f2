"""gnt-instance info and modify."""

from typing import Any, Dict, List, Tuple

from ganeti import constants
from ganeti import errors
from ganeti import opcodes
from ganeti.cli import *  # noqa: F401,F403 (option objects)
from ganeti.cli import (ARGS_MANY_INSTANCES, ARGS_ONE_INSTANCE, EXIT_FAILURE,
                        EXIT_SUCCESS, FormatParamsDictInfo, PrintGenericInfo,
                        SubmitOpCode, SubmitOrSend, ToStderr, ToStdout,
                        cli_option)
from ganeti.utils import text as utils_text

_DDM_ACTIONS = (constants.DDM_ADD, constants.DDM_REMOVE, constants.DDM_MODIFY,
                constants.DDM_ATTACH, constants.DDM_DETACH)


# ------------------------------------------------------------------ info

def _FormatDevStatus(status: List[Any], dev_type: str) -> str:
    """One device status of OpInstanceQueryData: (path, major, minor,
    sync %, estimated time, degraded, ldisk status)."""
    (dev_path, major, minor, percent, est, degraded, ldisk) = status[:7]
    text = "%s (%s:%s)" % (dev_path, "N/A" if major is None else major,
                           "N/A" if minor is None else minor)
    if dev_type != constants.DT_DRBD8:
        return text
    if percent is not None:
        text += ", %.2f%% done, %s" % (
            percent, "ETA %ss" % est if est is not None else "no time estimate")
    elif degraded:
        text += " *DEGRADED*"
    else:
        text += ", in sync"
    if ldisk not in (None, 1, "ok"):
        text += ", status *DEGRADED*"
    else:
        text += ", status ok"
    return text


def _FormatDisk(disk: Dict[str, Any], roman: bool, top: bool) -> List:
    size = disk.get("size")
    if top:
        head = ("%s" % disk.get("iv_name"),
                "%s, size %s" % (disk.get("dev_type"),
                                 utils_text.FormatUnit(size, "h", roman)
                                 if size is not None else "?"))
        data: List[Tuple[str, Any]] = [head]
        data.append(("access mode", disk.get("mode")))
    else:
        data = [("child", "%s, size %s" % (
            disk.get("dev_type"),
            utils_text.FormatUnit(size, "h", roman) if size else "?"))]
    drbd = disk.get("drbd_info")
    if drbd:
        data.append(("nodeA", "%s, minor=%s" % (drbd["primary_node"],
                                                drbd["primary_minor"])))
        data.append(("nodeB", "%s, minor=%s" % (drbd["secondary_node"],
                                                drbd["secondary_minor"])))
        data.append(("port", drbd["port"]))
        data.append(("auth key", drbd["secret"]))
    elif disk.get("logical_id"):
        data.append(("logical_id", str(list(disk["logical_id"]))))
    if disk.get("pstatus"):
        data.append(("on primary", _FormatDevStatus(disk["pstatus"],
                                                    disk.get("dev_type"))))
    if disk.get("sstatus"):
        data.append(("on secondary", _FormatDevStatus(disk["sstatus"],
                                                      disk.get("dev_type"))))
    if top:
        data.append(("name", disk.get("name")))
        data.append(("UUID", disk.get("uuid")))
    if disk.get("children"):
        data.append(("child devices", [_FormatDisk(c, roman, False)
                                       for c in disk["children"]]))
    return data


def _FormatInstance(inst: Dict[str, Any], roman: bool) -> List:
    state = "configured to be %s" % inst["config_state"]
    if inst.get("run_state"):
        state += ", actual state is %s" % inst["run_state"]
    nodes = [[("primary", inst["pnode"]),
              ("group", "%s (UUID %s)" % (inst["pnode_group_name"],
                                          inst["pnode_group_uuid"]))],
             [("secondaries",
               ["%s (group %s, group UUID %s)" % (name, gname, guuid)
                for name, gname, guuid in zip(inst["snodes"],
                                              inst["snodes_group_names"],
                                              inst["snodes_group_uuids"])])]]
    be_actual = dict(inst["be_actual"])
    be_actual["memory"] = be_actual.get("maxmem")
    nics = []
    for idx, (name, uuid, ip, mac, mode, link, vlan, _net, netname) in \
            enumerate(inst["nics"]):
        nics.append([("nic/%d" % idx, ""), ("MAC", mac), ("IP", ip),
                     ("mode", mode), ("link", link), ("vlan", vlan),
                     ("network", netname), ("UUID", uuid), ("name", name)])
    port = inst.get("network_port")
    return [
        ("Instance name", inst["name"]),
        ("UUID", inst["uuid"]),
        ("Serial number", utils_text.ToRoman(inst["serial_no"])
         if roman else inst["serial_no"]),
        ("Creation time", utils_text.FormatTime(inst["ctime"])),
        ("Modification time", utils_text.FormatTime(inst["mtime"])),
        ("State", state),
        ("Nodes", nodes),
        ("Operating system", inst["os"]),
        ("Operating system parameters",
         FormatParamsDictInfo(inst["os_instance"], inst["os_actual"], roman)),
        ("Allocated network port", port),
        ("Hypervisor", inst["hypervisor"]),
        ("Hypervisor parameters",
         FormatParamsDictInfo(inst["hv_instance"], inst["hv_actual"], roman)),
        ("Back-end parameters",
         FormatParamsDictInfo(inst["be_instance"], be_actual, roman)),
        ("NICs", nics),
        ("Disk template", inst["disk_template"]),
        ("Disks", [_FormatDisk(d, roman, True) for d in inst["disks"]]),
    ]


def ShowInstanceConfig(opts, args) -> int:
    """gnt-instance info: configuration and runtime state."""
    if not args and not opts.show_all:
        ToStderr("No instance selected. Please use --all if you want to query"
                 " info for all instances.")
        return EXIT_FAILURE
    if args and opts.show_all:
        ToStderr("Cannot use --all if you specify instance names.")
        return EXIT_FAILURE
    op = opcodes.OpInstanceQueryData(instances=args, static=opts.static,
                                     use_locking=not opts.static)
    result = SubmitOpCode(op, opts=opts)
    if not result:
        ToStdout("No instances.")
        return EXIT_FAILURE
    PrintGenericInfo([_FormatInstance(result[name], opts.roman_integers)
                      for name in sorted(result)])
    return EXIT_SUCCESS


# ------------------------------------------------------------------ modify

def ConvertDeviceMods(mods: List, kind: str) -> List[list]:
    """[(ident, params)] from --disk/--net into [[action, ident, params]]."""
    result = []
    for ident, params in mods:
        if params is False or params is None:
            raise errors.OpPrereqError("Invalid %s modification '%s'"
                                       % (kind, ident), errors.ECODE_INVAL)
        params = dict(params)
        if ident in (constants.DDM_ADD, constants.DDM_REMOVE,
                     constants.DDM_ATTACH, constants.DDM_DETACH):
            action, ident = ident, -1
        else:
            actions = [a for a in _DDM_ACTIONS if a in params]
            if len(actions) > 1:
                raise errors.OpPrereqError("Cannot do more than one of %s"
                                           " at once for %s %s"
                                           % (", ".join(actions), kind,
                                              ident), errors.ECODE_INVAL)
            action = actions[0] if actions else constants.DDM_MODIFY
            params.pop(action, None)
        if action == constants.DDM_REMOVE and params:
            raise errors.OpPrereqError("Not accepting parameters on removal",
                                       errors.ECODE_INVAL)
        try:
            ident = int(ident)
        except (TypeError, ValueError):
            pass
        result.append([action, ident, params])
    return result


def _ForceDisks(mods: List[list]) -> None:
    for action, _, params in mods:
        if action == constants.DDM_ADD and "size" in params:
            try:
                params["size"] = utils_text.ParseUnit(str(params["size"]))
            except errors.UnitParseError as err:
                raise errors.OpPrereqError("Invalid disk size: %s" % err,
                                           errors.ECODE_INVAL)


HOTPLUG_OPT = cli_option("--hotplug", dest="hotplug", action="store_true",
                         default=False, help="Hotplug supported devices")
HOTPLUG_IF_POSSIBLE_OPT = cli_option("--hotplug-if-possible",
                                     dest="hotplug_if_possible",
                                     action="store_true", default=False,
                                     help="Hotplug devices in case hotplug"
                                          " is supported")
NO_HOTPLUG_OPT = cli_option("--no-hotplug", dest="hotplug",
                            action="store_false", default=False,
                            help="Do not hotplug the device")


def SetInstanceParams(opts, args) -> int:
    """gnt-instance modify."""
    from ganeti.client.gnt_instance_add import ForceBeParams
    if not (opts.nics or opts.disks or opts.disk_template or opts.hvparams or
            opts.beparams or opts.os or opts.osparams or
            opts.osparams_private or opts.offline_inst or opts.online_inst or
            opts.runtime_mem or opts.new_primary_node or
            opts.instance_communication is not None):
        ToStderr("Please give at least one of the parameters.")
        return EXIT_FAILURE
    if opts.offline_inst and opts.online_inst:
        raise errors.OpPrereqError("Can't use --online and --offline at the"
                                   " same time", errors.ECODE_INVAL)
    offline = True if opts.offline_inst else (
        False if opts.online_inst else None)
    disks = ConvertDeviceMods(opts.disks, "disk")
    _ForceDisks(disks)
    nics = ConvertDeviceMods(opts.nics, "NIC")
    hvparams = dict(opts.hvparams or {})
    op = opcodes.OpInstanceSetParams(
        instance_name=args[0], nics=nics, disks=disks,
        disk_template=opts.disk_template, remote_node=opts.node,
        pnode=opts.new_primary_node, hvparams=hvparams,
        beparams=ForceBeParams(opts.beparams), runtime_mem=opts.runtime_mem,
        os_name=opts.os, osparams=opts.osparams,
        osparams_private=opts.osparams_private or None,
        force_variant=opts.force_variant, force=opts.force,
        wait_for_sync=opts.wait_for_sync, offline=offline,
        conflicts_check=opts.conflicts_check,
        ignore_ipolicy=opts.ignore_ipolicy, hotplug=opts.hotplug,
        hotplug_if_possible=opts.hotplug_if_possible,
        instance_communication=opts.instance_communication,
        ext_params=opts.ext_params, file_driver=opts.file_driver,
        file_storage_dir=opts.file_storage_dir, iallocator=opts.iallocator)
    result = SubmitOrSend(op, opts)
    if result:
        ToStdout("Modified instance %s", args[0])
        for param, data in result:
            ToStdout(" - %-5s -> %s", param, data)
        ToStdout("Please don't forget that most parameters take effect"
                 " only at the next (re)start of the instance initiated by"
                 " ganeti; restarting from within the instance will"
                 " not be enough.")
        if opts.hvparams:
            ToStdout("Note that changing hypervisor parameters without"
                     " performing a restart might lead to a crash while"
                     " performing a live migration. This will be addressed"
                     " in future Ganeti versions.")
    return EXIT_SUCCESS


MODIFY_OPTS = [
    BACKEND_OPT, DISK_OPT, FORCE_OPT, HVOPTS_OPT, NET_OPT,  # noqa: F405
    SUBMIT_OPT, PRINT_JOBID_OPT, DISK_TEMPLATE_OPT,  # noqa: F405
    SINGLE_NODE_OPT, IALLOCATOR_OPT, OS_OPT, FORCE_VARIANT_OPT,  # noqa
    OSPARAMS_OPT, OSPARAMS_PRIVATE_OPT, DRY_RUN_OPT, PRIORITY_OPT,  # noqa
    NWSYNC_OPT, OFFLINE_INST_OPT, ONLINE_INST_OPT,  # noqa: F405
    IGNORE_IPOLICY_OPT, RUNTIME_MEM_OPT, NOCONFLICTSCHECK_OPT,  # noqa
    NEW_PRIMARY_OPT, HOTPLUG_OPT, HOTPLUG_IF_POSSIBLE_OPT,  # noqa: F405
    NO_HOTPLUG_OPT, INSTANCE_COMMUNICATION_OPT, EXT_PARAMS_OPT,  # noqa
    FILESTORE_DRIVER_OPT, FILESTORE_DIR_OPT,  # noqa: F405
]

COMMANDS = {
    "info": (
        ShowInstanceConfig, ARGS_MANY_INSTANCES,
        [STATIC_OPT, ALL_OPT, ROMAN_OPT, PRIORITY_OPT],  # noqa: F405
        "[-s] {--all | <instance>...}",
        "Show information on the specified instance(s)"),
    "modify": (
        SetInstanceParams, ARGS_ONE_INSTANCE, MODIFY_OPTS, "<instance>",
        "Alters the parameters of an instance"),
}
