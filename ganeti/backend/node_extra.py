"""Node side of ``node_configure_ovs`` (create an Open vSwitch and plug a
link into it) and ``get_file_info`` (a file's size), with upstream 3.0's
answers and messages."""

import os
from typing import Any, Dict, List

from ganeti.backend import LocalizeVirtualPath, _Fail
from ganeti.utils import process as utils_process

OVS_VSCTL = "ovs-vsctl"
STAT_SIZE = "size"


def ConfigureOVS(ovs_name: str, ovs_link: str) -> None:
    """``node_configure_ovs``: create the Open vSwitch ovs_name and plug
    the interface ovs_link (if any) into it.

    Without ovs-vsctl the call fails with RunCmd's "Can't execute ...: not
    found" message, as upstream's does.
    """
    result = utils_process.RunCmd([OVS_VSCTL, "add-br", ovs_name])
    if result.failed:
        _Fail("Failed to create openvswitch. Script return value: %s,"
              " output: '%s'" % (result.exit_code, result.output))
    if ovs_link:
        result = utils_process.RunCmd([OVS_VSCTL, "add-port", ovs_name,
                                       ovs_link])
        if result.failed:
            _Fail("Failed to connect openvswitch to  interface %s. Script"
                  " return value: %s, output: '%s'" %
                  (ovs_link, result.exit_code, result.output))


def GetFileInfo(file_path: str) -> List[Any]:
    """``get_file_info``: [true, {"size": bytes}] for an existing file,
    [false, {}] otherwise."""
    try:
        st = os.stat(LocalizeVirtualPath(file_path))
    except (OSError, TypeError, ValueError):
        return [False, {}]
    return [True, {STAT_SIZE: st.st_size}]


# RPC name -> function, merged into ganeti.server.noded.RPC_CALLS.
RPC_CALLS: Dict[str, Any] = {
    "node_configure_ovs": ConfigureOVS,
    "get_file_info": GetFileInfo,
}
