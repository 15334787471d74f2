"""confd-client: query ganeti-confd from the command line.

Without --type it runs the standard checks against the cluster's confd
servers (ping, cluster master, the master's node role, the instance IPs on
the default link) and then times --requests pings; with --type it sends one
request (--query: a JSON value, or else plain text) and prints the newest
reply as JSON.  Servers are the master candidates from ssconf unless
--address names one; the key is hmac.key unless --hmac gives one.
"""

import json
import optparse
import sys
import time
from typing import Any, List, Optional

from ganeti import constants
from ganeti import errors
from ganeti import pathutils
from ganeti import ssconf
from ganeti.confd import client as confd_client

_TYPE_NAMES = {name[len("CONFD_REQ_"):].lower(): getattr(constants, name)
               for name in dir(constants)
               if name.startswith("CONFD_REQ_")
               and isinstance(getattr(constants, name), int)}


def _Parser() -> optparse.OptionParser:
    parser = optparse.OptionParser(
        usage="%prog [--hmac KEY] [-a ADDRESS] [-p PORT] [-r REQUESTS]"
        " [-t TYPE [-q QUERY]]",
        version="%%prog (ganeti) %s" % constants.RELEASE_VERSION,
        description="Query the Ganeti configuration daemons")
    parser.add_option("--hmac", dest="hmac", default=None, metavar="KEY",
                      help="Specify HMAC key instead of reading it from"
                      " the filesystem")
    parser.add_option("-a", "--address", dest="mc", default=None,
                      metavar="ADDRESS", help="Server IP to query (default:"
                      " the master candidates)")
    parser.add_option("-p", "--port", dest="port", type="int",
                      default=constants.DEFAULT_CONFD_PORT, metavar="PORT",
                      help="Server port (default: %default)")
    parser.add_option("-r", "--requests", dest="requests", type="int",
                      default=100, metavar="REQUESTS",
                      help="Number of requests for the timing tests"
                      " (default: %default)")
    parser.add_option("-t", "--type", dest="type", default=None,
                      metavar="TYPE", help="Send one request of this type"
                      " (number or name: %s)" % ", ".join(
                          "%d %s" % (v, k) for k, v in
                          sorted(_TYPE_NAMES.items(), key=lambda i: i[1])))
    parser.add_option("-q", "--query", dest="query", default=None,
                      metavar="QUERY", help="The request's query: JSON, or"
                      " else a plain string")
    return parser


def _RequestType(text: str) -> int:
    value = _TYPE_NAMES.get(text.lower().replace("-", "_"))
    if value is None and text.isdigit():
        value = int(text)
    if value not in constants.CONFD_REQS:
        raise errors.ConfdClientError("Unknown request type '%s'" % text)
    return value


def _Query(text: Optional[str]) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


class _Tester:
    """One client, one request at a time, the newest reply kept."""

    def __init__(self, key: str, peers: List[str], port: int) -> None:
        self.store = confd_client.StoreResultCallback()
        self.client = confd_client.ConfdClient(
            key, peers, confd_client.ConfdFilterCallback(self.store),
            port=port)

    def Ask(self, rtype: int, query: Any = None,
            timeout: float = constants.CONFD_CLIENT_EXPIRE_TIMEOUT
            ) -> Optional[confd_client.ConfdReply]:
        req = confd_client.ConfdClientRequest(type=rtype, query=query)
        self.client.SendRequest(req, coverage=-1)
        self.client.WaitForReply(req.rsalt, timeout=timeout)
        up = self.store.GetResponse(req.rsalt)
        return up.server_reply if up is not None and \
            up.type == confd_client.UPCALL_REPLY else None


def _Check(tester: _Tester, title: str, rtype: int, query: Any = None,
           expected: Any = None) -> bool:
    reply = tester.Ask(rtype, query)
    if reply is None:
        print("%s: no answer" % title)
        return False
    good = reply.status == constants.CONFD_REPL_STATUS_OK and \
        (expected is None or reply.answer == expected)
    print("%s: %s (%s)" % (title, "OK" if good else "FAIL",
                           json.dumps(reply.answer)))
    return good


def _RunChecks(tester: _Tester, requests: int) -> bool:
    good = _Check(tester, "Ping", constants.CONFD_REQ_PING)
    reply = tester.Ask(constants.CONFD_REQ_CLUSTER_MASTER)
    master = reply.answer if reply is not None and \
        reply.status == constants.CONFD_REPL_STATUS_OK else None
    print("Master: %s" % (master or "FAIL"))
    good = good and master is not None
    if master:
        good = _Check(tester, "Node role for master",
                      constants.CONFD_REQ_NODE_ROLE_BYNAME, master,
                      constants.CONFD_NODE_ROLE_MASTER) and good
    good = _Check(tester, "Instance IPs on the default link",
                  constants.CONFD_REQ_INSTANCES_IPS_LIST) and good
    start = time.monotonic()
    answered = sum(1 for _ in range(max(0, requests))
                   if tester.Ask(constants.CONFD_REQ_PING, timeout=2.0))
    elapsed = max(time.monotonic() - start, 1e-9)
    print("Timing: %d of %d requests answered in %.3f s (%.0f/s)"
          % (answered, requests, elapsed, answered / elapsed))
    return good and answered == requests


def Main(argv: Optional[List[str]] = None) -> int:
    options, args = _Parser().parse_args(argv)
    if args:
        print("confd-client: no arguments expected", file=sys.stderr)
        return constants.EXIT_FAILURE
    try:
        rtype = _RequestType(options.type) if options.type else None
        key = options.hmac
        if key is None:
            with open(pathutils.CONFD_HMAC_KEY) as handle:
                key = handle.read()
        peers = [options.mc] if options.mc else \
            ssconf.SimpleStore().GetMasterCandidatesIPList()
        if not peers:
            raise errors.ConfdClientError("No confd servers known")
        tester = _Tester(key, peers, options.port)
        if rtype is None:
            return constants.EXIT_SUCCESS if \
                _RunChecks(tester, options.requests) else \
                constants.EXIT_FAILURE
        reply = tester.Ask(rtype, _Query(options.query))
    except (errors.GenericError, OSError) as err:
        print("confd-client: %s" % err, file=sys.stderr)
        return constants.EXIT_FAILURE
    if reply is None:
        print("confd-client: no answer from %s" % ", ".join(peers),
              file=sys.stderr)
        return constants.EXIT_FAILURE
    print(json.dumps(reply.ToDict(), sort_keys=True))
    return constants.EXIT_SUCCESS if \
        reply.status == constants.CONFD_REPL_STATUS_OK else \
        constants.EXIT_FAILURE
