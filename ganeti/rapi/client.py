"""Ganeti RAPI client library (remote API version 2).

A stand-alone module (pycurl and the standard library only) with the public
names of upstream 3.0's ``ganeti.rapi.client``, so that scripts written for
it run unchanged::

    from ganeti.rapi import client
    c = client.GanetiRapiClient("master.example.com", username="u",
                                password="p")
    job_id = c.ShutdownInstance("inst1.example.com")
    c.WaitForJobCompletion(job_id)

One method per resource and verb; each returns the decoded JSON answer, job
submissions the job id.  HTTP errors raise GanetiApiError (code = status).
"""

import json
import logging
import socket
import threading
import time
import urllib.parse
from io import BytesIO
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import pycurl

GANETI_RAPI_PORT = 5080
GANETI_RAPI_VERSION = 2

HTTP_DELETE = "DELETE"
HTTP_GET = "GET"
HTTP_PUT = "PUT"
HTTP_POST = "POST"
HTTP_OK = 200
HTTP_NOT_FOUND = 404
HTTP_APP_JSON = "application/json"

REPLACE_DISK_PRI = "replace_on_primary"
REPLACE_DISK_SECONDARY = "replace_on_secondary"
REPLACE_DISK_CHG = "replace_new_secondary"
REPLACE_DISK_AUTO = "replace_auto"

NODE_EVAC_PRI = "primary-only"
NODE_EVAC_SEC = "secondary-only"
NODE_EVAC_ALL = "all"

NODE_ROLE_DRAINED = "drained"
NODE_ROLE_MASTER_CANDIDATE = "master-candidate"
NODE_ROLE_MASTER = "master"
NODE_ROLE_OFFLINE = "offline"
NODE_ROLE_REGULAR = "regular"

JOB_STATUS_QUEUED = "queued"
JOB_STATUS_WAITING = "waiting"
JOB_STATUS_CANCELING = "canceling"
JOB_STATUS_RUNNING = "running"
JOB_STATUS_CANCELED = "canceled"
JOB_STATUS_SUCCESS = "success"
JOB_STATUS_ERROR = "error"
JOB_STATUS_PENDING = frozenset([JOB_STATUS_QUEUED, JOB_STATUS_WAITING,
                                JOB_STATUS_CANCELING])
JOB_STATUS_FINALIZED = frozenset([JOB_STATUS_CANCELED, JOB_STATUS_SUCCESS,
                                  JOB_STATUS_ERROR])
JOB_STATUS_ALL = frozenset([JOB_STATUS_RUNNING]) | JOB_STATUS_PENDING | \
    JOB_STATUS_FINALIZED
JOB_STATUS_WAITLOCK = JOB_STATUS_WAITING

INST_CREATE_REQV1 = "instance-create-reqv1"
INST_REINSTALL_REQV1 = "instance-reinstall-reqv1"
NODE_MIGRATE_REQV1 = "node-migrate-reqv1"
NODE_EVAC_RES1 = "node-evac-res1"

ECODE_RESOLVER = "resolver_error"
ECODE_NORES = "insufficient_resources"
ECODE_TEMP_NORES = "temp_insufficient_resources"
ECODE_INVAL = "wrong_input"
ECODE_STATE = "wrong_state"
ECODE_NOENT = "unknown_entity"
ECODE_EXISTS = "already_exists"
ECODE_NOTUNIQUE = "resource_not_unique"
ECODE_FAULT = "internal_error"
ECODE_ENVIRON = "environment_error"
ECODE_ALL = frozenset([ECODE_RESOLVER, ECODE_NORES, ECODE_TEMP_NORES,
                       ECODE_INVAL, ECODE_STATE, ECODE_NOENT, ECODE_EXISTS,
                       ECODE_NOTUNIQUE, ECODE_FAULT, ECODE_ENVIRON])

_REQ_DATA_VERSION_FIELD = "__version__"
_QPARAM_DRY_RUN = "dry-run"
_QPARAM_FORCE = "force"
_USER_AGENT = "Ganeti RAPI Client"
_CERT_ERRORS = frozenset(
    getattr(pycurl, name) for name in
    ("E_SSL_CACERT", "E_SSL_CACERT_BADFILE", "E_PEER_FAILED_VERIFICATION",
     "E_SSL_PEER_CERTIFICATE", "E_SSL_CERTPROBLEM")
    if hasattr(pycurl, name))


class Error(Exception):
    """Base error of this module."""


class GanetiApiError(Error):
    """An error answer of the remote API (code: the HTTP status)."""

    def __init__(self, msg: str, code: Optional[int] = None) -> None:
        Error.__init__(self, msg)
        self.code = code


class CertificateError(GanetiApiError):
    """The server's TLS certificate could not be verified."""


def EpochNano() -> int:
    """The current time in nanoseconds since the epoch."""
    return int(time.time() * 1000000000)


def UsesRapiClient(fn: Callable) -> Callable:
    """Decorator: initialise pycurl's global state around fn (call it from
    the main thread before any other thread runs)."""
    def wrapper(*args, **kwargs):
        pycurl.global_init(pycurl.GLOBAL_ALL)
        try:
            return fn(*args, **kwargs)
        finally:
            pycurl.global_cleanup()
    wrapper.__name__ = getattr(fn, "__name__", "wrapper")
    wrapper.__doc__ = getattr(fn, "__doc__", None)
    return wrapper


def GenericCurlConfig(verbose: bool = False, use_signal: bool = False,
                      use_curl_cabundle: bool = False,
                      cafile: Optional[str] = None,
                      capath: Optional[str] = None,
                      proxy: Optional[str] = None,
                      verify_hostname: bool = False,
                      connect_timeout: Optional[float] = None,
                      timeout: Optional[float] = None) -> Callable:
    """The function that configures each pycurl handle.

    The server certificate is verified only against cafile/capath or, with
    use_curl_cabundle, curl's own bundle; without any of them it is not
    verified.  proxy "" disables any proxy from the environment.
    """
    def configure(curl) -> None:
        curl.setopt(pycurl.VERBOSE, bool(verbose))
        curl.setopt(pycurl.NOSIGNAL, not use_signal)
        curl.setopt(pycurl.SSL_VERIFYHOST, 2 if verify_hostname else 0)
        if cafile or capath or use_curl_cabundle:
            curl.setopt(pycurl.SSL_VERIFYPEER, True)
            if cafile:
                curl.setopt(pycurl.CAINFO, str(cafile))
            if capath:
                curl.setopt(pycurl.CAPATH, str(capath))
        else:
            curl.setopt(pycurl.SSL_VERIFYPEER, False)
        if proxy is not None:
            curl.setopt(pycurl.PROXY, str(proxy))
        if connect_timeout is not None:
            curl.setopt(pycurl.CONNECTTIMEOUT, int(connect_timeout))
        if timeout is not None:
            curl.setopt(pycurl.TIMEOUT, int(timeout))
    return configure


def _AppendIf(query: List[Tuple[str, Any]], condition: Any, item) -> None:
    if condition:
        query.append(item)


def _AppendDryRun(query: List[Tuple[str, Any]], dry_run: bool) -> None:
    _AppendIf(query, dry_run, (_QPARAM_DRY_RUN, 1))


def _AppendForce(query: List[Tuple[str, Any]], force: bool) -> None:
    _AppendIf(query, force, (_QPARAM_FORCE, 1))


def _AppendReason(query: List[Tuple[str, Any]], reason: Optional[str]) -> None:
    _AppendIf(query, reason, ("reason", reason))


def _SetItemIf(container: Dict[str, Any], condition: Any, key: str,
               value: Any) -> None:
    if condition:
        container[key] = value


def _QueryValue(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    return value


class GanetiRapiClient:  # pylint: disable=too-many-public-methods
    """A client of one cluster's remote API."""

    USER_AGENT = _USER_AGENT

    def __init__(self, host: str, port: int = GANETI_RAPI_PORT,
                 username: Optional[str] = None,
                 password: Optional[str] = None, logger=logging,
                 curl_config_fn: Optional[Callable] = None,
                 curl_factory: Optional[Callable] = None) -> None:
        self._username = username
        self._password = password
        self._logger = logger
        self._curl_config_fn = curl_config_fn
        self._curl_factory = curl_factory
        try:
            socket.inet_pton(socket.AF_INET6, host)
            address = "[%s]:%s" % (host, port)
        except (socket.error, OSError, ValueError):
            address = "%s:%s" % (host, port)
        self._base_url = "https://%s" % address
        if username is not None and password is None:
            raise Error("Password not specified")
        if password is not None and username is None:
            raise Error("Specified password without username")
        self._local = threading.local()

    def _CreateCurl(self):
        curl = self._curl_factory() if self._curl_factory else pycurl.Curl()
        curl.setopt(pycurl.VERBOSE, False)
        curl.setopt(pycurl.FOLLOWLOCATION, False)
        curl.setopt(pycurl.MAXREDIRS, 5)
        curl.setopt(pycurl.NOSIGNAL, True)
        curl.setopt(pycurl.USERAGENT, self.USER_AGENT)
        curl.setopt(pycurl.SSL_VERIFYHOST, 0)
        curl.setopt(pycurl.SSL_VERIFYPEER, False)
        curl.setopt(pycurl.HTTPHEADER, ["Accept: %s" % HTTP_APP_JSON,
                                        "Content-type: %s" % HTTP_APP_JSON])
        if self._username is not None:
            curl.setopt(pycurl.HTTPAUTH, pycurl.HTTPAUTH_BASIC)
            curl.setopt(pycurl.USERPWD, "%s:%s" % (self._username,
                                                   self._password))
        if self._curl_config_fn:
            self._curl_config_fn(curl)
        return curl

    def _Curl(self):
        curl = getattr(self._local, "curl", None)
        if curl is None:
            curl = self._local.curl = self._CreateCurl()
        return curl

    @staticmethod
    def _EncodeQuery(query: Sequence[Tuple[str, Any]]) -> str:
        return urllib.parse.urlencode([(k, _QueryValue(v)) for k, v in query])

    def _SendRequest(self, method: str, path: str,
                     query: Optional[Sequence[Tuple[str, Any]]],
                     content: Any) -> Any:
        """One request; the decoded answer, or GanetiApiError."""
        url = self._base_url + path
        if query:
            url += "?" + self._EncodeQuery(query)
        body = b"" if content is None else json.dumps(content).encode("utf-8")
        buf = BytesIO()
        curl = self._Curl()
        curl.setopt(pycurl.CUSTOMREQUEST, str(method))
        curl.setopt(pycurl.URL, url)
        curl.setopt(pycurl.WRITEFUNCTION, buf.write)
        if content is not None or method != HTTP_GET:
            curl.setopt(pycurl.POSTFIELDS, body)
        else:
            curl.setopt(pycurl.HTTPGET, True)
        self._logger.debug("Sending request %s %s (content=%r)", method, url,
                           content)
        try:
            curl.perform()
        except pycurl.error as err:
            code = err.args[0] if err.args else None
            text = err.args[1] if len(err.args) > 1 else str(err)
            if code in _CERT_ERRORS:
                raise CertificateError("SSL certificate error %s" % text,
                                       code=code)
            raise GanetiApiError(str(text), code=code)
        finally:
            # A GET must not reuse the previous request's body.
            curl.setopt(pycurl.POSTFIELDS, b"")
        status = curl.getinfo(pycurl.RESPONSE_CODE)
        raw = buf.getvalue()
        try:
            response = json.loads(raw.decode("utf-8")) if raw else None
        except ValueError:
            response = raw.decode("utf-8", "replace")
        if status != HTTP_OK:
            if isinstance(response, dict):
                msg = "%s: %s" % (response.get("message"),
                                  response.get("explain"))
            else:
                msg = str(response)
            raise GanetiApiError(msg, code=status)
        return response

    # -- cluster

    def GetVersion(self) -> Any:
        return self._SendRequest(HTTP_GET, "/version", None, None)

    def GetFeatures(self) -> Any:
        try:
            return self._SendRequest(HTTP_GET, "/%s/features" %
                                     GANETI_RAPI_VERSION, None, None)
        except GanetiApiError as err:
            if err.code == HTTP_NOT_FOUND:
                return []  # an old server without the resource
            raise

    def GetOperatingSystems(self, reason=None) -> Any:
        query: List[Tuple[str, Any]] = []
        _AppendReason(query, reason)
        return self._SendRequest(HTTP_GET, "/2/os", query, None)

    def GetInfo(self, reason=None) -> Any:
        query: List[Tuple[str, Any]] = []
        _AppendReason(query, reason)
        return self._SendRequest(HTTP_GET, "/2/info", query, None)

    def RedistributeConfig(self, reason=None) -> Any:
        query: List[Tuple[str, Any]] = []
        _AppendReason(query, reason)
        return self._SendRequest(HTTP_PUT, "/2/redistribute-config", query,
                                 None)

    def ModifyCluster(self, reason=None, **kwargs) -> Any:
        query: List[Tuple[str, Any]] = []
        _AppendReason(query, reason)
        return self._SendRequest(HTTP_PUT, "/2/modify", query, kwargs)

    def _GetTags(self, path: str, reason) -> Any:
        query: List[Tuple[str, Any]] = []
        _AppendReason(query, reason)
        return self._SendRequest(HTTP_GET, path, query, None)

    def _ChangeTags(self, method: str, path: str, tags, dry_run, reason) -> Any:
        query: List[Tuple[str, Any]] = [("tag", t) for t in tags]
        _AppendDryRun(query, dry_run)
        _AppendReason(query, reason)
        return self._SendRequest(method, path, query, None)

    def GetClusterTags(self, reason=None) -> Any:
        return self._GetTags("/2/tags", reason)

    def AddClusterTags(self, tags, dry_run=False, reason=None) -> Any:
        return self._ChangeTags(HTTP_PUT, "/2/tags", tags, dry_run, reason)

    def DeleteClusterTags(self, tags, dry_run=False, reason=None) -> Any:
        return self._ChangeTags(HTTP_DELETE, "/2/tags", tags, dry_run, reason)

    # -- instances

    @staticmethod
    def _Quote(name: Any) -> str:
        return urllib.parse.quote(str(name), safe="")

    def _Inst(self, instance: str, suffix: str = "") -> str:
        return "/2/instances/%s%s" % (self._Quote(instance), suffix)

    def _Simple(self, method: str, path: str, reason=None, body=None,
                **args: Any) -> Any:
        """A request whose query arguments are only the given non-None
        ones (booleans as 0/1)."""
        query = [(k.replace("_", "-") if k == "dry_run" else k, v)
                 for k, v in args.items() if v is not None and
                 not (k == "dry_run" and not v)]
        _AppendReason(query, reason)
        return self._SendRequest(method, path, query, body)

    def GetInstances(self, bulk=False, reason=None) -> Any:
        query: List[Tuple[str, Any]] = []
        _AppendIf(query, bulk, ("bulk", 1))
        _AppendReason(query, reason)
        instances = self._SendRequest(HTTP_GET, "/2/instances", query, None)
        return instances if bulk else [i["id"] for i in instances]

    def GetInstance(self, instance, reason=None) -> Any:
        return self._Simple(HTTP_GET, self._Inst(instance), reason)

    def GetInstanceInfo(self, instance, static=None, reason=None) -> Any:
        return self._Simple(HTTP_GET, self._Inst(instance, "/info"), reason,
                            static=static)

    @staticmethod
    def _InstanceCreateBody(mode, name, disk_template, disks, nics,
                            **kwargs) -> Dict[str, Any]:
        body = dict(kwargs)
        body.update({"mode": mode, "name": name,
                     "disk_template": disk_template, "disks": disks,
                     "nics": nics})
        return body

    def InstanceAllocation(self, mode, name, disk_template, disks, nics,
                           **kwargs) -> Dict[str, Any]:
        """The body of one instance of InstancesMultiAlloc."""
        return self._InstanceCreateBody(mode, name, disk_template, disks,
                                        nics, **kwargs)

    def InstancesMultiAlloc(self, instances, reason=None, **kwargs) -> Any:
        query: List[Tuple[str, Any]] = []
        body = dict(kwargs)
        body["instances"] = instances
        _AppendDryRun(query, body.pop("dry_run", False))
        _AppendReason(query, reason)
        return self._SendRequest(HTTP_POST, "/2/instances-multi-alloc",
                                 query, body)

    def CreateInstance(self, mode, name, disk_template, disks, nics,
                       reason=None, **kwargs) -> Any:
        query: List[Tuple[str, Any]] = []
        _AppendDryRun(query, kwargs.pop("dry_run", False))
        _AppendReason(query, reason)
        if INST_CREATE_REQV1 not in self.GetFeatures():
            raise GanetiApiError("Server does not support new-style (version"
                                 " 1) instance creation requests")
        body = self._InstanceCreateBody(mode, name, disk_template, disks,
                                        nics, **kwargs)
        body[_REQ_DATA_VERSION_FIELD] = 1
        return self._SendRequest(HTTP_POST, "/2/instances", query, body)

    def DeleteInstance(self, instance, dry_run=False, reason=None,
                       **kwargs) -> Any:
        return self._Simple(HTTP_DELETE, self._Inst(instance), reason,
                            body=kwargs or None, dry_run=dry_run)

    def ModifyInstance(self, instance, reason=None, **kwargs) -> Any:
        return self._Simple(HTTP_PUT, self._Inst(instance, "/modify"), reason,
                            body=kwargs)

    def ActivateInstanceDisks(self, instance, ignore_size=None,
                              reason=None) -> Any:
        return self._Simple(HTTP_PUT, self._Inst(instance, "/activate-disks"),
                            reason, ignore_size=ignore_size or None)

    def DeactivateInstanceDisks(self, instance, reason=None,
                                force=False) -> Any:
        return self._Simple(HTTP_PUT,
                            self._Inst(instance, "/deactivate-disks"),
                            reason, force=force or None)

    def RecreateInstanceDisks(self, instance, disks=None, nodes=None,
                              reason=None, iallocator=None) -> Any:
        body: Dict[str, Any] = {}
        _SetItemIf(body, disks is not None, "disks", disks)
        _SetItemIf(body, nodes is not None, "nodes", nodes)
        _SetItemIf(body, iallocator is not None, "iallocator", iallocator)
        return self._Simple(HTTP_POST,
                            self._Inst(instance, "/recreate-disks"), reason,
                            body=body)

    def GrowInstanceDisk(self, instance, disk, amount, wait_for_sync=None,
                         reason=None) -> Any:
        body: Dict[str, Any] = {"amount": amount}
        _SetItemIf(body, wait_for_sync is not None, "wait_for_sync",
                   wait_for_sync)
        return self._Simple(HTTP_POST, self._Inst(instance, "/disk/%s/grow"
                                                  % disk), reason, body=body)

    def GetInstanceTags(self, instance, reason=None) -> Any:
        return self._GetTags(self._Inst(instance, "/tags"), reason)

    def AddInstanceTags(self, instance, tags, dry_run=False,
                        reason=None) -> Any:
        return self._ChangeTags(HTTP_PUT, self._Inst(instance, "/tags"), tags,
                                dry_run, reason)

    def DeleteInstanceTags(self, instance, tags, dry_run=False,
                           reason=None) -> Any:
        return self._ChangeTags(HTTP_DELETE, self._Inst(instance, "/tags"),
                                tags, dry_run, reason)

    def RebootInstance(self, instance, reboot_type=None,
                       ignore_secondaries=None, dry_run=False, reason=None,
                       **kwargs) -> Any:
        return self._Simple(HTTP_POST, self._Inst(instance, "/reboot"),
                            reason, body=kwargs or None, type=reboot_type,
                            ignore_secondaries=ignore_secondaries,
                            dry_run=dry_run)

    def ShutdownInstance(self, instance, dry_run=False, no_remember=False,
                         reason=None, **kwargs) -> Any:
        return self._Simple(HTTP_PUT, self._Inst(instance, "/shutdown"),
                            reason, body=kwargs or None, dry_run=dry_run,
                            no_remember=no_remember or None)

    def StartupInstance(self, instance, dry_run=False, no_remember=False,
                        reason=None) -> Any:
        return self._Simple(HTTP_PUT, self._Inst(instance, "/startup"),
                            reason, dry_run=dry_run,
                            no_remember=no_remember or None)

    def ReinstallInstance(self, instance, os=None, no_startup=False,
                          osparams=None, reason=None) -> Any:
        # pylint: disable=redefined-builtin
        query: List[Tuple[str, Any]] = []
        _AppendReason(query, reason)
        path = self._Inst(instance, "/reinstall")
        if INST_REINSTALL_REQV1 in self.GetFeatures():
            body = {"start": not no_startup}
            _SetItemIf(body, os is not None, "os", os)
            _SetItemIf(body, osparams is not None, "osparams", osparams)
            return self._SendRequest(HTTP_POST, path, query, body)
        if osparams:
            raise GanetiApiError("Server does not support specifying OS"
                                 " parameters for instance reinstallation")
        _AppendIf(query, os, ("os", os))
        _AppendIf(query, no_startup, ("nostartup", 1))
        return self._SendRequest(HTTP_POST, path, query, None)

    def ReplaceInstanceDisks(self, instance, disks=None,
                             mode=REPLACE_DISK_AUTO, remote_node=None,
                             iallocator=None, reason=None,
                             early_release=None) -> Any:
        body: Dict[str, Any] = {"mode": mode}
        _SetItemIf(body, disks is not None, "disks", disks)
        _SetItemIf(body, remote_node is not None, "remote_node", remote_node)
        _SetItemIf(body, iallocator is not None, "iallocator", iallocator)
        _SetItemIf(body, early_release is not None, "early_release",
                   early_release)
        return self._Simple(HTTP_POST, self._Inst(instance, "/replace-disks"),
                            reason, body=body)

    def PrepareExport(self, instance, mode, reason=None) -> Any:
        return self._Simple(HTTP_PUT, self._Inst(instance, "/prepare-export"),
                            reason, mode=mode)

    def ExportInstance(self, instance, mode, destination, shutdown=None,
                       remove_instance=None, x509_key_name=None,
                       destination_x509_ca=None, compress=None,
                       reason=None) -> Any:
        body: Dict[str, Any] = {"destination": destination, "mode": mode}
        for key, value in (("shutdown", shutdown),
                           ("remove_instance", remove_instance),
                           ("x509_key_name", x509_key_name),
                           ("destination_x509_ca", destination_x509_ca),
                           ("compress", compress)):
            _SetItemIf(body, value is not None, key, value)
        return self._Simple(HTTP_PUT, self._Inst(instance, "/export"), reason,
                            body=body)

    def MigrateInstance(self, instance, mode=None, cleanup=None,
                        target_node=None, reason=None) -> Any:
        body: Dict[str, Any] = {}
        _SetItemIf(body, mode is not None, "mode", mode)
        _SetItemIf(body, cleanup is not None, "cleanup", cleanup)
        _SetItemIf(body, target_node is not None, "target_node", target_node)
        return self._Simple(HTTP_PUT, self._Inst(instance, "/migrate"),
                            reason, body=body)

    def FailoverInstance(self, instance, iallocator=None,
                         ignore_consistency=None, target_node=None,
                         reason=None) -> Any:
        body: Dict[str, Any] = {}
        _SetItemIf(body, iallocator is not None, "iallocator", iallocator)
        _SetItemIf(body, ignore_consistency is not None,
                   "ignore_consistency", ignore_consistency)
        _SetItemIf(body, target_node is not None, "target_node", target_node)
        return self._Simple(HTTP_PUT, self._Inst(instance, "/failover"),
                            reason, body=body)

    def RenameInstance(self, instance, new_name, ip_check=None,
                       name_check=None, reason=None) -> Any:
        body: Dict[str, Any] = {"new_name": new_name}
        _SetItemIf(body, ip_check is not None, "ip_check", ip_check)
        _SetItemIf(body, name_check is not None, "name_check", name_check)
        return self._Simple(HTTP_PUT, self._Inst(instance, "/rename"), reason,
                            body=body)

    def GetInstanceConsole(self, instance, reason=None) -> Any:
        return self._Simple(HTTP_GET, self._Inst(instance, "/console"),
                            reason)

    # -- jobs

    def GetJobs(self, bulk=False) -> Any:
        query = [("bulk", 1)] if bulk else []
        jobs = self._SendRequest(HTTP_GET, "/2/jobs", query, None)
        return jobs if bulk else [int(j["id"]) for j in jobs]

    def GetJobStatus(self, job_id) -> Any:
        return self._SendRequest(HTTP_GET, "/2/jobs/%s" % job_id, None, None)

    def WaitForJobCompletion(self, job_id, period=5, retries=-1) -> bool:
        """Poll until the job is final; True only if it succeeded."""
        while True:
            status = self.GetJobStatus(job_id)["status"]
            if status == JOB_STATUS_SUCCESS:
                return True
            if status in JOB_STATUS_FINALIZED:
                return False
            if retries == 0:
                return False
            if retries > 0:
                retries -= 1
            time.sleep(period)

    def WaitForJobChange(self, job_id, fields, prev_job_info,
                         prev_log_serial) -> Any:
        body = {"fields": fields, "previous_job_info": prev_job_info,
                "previous_log_serial": prev_log_serial}
        return self._SendRequest(HTTP_GET, "/2/jobs/%s/wait" % job_id, None,
                                 body)

    def CancelJob(self, job_id, dry_run=False) -> Any:
        query: List[Tuple[str, Any]] = []
        _AppendDryRun(query, dry_run)
        return self._SendRequest(HTTP_DELETE, "/2/jobs/%s" % job_id, query,
                                 None)

    # -- nodes

    def _Node(self, node: str, suffix: str = "") -> str:
        return "/2/nodes/%s%s" % (self._Quote(node), suffix)

    def GetNodes(self, bulk=False, reason=None) -> Any:
        query: List[Tuple[str, Any]] = []
        _AppendIf(query, bulk, ("bulk", 1))
        _AppendReason(query, reason)
        nodes = self._SendRequest(HTTP_GET, "/2/nodes", query, None)
        return nodes if bulk else [n["id"] for n in nodes]

    def GetNode(self, node, reason=None) -> Any:
        return self._Simple(HTTP_GET, self._Node(node), reason)

    def EvacuateNode(self, node, iallocator=None, remote_node=None,
                     dry_run=False, early_release=None, mode=None,
                     accept_old=False, reason=None) -> Any:
        if iallocator and remote_node:
            raise GanetiApiError("Only one of iallocator or remote_node can"
                                 " be used")
        query: List[Tuple[str, Any]] = []
        _AppendDryRun(query, dry_run)
        _AppendReason(query, reason)
        if NODE_EVAC_RES1 not in self.GetFeatures():
            raise GanetiApiError("Server is version 2.4 or earlier and"
                                 " caller does not accept old-style"
                                 " results (parameter accept_old)")
        body: Dict[str, Any] = {}
        _SetItemIf(body, iallocator is not None, "iallocator", iallocator)
        _SetItemIf(body, remote_node is not None, "remote_node", remote_node)
        _SetItemIf(body, early_release is not None, "early_release",
                   early_release)
        _SetItemIf(body, mode is not None, "mode", mode)
        return self._SendRequest(HTTP_POST, self._Node(node, "/evacuate"),
                                 query, body)

    def MigrateNode(self, node, mode=None, dry_run=False, iallocator=None,
                    target_node=None, reason=None) -> Any:
        query: List[Tuple[str, Any]] = []
        _AppendDryRun(query, dry_run)
        _AppendReason(query, reason)
        body: Dict[str, Any] = {}
        _SetItemIf(body, mode is not None, "mode", mode)
        _SetItemIf(body, iallocator is not None, "iallocator", iallocator)
        _SetItemIf(body, target_node is not None, "target_node", target_node)
        return self._SendRequest(HTTP_POST, self._Node(node, "/migrate"),
                                 query, body)

    def GetNodeRole(self, node, reason=None) -> Any:
        return self._Simple(HTTP_GET, self._Node(node, "/role"), reason)

    def SetNodeRole(self, node, role, force=False, auto_promote=None,
                    reason=None) -> Any:
        query: List[Tuple[str, Any]] = []
        _AppendForce(query, force)
        _AppendIf(query, auto_promote is not None,
                  ("auto-promote", auto_promote))
        _AppendReason(query, reason)
        return self._SendRequest(HTTP_PUT, self._Node(node, "/role"), query,
                                 role)

    def PowercycleNode(self, node, force=False, reason=None) -> Any:
        query: List[Tuple[str, Any]] = []
        _AppendForce(query, force)
        _AppendReason(query, reason)
        return self._SendRequest(HTTP_POST, self._Node(node, "/powercycle"),
                                 query, None)

    def ModifyNode(self, node, reason=None, **kwargs) -> Any:
        return self._Simple(HTTP_POST, self._Node(node, "/modify"), reason,
                            body=kwargs)

    def GetNodeStorageUnits(self, node, storage_type, output_fields,
                            reason=None) -> Any:
        # A comma-separated string, as upstream's scripts pass it; a list
        # of field names is joined.
        if not isinstance(output_fields, str):
            output_fields = ",".join(output_fields)
        return self._Simple(HTTP_GET, self._Node(node, "/storage"), reason,
                            storage_type=storage_type,
                            output_fields=output_fields)

    def ModifyNodeStorageUnits(self, node, storage_type, name,
                               allocatable=None, reason=None) -> Any:
        return self._Simple(HTTP_PUT, self._Node(node, "/storage/modify"),
                            reason, storage_type=storage_type, name=name,
                            allocatable=allocatable)

    def RepairNodeStorageUnits(self, node, storage_type, name,
                               reason=None) -> Any:
        return self._Simple(HTTP_PUT, self._Node(node, "/storage/repair"),
                            reason, storage_type=storage_type, name=name)

    def GetNodeTags(self, node, reason=None) -> Any:
        return self._GetTags(self._Node(node, "/tags"), reason)

    def AddNodeTags(self, node, tags, dry_run=False, reason=None) -> Any:
        return self._ChangeTags(HTTP_PUT, self._Node(node, "/tags"), tags,
                                dry_run, reason)

    def DeleteNodeTags(self, node, tags, dry_run=False, reason=None) -> Any:
        return self._ChangeTags(HTTP_DELETE, self._Node(node, "/tags"), tags,
                                dry_run, reason)

    # -- networks

    def _Net(self, network: str, suffix: str = "") -> str:
        return "/2/networks/%s%s" % (self._Quote(network), suffix)

    def GetNetworks(self, bulk=False, reason=None) -> Any:
        query: List[Tuple[str, Any]] = []
        _AppendIf(query, bulk, ("bulk", 1))
        _AppendReason(query, reason)
        networks = self._SendRequest(HTTP_GET, "/2/networks", query, None)
        return networks if bulk else [n["name"] for n in networks]

    def GetNetwork(self, network, reason=None) -> Any:
        return self._Simple(HTTP_GET, self._Net(network), reason)

    def CreateNetwork(self, network_name, network, gateway=None,
                      network6=None, gateway6=None, mac_prefix=None,
                      add_reserved_ips=None, tags=None, dry_run=False,
                      reason=None) -> Any:
        body: Dict[str, Any] = {"network_name": network_name,
                                "network": network}
        for key, value in (("gateway", gateway), ("network6", network6),
                           ("gateway6", gateway6),
                           ("mac_prefix", mac_prefix),
                           ("add_reserved_ips", add_reserved_ips),
                           ("tags", tags)):
            _SetItemIf(body, value is not None, key, value)
        return self._Simple(HTTP_POST, "/2/networks", reason, body=body,
                            dry_run=dry_run)

    def ConnectNetwork(self, network_name, group_name, mode, link, vlan="",
                       dry_run=False, reason=None) -> Any:
        body = {"group_name": group_name, "network_mode": mode,
                "network_link": link, "network_vlan": vlan}
        return self._Simple(HTTP_PUT, self._Net(network_name, "/connect"),
                            reason, body=body, dry_run=dry_run)

    def DisconnectNetwork(self, network_name, group_name, dry_run=False,
                          reason=None) -> Any:
        return self._Simple(HTTP_PUT, self._Net(network_name, "/disconnect"),
                            reason, body={"group_name": group_name},
                            dry_run=dry_run)

    def ModifyNetwork(self, network, reason=None, **kwargs) -> Any:
        return self._Simple(HTTP_PUT, self._Net(network, "/modify"), reason,
                            body=kwargs)

    def DeleteNetwork(self, network, dry_run=False, reason=None) -> Any:
        return self._Simple(HTTP_DELETE, self._Net(network), reason,
                            dry_run=dry_run)

    def GetNetworkTags(self, network, reason=None) -> Any:
        return self._GetTags(self._Net(network, "/tags"), reason)

    def AddNetworkTags(self, network, tags, dry_run=False, reason=None) -> Any:
        return self._ChangeTags(HTTP_PUT, self._Net(network, "/tags"), tags,
                                dry_run, reason)

    def DeleteNetworkTags(self, network, tags, dry_run=False,
                          reason=None) -> Any:
        return self._ChangeTags(HTTP_DELETE, self._Net(network, "/tags"), tags,
                                dry_run, reason)

    # -- groups

    def _Group(self, group: str, suffix: str = "") -> str:
        return "/2/groups/%s%s" % (self._Quote(group), suffix)

    def GetGroups(self, bulk=False, reason=None) -> Any:
        query: List[Tuple[str, Any]] = []
        _AppendIf(query, bulk, ("bulk", 1))
        _AppendReason(query, reason)
        groups = self._SendRequest(HTTP_GET, "/2/groups", query, None)
        return groups if bulk else [g["name"] for g in groups]

    def GetGroup(self, group, reason=None) -> Any:
        return self._Simple(HTTP_GET, self._Group(group), reason)

    def CreateGroup(self, name, alloc_policy=None, dry_run=False,
                    reason=None) -> Any:
        body = {"name": name, "alloc_policy": alloc_policy}
        return self._Simple(HTTP_POST, "/2/groups", reason, body=body,
                            dry_run=dry_run)

    def ModifyGroup(self, group, reason=None, **kwargs) -> Any:
        return self._Simple(HTTP_PUT, self._Group(group, "/modify"), reason,
                            body=kwargs)

    def DeleteGroup(self, group, dry_run=False, reason=None) -> Any:
        return self._Simple(HTTP_DELETE, self._Group(group), reason,
                            dry_run=dry_run)

    def RenameGroup(self, group, new_name, reason=None) -> Any:
        return self._Simple(HTTP_PUT, self._Group(group, "/rename"), reason,
                            body={"new_name": new_name})

    def AssignGroupNodes(self, group, nodes, force=False, dry_run=False,
                         reason=None) -> Any:
        query: List[Tuple[str, Any]] = []
        _AppendForce(query, force)
        _AppendDryRun(query, dry_run)
        _AppendReason(query, reason)
        return self._SendRequest(HTTP_PUT, self._Group(group, "/assign-nodes"),
                                 query, {"nodes": nodes})

    def GetGroupTags(self, group, reason=None) -> Any:
        return self._GetTags(self._Group(group, "/tags"), reason)

    def AddGroupTags(self, group, tags, dry_run=False, reason=None) -> Any:
        return self._ChangeTags(HTTP_PUT, self._Group(group, "/tags"), tags,
                                dry_run, reason)

    def DeleteGroupTags(self, group, tags, dry_run=False, reason=None) -> Any:
        return self._ChangeTags(HTTP_DELETE, self._Group(group, "/tags"),
                                tags, dry_run, reason)

    # -- queries and filters

    def Query(self, what, fields, qfilter=None, reason=None) -> Any:
        body: Dict[str, Any] = {"fields": fields}
        _SetItemIf(body, qfilter is not None, "qfilter", qfilter)
        return self._Simple(HTTP_PUT, "/2/query/%s" % self._Quote(what),
                            reason, body=body)

    def QueryFields(self, what, fields=None, reason=None) -> Any:
        return self._Simple(HTTP_GET, "/2/query/%s/fields" %
                            self._Quote(what), reason,
                            fields=",".join(fields) if fields else None)

    def GetFilters(self, bulk=False) -> Any:
        query = [("bulk", 1)] if bulk else []
        filters = self._SendRequest(HTTP_GET, "/2/filters", query, None)
        return filters if bulk else [f["uuid"] for f in filters]

    def GetFilter(self, filter_uuid) -> Any:
        return self._SendRequest(HTTP_GET, "/2/filters/%s" %
                                 self._Quote(filter_uuid), None, None)

    @staticmethod
    def _FilterBody(priority, predicates, action, reason_trail):
        return {"priority": priority, "predicates": predicates,
                "action": action,
                "reason": reason_trail if reason_trail is not None else []}

    def AddFilter(self, priority, predicates, action,
                  reason_trail=None) -> Any:
        return self._SendRequest(HTTP_POST, "/2/filters", None,
                                 self._FilterBody(priority, predicates, action,
                                                  reason_trail))

    def ReplaceFilter(self, uuid, priority, predicates, action,
                      reason_trail=None) -> Any:
        return self._SendRequest(HTTP_PUT, "/2/filters/%s" % self._Quote(uuid),
                                 None, self._FilterBody(priority, predicates,
                                                        action, reason_trail))

    def DeleteFilter(self, uuid) -> Any:
        return self._SendRequest(HTTP_DELETE, "/2/filters/%s" %
                                 self._Quote(uuid), None, None)
