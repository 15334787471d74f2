"""The node daemon stays lean: it does not load the RPC client's libcurl."""

import os
import subprocess
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def test_noded_does_not_import_pycurl():
    code = ("import sys; from ganeti.server import noded; "
            "print('pycurl' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT,
                         capture_output=True, text=True, check=True,
                         timeout=60).stdout.strip()
    assert out == "False"


def test_rpc_transport_still_loads_pycurl():
    code = ("import sys; from ganeti.rpc import client; client.Transport(); "
            "print('pycurl' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT,
                         capture_output=True, text=True, check=True,
                         timeout=60).stdout.strip()
    assert out == "True"
