"""`shopmesh certs`: the local mesh PKI (CA, one certificate per service) and the user-context key pair."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from shared.tls import TlsFiles, create_ca, issue_service_cert
from shared.usercontext import generate_keypair

USER_CONTEXT_PRIVATE = "user-context.key"
USER_CONTEXT_PUBLIC = "user-context.pub"
DEV_JWT_PRIVATE = "dev-jwt.key"
DEV_JWT_PUBLIC = "dev-jwt.pub"
"""The local mesh's development JWT key pair (Ed25519): `shopmesh token` signs with it, the gateway verifies."""


@dataclass(frozen=True)
class CertsReport:
    """What `ensure_certs` did."""

    created_ca: bool
    issued: tuple[str, ...]
    created_user_context_keys: bool


def ensure_certs(certs_dir: Path, services: tuple[str, ...], *, rotate: bool = False,
                 extra_dns: tuple[str, ...] = ()) -> CertsReport:
    """Creates what is missing (CA, service certificates, user-context keys); `rotate` re-issues service certs.

    Args:
        certs_dir: destination folder.
        services: identities to issue certificates for.
        rotate: re-issue every service certificate from the existing CA.
        extra_dns: extra DNS SANs for every certificate.
    """
    certs_dir.mkdir(parents=True, exist_ok=True)
    created_ca = not (certs_dir / "ca.pem").exists() or not (certs_dir / "ca.key").exists()
    if created_ca:
        create_ca(certs_dir)
    issued = []
    for service in services:
        files = TlsFiles.in_dir(certs_dir, service)
        if created_ca or rotate or not files.cert.exists() or not files.key.exists():
            issue_service_cert(certs_dir, service, extra_dns=extra_dns)
            issued.append(service)
    keys_missing = not (certs_dir / USER_CONTEXT_PRIVATE).exists() or not (certs_dir / USER_CONTEXT_PUBLIC).exists()
    if keys_missing:
        generate_keypair(certs_dir / USER_CONTEXT_PRIVATE, certs_dir / USER_CONTEXT_PUBLIC)
    if not (certs_dir / DEV_JWT_PRIVATE).exists() or not (certs_dir / DEV_JWT_PUBLIC).exists():
        generate_keypair(certs_dir / DEV_JWT_PRIVATE, certs_dir / DEV_JWT_PUBLIC)
    return CertsReport(created_ca, tuple(issued), keys_missing)
