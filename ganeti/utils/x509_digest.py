"""Certificate digests without the cryptography library.

ganeti-noded checks every client certificate by its SHA1 digest; computing
it needs only hashlib, so the daemon does not load the (large)
cryptography package (see ganeti.utils.x509 for parsing and checking).
"""

import base64
import binascii
import hashlib

from ganeti import errors
from ganeti.utils import io as utils_io

_PEM_BEGIN = b"-----BEGIN CERTIFICATE-----"
_PEM_END = b"-----END CERTIFICATE-----"


def FormatDigest(raw: bytes) -> str:
    """Format a binary digest as upper-case hex pairs joined by colons."""
    return ":".join("%02X" % b for b in raw)


def GetCertificateDigestFromDer(der: bytes) -> str:
    """SHA1 digest of a DER certificate (as ssl.getpeercert(True) gives)."""
    return FormatDigest(hashlib.sha1(der).digest())


def GetCertificateFileDigest(filename: str) -> str:
    """SHA1 digest of the (first) certificate in the PEM file filename."""
    try:
        data = utils_io.ReadBinaryFile(filename)
    except OSError as err:
        raise errors.X509CertError(filename, "Can't read certificate: %s"
                                   % err)
    return GetCertificatePemDigest(data, filename)


def CertificatePem(data: bytes, name: str = "PEM data") -> bytes:
    """The first certificate block of PEM data (without any key)."""
    start = data.find(_PEM_BEGIN)
    end = data.find(_PEM_END, start)
    if start < 0 or end < 0:
        raise errors.X509CertError(name, "No certificate found in PEM"
                                   " data")
    return data[start:end + len(_PEM_END)] + b"\n"


def GetCertificatePemDigest(data: bytes, name: str = "PEM data") -> str:
    """SHA1 digest of the (first) certificate in PEM data."""
    pem = CertificatePem(data, name)
    try:
        der = base64.b64decode(pem[len(_PEM_BEGIN):-len(_PEM_END) - 1],
                               validate=False)
    except (binascii.Error, ValueError) as err:
        raise errors.X509CertError(name, "Can't parse certificate: %s"
                                   % err)
    return GetCertificateDigestFromDer(der)
