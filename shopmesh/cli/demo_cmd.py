"""`shopmesh demo`: the scripted walk-through the README's quick start runs."""

from __future__ import annotations

import argparse

from shopmesh import paths
from shopmesh.demo import run_demo


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds `demo`."""
    parser = subparsers.add_parser(
        "demo", help="a short walk-through of the data, privacy and the mesh (needs `shopmesh data fetch`)",
    )
    parser.set_defaults(handler=lambda args: run_demo(paths.home()))
