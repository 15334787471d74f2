"""cfgupgrade: upgrade (or downgrade) config.data between Ganeti versions.

Run by ``gnt-cluster upgrade`` (and by hand after installing a new version)
with the daemons stopped.  Works on the raw JSON of ``<path>/config.data``
so that every key is kept as it is: only what differs between the versions
changes.  Supported, as upstream 3.0's tool:

- a 3.0 configuration: kept as is (its version is the current one);
- a 2.16 configuration: upgraded to 3.0 (the cluster gets ``ssh_key_type``
  and ``ssh_key_bits``; the Xen ``xen_cmd`` "xm", gone in 3.0, becomes "xl");
- ``--downgrade``: a 3.0 (or 2.16) configuration becomes a 2.16 one (the
  keys 2.16 does not know are dropped).

Anything else is refused with "Configuration version X.Y.Z not supported by
this script".  The old file is kept as ``config.data.backup-<time>.*``;
``--dry-run`` writes nothing; unless ``--no-verify`` or ``--dry-run`` the new
file is then loaded as the master daemon would load it.
"""

import logging
import optparse
import os
import sys
from typing import Any, Dict, List, Optional, Tuple

from ganeti import constants
from ganeti import errors
from ganeti import pathutils
from ganeti import serializer
from ganeti.utils import io as uio

# The version this script upgrades to, and the one --downgrade goes to.
TARGET_MAJOR, TARGET_MINOR = constants.VERSION_MAJOR, constants.VERSION_MINOR
DOWNGRADE_MAJOR, DOWNGRADE_MINOR = 2, 16

# Cluster keys new in 3.0 and their values for an upgraded 2.16 cluster.
_NEW_CLUSTER_KEYS_3_0 = (("ssh_key_type", constants.SSHK_RSA),
                         ("ssh_key_bits", 2048))
_XEN_HYPERVISORS = ("xen-pvm", "xen-hvm")
_XEN_CMD_GONE, _XEN_CMD_NEW = "xm", "xl"

_USAGE = "%prog [options]"


class Error(Exception):
    """A configuration that cannot be converted (message: why)."""


def BuildVersion(major: int, minor: int, revision: int) -> int:
    """The config.data version number of major.minor.revision."""
    return 1000000 * major + 10000 * minor + revision


def SplitVersion(version: int) -> Tuple[int, int, int]:
    """(major, minor, revision) of a config.data version number."""
    return (version // 1000000, (version // 10000) % 100, version % 10000)


def _Parser() -> optparse.OptionParser:
    parser = optparse.OptionParser(
        usage=_USAGE, prog="cfgupgrade",
        version="%%prog (ganeti) %s" % constants.RELEASE_VERSION)
    parser.add_option("--dry-run", dest="dry_run", action="store_true",
                      default=False, help="Try to do the conversion, but"
                      " don't write output file")
    parser.add_option("-f", "--force", dest="force", action="store_true",
                      default=False, help="Force the operation")
    parser.add_option("-d", "--debug", dest="debug", action="count",
                      default=0, help="Increase debugging level")
    parser.add_option("-v", "--verbose", dest="verbose", action="store_true",
                      default=False, help="Increase the verbosity")
    parser.add_option("--ignore-hostname", dest="ignore_hostname",
                      action="store_true", default=False,
                      help="Don't abort if hostname doesn't match")
    parser.add_option("--path", dest="data_dir", default=None,
                      help="Convert configuration in this directory instead"
                      " of '%s'" % pathutils.DATA_DIR)
    parser.add_option("--confdir", dest="conf_dir", default=None,
                      help="Use this directory instead of '%s'"
                      % pathutils.CONF_DIR)
    parser.add_option("--no-verify", dest="no_verify", action="store_true",
                      default=False, help="Do not verify configuration after"
                      " upgrade")
    parser.add_option("--downgrade", dest="downgrade", action="store_true",
                      default=False,
                      help="Downgrade to the previous stable version")
    return parser


# ---------------------------------------------------------- conversions

def _XenHvparams(config: Dict[str, Any]) -> List[Dict[str, Any]]:
    """Every Xen hypervisor parameter dict of the cluster."""
    hvparams = config["cluster"].get("hvparams") or {}
    return [hvparams[name] for name in _XEN_HYPERVISORS
            if isinstance(hvparams.get(name), dict)]


def UpgradeFrom216(config: Dict[str, Any]) -> None:
    """A 2.16 configuration (raw dict) becomes a 3.0 one, in place."""
    cluster = config["cluster"]
    for key, value in _NEW_CLUSTER_KEYS_3_0:
        cluster.setdefault(key, value)
    for params in _XenHvparams(config):
        if params.get("xen_cmd") == _XEN_CMD_GONE:
            params["xen_cmd"] = _XEN_CMD_NEW
    config["version"] = BuildVersion(TARGET_MAJOR, TARGET_MINOR, 0)


def DowngradeTo216(config: Dict[str, Any]) -> None:
    """A 3.0 configuration (raw dict) becomes a 2.16 one, in place."""
    cluster = config["cluster"]
    for key, _ in _NEW_CLUSTER_KEYS_3_0:
        cluster.pop(key, None)
    config["version"] = BuildVersion(DOWNGRADE_MAJOR, DOWNGRADE_MINOR, 0)


def ConvertConfig(config: Any, downgrade: bool = False) -> Tuple[int, int]:
    """Convert a raw config.data dict in place; (old version, new version).

    Raises Error for a configuration this script does not handle.
    """
    if not isinstance(config, dict) or \
            not isinstance(config.get("cluster"), dict):
        raise Error("Invalid configuration: no 'cluster' dictionary found")
    try:
        config_version = config["version"]
    except KeyError:
        raise Error("Unable to determine configuration version")
    if not isinstance(config_version, int) or isinstance(config_version,
                                                         bool):
        raise Error("Unable to determine configuration version")
    (major, minor, revision) = SplitVersion(config_version)
    logging.info("Found configuration version %s (%d.%d.%d)",
                 config_version, major, minor, revision)
    if "config_version" in config["cluster"]:
        raise Error("Inconsistent configuration: found config_version in"
                    " configuration file")
    current = (major, minor)
    if downgrade:
        if current not in ((TARGET_MAJOR, TARGET_MINOR),
                           (DOWNGRADE_MAJOR, DOWNGRADE_MINOR)):
            raise Error("Downgrade supported only from the latest version"
                        " (%s.%s), found %s (%s.%s.%s) instead"
                        % (TARGET_MAJOR, TARGET_MINOR, config_version,
                           major, minor, revision))
        DowngradeTo216(config)
    elif current == (DOWNGRADE_MAJOR, DOWNGRADE_MINOR):
        UpgradeFrom216(config)
    elif current == (TARGET_MAJOR, TARGET_MINOR):
        logging.info("No changes necessary")
    else:
        raise Error("Configuration version %d.%d.%d not supported by this"
                    " script" % (major, minor, revision))
    return config_version, config["version"]


# ---------------------------------------------------------- the tool

def _IsGanetiDataDir(data_dir: str) -> bool:
    return all(os.path.isfile(os.path.join(data_dir, name))
               for name in ("config.data", "server.pem", "known_hosts"))


def VerifyConfigFile(path: str, ignore_hostname: bool) -> List[str]:
    """Load path as the master daemon would; the problems found."""
    from ganeti import config  # pylint: disable=import-outside-toplevel
    from ganeti import netutils  # pylint: disable=import-outside-toplevel
    try:
        data = config.load_config_data(path)
    except errors.ConfigurationError as err:
        return [str(err)]
    if ignore_hostname:
        return []
    master = data.nodes[data.cluster.master_node].name
    myself = netutils.Hostname.GetFqdn()
    if master != myself:
        return ["Configuration was generated for master node %s, but this"
                " is node %s" % (master, myself)]
    return []


def _Confirm(downgrade: bool) -> bool:
    from ganeti import cli  # pylint: disable=import-outside-toplevel
    if downgrade:
        text = ("The configuration is going to be DOWNGRADED to version"
                " %s.%s. Some configuration data might be removed if they"
                " don't fit in the old format. Please make sure you have read"
                " the upgrade notes (available in the UPGRADE file and"
                " included in other documentation formats) to understand"
                " what they are. Continue with *DOWNGRADING* the"
                " configuration?" % (DOWNGRADE_MAJOR, DOWNGRADE_MINOR))
    else:
        text = ("Please make sure you have read the upgrade notes for"
                " Ganeti %s (available in the UPGRADE file and included in"
                " other documentation formats). Continue with upgrading"
                " configuration?" % constants.RELEASE_VERSION)
    return bool(cli.AskUser(text))


def _SetupLogging(opts: Any) -> None:
    level = logging.WARNING
    if opts.debug:
        level = logging.DEBUG
    elif opts.verbose:
        level = logging.INFO
    logging.basicConfig(stream=sys.stderr, level=level,
                        format="%(asctime)s: %(levelname)s %(message)s")


def Run(opts: Any, args: List[str]) -> int:
    """The tool's work; Error for what can't be done."""
    if args:
        raise Error("No arguments expected")
    data_dir = opts.data_dir or pathutils.DATA_DIR
    conf_dir = opts.conf_dir or pathutils.CONF_DIR
    if not opts.force and not opts.dry_run and not _Confirm(opts.downgrade):
        return constants.EXIT_FAILURE
    if not _IsGanetiDataDir(data_dir):
        raise Error("%s does not seem to be a Ganeti configuration"
                    " directory" % data_dir)
    if not os.path.isdir(conf_dir):
        raise Error("Not a directory: %s" % conf_dir)
    config_file = os.path.join(data_dir, "config.data")
    try:
        config_data = serializer.LoadJson(uio.ReadFile(config_file))
    except (EnvironmentError, ValueError, UnicodeError) as err:
        raise Error("Can't read configuration file %s: %s"
                    % (config_file, err))
    ConvertConfig(config_data, downgrade=opts.downgrade)
    logging.info("Writing configuration file to %s", config_file)
    uio.WriteFile(os.path.abspath(config_file),
                  data=serializer.DumpJson(config_data),
                  mode=0o640, dry_run=opts.dry_run, backup=True)
    problems: List[str] = []
    if not (opts.dry_run or opts.no_verify):
        logging.info("Testing the new config file...")
        problems = VerifyConfigFile(config_file, opts.ignore_hostname) \
            if not opts.downgrade else []
        for problem in problems:
            logging.error(" - %s", problem)
        if not problems:
            logging.info("File loaded successfully after upgrading")
    if opts.downgrade:
        action = "downgraded"
        out_ver = "%s.%s" % (DOWNGRADE_MAJOR, DOWNGRADE_MINOR)
    else:
        action = "upgraded"
        out_ver = constants.RELEASE_VERSION
    if problems:
        sys.stderr.write("Configuration upgraded to version %s, but there are"
                         " errors.\nPlease review the file.\n" % out_ver)
        return constants.EXIT_FAILURE
    sys.stderr.write("Configuration successfully %s to version %s.\n"
                     % (action, out_ver))
    return constants.EXIT_SUCCESS


def Main(argv: Optional[List[str]] = None) -> int:
    opts, args = _Parser().parse_args(argv)
    _SetupLogging(opts)
    try:
        return Run(opts, args)
    except Error as err:
        sys.stderr.write("Error: %s\n" % err)
        return constants.EXIT_FAILURE
    except (errors.GenericError, EnvironmentError) as err:
        sys.stderr.write("Error: %s\n" % err)
        return constants.EXIT_FAILURE
