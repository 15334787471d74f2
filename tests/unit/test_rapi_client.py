"""ganeti.rapi.client request building and error handling, with a fake
pycurl handle (the real library against a real daemon is exercised in
tests/cluster/test_rapi.py)."""

import json

import pycurl
import pytest

from ganeti.rapi import client


class FakeCurl:
    def __init__(self, answers):
        self.opts = {}
        self.requests = []
        self.answers = list(answers)

    def setopt(self, opt, value):
        self.opts[opt] = value

    def perform(self):
        status, body = self.answers.pop(0)
        if isinstance(status, Exception):
            raise status
        self.status = status
        self.requests.append((self.opts[pycurl.CUSTOMREQUEST],
                              self.opts[pycurl.URL],
                              self.opts.get(pycurl.POSTFIELDS)))
        self.opts[pycurl.WRITEFUNCTION](json.dumps(body).encode())

    def getinfo(self, what):
        assert what == pycurl.RESPONSE_CODE
        return self.status


def _client(answers, **kwargs):
    curl = FakeCurl(answers)
    return client.GanetiRapiClient("master.example.com", curl_factory=lambda:
                                   curl, **kwargs), curl


def test_query_strings_and_bodies():
    c, curl = _client([(200, 5), (200, 6), (200, [{"id": "n1"}])])
    assert c.ShutdownInstance("i1", dry_run=True, no_remember=True,
                              reason="r", timeout=3) == 5
    method, url, body = curl.requests[0]
    assert method == "PUT"
    assert url == ("https://master.example.com:5080/2/instances/i1/shutdown"
                   "?dry-run=1&no_remember=1&reason=r")
    assert json.loads(body) == {"timeout": 3}
    c.AddNodeTags("n 1", ["a", "b"])
    assert curl.requests[1][1].endswith("/2/nodes/n%201/tags?tag=a&tag=b")
    assert c.GetNodes() == ["n1"]
    assert curl.requests[2][0] == "GET"


def test_create_instance_sends_version_1():
    c, curl = _client([(200, ["instance-create-reqv1"]), (200, 9)])
    assert c.CreateInstance("create", "i1", "diskless", [], [],
                            os="noop") == 9
    body = json.loads(curl.requests[1][2])
    assert body["__version__"] == 1 and body["name"] == "i1"
    assert body["os"] == "noop"


def test_errors():
    c, _ = _client([(401, {"code": 401, "message": "Unauthorized",
                           "explain": "No permission"})])
    with pytest.raises(client.GanetiApiError) as err:
        c.GetInfo()
    assert err.value.code == 401 and "No permission" in str(err.value)
    c, _ = _client([(pycurl.error(pycurl.E_SSL_CACERT, "bad cert"), None)])
    with pytest.raises(client.CertificateError):
        c.GetVersion()
    with pytest.raises(client.Error):
        client.GanetiRapiClient("h", username="u")


def test_wait_for_job_completion():
    c, _ = _client([(200, {"status": "running"}), (200, {"status": "error"})])
    assert c.WaitForJobCompletion(1, period=0) is False
    c, _ = _client([(200, {"status": "queued"})])
    assert c.WaitForJobCompletion(1, period=0, retries=0) is False
    c, _ = _client([(200, {"status": "success"})])
    assert c.WaitForJobCompletion(1) is True


def test_curl_config():
    curl = FakeCurl([])
    client.GenericCurlConfig(cafile="/ca.pem", verify_hostname=True,
                             connect_timeout=3, timeout=7, proxy="")(curl)
    assert curl.opts[pycurl.SSL_VERIFYPEER] is True
    assert curl.opts[pycurl.CAINFO] == "/ca.pem"
    assert curl.opts[pycurl.SSL_VERIFYHOST] == 2
    assert (curl.opts[pycurl.CONNECTTIMEOUT], curl.opts[pycurl.TIMEOUT],
            curl.opts[pycurl.PROXY]) == (3, 7, "")
    curl = FakeCurl([])
    client.GenericCurlConfig()(curl)
    assert curl.opts[pycurl.SSL_VERIFYPEER] is False


def test_node_storage_fields_as_upstream_passes_them():
    """output_fields is a comma-separated string (upstream's scripts pass
    "name,size"); a list is joined."""
    c, curl = _client([(200, 3), (200, 4)])
    assert c.GetNodeStorageUnits("n1", "file", "name,size") == 3
    assert c.GetNodeStorageUnits("n1", "file", ["name", "size"]) == 4
    for _, url, _ in curl.requests:
        assert url.endswith("/2/nodes/n1/storage?storage_type=file"
                            "&output_fields=name%2Csize")
