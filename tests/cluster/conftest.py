"""Shared helpers for tests against a live vcluster testbed.

Cluster tests need root and working network namespaces; without them they skip
with one line.  VCluster wraps tools/vcluster for a given state directory.
"""

import os
import shutil
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if REPO not in sys.path:
    sys.path.insert(0, REPO)
VCLUSTER = os.path.join(REPO, "tools", "vcluster")
_SBIN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def testbed_unusable_reason():
    """Why this machine cannot host a vcluster lab, or None if it can."""
    if os.geteuid() != 0:
        return "cluster tests need root"
    path = os.environ.get("PATH", "") + ":" + _SBIN_PATH
    for tool in ("ip", "unshare", "nsenter", "sshd", "ssh", "ssh-keygen", "mount"):
        if shutil.which(tool, path=path) is None:
            return "cluster tests need '%s'" % tool
    try:
        probe = subprocess.run(["unshare", "--net", "--mount", "--uts", "true"],
                               capture_output=True, timeout=30)
        ip_ok = subprocess.run(["ip", "netns", "list"], capture_output=True,
                               timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired) as err:
        return "namespaces unusable: %s" % err
    if probe.returncode != 0 or not ip_ok:
        return "network/mount namespaces or 'ip netns' unusable here"
    return None


@pytest.fixture(scope="session")
def vcluster_tool():
    """The VCluster class, once this machine is known to host a lab (else skip)."""
    reason = testbed_unusable_reason()
    if reason:
        pytest.skip(reason)
    from ganeti.tools import vcluster_layout
    if os.path.exists("/run/netns/" + vcluster_layout.LAB_NETNS):
        pytest.skip("a vcluster lab is already up; run 'tools/vcluster down' first")
    return VCluster


class VCluster:
    """Runs tools/vcluster against one state directory."""

    def __init__(self, state_dir: str):
        self.state_dir = state_dir
        self.env = dict(os.environ, VCLUSTER_STATE=state_dir)

    def run(self, *args, input=None, timeout=120, check=False):
        res = subprocess.run([VCLUSTER] + list(args), input=input, capture_output=True,
                             text=True, env=self.env, timeout=timeout)
        if check and res.returncode != 0:
            raise AssertionError("vcluster %s failed (%d): %s%s"
                                 % (" ".join(args), res.returncode, res.stdout, res.stderr))
        return res

    def exec(self, node, *cmd, input=None, timeout=60, check=False):
        """Run cmd inside node; returns the CompletedProcess."""
        return self.run("exec", node, "--", *cmd, input=input, timeout=timeout,
                        check=check)

    def ssh(self, src, dst, *cmd, timeout=5):
        """ssh from node src to dst (batch mode, short connect timeout)."""
        return self.exec(src, "ssh", "-o", "BatchMode=yes", "-o",
                         "ConnectTimeout=%d" % timeout, dst, *cmd, timeout=timeout + 30)
