"""Tests for ganeti.utils.x509: cluster certificates, digests, secrets."""

import datetime
import hashlib
import os
import re
import ssl
import stat

import pytest
from cryptography import x509 as cx509
from cryptography.hazmat.primitives import serialization

from ganeti import constants
from ganeti import errors
from ganeti.utils import x509

DIGEST_RE = re.compile(r"^([0-9A-F]{2}:){19}[0-9A-F]{2}$")


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    """server.pem (self-signed) and client.pem signed by it."""
    path = tmp_path_factory.mktemp("certs")
    server = str(path / "server.pem")
    client = str(path / "client.pem")
    server_digest = x509.GenerateSelfSignedServerCert(server)
    client_digest = x509.GenerateClientCert(client, server,
                                            "node1.example.com")
    return server, client, server_digest, client_digest


def test_server_pem_layout_and_mode(certs):
    server, _, digest, _ = certs
    assert stat.S_IMODE(os.stat(server).st_mode) == 0o440  # upstream's
    text = open(server).read()
    assert text.index("PRIVATE KEY-----") < text.index("BEGIN CERTIFICATE")
    x509.CheckKeyCertPair(text)
    cert = x509.LoadCertificateFile(server)
    cn = cert.subject.get_attributes_for_oid(
        cx509.oid.NameOID.COMMON_NAME)[0].value
    assert cn == constants.X509_CERT_CN
    assert cert.issuer == cert.subject
    assert x509.IsSignedBy(cert, cert)
    days = (cert.not_valid_after_utc - cert.not_valid_before_utc).days
    assert 5 * 365 <= days <= 5 * 365 + 2
    assert cert.public_key().key_size == constants.RSA_KEY_BITS
    basic = cert.extensions.get_extension_for_class(cx509.BasicConstraints)
    assert basic.value.ca  # it signs the node client certificates
    assert x509.GetCertificateDigest(server) == digest


def test_client_cert_signed_by_server(certs):
    server, client, server_digest, client_digest = certs
    ca = x509.LoadCertificateFile(server)
    cert = x509.LoadCertificateFile(client)
    assert x509.IsSignedBy(cert, ca)
    assert not x509.IsSignedBy(ca, cert)
    cn = cert.subject.get_attributes_for_oid(
        cx509.oid.NameOID.COMMON_NAME)[0].value
    assert cn == "node1.example.com"
    assert client_digest != server_digest
    x509.CheckKeyCertPair(open(client).read())


def test_not_signed_by_other_ca(certs, tmp_path):
    _, client, _, _ = certs
    other = str(tmp_path / "other.pem")
    x509.GenerateSelfSignedServerCert(other)
    assert not x509.IsSignedBy(x509.LoadCertificateFile(client),
                               x509.LoadCertificateFile(other))


def test_digest_format_is_colon_hex_sha1(certs):
    server, _, digest, _ = certs
    assert DIGEST_RE.match(digest)
    der = x509.LoadCertificateFile(server).public_bytes(
        serialization.Encoding.DER)
    expected = hashlib.sha1(der).hexdigest().upper()
    assert digest.replace(":", "") == expected
    assert x509.GetCertificateDigestFromDer(der) == digest
    assert x509.GetCertificateDigestFromPem(open(server).read()) == digest


def test_stdlib_ssl_accepts_the_files(certs):
    server, client, _, _ = certs
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(server)
    ctx.load_verify_locations(server)
    cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    cctx.load_cert_chain(client)


def test_key_mismatch_detected(certs):
    server, client, _, _ = certs
    key_part = open(server).read().split("-----BEGIN CERTIFICATE-----")[0]
    cert_part = open(client).read()
    cert_part = cert_part[cert_part.index("-----BEGIN CERTIFICATE-----"):]
    with pytest.raises(errors.X509CertError):
        x509.CheckKeyCertPair(key_part + cert_part)


def test_load_garbage():
    with pytest.raises(errors.X509CertError):
        x509.LoadCertificate("not a certificate")
    with pytest.raises(errors.X509CertError):
        x509.LoadCertificate("-----BEGIN CERTIFICATE-----\nAAAA\n"
                             "-----END CERTIFICATE-----\n")
    with pytest.raises(errors.X509CertError):
        x509.LoadCertificateFile("/nonexistent/cert.pem")


def test_verify_certificate_validity():
    _, pem = x509.GenerateSelfSignedX509Cert("x", validity=400)
    cert = x509.LoadCertificate(pem)
    assert x509.VerifyCertificate(cert) == (None, None)
    later = datetime.datetime.now(datetime.timezone.utc) + \
        datetime.timedelta(days=390)
    code, msg = x509.VerifyCertificate(cert, now=later)
    assert code == constants.CV_WARNING and "expires in" in msg
    much_later = later + datetime.timedelta(days=30)
    code, msg = x509.VerifyCertificate(cert, now=much_later)
    assert code == constants.CV_ERROR and "expired" in msg
    before = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)
    assert x509.VerifyCertificate(cert, now=before)[0] == constants.CV_ERROR


def test_secrets(tmp_path):
    one, two = x509.GenerateSecret(), x509.GenerateSecret()
    assert re.match(r"^[0-9a-f]{40}$", one) and one != two
    assert len(x509.GenerateSecret(8)) == 16
    hmac_file = str(tmp_path / "hmac.key")
    x509.GenerateHmacKey(hmac_file)
    content = open(hmac_file).read()
    assert re.match(r"^[0-9a-f]{40}\n$", content)
    assert stat.S_IMODE(os.stat(hmac_file).st_mode) == 0o440
    secret_file = str(tmp_path / "cluster-domain-secret")
    x509.GenerateClusterDomainSecret(secret_file)
    assert open(secret_file).read().strip() != content.strip()


def test_light_digest_matches_the_parsed_certificate(certs):
    # noded computes digests with x509_digest (no cryptography loaded).
    from ganeti.utils import x509_digest
    server, client, server_digest, client_digest = certs
    assert x509_digest.GetCertificateFileDigest(server) == server_digest
    assert x509_digest.GetCertificateFileDigest(client) == client_digest
    with pytest.raises(errors.X509CertError):
        x509_digest.GetCertificateFileDigest(server + ".missing")


def test_noded_does_not_load_cryptography():
    import subprocess
    import sys
    code = ("import sys; import ganeti.server.noded;"
            " print('cryptography' in sys.modules)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True,
                         text=True, cwd=os.path.dirname(os.path.dirname(
                             os.path.dirname(os.path.abspath(__file__)))))
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "False"
