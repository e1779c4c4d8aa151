"""`shopmesh train ranker` and `shopmesh eval recommend`: the learned ranker (#8), trained and judged offline."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from shopmesh.cli.eval_cmd import _eval_group
from shopmesh.cli.train_cmd import _group


def add_parser(subparsers: Any) -> None:
    """Adds `train ranker` and `eval recommend` to the shared groups."""
    train = _group(subparsers, "train", "train models").add_parser(
        "ranker", help="train the DCN-v2 ranker on replayed retrieval and write a versioned artifact",
        description="Replays retrieval (#7 sources and merge) at each user's second-to-last interaction, labels the "
        "candidates by what the user did next, samples negatives, trains listwise and exports TorchScript (plus "
        "the GPU Triton model) with a manifest.")
    train.add_argument("catalog", nargs="?", default="movielens", choices=("movielens", "instacart"))
    train.add_argument("--models-dir", type=Path, default=None, help="models root (default $SHOPMESH_HOME/models)")
    train.add_argument("--version", default=None)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--epochs", type=int, default=None, help="ranker epochs")
    train.add_argument("--tower-epochs", type=int, default=None, help="user tower epochs of the replay")
    train.add_argument("--quick", action="store_true", help="the first-start recipe (about a minute)")
    train.add_argument("--threads", type=int, default=1)
    train.add_argument("--data-dir", default=None)
    train.set_defaults(handler=run_train)

    rec = _eval_group(subparsers).add_parser(
        "recommend", help="retrieval -> ranking on MovieLens-100K and Instacart beside the baselines",
        description="Recall@10/@20, NDCG@10 (bootstrap 95%% CI), MRR, coverage and ILD@10 of the ranker (mean of "
        "seeds), the ranker with MMR, retrieval order, popularity, item-kNN, ALS, BPR, co-visitation and "
        "(Instacart) per-user repurchase, all on #7's split.")
    rec.add_argument("--dataset", choices=("movielens", "instacart", "all"), default="all")
    rec.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    rec.add_argument("--epochs", type=int, default=None, help="ranker epochs")
    rec.add_argument("--tower-epochs", type=int, default=None)
    rec.add_argument("--users", type=int, default=None, help="evaluate a random subsample of users (CI)")
    rec.add_argument("--diversity-lambdas", type=float, nargs="+", default=[0.1, 0.2, 0.3])
    rec.add_argument("--threads", type=int, default=1)
    rec.add_argument("--json", type=Path, default=None, help="also write the figures here")
    rec.add_argument("--plot", type=Path, default=None, help="write the NDCG@10 / ILD plot (PNG) here")
    rec.add_argument("--data-dir", default=None)
    rec.set_defaults(handler=run_recommend)


def _pin(threads: int) -> None:
    from shared.threads import pin_cpu_threads

    pin_cpu_threads(threads)
    import torch

    torch.set_num_threads(threads)


def recipe_of(args: argparse.Namespace) -> Any:
    """The training recipe of `--quick`, `--epochs` and `--tower-epochs` (train ranker and retrain)."""
    from shopmesh.recsys.ranking.build import FULL, QUICK

    recipe = QUICK if args.quick else FULL
    if args.epochs is not None:
        recipe = replace(recipe, ranker=replace(recipe.ranker, epochs=args.epochs))
    if args.tower_epochs is not None:
        recipe = replace(recipe, tower_epochs=args.tower_epochs)
    return recipe


def run_train(args: argparse.Namespace) -> int:
    """Handler of `shopmesh train ranker`."""
    _pin(args.threads)
    from shopmesh.data.paths import DataNotFetchedError
    from shopmesh.models.repository import models_dir
    from shopmesh.recsys.ranking.build import train_and_save

    recipe = recipe_of(args)
    root = args.models_dir or models_dir()
    try:
        folder, manifest = train_and_save(args.catalog, root / "artifacts", recipe=recipe, seed=args.seed,
                                          data_dir=args.data_dir, triton_root=root, version=args.version, log=_log)
    except DataNotFetchedError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"ranker {manifest.name} {manifest.version} -> {folder} ({manifest.metrics['total_seconds']:.0f} s, "
          f"schema {manifest.schema_id})")
    return 0


def run_recommend(args: argparse.Namespace) -> int:
    """Handler of `shopmesh eval recommend`."""
    _pin(args.threads)
    from shopmesh.data.paths import DataNotFetchedError
    from shopmesh.recsys.ranking import datasets
    from shopmesh.recsys.ranking.build import DEFAULT_TOWER_EPOCHS
    from shopmesh.recsys.ranking.evaluation import evaluate_recommend
    from shopmesh.recsys.ranking.model import RankerConfig

    ranker = RankerConfig() if args.epochs is None else RankerConfig(epochs=args.epochs)
    names = ("movielens", "instacart") if args.dataset == "all" else (args.dataset,)
    reports = []
    try:
        for name in names:
            data = datasets.load(name, args.data_dir)
            if args.users is not None:
                data = replace(data, split=data.split.subsample(args.users))
            report = evaluate_recommend(data, seeds=args.seeds, ranker=ranker,
                                        tower_epochs=args.tower_epochs or DEFAULT_TOWER_EPOCHS,
                                        diversity_lambdas=args.diversity_lambdas, threads=args.threads, log=_log)
            reports.append(report)
            print(report.format(), flush=True)
    except DataNotFetchedError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json is not None:
        args.json.write_text(json.dumps([_plain(r) for r in reports], indent=2, default=float))
    if args.plot is not None:
        from shopmesh.recsys.ranking.plot import plot_reports

        plot_reports(reports, args.plot)
    return 0


def _plain(report: Any) -> dict[str, Any]:
    data = asdict(report)
    for row in data["rows"]:
        row.pop("per_user_ndcg", None)
    return data


def _log(line: str) -> None:
    print(f"  .. {line}", file=sys.stderr, flush=True)
