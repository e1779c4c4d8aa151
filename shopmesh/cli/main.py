"""The `shopmesh` console script: one argparse tree, one module per command group."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from shopmesh.cli import (
    certs_cmd,
    console_cmd,
    data_cmd,
    demo_cmd,
    eval_cmd,
    experiments_cmd,
    features_cmd,
    k8s_cmd,
    mesh_cmd,
    models_cmd,
    ranking_cmd,
    retrain_cmd,
    support_cmd,
    token_cmd,
    train_cmd,
    vault_cmd,
)


def build_parser() -> argparse.ArgumentParser:
    """Builds the whole command tree; each command module adds its own sub-commands."""
    parser = argparse.ArgumentParser(prog="shopmesh", description="Run and operate the shopmesh mesh.")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (mesh_cmd, certs_cmd, data_cmd, features_cmd, demo_cmd, models_cmd, vault_cmd, support_cmd,
                   eval_cmd, train_cmd, token_cmd, ranking_cmd, k8s_cmd, retrain_cmd, experiments_cmd,
                   console_cmd):
        module.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: parses argv and runs the chosen command's handler, returning its exit code."""
    args = build_parser().parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
