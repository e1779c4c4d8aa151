"""Mesh PKI: a CA and per-service certificates (identity in the SAN), reloadable server/client credentials.

A service's identity is the URI SAN `spiffe://shopmesh/<service>`; its DNS SANs let clients verify the
server by name (`grpc.ssl_target_name_override=<service>`) whatever address they dialled.
"""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import grpc
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

IDENTITY_URI_PREFIX = "spiffe://shopmesh/"


@dataclass(frozen=True)
class TlsFiles:
    """Paths of one service's PEM files.

    Attributes:
        ca: the mesh CA bundle used to verify peers (may hold several CAs during a CA rotation).
        cert: this service's certificate chain.
        key: this service's private key.
    """

    ca: Path
    cert: Path
    key: Path

    @classmethod
    def in_dir(cls, certs_dir: Path, service: str) -> TlsFiles:
        """The layout `shopmesh certs` writes: `ca.pem`, `<service>.pem`, `<service>.key`."""
        return cls(ca=certs_dir / "ca.pem", cert=certs_dir / f"{service}.pem", key=certs_dir / f"{service}.key")

    def read(self) -> tuple[bytes, bytes, bytes]:
        """(ca, cert chain, key) bytes, read together."""
        return self.ca.read_bytes(), self.cert.read_bytes(), self.key.read_bytes()

    def stamp(self) -> tuple[int, ...]:
        """A cheap change detector: mtimes and sizes of the three files."""
        stats = [os.stat(p) for p in (self.ca, self.cert, self.key)]
        return tuple(v for s in stats for v in (s.st_mtime_ns, s.st_size, s.st_ino))


def _write_private(path: Path, data: bytes) -> None:
    """Writes a secret file readable by its owner only, atomically (rename) so readers never see half."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)


def _write_public(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def create_ca(certs_dir: Path, *, common_name: str = "shopmesh mesh CA", days: int = 3650) -> None:
    """Creates `ca.pem` and `ca.key` in certs_dir (overwriting them)."""
    certs_dir.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                key_encipherment=False, data_encipherment=False, key_agreement=False,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_private(certs_dir / "ca.key", _key_pem(key))
    _write_public(certs_dir / "ca.pem", cert.public_bytes(serialization.Encoding.PEM))


def issue_service_cert(
    certs_dir: Path, service: str, *, extra_dns: tuple[str, ...] = (), days: int = 365
) -> TlsFiles:
    """Issues `<service>.pem`/`<service>.key` signed by the CA in certs_dir; identity in the URI SAN.

    Args:
        certs_dir: folder holding `ca.pem` and `ca.key`.
        service: the mesh identity, e.g. `vault`.
        extra_dns: more DNS SANs (e.g. Kubernetes Service names).
        days: validity.
    """
    ca_key = serialization.load_pem_private_key((certs_dir / "ca.key").read_bytes(), password=None)
    ca_cert = x509.load_pem_x509_certificate((certs_dir / "ca.pem").read_bytes())
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    dns = [service, f"{service}.shopmesh", "localhost", *extra_dns]
    san = x509.SubjectAlternativeName(
        [x509.UniformResourceIdentifier(IDENTITY_URI_PREFIX + service)]
        + [x509.DNSName(d) for d in dict.fromkeys(dns)]
        + [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.IPAddress(ipaddress.ip_address("::1"))]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, service)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(san, critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    files = TlsFiles.in_dir(certs_dir, service)
    _write_private(files.key, _key_pem(key))
    _write_public(files.cert, cert.public_bytes(serialization.Encoding.PEM))
    return files


@functools.lru_cache(maxsize=256)
def identity_from_pem(pem: bytes) -> str | None:
    """The mesh identity in a certificate's URI SAN (`spiffe://shopmesh/<service>`), or None."""
    cert = x509.load_pem_x509_certificate(pem)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None
    for uri in san.get_values_for_type(x509.UniformResourceIdentifier):
        if uri.startswith(IDENTITY_URI_PREFIX):
            return uri.removeprefix(IDENTITY_URI_PREFIX)
    return None


def peer_identity(auth_context: dict[str, list[bytes]]) -> str | None:
    """The calling service's identity from a grpc auth context (None on a plaintext connection)."""
    pems = auth_context.get("x509_pem_cert")
    if not pems:
        return None
    return identity_from_pem(pems[0])


def server_credentials(files: TlsFiles) -> grpc.ServerCredentials:
    """mTLS server credentials that require a client certificate from the mesh CA and reload on change.

    grpc calls the fetcher before every new handshake; it re-reads the files only when their stamp
    changed, so a rotated certificate (or CA bundle) is used by new connections without a restart.
    """
    lock = threading.Lock()
    state = {"stamp": files.stamp()}

    def config() -> grpc.ServerCertificateConfiguration:
        ca, chain, key = files.read()
        return grpc.ssl_server_certificate_configuration([(key, chain)], root_certificates=ca)

    def fetch() -> grpc.ServerCertificateConfiguration | None:
        try:
            stamp = files.stamp()
        except OSError:
            return None  # mid-rotation (a file briefly missing): keep the current configuration
        with lock:
            if stamp == state["stamp"]:
                return None
            state["stamp"] = stamp
        try:
            return config()
        except (OSError, ValueError):
            return None

    return grpc.dynamic_ssl_server_credentials(config(), fetch, require_client_authentication=True)


def channel_credentials(files: TlsFiles) -> grpc.ChannelCredentials:
    """mTLS client credentials presenting this service's certificate and trusting the mesh CA."""
    ca, chain, key = files.read()
    return grpc.ssl_channel_credentials(root_certificates=ca, private_key=key, certificate_chain=chain)
