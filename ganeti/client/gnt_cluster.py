"""gnt-cluster: create, inspect, verify and change the cluster."""

import os
import sys
import time
from typing import Any, List

from ganeti import constants
from ganeti import errors
from ganeti import opcodes
from ganeti import pathutils
from ganeti.cli import *  # noqa: F401,F403 (option objects, helpers)
from ganeti.cli import (ARGS_MANY_INSTANCES, ARGS_NONE, ArgChoice, ArgSuggest, AskUser,
                        EXIT_FAILURE, EXIT_SUCCESS, GenericMain, GetClient,
                        JobExecutor, PrintGenericInfo, SubmitOpCode,
                        SubmitOrSend, ToStderr, ToStdout, cli_option)
from ganeti.client import (gnt_cluster_epo, gnt_cluster_failover,
                           gnt_cluster_init)
from ganeti.client import gnt_cluster_ops
from ganeti.client import gnt_cluster_upgrade


def _FormatTime(value: Any) -> str:
    if value is None:
        return "N/A"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(value))


def ShowClusterVersion(opts, args) -> int:
    cl = GetClient()
    info = cl.QueryClusterInfo()
    ToStdout("Software version: %s", info["software_version"])
    ToStdout("Internode protocol: %s", info["protocol_version"])
    ToStdout("Configuration format: %s", info["config_version"])
    ToStdout("OS api version: %s", info["os_api_version"])
    ToStdout("Export interface: %s", info["export_version"])
    ToStdout("VCS version: %s", info["vcs_version"])
    return EXIT_SUCCESS


def ShowClusterMaster(opts, args) -> int:
    from ganeti import ssconf
    ToStdout("%s", ssconf.SimpleStore().GetMasterNode())
    return EXIT_SUCCESS


def MasterPing(opts, args) -> int:
    try:
        cl = GetClient()
        cl.QueryClusterInfo()
        return EXIT_SUCCESS
    except Exception:  # any failure means "not answering"
        return EXIT_FAILURE


def _HvParams(info) -> List:
    return [(hv, info["hvparams"].get(hv, {}))
            for hv in info["enabled_hypervisors"]]


def _FormatPairs(params: dict) -> List:
    return sorted(params.items())


def _IPolicy(ipolicy: dict) -> List:
    bounds = []
    for idx, minmax in enumerate(ipolicy.get("minmax", [])):
        bounds.append([("min/%d" % idx, _FormatPairs(minmax["min"])),
                       ("max/%d" % idx, _FormatPairs(minmax["max"]))])
    return [
        ("bounds specs", bounds),
        ("std", _FormatPairs(ipolicy.get("std", {}))),
        ("allowed disk templates",
         ", ".join(ipolicy.get("disk-templates", []))),
        ("vcpu-ratio", "%g" % ipolicy.get("vcpu-ratio", 4.0)),
        ("spindle-ratio", "%g" % ipolicy.get("spindle-ratio", 32.0)),
    ]


def ShowClusterConfig(opts, args) -> int:
    """gnt-cluster info, laid out as upstream 3.0 prints it."""
    cl = GetClient()
    info = cl.QueryClusterInfo()
    tags = ", ".join(info["tags"]) if info["tags"] else "(none)"
    os_search = ", ".join(pathutils.OS_SEARCH_PATH)
    es_search = ", ".join(pathutils.ES_SEARCH_PATH)
    uid_pool = ", ".join("%s-%s" % (lo, hi) if lo != hi else str(lo)
                         for lo, hi in info["uid_pool"])
    data = [
        ("Cluster name", info["name"]),
        ("Cluster UUID", info["uuid"]),
        ("Creation time", _FormatTime(info["ctime"])),
        ("Modification time", _FormatTime(info["mtime"])),
        ("Master node", info["master"]),
        ("Architecture (this node)",
         "%s (%s)" % (info["architecture"][0], info["architecture"][1])),
        ("Tags", tags),
        ("Default hypervisor", info["default_hypervisor"]),
        ("Enabled hypervisors", ", ".join(info["enabled_hypervisors"])),
        ("Hypervisor parameters", [(hv, _FormatPairs(p))
                                   for hv, p in _HvParams(info)]),
        ("OS-specific hypervisor parameters",
         [(os_name, [(hv, _FormatPairs(p)) for hv, p in sorted(hvs.items())])
          for os_name, hvs in sorted(info["os_hvp"].items())]),
        ("OS parameters", [(os_name, _FormatPairs(p))
                           for os_name, p in sorted(info["osparams"].items())]),
        ("Hidden OSes", ", ".join(info["hidden_os"])),
        ("Blacklisted OSes", ", ".join(info["blacklisted_os"])),
        ("Cluster parameters", [
            ("candidate pool size", str(info["candidate_pool_size"])),
            ("maximal number of jobs running simultaneously",
             str(info["max_running_jobs"])),
            ("maximal number of jobs simultaneously tracked by the scheduler",
             str(info["max_tracked_jobs"])),
            ("mac prefix", info["mac_prefix"]),
            ("master netdev", info["master_netdev"]),
            ("master netmask", str(info["master_netmask"])),
            ("use external master IP address setup script",
             str(info["use_external_mip_script"])),
            ("lvm volume group", str(info["volume_group_name"])),
            ("lvm reserved volumes",
             ", ".join(info["reserved_lvs"]) or "(none)"),
            ("drbd usermode helper", str(info["drbd_usermode_helper"])),
            ("file storage path", info["file_storage_dir"]),
            ("shared file storage path", info["shared_file_storage_dir"]),
            ("gluster storage path", info["gluster_storage_dir"]),
            ("maintenance of node health", str(info["maintain_node_health"])),
            ("uid pool", uid_pool),
            ("default instance allocator", info["default_iallocator"]),
            ("default instance allocator parameters",
             _FormatPairs(info["default_iallocator_params"]) or ""),
            ("primary ip version", str(info["primary_ip_version"])),
            ("preallocation wipe disks", str(info["prealloc_wipe_disks"])),
            ("OS search path", os_search),
            ("ExtStorage Providers search path", es_search),
            ("enabled disk templates",
             ", ".join(info["enabled_disk_templates"])),
            ("install image", info["install_image"]),
            ("instance communication network",
             info["instance_communication_network"]),
            ("zeroing image", info["zeroing_image"]),
            ("compression tools", list(info["compression_tools"])),
            ("enabled user shutdown", str(info["enabled_user_shutdown"])),
            ("modify ssh setup", str(info["modify_ssh_setup"])),
            ("ssh_key_type", info["ssh_key_type"]),
            ("ssh_key_bits", str(info["ssh_key_bits"])),
        ]),
        ("Default node parameters", _FormatPairs(info["ndparams"])),
        ("Default instance parameters",
         [(k, _FormatPairs(v)) for k, v in sorted(info["beparams"].items())]),
        ("Default nic parameters",
         [(k, _FormatPairs(v)) for k, v in sorted(info["nicparams"].items())]),
        ("Default disk parameters",
         [(k, _FormatPairs(v)) for k, v in sorted(info["diskparams"].items())]),
        ("Instance policy - limits for instances", _IPolicy(info["ipolicy"])),
        ("Data collectors", [
            (name, [("active", str(active)),
                    ("interval", "%.3fs" % (info["data_collector_interval"]
                                            .get(name, 0) / 1e6))])
            for name, active in sorted(info["enabled_data_collectors"].items())]),
    ]
    PrintGenericInfo(data)
    return EXIT_SUCCESS


def VerifyCluster(opts, args) -> int:
    """Submit OpClusterVerify; wait for the jobs it spawns."""
    skip_checks = []
    if opts.skip_nplusone_mem:
        skip_checks.append("nplusone_mem")
    if getattr(opts, "no_hv_param_assessment", False):
        skip_checks.append("hvparam_assessment")
    cl = GetClient()
    op = opcodes.OpClusterVerify(verbose=opts.verbose,
                                 error_codes=opts.error_codes,
                                 debug_simulate_errors=opts.simulate_errors,
                                 skip_checks=skip_checks,
                                 ignore_errors=opts.ignore_errors or [],
                                 group_name=opts.nodegroup,
                                 verify_clutter=opts.verify_clutter)
    result = SubmitOpCode(op, cl=cl, opts=opts)
    jex = JobExecutor(cl=cl, opts=opts)
    for (status, job_id) in result[constants.JOB_IDS_KEY]:
        jex.AddJobId(None, status, job_id)
    results = jex.GetResults()
    bad_jobs = sum(1 for (job_success, _) in results if not job_success)
    bad_results = sum(1 for (_, op_res) in results
                      if not (op_res and op_res[0]))
    if bad_jobs == 0 and bad_results == 0:
        return EXIT_SUCCESS
    if bad_jobs > 0:
        ToStderr("%s job(s) failed while verifying the cluster.", bad_jobs)
    return constants.EXIT_FAILURE


def VerifyDisks(opts, args) -> int:
    """Submit OpClusterVerifyDisks; activate the disks that need it."""
    cl = GetClient()
    op = opcodes.OpClusterVerifyDisks(group_name=opts.nodegroup)
    result = SubmitOpCode(op, cl=cl, opts=opts)
    jex = JobExecutor(cl=cl, opts=opts)
    for (status, job_id) in result[constants.JOB_IDS_KEY]:
        jex.AddJobId(None, status, job_id)
    retcode = EXIT_SUCCESS
    for (status, result) in jex.GetResults():
        if not status:
            ToStdout("Job failed: %s", result)
            continue
        ((bad_nodes, instances, missing), ) = result
        for node, text in bad_nodes.items():
            ToStdout("Error gathering data on node %s: %s", node, text[-400:])
            retcode = EXIT_FAILURE
            ToStdout("You need to fix these nodes first before fixing"
                     " instances")
        for iname in instances:
            if iname in missing:
                continue
            op = opcodes.OpInstanceActivateDisks(instance_name=iname)
            try:
                ToStdout("Activating disks for instance '%s'", iname)
                SubmitOpCode(op, opts=opts, cl=cl)
            except errors.GenericError as err:
                nret, msg = FormatError(err)
                retcode |= nret
                ToStderr("Error activating disks for instance %s: %s",
                         iname, msg)
        if missing:
            for iname, ival in missing.items():
                if all(node in bad_nodes for (node, _) in ival):
                    ToStdout("Instance %s cannot be verified as it lives on"
                             " broken nodes", iname)
                    continue
                ToStdout("Instance %s has missing logical volumes:", iname)
                for node, vol in sorted(ival):
                    if node in bad_nodes:
                        ToStdout("\tbroken node %s /dev/%s", node, vol)
                    else:
                        ToStdout("\t%s /dev/%s", node, vol)
            ToStdout("You need to replace or recreate disks for all the above"
                     " instances if this message persists after fixing"
                     " broken nodes.")
            retcode = EXIT_FAILURE
        elif not instances:
            ToStdout("No disks need to be activated.")
    return retcode


def RepairDiskSizes(opts, args) -> int:
    """Correct the recorded sizes of the (named or all) instances' disks."""
    op = opcodes.OpClusterRepairDiskSizes(instances=args)
    SubmitOpCode(op, opts=opts)
    return EXIT_SUCCESS


def DestroyCluster(opts, args) -> int:
    if not opts.yes_do_it:
        ToStderr("Destroying a cluster is irreversible. If you really want"
                 " destroy this cluster, supply the --yes-do-it option.")
        return EXIT_FAILURE
    from ganeti import bootstrap
    cl = GetClient()
    info = cl.QueryClusterInfo()
    op = opcodes.OpClusterDestroy()
    SubmitOpCode(op, cl=cl, opts=opts)
    master_params = {"ip": None, "netmask": info["master_netmask"],
                     "netdev": info["master_netdev"],
                     "ip_family": 2 if info["primary_ip_version"] == 4 else 10}
    from ganeti import ssconf
    master_params["ip"] = ssconf.SimpleStore().GetMasterIP()
    # The LU deactivated the master IP; stop masterd and clean the node.
    bootstrap.FinalizeClusterDestroy(info["master"], info["modify_ssh_setup"],
                                     master_params,
                                     info["use_external_mip_script"])
    return EXIT_SUCCESS


def RedistributeConfig(opts, args) -> int:
    SubmitOrSend(opcodes.OpClusterRedistConf(), opts)
    return EXIT_SUCCESS


def ActivateMasterIp(opts, args) -> int:
    SubmitOpCode(opcodes.OpClusterActivateMasterIp(), opts=opts)
    return EXIT_SUCCESS


def DeactivateMasterIp(opts, args) -> int:
    if not opts.confirm:
        if not AskUser("This will disable the master IP. All the open"
                       " connections to the master IP will be closed. To"
                       " reach the master you will need to use its node IP."
                       " Continue?"):
            return EXIT_FAILURE
    SubmitOpCode(opcodes.OpClusterDeactivateMasterIp(), opts=opts)
    return EXIT_SUCCESS


def QueueOps(opts, args) -> int:
    command = args[0]
    cl = GetClient()
    if command in ("drain", "undrain"):
        cl.SetDrainFlag(command == "drain")
    elif command == "info":
        (drained, ) = cl.QueryConfigValues(["drain_flag"])
        ToStdout("The drain flag is %s", "set" if drained else "unset")
    else:
        raise errors.OpPrereqError("Command '%s' is not valid." % command,
                                   errors.ECODE_INVAL)
    return EXIT_SUCCESS


def WatcherOps(opts, args) -> int:
    from ganeti.cli import ParseTimespec
    command = args[0]
    cl = GetClient()
    if command == "continue":
        result = cl.SetWatcherPause(None)
        ToStdout("The watcher is no longer paused.")
    elif command == "pause":
        if len(args) < 2:
            raise errors.OpPrereqError("Missing pause duration",
                                       errors.ECODE_INVAL)
        result = cl.SetWatcherPause(time.time() + ParseTimespec(args[1]))
        ToStdout("The watcher is paused until %s.", time.ctime(result))
    elif command == "info":
        (until, ) = cl.QueryConfigValues(["watcher_pause"])
        if until is None or until < time.time():
            ToStdout("The watcher is not paused.")
        else:
            ToStdout("The watcher is paused until %s.", time.ctime(until))
    else:
        raise errors.OpPrereqError("Command '%s' is not valid." % command,
                                   errors.ECODE_INVAL)
    return EXIT_SUCCESS


def ShowCreateCommand(opts, args) -> int:
    """gnt-cluster show-ispecs-cmd."""
    from ganeti.client import gnt_group
    info = GetClient().QueryClusterInfo()
    ToStdout(gnt_group.IPolicyCommand(info["name"], info["ipolicy"],
                                      command="gnt-cluster init"))
    return EXIT_SUCCESS


def _Tags(kind: str):
    from ganeti.client import gnt_tags
    return gnt_tags.TagCommands(kind, with_name=False)


commands = {
    "init": gnt_cluster_init.INIT_COMMAND,
    "destroy": (
        DestroyCluster, ARGS_NONE, [YES_DOIT_OPT],
        "", "Destroy cluster"),
    "verify": (
        VerifyCluster, ARGS_NONE,
        [VERBOSE_OPT, DEBUG_SIMERR_OPT, ERROR_CODES_OPT, NONPLUS1_OPT,
         NO_HV_PARAM_ASSESSMENT_OPT, DRY_RUN_OPT, PRIORITY_OPT, NODEGROUP_OPT,
         gnt_cluster_ops.VERIFY_IGNORE_ERRORS_OPT, VERIFY_CLUTTER_OPT],
        "", "Does a check on the cluster configuration"),
    "verify-disks": (
        VerifyDisks, ARGS_NONE, [PRIORITY_OPT, NODEGROUP_OPT, NO_STRICT_OPT],
        "", "Does a check on the cluster disk status"),
    "repair-disk-sizes": (
        RepairDiskSizes, ARGS_MANY_INSTANCES, [DRY_RUN_OPT, PRIORITY_OPT],
        "[<instance_name>...]", "Updates mismatches in recorded disk sizes"),
    "redist-conf": (
        RedistributeConfig, ARGS_NONE,
        [SUBMIT_OPT, PRINT_JOBID_OPT, DRY_RUN_OPT, PRIORITY_OPT],
        "", "Forces a push of the configuration file and ssconf files"
        " to the nodes in the cluster"),
    "getmaster": (
        ShowClusterMaster, ARGS_NONE, [],
        "", "Prints the master node name"),
    "master-ping": (
        MasterPing, ARGS_NONE, [],
        "", "Checks if the master is alive"),
    "version": (
        ShowClusterVersion, ARGS_NONE, [],
        "", "Shows the cluster version"),
    "info": (
        ShowClusterConfig, ARGS_NONE, [ROMAN_OPT],
        "[--roman]", "Show cluster configuration"),
    "show-ispecs-cmd": (
        ShowCreateCommand, ARGS_NONE, [],
        "", "Show the command line to re-create the cluster"),
    "queue": (
        QueueOps, [ArgChoice(min=1, max=1, choices=["drain", "undrain", "info"])],
        [], "drain|undrain|info", "Change queue properties"),
    "watcher": (
        WatcherOps,
        [ArgChoice(min=1, max=1, choices=["pause", "continue", "info"]),
         ArgSuggest(min=0, max=1, choices=["30m", "1h", "4h"])],
        [], "{pause <timespec>|continue|info}", "Change watcher properties"),
    "activate-master-ip": (
        ActivateMasterIp, ARGS_NONE, [], "", "Activates the master IP"),
    "deactivate-master-ip": (
        DeactivateMasterIp, ARGS_NONE, [CONFIRM_OPT], "",
        "Deactivates the master IP"),
    "modify": gnt_cluster_init.MODIFY_COMMAND,
}
commands.update(_Tags("cluster"))
commands.update(gnt_cluster_failover.COMMANDS)
commands.update(gnt_cluster_epo.COMMANDS)
commands.update(gnt_cluster_ops.COMMANDS)
commands.update(gnt_cluster_upgrade.COMMANDS)

aliases = {"masterfailover": "master-failover", "show": "info"}


def Main() -> int:
    return GenericMain(commands, aliases=aliases)
