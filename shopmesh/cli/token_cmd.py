"""`shopmesh token --user U`: a development bearer token for the local mesh's gateway."""

from __future__ import annotations

import argparse
from pathlib import Path

from shopmesh import paths
from shopmesh.certs import DEV_JWT_PRIVATE, ensure_certs


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds `token`."""
    token = subparsers.add_parser(
        "token", help="mint a development JWT for the local gateway",
        description="Signs a bearer token (EdDSA) with the local mesh's development key "
        "($SHOPMESH_HOME/certs/dev-jwt.key, created if missing). Use as `authorization: Bearer <token>`.")
    token.add_argument("--user", required=True, help="the user id (the token's sub)")
    token.add_argument("--ttl", type=float, default=3600.0, help="lifetime in seconds (default 3600)")
    token.add_argument("--issuer", default="shopmesh-dev", help="iss claim (the gateway's jwt_issuer)")
    token.add_argument("--audience", default="shopmesh-gateway", help="aud claim (the gateway's jwt_audience)")
    token.add_argument("--key", type=Path, default=None, help="private key PEM (default: the dev key)")
    token.set_defaults(handler=run_token)


def run_token(args: argparse.Namespace) -> int:
    """Prints the token."""
    from gateway.auth import mint_token

    key = args.key
    if key is None:
        ensure_certs(paths.certs_dir(), ())
        key = paths.certs_dir() / DEV_JWT_PRIVATE
    try:
        print(mint_token(key, args.user, issuer=args.issuer, audience=args.audience, ttl_seconds=args.ttl))
    except ValueError as exc:
        print(f"cannot mint a token: {exc}")
        return 2
    return 0
