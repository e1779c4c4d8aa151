"""`shopmesh retrain`: gated retraining of a catalogue's ranker (what the chart's CronJob runs).

Exit codes: 0 the candidate was promoted (a running ranking service serves it at its next refresh), 3 it was
refused (it stays on disk, the current model keeps serving), 2 the data set is not fetched.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

REFUSED = 3
"""Exit code of a refused candidate (a CronJob run that kept the current model, not a failure to retrain)."""


def add_parser(subparsers: Any) -> None:
    """Adds `retrain`."""
    cmd = subparsers.add_parser(
        "retrain", help="train a candidate ranker, judge it against the promoted one, promote it only if not worse",
        description="Trains a candidate ranker on the latest events (as `shopmesh train ranker`), evaluates it and "
        "the promoted model offline on the same held-out events (each user's last interaction), promotes it "
        "when its NDCG@10 >= the current one's - tolerance, and appends the decision to "
        "<models>/artifacts/ranker-<catalog>/decisions.jsonl. Exit 0: promoted; 3: refused; 2: no data.")
    cmd.add_argument("--catalog", default="movielens", choices=("movielens", "instacart"))
    cmd.add_argument("--tolerance", type=float, default=0.01,
                     help="how much lower the candidate's NDCG@10 may be (default 0.01; negative: must be better)")
    cmd.add_argument("--models-dir", type=Path, default=None, help="models root (default $SHOPMESH_HOME/models)")
    cmd.add_argument("--quick", action="store_true", help="the first-start recipe (about a minute)")
    cmd.add_argument("--epochs", type=int, default=None, help="ranker epochs")
    cmd.add_argument("--tower-epochs", type=int, default=None, help="user tower epochs of the replays")
    cmd.add_argument("--users", type=int, default=None, help="train and judge on a random subsample of users")
    cmd.add_argument("--seed", type=int, default=0)
    cmd.add_argument("--threads", type=int, default=1)
    cmd.add_argument("--data-dir", default=None)
    cmd.add_argument("--json", action="store_true", help="print the decision as JSON")
    cmd.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Handler of `shopmesh retrain`."""
    from shared.threads import pin_cpu_threads

    pin_cpu_threads(args.threads)
    import torch

    torch.set_num_threads(args.threads)
    from shopmesh.cli.ranking_cmd import recipe_of
    from shopmesh.data.paths import DataNotFetchedError
    from shopmesh.models.repository import models_dir
    from shopmesh.recsys.ranking import datasets
    from shopmesh.recsys.ranking.gate import retrain

    recipe = recipe_of(args)
    root = args.models_dir or models_dir()
    try:
        data = datasets.load(args.catalog, args.data_dir)
    except DataNotFetchedError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.users is not None:
        data = replace(data, split=data.split.subsample(args.users))
    decision = retrain(data, root / "artifacts", recipe=recipe, tolerance=args.tolerance, seed=args.seed,
                       log=lambda line: print(f"  .. {line}", file=sys.stderr, flush=True))
    if args.json:
        print(json.dumps(asdict(decision), sort_keys=True))
    else:
        current = "none" if decision.current_ndcg10 is None else f"{decision.current_ndcg10:.4f}"
        print(f"ranker-{decision.catalog_id}: candidate {decision.candidate_version} NDCG@10 "
              f"{decision.candidate_ndcg10:.4f}, current {decision.current_version or 'none'} {current}, "
              f"tolerance {decision.tolerance:g}: {'PROMOTED' if decision.promoted else 'REFUSED'} "
              f"({decision.reason})")
    return 0 if decision.promoted else REFUSED
