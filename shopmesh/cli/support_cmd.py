"""`shopmesh support train` and `shopmesh eval support`: the support models' artifacts and their evaluation."""

from __future__ import annotations

import argparse
import json
import time
from typing import Any


def _encoder() -> Any:
    from services.support.encoder import CachedEncoder

    return CachedEncoder()


def _train(args: argparse.Namespace) -> int:
    from services.support.artifacts import train_intent, train_sentiment
    from shared.threads import pin_cpu_threads

    pin_cpu_threads(1)
    started = time.monotonic()
    if args.what in ("all", "intent"):
        print(f"intent model: {train_intent(_encoder())}")
    if args.what in ("all", "sentiment"):
        print(f"sentiment model: {train_sentiment()}")
    print(f"done in {time.monotonic() - started:.1f} s")
    return 0


def _eval(args: argparse.Namespace) -> int:
    from services.support.artifacts import load_or_train
    from services.support.evaluation import TARGETS, evaluate_all
    from shared.threads import pin_cpu_threads

    pin_cpu_threads(1)
    started = time.monotonic()
    encoder = _encoder()
    models = load_or_train(encoder)
    report = evaluate_all(models, encoder)
    if args.json:
        print(json.dumps({"metrics": report.metrics, "notes": report.notes}, indent=2, sort_keys=True))
    else:
        print(f"intent model {models.intent_manifest.name} v{models.intent_manifest.version}, "
              f"sentiment model {models.sentiment_manifest.name} v{models.sentiment_manifest.version}")
        print(f"{'metric':32} {'target':>7}  systems")
        for metric, systems in report.metrics.items():
            target = TARGETS.get(metric)
            cells = "  ".join(f"{name}={value:.3f}" for name, value in systems.items())
            mark = "" if target is None else ("  PASS" if systems["model"] >= target else "  BELOW TARGET")
            print(f"{metric:32} {'' if target is None else f'{target:.2f}':>7}  {cells}{mark}")
        for name, value in report.notes.items():
            print(f"  {name}: {value:g}")
    print(f"evaluated in {time.monotonic() - started:.1f} s")
    missed = [m for m, t in TARGETS.items() if report.metrics[m]["model"] < t]
    return 1 if (args.strict and missed) else 0


def _eval_group(subparsers: Any) -> Any:
    """The shared `eval` group's sub-commands (made here, or joined when eval_cmd made it first)."""
    group = subparsers.choices.get("eval")
    if group is None:
        group = subparsers.add_parser("eval", help="offline evaluations")
        return group.add_subparsers(dest="eval_command", required=True, metavar="SUBCOMMAND")
    return next(a for a in group._actions if isinstance(a, argparse._SubParsersAction))


def add_parser(subparsers: Any) -> None:
    """Adds `support train` and `eval support`."""
    support = subparsers.add_parser("support", help="the support QA models")
    sub = support.add_subparsers(dest="support_command", required=True)
    train = sub.add_parser("train", help="train the intent and sentiment models into $SHOPMESH_HOME")
    train.add_argument("what", nargs="?", choices=("all", "intent", "sentiment"), default="all")
    train.set_defaults(handler=_train)

    support_eval = _eval_group(subparsers).add_parser(
        "support", help="intent, OOS, slots, escalation and sentiment vs baselines")
    support_eval.add_argument("--json", action="store_true", help="print JSON instead of a table")
    support_eval.add_argument("--strict", action="store_true", help="exit 1 when a metric misses its target")
    support_eval.set_defaults(handler=_eval)
