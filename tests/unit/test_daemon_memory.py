"""Daemon memory settings: capped malloc arenas and small noded stacks."""

import os
import subprocess
import sys
import threading

from ganeti import daemon
from ganeti.server import noded

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def _RunPython(code, env=None):
    full_env = dict(os.environ)
    full_env.pop("MALLOC_ARENA_MAX", None)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT,
                          capture_output=True, text=True, check=True,
                          env=full_env, timeout=60).stdout.strip()


def test_arena_cap_applies_on_glibc():
    out = _RunPython("from ganeti import daemon; "
                     "print(daemon.LimitMallocArenas())")
    assert out == "True"


def test_arena_cap_leaves_an_admin_setting_alone():
    out = _RunPython("from ganeti import daemon; "
                     "print(daemon.LimitMallocArenas())",
                     env={"MALLOC_ARENA_MAX": "4"})
    assert out == "False"


class _Options:
    mlock = False
    ssl = False
    bind_address = "127.0.0.1"
    port = 0
    max_clients = 2

    class shutdown:  # noqa: N801 (mimics the daemon's Shutdown object)
        @staticmethod
        def Request(*_):
            pass


def test_noded_request_threads_get_small_stacks():
    old = threading.stack_size()
    try:
        server = noded.PrepNoded(_Options(), [])
        try:
            assert threading.stack_size() == noded.NODED_THREAD_STACK
        finally:
            server.Shutdown()
    finally:
        threading.stack_size(old)


def test_noded_stack_survives_the_deepest_request():
    # Documents nested up to and far past what the parser recurses into are
    # refused cleanly in a thread with noded's stack size (no crash).
    code = (
        "import threading\n"
        "from ganeti import serializer\n"
        "from ganeti.server import noded\n"
        "threading.stack_size(noded.NODED_THREAD_STACK)\n"
        "out = []\n"
        "def parse(depth):\n"
        "    try:\n"
        "        serializer.LoadUntrustedJson('[' * depth + ']' * depth)\n"
        "        out.append('ok')\n"
        "    except serializer.JsonNestingError:\n"
        "        out.append('refused')\n"
        "for depth in (50, 990, 1500, 100000):\n"
        "    t = threading.Thread(target=parse, args=(depth,))\n"
        "    t.start(); t.join()\n"
        "print(' '.join(out))\n")
    assert _RunPython(code) == "ok refused refused refused"
