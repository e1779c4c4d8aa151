"""`shopmesh eval retrieval`: offline Recall@100/@500 of every candidate source, their merge and baselines."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any


def add_parser(subparsers: Any) -> None:
    """Adds `eval retrieval`, joining the `eval` group when another command module already made it."""
    commands = _eval_group(subparsers)
    retrieval = commands.add_parser(
        "retrieval", help="candidate sources and their merge on MovieLens-100K and the Instacart sample",
        description="MovieLens-100K: per user, events sorted by (timestamp, item id), the last is the test item, "
        "earlier ones are visible, ranking over items the user has not interacted with. Instacart: the last "
        "order is the test basket, ranking over every item. Prints Recall@100/@500 (and NDCG@10) of the merged "
        "candidates, of each source and of popularity, ALS (implicit) and co-visitation baselines.")
    retrieval.add_argument("--data-dir", default=None, help="where `shopmesh data fetch` put the data sets")
    retrieval.add_argument("--dataset", choices=("movielens", "instacart", "all"), default="all")
    retrieval.add_argument("--users", type=int, default=None, help="evaluate a random subsample of users (CI)")
    retrieval.add_argument("--epochs", type=int, default=None, help="user tower epochs (default: the config's)")
    retrieval.add_argument("--threads", type=int, default=1, help="torch/BLAS threads")
    retrieval.add_argument("--json", type=Path, default=None, help="also write the figures here")
    retrieval.add_argument("--tune", action="store_true",
                           help="choose MovieLens fusion weights on a validation split (second-to-last events) first")
    retrieval.set_defaults(handler=run_retrieval)
    search = commands.add_parser(
        "search", help="nDCG@10 of BM25, dense and hybrid search on the labelled clothing queries (en, zh)",
        description="Builds the clothing snapshot (multilingual-e5-small passages, BM25 with jieba) in a temp dir and "
        "runs the hand-labelled query set (shopmesh/recsys/data/search_queries.json) in each mode.")
    search.add_argument("--data-dir", default=None)
    search.set_defaults(handler=run_search)


def _eval_group(subparsers: Any) -> Any:
    """The sub-command action of the shared `eval` group (support_cmd also adds to it)."""
    group = subparsers.choices.get("eval")
    if group is None:
        group = subparsers.add_parser("eval", help="offline evaluations")
        return group.add_subparsers(dest="eval_command", required=True, metavar="SUBCOMMAND")
    return next(a for a in group._actions if isinstance(a, argparse._SubParsersAction))


def run_retrieval(args: argparse.Namespace) -> int:
    """Handler of `shopmesh eval retrieval`."""
    from shared.threads import pin_cpu_threads

    pin_cpu_threads(args.threads)
    import torch

    from shopmesh.data import instacart, movielens
    from shopmesh.data.paths import DataNotFetchedError
    from shopmesh.recsys.evaluate import GROCERY_WEIGHTS, MOVIE_WEIGHTS, EvalConfig, evaluate, tune_weights
    from shopmesh.recsys.protocol import last_basket, leave_last_out
    from shopmesh.recsys.tower import TowerConfig

    torch.set_num_threads(args.threads)
    tower = TowerConfig() if args.epochs is None else TowerConfig(epochs=args.epochs)
    reports = []
    try:
        if args.dataset in ("movielens", "all"):
            split = leave_last_out(movielens.load_interactions(args.data_dir))
            items = {m.item_id: m for m in movielens.load_items(args.data_dir)}
            category = _categories([items[int(i)].category_path for i in split.item_ids])
            split = split if args.users is None else split.subsample(args.users)
            config = EvalConfig(tower=tower, weights=MOVIE_WEIGHTS, als_threads=args.threads)
            if args.tune:
                config = replace(config, weights=tune_weights(split, category, config, log=_log))
                _log("chosen: " + ", ".join(f"{k} {v.weight:g}/T{v.temperature:g}" for k, v in config.weights.items()))
            reports.append(evaluate(split, category, config, log=_log))
            print(reports[-1].format(), flush=True)
        if args.dataset in ("instacart", "all"):
            baskets = instacart.load_baskets(args.data_dir)
            split = last_basket(baskets)
            groceries = {g.item_id: g for g in instacart.load_items(args.data_dir, baskets=baskets)}
            category = _categories([groceries[int(i)].category_path for i in split.item_ids])
            split = split if args.users is None else split.subsample(args.users)
            config = EvalConfig(tower=replace(tower, negatives=2048), weights=GROCERY_WEIGHTS,
                                sources=("REPURCHASE", "USER_VECTOR_ANN", "CO_VISITATION", "TRENDING",
                                         "CATEGORY_AFFINITY"), als_threads=args.threads)
            reports.append(evaluate(split, category, config, log=_log))
            print(reports[-1].format(), flush=True)
    except DataNotFetchedError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json is not None:
        args.json.write_text(json.dumps([asdict(r) for r in reports], indent=2, default=float))
    return 0


def run_search(args: argparse.Namespace) -> int:
    """Handler of `shopmesh eval search`."""
    from shared.threads import pin_cpu_threads

    pin_cpu_threads(1)
    from services.retrieval.search_eval import MODES, run

    figures, count = run(args.data_dir)
    print(f"clothing search, {count} labelled queries, nDCG@10 (graded)")
    print(f"{'language':10}" + "".join(f"{m:10}" for m in MODES) + "hybrid >= best single")
    for language, by_mode in sorted(figures.items()):
        best = max(by_mode["LEXICAL"], by_mode["DENSE"])
        print(f"{language:10}" + "".join(f"{by_mode[m]:<10.4f}" for m in MODES)
              + ("yes" if by_mode["HYBRID"] >= best else "no"))
    return 0


def _categories(paths: list[tuple[str, ...]]) -> Any:
    import numpy as np

    names = {p: n for n, p in enumerate(sorted(set(paths)))}
    return np.asarray([names[p] for p in paths], dtype=np.int64)


def _log(line: str) -> None:
    print(f"  .. {line}", file=sys.stderr, flush=True)
