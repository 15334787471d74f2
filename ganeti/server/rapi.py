"""ganeti-rapi: the remote API daemon (HTTPS on 5080, master node only).

It holds no cluster state: every request becomes LUXI calls to the master
daemon (queries, or a job submission whose id is the answer).
"""

import logging
import optparse
import os
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

# Idle keep-alive connections are closed after this long; a request must be
# read (after its first line), and its answer taken, within _REQUEST_TIMEOUT
# (a slow client holds one thread for a bounded time).
_KEEPALIVE_TIMEOUT = 30.0
_REQUEST_TIMEOUT = 30.0


def CheckRapi(options: Any, args: Sequence[str]) -> None:
    if args:
        print("Usage: ganeti-rapi [-f] [-d] [-p port] [-b ADDRESS]"
              " [-i INTERFACE]", file=sys.stderr)
        sys.exit(constants.EXIT_FAILURE)
    if options.ssl and options.ssl_chain and \
            not os.path.isfile(options.ssl_chain):
        print("Need SSL file %s to run with SSL (or use --no-ssl)"
              % options.ssl_chain, file=sys.stderr)
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
    options.reload.Register(users.Reload)
    options.shutdown.Register(watcher.Stop)
    options.shutdown.Register(replicator.Stop)
    connector = RapiConnector(users, options.require_authentication)
    ssl_args = {}
    if options.ssl:
        ssl_args = dict(ssl_cert=options.ssl_cert, ssl_key=options.ssl_key,
                        ssl_chain=options.ssl_chain)
    server = http_server.HttpServer(
        options.bind_address, options.port, connector,
        max_clients=options.max_clients,
        max_body_size=constants.RAPI_MAX_BODY_SIZE,
        keepalive_timeout=_KEEPALIVE_TIMEOUT,
        request_timeout=_REQUEST_TIMEOUT, error_format=FormatError,
        name="rapi", **ssl_args)
    logging.info("Listening on %s port %d%s", options.bind_address,
                 server.port, "" if options.ssl else " (no SSL)")
    return server


def ExecRapi(options: Any, args: Sequence[str],
             server: http_server.HttpServer) -> None:
    options.shutdown.Register(server.Shutdown)
    server.Serve()


def BuildParser() -> optparse.OptionParser:
    """The option parser of ganeti-rapi (without the common daemon options,
    which daemon.GenericMain adds)."""
    parser = optparse.OptionParser(
        description="Ganeti Remote API",
        usage="%prog [-f] [-d] [-p port] [-b ADDRESS] [-i INTERFACE]",
        version="%%prog (ganeti) %s" % constants.RELEASE_VERSION)
    parser.add_option("--require-authentication",
                      dest="require_authentication", action="store_true",
                      default=False,
                      help="Disable anonymous HTTP requests and require"
                      " authentication")
    parser.add_option("--ssl-chain", dest="ssl_chain", default=None,
                      metavar="SSL_CHAIN_PATH",
                      help="SSL certificate chain path (intermediate"
                      " certificates sent after the certificate)")
    parser.add_option("--max-clients", dest="max_clients", type="int",
                      default=constants.RAPI_MAX_CLIENTS,
                      help="Number of simultaneous connections accepted"
                      " by ganeti-rapi (default: %default)")
    return parser


# The prose of the ganeti-rapi(8) man page (ganeti.tools.manpages adds the
# synopsis and the options from BuildParser and the common daemon options).
MAN_SECTIONS = [
    ("DESCRIPTION", [
        "ganeti-rapi is the daemon providing a remote API for Ganeti"
        " clusters. It runs on the master node only (it exits with code %d"
        " elsewhere) and is started and stopped with the other master"
        " daemons, so that it moves with the master on master-failover."
        % constants.EXIT_NOTMASTER,
        "It answers HTTPS requests on TCP port %d, with the certificate and"
        " key of %s (gnt-cluster renew-crypto --new-rapi-certificate);"
        " --ssl-chain names a file of intermediate certificates sent after"
        " it. At most %d connections per --max-clients are kept open (one"
        " thread each); more are closed at once."
        " It keeps no cluster state: queries and job submissions go to the"
        " master daemon over LUXI; every change is a job and the answer is"
        " the job's id." % (constants.DEFAULT_RAPI_PORT,
                            pathutils.RAPI_CERT_FILE,
                            http_server.CONNECTIONS_PER_CLIENT_SLOT),
        "The document %s describes every resource as OpenAPI 3.1; it is"
        " not part of the upstream API." % "/openapi.json",
    ]),
    ("USERS FILE", [
        "Users are read from %s; a missing file means no users. The file"
        " is watched (inotify) and re-read when it changes, without a"
        " restart; SIGHUP makes the daemon re-read it too (and reopen its"
        " log files). When it changes on the master it is copied to every"
        " node with a redistribution job, like the other ancillary files"
        " (gnt-cluster redist-conf copies it too), so that a new master"
        " knows the same users." % pathutils.RAPI_USERS_FILE,
        "One user per line: NAME PASSWORD [OPTIONS]. OPTIONS is a comma"
        " separated list of read and write. Blank lines, lines starting"
        " with # and lines with fewer than two fields are ignored.",
        "PASSWORD is plain text (not starting with {), {cleartext}PASSWORD,"
        " or {ha1}HASH where HASH is the hexadecimal MD5 digest of"
        " NAME:Ganeti Remote API:PASSWORD. The scheme is case-insensitive.",
    ]),
    ("ACCESS CONTROL", [
        "Clients authenticate with HTTP Basic authentication (realm"
        " \"Ganeti Remote API\"). Wrong credentials are refused with 401"
        " even where anonymous access is allowed.",
        "GET requests are anonymous unless the daemon runs with"
        " --require-authentication; PUT, POST and DELETE need a user with"
        " the write option, as do GET /2/nodes/NAME/storage and"
        " GET /2/jobs/ID/wait. GET /2/instances/NAME/console and"
        " /2/query/RESOURCE need read or write. A user lacking the"
        " needed option gets 403.",
    ]),
]


def main(argv: Optional[Sequence[str]] = None) -> None:
    daemon.GenericMain(constants.RAPI, BuildParser(), CheckRapi, PrepRapi,
                       ExecRapi, multithreaded=True,
                       argv=list(argv) if argv is not None else None)
