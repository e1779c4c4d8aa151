"""`shopmesh certs`: create or rotate the mesh CA, service certificates and the user-context keys."""

from __future__ import annotations

import argparse
from pathlib import Path

from shopmesh import paths
from shopmesh.certs import ensure_certs
from shopmesh.mesh import MESH


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds `certs`."""
    parser = subparsers.add_parser(
        "certs", help="create the mesh CA and one certificate per service (identity in the SAN)",
        description="Creates what is missing in the certs folder: ca.pem/ca.key, <service>.pem/.key for each "
        "service, and the Ed25519 user-context key pair the gateway signs with. Existing files are kept "
        "unless --rotate.",
    )
    parser.add_argument("--out", type=Path, default=None, help="certs folder (default: $SHOPMESH_HOME/certs)")
    parser.add_argument("--services", default=",".join(spec.name for spec in MESH),
                        help="comma-separated identities (default: every mesh service)")
    parser.add_argument("--dns", action="append", default=[], help="extra DNS SAN for every certificate")
    parser.add_argument("--rotate", action="store_true", help="re-issue the service certificates from the CA")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Creates or rotates certificates and prints what it did."""
    out: Path = args.out or paths.certs_dir()
    services = tuple(name.strip() for name in args.services.split(",") if name.strip())
    report = ensure_certs(out, services, rotate=args.rotate, extra_dns=tuple(args.dns))
    print(f"certs folder: {out}")
    print(f"  CA: {'created' if report.created_ca else 'kept'}")
    print(f"  service certificates issued: {', '.join(report.issued) or 'none (all present)'}")
    print(f"  user-context keys: {'created' if report.created_user_context_keys else 'kept'}")
    return 0
