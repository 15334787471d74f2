"""X.509 certificates, keys and shared secrets of a cluster.

server.pem is a self-signed certificate (key and certificate in one PEM
file) that noded serves and that also acts as the CA for the per-node
client certificates (client.pem).  Digests are SHA1 in the form
``AB:CD:...`` (upper-case hex pairs joined by colons), as listed in ssconf
``master_candidates_certs`` and the cluster's ``candidate_certs``.
"""

import binascii
import datetime
import os
import random
from typing import Optional, Tuple, Union

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from ganeti import constants
from ganeti import errors
from ganeti.utils import io as utils_io
from ganeti.utils.x509_digest import (  # noqa: F401 (re-exported)
    FormatDigest, GetCertificateDigestFromDer)

PemData = Union[str, bytes]

# Upstream's modes: certificates and the HMAC key r--r----- (readable by
# the owning daemon's group, see ganeti.utils.owners), the cluster domain
# secret rw-r-----.
CERT_FILE_MODE = 0o440
DOMAIN_SECRET_MODE = 0o640
# Certificates count as valid from a little before their creation, so that
# nodes with slightly late clocks accept them.
_NOT_BEFORE_SLACK = datetime.timedelta(days=1)
# verify warns when fewer days than this are left.
_EXPIRY_WARN_DAYS = 30


def _Bytes(data: PemData) -> bytes:
    return data.encode("ascii") if isinstance(data, str) else data


def _NewKey(bits: int = constants.RSA_KEY_BITS) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def _KeyPem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM,
                             serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode("ascii")


def _CertPem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def _Name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _SerialNo(serial_no: Optional[int]) -> int:
    if serial_no:
        return serial_no
    return random.SystemRandom().getrandbits(63) + 1


def _BuildCert(common_name: str, key: rsa.RSAPrivateKey, validity: int,
               serial_no: Optional[int], is_ca: bool,
               issuer_cert: Optional[x509.Certificate] = None,
               issuer_key: Optional[rsa.RSAPrivateKey] = None
               ) -> x509.Certificate:
    """Build a certificate for key, self-signed unless an issuer is given."""
    now = datetime.datetime.now(datetime.timezone.utc)
    issuer_name = issuer_cert.subject if issuer_cert else _Name(common_name)
    signing_key = issuer_key if issuer_key is not None else key
    builder = (x509.CertificateBuilder()
               .subject_name(_Name(common_name))
               .issuer_name(issuer_name)
               .public_key(key.public_key())
               .serial_number(_SerialNo(serial_no))
               .not_valid_before(now - _NOT_BEFORE_SLACK)
               .not_valid_after(now + datetime.timedelta(days=validity))
               .add_extension(x509.BasicConstraints(ca=is_ca,
                                                    path_length=None),
                              critical=True)
               .add_extension(x509.KeyUsage(
                   digital_signature=True, key_encipherment=True,
                   content_commitment=False, data_encipherment=False,
                   key_agreement=False, key_cert_sign=is_ca, crl_sign=False,
                   encipher_only=False, decipher_only=False), critical=False)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(
                   key.public_key()), critical=False))
    if issuer_cert is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(
                issuer_cert.public_key()), critical=False)
    return builder.sign(signing_key, hashes.SHA256())


# ---------------------------------------------------------------- generation

def GenerateSelfSignedX509Cert(common_name: str = constants.X509_CERT_CN,
                               validity: int =
                               constants.X509_CERT_DEFAULT_VALIDITY,
                               serial_no: Optional[int] = None
                               ) -> Tuple[str, str]:
    """Return (key_pem, cert_pem) of a new self-signed (CA-capable) cert."""
    key = _NewKey()
    cert = _BuildCert(common_name, key, validity, serial_no, is_ca=True)
    return _KeyPem(key), _CertPem(cert)


def GenerateSignedX509Cert(common_name: str, signing_pem: PemData,
                           validity: int =
                           constants.X509_CERT_DEFAULT_VALIDITY,
                           serial_no: Optional[int] = None
                           ) -> Tuple[str, str]:
    """Return (key_pem, cert_pem) of a new cert signed by signing_pem.

    signing_pem holds the signing certificate and its private key (the
    layout of server.pem).
    """
    issuer_key = LoadPrivateKey(signing_pem)
    issuer_cert = LoadCertificate(signing_pem)
    key = _NewKey()
    cert = _BuildCert(common_name, key, validity, serial_no, is_ca=False,
                      issuer_cert=issuer_cert, issuer_key=issuer_key)
    return _KeyPem(key), _CertPem(cert)


def _WritePem(filename: str, key_pem: str, cert_pem: str, mode: int,
              uid: int, gid: int) -> None:
    utils_io.WriteFile(filename, data=key_pem + cert_pem, mode=mode,
                       uid=uid, gid=gid)


def GenerateSelfSignedServerCert(filename: str,
                                 common_name: str = constants.X509_CERT_CN,
                                 validity: int =
                                 constants.X509_CERT_DEFAULT_VALIDITY,
                                 serial_no: Optional[int] = None,
                                 mode: int = CERT_FILE_MODE,
                                 uid: int = -1, gid: int = -1) -> str:
    """Write a new self-signed key+cert PEM (server.pem, rapi.pem, ...).

    Returns the SHA1 digest of the new certificate.
    """
    key_pem, cert_pem = GenerateSelfSignedX509Cert(common_name, validity,
                                                   serial_no)
    _WritePem(filename, key_pem, cert_pem, mode, uid, gid)
    return GetCertificateDigestFromPem(cert_pem)


def GenerateClientCert(filename: str, signing_cert_filename: str,
                       common_name: str,
                       validity: int = constants.X509_CERT_DEFAULT_VALIDITY,
                       serial_no: Optional[int] = None,
                       mode: int = CERT_FILE_MODE,
                       uid: int = -1, gid: int = -1) -> str:
    """Write a node client key+cert (client.pem) signed by server.pem.

    common_name is the node's name.  Returns the new certificate's digest.
    """
    signing_pem = utils_io.ReadBinaryFile(signing_cert_filename)
    key_pem, cert_pem = GenerateSignedX509Cert(common_name, signing_pem,
                                               validity, serial_no)
    _WritePem(filename, key_pem, cert_pem, mode, uid, gid)
    return GetCertificateDigestFromPem(cert_pem)


def GenerateSecret(numbytes: int = 20) -> str:
    """A random secret as lower-case hex text (2*numbytes characters)."""
    return binascii.hexlify(os.urandom(numbytes)).decode("ascii")


def GenerateHmacKey(filename: str) -> None:
    """Write a new confd HMAC key (hmac.key): random hex text, mode 0440."""
    utils_io.WriteFile(filename, data=GenerateSecret() + "\n",
                       mode=CERT_FILE_MODE)


def GenerateClusterDomainSecret(filename: str) -> None:
    """Write a new cluster domain secret (random hex text), mode 0640."""
    utils_io.WriteFile(filename, data=GenerateSecret() + "\n",
                       mode=DOMAIN_SECRET_MODE)


# ---------------------------------------------------------------- loading

def LoadCertificate(pem: PemData) -> x509.Certificate:
    """Parse the (first) certificate of a PEM text; X509CertError if bad."""
    data = _Bytes(pem)
    start = data.find(b"-----BEGIN CERTIFICATE-----")
    if start < 0:
        raise errors.X509CertError("(none)",
                                   "No certificate found in PEM data")
    try:
        return x509.load_pem_x509_certificate(data[start:])
    except ValueError as err:
        raise errors.X509CertError("(none)", "Can't parse certificate: %s"
                                   % err)


def LoadCertificateFile(filename: str) -> x509.Certificate:
    """Read and parse the certificate in filename."""
    try:
        data = utils_io.ReadBinaryFile(filename)
    except OSError as err:
        raise errors.X509CertError(filename, "Can't read certificate: %s"
                                   % err)
    try:
        return LoadCertificate(data)
    except errors.X509CertError as err:
        raise errors.X509CertError(filename, err.args[1])


def LoadPrivateKey(pem: PemData) -> rsa.RSAPrivateKey:
    """Parse the private key of a key+cert PEM text."""
    try:
        key = serialization.load_pem_private_key(_Bytes(pem), password=None)
    except (ValueError, TypeError) as err:
        raise errors.X509CertError("(none)", "Can't parse private key: %s"
                                   % err)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise errors.X509CertError("(none)", "Private key is not RSA")
    return key


def GetCertificateDigestFromCert(cert: x509.Certificate) -> str:
    """SHA1 digest of a parsed certificate (``AB:CD:...``)."""
    return FormatDigest(cert.fingerprint(hashes.SHA1()))


def GetCertificateDigestFromPem(pem: PemData) -> str:
    """SHA1 digest of the certificate in a PEM text."""
    return GetCertificateDigestFromCert(LoadCertificate(pem))


def GetCertificateDigest(cert_filename: str) -> str:
    """SHA1 digest of the certificate in cert_filename."""
    return GetCertificateDigestFromCert(LoadCertificateFile(cert_filename))


# ---------------------------------------------------------------- checking

def IsSignedBy(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Whether cert's signature verifies with issuer's (RSA) public key."""
    if cert.issuer != issuer.subject:
        return False
    try:
        issuer.public_key().verify(  # type: ignore[union-attr,call-arg]
            cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(),
            cert.signature_hash_algorithm)
    except (InvalidSignature, TypeError, ValueError):
        return False
    return True


def VerifyCertificate(cert: x509.Certificate,
                      now: Optional[datetime.datetime] = None
                      ) -> Tuple[Optional[str], Optional[str]]:
    """Check a certificate's validity period.

    Returns (None, None) when fine, (CV_WARNING, msg) when it expires
    soon, (CV_ERROR, msg) when it is expired or not yet valid.
    """
    if now is None:
        now = datetime.datetime.now(datetime.timezone.utc)
    not_before = cert.not_valid_before_utc
    not_after = cert.not_valid_after_utc
    if now < not_before:
        return (constants.CV_ERROR, "The certificate is not yet valid (valid"
                " from %s)" % not_before.strftime("%Y-%m-%d %H:%M:%S"))
    if now > not_after:
        return (constants.CV_ERROR, "The certificate expired on %s"
                % not_after.strftime("%Y-%m-%d %H:%M:%S"))
    days_left = (not_after - now).days
    if days_left < _EXPIRY_WARN_DAYS:
        return (constants.CV_WARNING, "The certificate expires in %d days"
                % days_left)
    return (None, None)


def CheckKeyCertPair(pem: PemData) -> None:
    """Raise X509CertError unless pem holds a key matching its certificate."""
    key = LoadPrivateKey(pem)
    cert = LoadCertificate(pem)
    if key.public_key().public_numbers() != \
            cert.public_key().public_numbers():  # type: ignore[union-attr]
        raise errors.X509CertError("(none)", "Private key does not match the"
                                   " certificate")
