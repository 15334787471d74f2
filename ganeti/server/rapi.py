"""ganeti-rapi: the remote API daemon (HTTPS on 5080, master node only).

It holds no cluster state: every request becomes LUXI calls to the master
daemon (queries, or a job submission whose id is the answer).
"""

import logging
import optparse
import sys
from typing import Any, Optional, Sequence

from ganeti import constants
from ganeti import daemon
from ganeti import errors
from ganeti import luxi
from ganeti import netutils
from ganeti import pathutils
from ganeti import ssconf
from ganeti.http import server as http_server
from ganeti.rapi.connector import FormatError, RapiConnector
from ganeti.rapi.users import UsersFile
from ganeti.rapi.users_watch import UsersReplicator, UsersWatcher

# Idle keep-alive connections are closed after this long (a slow client
# holds one thread for a bounded time).
_KEEPALIVE_TIMEOUT = 30.0


def CheckRapi(options: Any, args: Sequence[str]) -> None:
    if args:
        print("Usage: ganeti-rapi [-f] [-d] [-p port] [-b ADDRESS]"
              " [-i INTERFACE]", file=sys.stderr)
        sys.exit(constants.EXIT_FAILURE)
    if options.max_clients < 1:
        print("--max-clients must be at least 1", file=sys.stderr)
        sys.exit(constants.EXIT_FAILURE)
    try:
        master = ssconf.SimpleStore().GetMasterNode()
    except errors.ConfigurationError as err:
        print("Cluster configuration incomplete: '%s'" % err, file=sys.stderr)
        sys.exit(constants.EXIT_NOTCLUSTER)
    myself = netutils.Hostname.GetFqdn()
    if master != myself:
        print("Not master, exiting (master is %s, we are %s)" %
              (master, myself), file=sys.stderr)
        sys.exit(constants.EXIT_NOTMASTER)


def _SubmitJob(ops: list) -> Any:
    client = luxi.Client()
    try:
        return client.SubmitJob(ops)
    finally:
        client.Close()


def PrepRapi(options: Any, args: Sequence[str]) -> http_server.HttpServer:
    replicator = UsersReplicator(_SubmitJob)
    users = UsersFile(pathutils.RAPI_USERS_FILE, on_change=replicator.Changed)
    watcher = UsersWatcher(users)
    replicator.Start()
    watcher.Start()
    options.shutdown.Register(watcher.Stop)
    options.shutdown.Register(replicator.Stop)
    connector = RapiConnector(users, options.require_authentication)
    ssl_args = {}
    if options.ssl:
        ssl_args = dict(ssl_cert=options.ssl_cert, ssl_key=options.ssl_key)
    server = http_server.HttpServer(
        options.bind_address, options.port, connector,
        max_clients=options.max_clients,
        max_body_size=constants.RAPI_MAX_BODY_SIZE,
        keepalive_timeout=_KEEPALIVE_TIMEOUT, error_format=FormatError,
        name="rapi", **ssl_args)
    logging.info("Listening on %s port %d%s", options.bind_address,
                 server.port, "" if options.ssl else " (no SSL)")
    return server


def ExecRapi(options: Any, args: Sequence[str],
             server: http_server.HttpServer) -> None:
    options.shutdown.Register(server.Shutdown)
    server.Serve()


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = optparse.OptionParser(
        description="Ganeti Remote API",
        usage="%prog [-f] [-d] [-p port] [-b ADDRESS] [-i INTERFACE]",
        version="%%prog (ganeti) %s" % constants.RELEASE_VERSION)
    parser.add_option("--require-authentication",
                      dest="require_authentication", action="store_true",
                      default=False,
                      help="Disable anonymous HTTP requests and require"
                      " authentication")
    parser.add_option("--max-clients", dest="max_clients", type="int",
                      default=constants.RAPI_MAX_CLIENTS,
                      help="Number of simultaneous connections accepted"
                      " by ganeti-rapi (default: %default)")
    daemon.GenericMain(constants.RAPI, parser, CheckRapi, PrepRapi, ExecRapi,
                       multithreaded=True,
                       argv=list(argv) if argv is not None else None)
