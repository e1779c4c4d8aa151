"""`shopmesh train user-tower` and `shopmesh build index`: the retrieval artifacts, built offline."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any


def _group(subparsers: Any, name: str, help_text: str) -> Any:
    """The sub-command action of a top-level group, created when no other module made it."""
    group = subparsers.choices.get(name)
    if group is None:
        group = subparsers.add_parser(name, help=help_text)
        return group.add_subparsers(dest=f"{name}_command", required=True, metavar="SUBCOMMAND")
    return next(a for a in group._actions if isinstance(a, argparse._SubParsersAction))


def add_parser(subparsers: Any) -> None:
    """Adds `train user-tower` and `build index`."""
    tower = _group(subparsers, "train", "train models").add_parser(
        "user-tower", help="train the user tower on the MovieLens event log",
        description="Next-item prediction with sampled softmax over every user's whole history (event order); "
        "writes a versioned artifact (TorchScript, item vocabulary, item vectors, manifest).")
    tower.add_argument("--out", type=Path, default=Path("var/models/user-tower-movielens"),
                       help="artifact folder; the version is a sub-folder")
    tower.add_argument("--version", default=None, help="artifact version (default: next integer)")
    tower.add_argument("--epochs", type=int, default=None)
    tower.add_argument("--threads", type=int, default=1)
    tower.add_argument("--data-dir", default=None)
    tower.set_defaults(handler=run_train_tower)

    index = _group(subparsers, "build", "build artifacts").add_parser(
        "index", help="build a retrieval snapshot (text, learned, co-visitation, lexical) and promote it",
        description="Builds <root>/<catalog>/<version>/ with one manifest per part and, with --promote, points "
        "PROMOTED at it: a running retrieval service swaps to it without failing a request.")
    index.add_argument("catalog", choices=("movielens", "clothing"))
    index.add_argument("--root", type=Path, default=None,
                       help="snapshots' folder (default: $SHOPMESH_HOME/indexes, where the retrieval service looks)")
    index.add_argument("--version", default=None, help="snapshot version (default: next integer)")
    index.add_argument("--tower", type=Path, default=None, help="user tower artifact version folder (movielens)")
    index.add_argument("--no-text", action="store_true", help="skip the text index (no encoder run)")
    index.add_argument("--shards", type=int, default=1, help="write one snapshot per shard under <root>/shard-<i>")
    index.add_argument("--promote", action="store_true")
    index.add_argument("--data-dir", default=None)
    index.set_defaults(handler=run_build_index)


def _next_version(folder: Path) -> str:
    versions = [int(p.name) for p in folder.iterdir() if p.is_dir() and p.name.isdigit()] if folder.is_dir() else []
    return str(max(versions, default=0) + 1)


def run_train_tower(args: argparse.Namespace) -> int:
    """Handler of `shopmesh train user-tower`."""
    from shared.threads import pin_cpu_threads

    pin_cpu_threads(args.threads)
    import torch

    from services.retrieval.build import sequences_of
    from shopmesh.data import movielens
    from shopmesh.recsys.tower import TowerConfig, train_tower
    from shopmesh.recsys.tower_artifact import save_tower

    torch.set_num_threads(args.threads)
    items = movielens.load_items(args.data_dir)
    position = {m.item_id: n for n, m in enumerate(items)}
    interactions = movielens.load_interactions(args.data_dir)
    config = TowerConfig() if args.epochs is None else TowerConfig(epochs=args.epochs)
    started = time.monotonic()
    model, info = train_tower(sequences_of(interactions, position), len(items), config, log=True)
    version = args.version or _next_version(args.out)
    from datetime import UTC, datetime

    def iso(seconds: int) -> str:
        return datetime.fromtimestamp(seconds, tz=UTC).isoformat()

    manifest = save_tower(args.out / version, model, [f"ml-{m.item_id}" for m in items], catalog_id="movielens",
                          version=version, metrics=info, data_start=iso(interactions[0].epoch_seconds),
                          data_end=iso(interactions[-1].epoch_seconds))
    print(f"user tower {manifest.version} -> {args.out / version} ({time.monotonic() - started:.0f} s, "
          f"loss {info['train_loss']:.3f})")
    return 0


def run_build_index(args: argparse.Namespace) -> int:
    """Handler of `shopmesh build index`."""
    from shared.threads import pin_cpu_threads

    pin_cpu_threads(1)
    from services.retrieval import build
    from services.retrieval.snapshot import promote, write_snapshot
    from shopmesh.models.manifest import ManifestError
    from shopmesh.recsys.tower_artifact import load_tower

    started = time.monotonic()
    encode = None if args.no_text else build.e5_passages()
    try:
        tower = load_tower(args.tower) if args.tower else None
    except ManifestError as exc:
        print(f"error: user tower: {exc}", file=sys.stderr)
        return 2
    if args.root is None:
        from services.retrieval.settings import default_index_root

        args.root = default_index_root()
    roots = [args.root] if args.shards == 1 else [args.root / f"shard-{i}" for i in range(args.shards)]
    version = args.version or _next_version(roots[0] / args.catalog)
    if args.catalog == "movielens":
        inputs = build.movielens_inputs(version, args.data_dir, encode=encode, tower=tower)
    else:
        inputs = build.clothing_inputs(version, args.data_dir, encode=encode)
    for shard, root in enumerate(roots):
        folder = write_snapshot(root, inputs, shard_index=shard, shard_count=args.shards)
        if args.promote:
            promote(root, args.catalog, version)
        print(f"{args.catalog} snapshot {version} -> {folder}{' (promoted)' if args.promote else ''}")
    print(f"built in {time.monotonic() - started:.0f} s")
    return 0
