"""Domain types of retrieval requests and results (no protobuf)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np


class Outcome(StrEnum):
    """What happened to one source in one request (the proto's SourceOutcome without prefix)."""

    OK = "OK"
    SKIPPED_NO_INPUT = "SKIPPED_NO_INPUT"
    SKIPPED_VECTOR_SPACE_MISMATCH = "SKIPPED_VECTOR_SPACE_MISMATCH"
    SKIPPED_DISABLED = "SKIPPED_DISABLED"
    FAILED = "FAILED"


@dataclass(frozen=True)
class UserVector:
    """A user vector with the space it lives in."""

    values: np.ndarray
    space: str
    space_version: str


@dataclass(frozen=True)
class ItemFilterSpec:
    """Explicit filters (prices in minor units; None means no bound)."""

    category_prefixes: tuple[tuple[str, ...], ...] = ()
    brands: tuple[str, ...] = ()
    min_price_cents: int | None = None
    max_price_cents: int | None = None
    include_out_of_stock: bool = False


@dataclass
class CandidateQuery:
    """A RetrieveCandidates request in domain terms.

    Attributes:
        catalog_id: Catalogue (resolved, never empty).
        user_id: The user, empty for anonymous.
        recent_items: (item id, event epoch seconds), newest first.
        purchased: Item id -> (purchase count, last purchase epoch seconds).
        category_affinities: Category key -> affinity.
        user_vector: The user vector, if any.
        k: Candidates wanted.
        quotas: Per-source quota overrides.
        filter: Explicit filters.
        exclude_item_ids: Never return these.
        exclude_purchased: None: the catalogue's policy.
    """

    catalog_id: str
    user_id: str = ""
    recent_items: list[tuple[str, int]] = field(default_factory=list)
    purchased: dict[str, tuple[int, int]] = field(default_factory=dict)
    category_affinities: dict[str, float] = field(default_factory=dict)
    user_vector: UserVector | None = None
    k: int = 100
    quotas: dict[str, int] = field(default_factory=dict)
    filter: ItemFilterSpec = field(default_factory=ItemFilterSpec)
    exclude_item_ids: list[str] = field(default_factory=list)
    exclude_purchased: bool | None = None


@dataclass
class SourceRun:
    """One source's report."""

    source: str
    outcome: Outcome
    requested: int
    returned: int = 0
    contributed: int = 0
    latency_us: int = 0
    detail: str = ""


@dataclass(slots=True)
class CandidateOut:
    """One merged candidate."""

    item_id: str
    score: float
    sources: list[tuple[str, float, int]]
    text_similarity: float | None = None
    learned_similarity: float | None = None
    position: int = -1


@dataclass
class CandidateResult:
    """A RetrieveCandidates / SimilarItems / Search answer."""

    candidates: list[CandidateOut]
    reports: list[SourceRun]
    cold_start: bool = False
    snapshot_versions: dict[str, str] = field(default_factory=dict)
    mode_used: str = ""
    language_code: str = ""
