"""`shopmesh experiments report`: per-variant CTR and conversion with intervals, and the sample-ratio check.

Reads the profile service's event log (the store the SHOPMESH_PROFILE_* settings name: PostgreSQL when a
DSN is set, else the embedded SQLite) or a JSON Lines export, and the variant weights from the gateway's
experiment file. Exit codes: 0 done, 1 the events or the experiment file could not be read, 3 with
`--fail-on-srm` when an experiment's sample ratio is off.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SRM_EXIT = 3


def add_parser(subparsers: Any) -> None:
    """Adds the `experiments` command group."""
    group = subparsers.add_parser("experiments", help="analyse the gateway's A/B experiments")
    commands = group.add_subparsers(dest="experiments_command", required=True, metavar="SUBCOMMAND")
    report = commands.add_parser(
        "report", help="CTR and conversion per variant with 95%% intervals, differences to control, SRM check",
        description="Counts impressions (IMPRESSION events, whose impression id names experiment:variant) and the "
        "clicks and purchases citing them, per variant: CTR = clicked impressions / impressions, conversion = "
        "purchased impressions / impressions, user conversion = buying users / users, each with a 95%% Wilson "
        "interval; each variant's difference to control with a 95%% Newcombe interval and a two-sided p-value; "
        "and a chi-square test of users per variant against the configured weights (sample-ratio mismatch "
        "when p < 0.001). Reads the profile store (SHOPMESH_PROFILE_*) unless --events names a JSONL file.")
    report.add_argument("--experiment", default=None, help="report only this experiment id (default: every one)")
    report.add_argument("--experiments-file", type=Path, default=None,
                        help="the gateway's experiment YAML (default $SHOPMESH_GATEWAY_EXPERIMENTS_FILE, else the "
                        "gateway's bundled experiments.yaml)")
    report.add_argument("--events", type=Path, default=None,
                        help="a JSON Lines file of events (user_id, event_type, impression_id) instead of the store")
    report.add_argument("--start", default=None, help="first event time: ISO 8601 (UTC if no zone) or Unix seconds")
    report.add_argument("--end", default=None, help="end of the window (exclusive), same forms")
    report.add_argument("--control", default=None, help="baseline variant (default: 'control', else the first)")
    report.add_argument("--json", action="store_true", help="print the reports as JSON")
    report.add_argument("--fail-on-srm", action="store_true", help=f"exit {SRM_EXIT} when a sample ratio is off")
    report.set_defaults(handler=run_report)


def parse_time_us(text: str | None) -> int | None:
    """Microseconds since the epoch of an ISO 8601 time (naive: UTC) or of Unix seconds; None for None."""
    if text is None:
        return None
    try:
        return int(float(text) * 1e6)
    except ValueError:
        pass
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1e6)


def _weights(path: Path | None) -> dict[str, dict[str, float]]:
    from gateway import experiments
    from gateway.experiments import Experiments

    if path is None:
        configured = os.environ.get("SHOPMESH_GATEWAY_EXPERIMENTS_FILE")
        path = Path(configured) if configured else Path(experiments.__file__).with_name("experiments.yaml")
    return {e.experiment_id: {v.name: float(v.weight) for v in e.variants}
            for e in Experiments.load(path).experiments}


def run_report(args: argparse.Namespace) -> int:
    """Handler of `shopmesh experiments report`."""
    from services.profile.store import StoreUnavailable
    from shopmesh.experiments.render import render_text
    from shopmesh.experiments.source import tally_file, tally_store_sync

    try:
        start, end = parse_time_us(args.start), parse_time_us(args.end)
        weights = _weights(args.experiments_file)
        tally = tally_file(args.events) if args.events else tally_store_sync(start, end)
    except (OSError, ValueError, KeyError, StoreUnavailable) as exc:
        print(f"shopmesh experiments report: {exc}", file=sys.stderr)
        return 1
    if args.events and (start is not None or end is not None):
        print("shopmesh experiments report: --start/--end apply to the store only; the file is read whole",
              file=sys.stderr)
    ids = [args.experiment] if args.experiment else sorted(set(tally.experiments()) | set(weights))
    reports = [tally.report(i, weights.get(i), args.control) for i in ids]
    if args.json:
        print(json.dumps({"experiments": [r.to_dict() for r in reports]}, indent=2))
    else:
        print("\n\n".join(render_text(r) for r in reports) if reports else "no experiments configured or logged")
    mismatch = any(r.srm is not None and r.srm.mismatch for r in reports)
    return SRM_EXIT if args.fail_on_srm and mismatch else 0
