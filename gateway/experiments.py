"""Experiments: deterministic hash bucketing of users into variants from a YAML file (no gRPC)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import yaml

BUCKETS = 10_000
SURFACES = ("home_feed", "similar_items", "search")


@dataclass(frozen=True)
class Variant:
    """One arm of an experiment and the parameters it sets."""

    name: str
    weight: int
    ranker: bool = True
    diversity_lambda: float | None = None


@dataclass(frozen=True)
class Experiment:
    """An experiment: id, salt, the surfaces it covers and its weighted variants."""

    experiment_id: str
    salt: str
    surfaces: frozenset[str]
    variants: tuple[Variant, ...]


@dataclass(frozen=True)
class Assignment:
    """What one request gets: the experiment and variant (empty when none) and their parameters."""

    experiment_id: str = ""
    variant: str = ""
    ranker: bool = True
    diversity_lambda: float | None = None


@dataclass(frozen=True)
class Experiments:
    """Every configured experiment; `assign` is a pure function of (user, surface)."""

    experiments: tuple[Experiment, ...] = field(default_factory=tuple)

    @classmethod
    def load(cls, path: Path) -> Experiments:
        """Parses and validates the YAML file; raises ValueError with the offending entry."""
        raw = yaml.safe_load(path.read_text()) or {}
        loaded = []
        for entry in raw.get("experiments", []):
            exp_id = str(entry["id"])
            surfaces = frozenset(entry.get("surfaces", SURFACES))
            if not surfaces <= set(SURFACES):
                raise ValueError(f"experiment {exp_id}: unknown surfaces {sorted(surfaces - set(SURFACES))}")
            variants = []
            for v in entry["variants"]:
                params = v.get("params") or {}
                lam = params.get("diversity_lambda")
                if lam is not None and not 0.0 <= float(lam) <= 1.0:
                    raise ValueError(f"experiment {exp_id}: diversity_lambda {lam} outside 0..1")
                if int(v["weight"]) < 0 or ":" in str(v["name"]) or "." in str(v["name"]):
                    raise ValueError(f"experiment {exp_id}: bad variant {v['name']!r}")
                variants.append(Variant(str(v["name"]), int(v["weight"]), bool(params.get("ranker", True)),
                                        None if lam is None else float(lam)))
            if not variants or sum(v.weight for v in variants) <= 0:
                raise ValueError(f"experiment {exp_id}: needs variants with positive total weight")
            loaded.append(Experiment(exp_id, str(entry.get("salt", "")), surfaces, tuple(variants)))
        return cls(tuple(loaded))

    def assign(self, user_id: str, surface: str) -> Assignment:
        """The first experiment covering `surface`, bucketed by a hash of experiment, salt and user."""
        for exp in self.experiments:
            if surface not in exp.surfaces:
                continue
            digest = hashlib.sha256(f"{exp.experiment_id}:{exp.salt}:{user_id}".encode()).digest()
            total = sum(v.weight for v in exp.variants)
            point = int.from_bytes(digest[:8], "big") % BUCKETS * total / BUCKETS
            upper = 0.0
            for variant in exp.variants:
                upper += variant.weight
                if point < upper:
                    return Assignment(exp.experiment_id, variant.name, variant.ranker, variant.diversity_lambda)
        return Assignment()
