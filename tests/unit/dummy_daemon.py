#!/usr/bin/env python3
"""A trivial daemon built on ganeti.daemon.GenericMain, used by test_daemon.

Environment: GANETI_ROOTDIR (where pid/log files go), DUMMY_DAEMON_NAME
(default ganeti-kvmd), DUMMY_DAEMON_FAIL=prepare|exec to fail on purpose.
On shutdown it writes "<signal>" to RUN_DIR/dummy.stopped, and its shutdown
callback writes RUN_DIR/dummy.callback.
"""

import logging
import optparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))

from ganeti import constants  # noqa: E402
from ganeti import daemon  # noqa: E402
from ganeti import errors  # noqa: E402
from ganeti import pathutils  # noqa: E402
from ganeti.utils import io as utils_io  # noqa: E402


def _Check(options, args):
    if args:
        print("Usage: dummy_daemon [options]", file=sys.stderr)
        sys.exit(constants.EXIT_FAILURE)


def _Prepare(options, args):
    if os.environ.get("DUMMY_DAEMON_FAIL") == "prepare":
        raise errors.GenericError("prepare failed\non purpose")
    return {"prepared": True}


def _Exec(options, args, prep):
    assert prep == {"prepared": True}
    if os.environ.get("DUMMY_DAEMON_FAIL") == "exec":
        raise RuntimeError("exec failed on purpose")
    run_dir = pathutils.RUN_DIR
    options.shutdown.Register(lambda: utils_io.WriteFile(
        run_dir + "/dummy.callback", data="called"))
    logging.info("dummy daemon running")
    options.shutdown.Wait()
    utils_io.WriteFile(run_dir + "/dummy.stopped",
                       data=str(options.shutdown.signum))


def main():
    name = os.environ.get("DUMMY_DAEMON_NAME", constants.KVMD)
    parser = optparse.OptionParser(usage="%prog [-f] [-d]")
    daemon.GenericMain(name, parser, _Check, _Prepare, _Exec)


if __name__ == "__main__":
    main()
