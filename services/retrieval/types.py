"""Domain types of retrieval requests and results (no protobuf)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from shopmesh.recsys.merge import MergedArrays


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
class PackedCandidates:
    """Merged candidates as arrays: the feed's hot path builds no per-candidate Python objects.

    Attributes:
        merged: The merge (item positions, fused scores, per-source entries).
        item_ids: The snapshot's item ids by position (the wire encoder reads `item_id_utf8` instead).
        item_id_utf8: Every item id's UTF-8 bytes, concatenated by position.
        item_id_offsets: Start of each position's id in item_id_utf8 (n_items + 1 entries).
        longest_item_id: Bytes of the catalogue's longest id.
        text_similarity: Per candidate; NaN where unset.
        learned_similarity: Per candidate; NaN where unset.
    """

    merged: MergedArrays
    item_ids: Sequence[str]
    item_id_utf8: np.ndarray
    item_id_offsets: np.ndarray
    longest_item_id: int
    text_similarity: np.ndarray
    learned_similarity: np.ndarray

    def __len__(self) -> int:
        return len(self.merged)

    def objects(self) -> list[CandidateOut]:
        """The same candidates as objects (tests, shards, the slow paths)."""
        m = self.merged
        out = [CandidateOut(self.item_ids[p], s, [], position=p)
               for p, s in zip(m.items.tolist(), m.scores.tolist(), strict=True)]
        for slot, source, score, rank in zip(m.entry_slot.tolist(), m.entry_source.tolist(), m.entry_score.tolist(),
                                             m.entry_rank.tolist(), strict=True):
            out[slot].sources.append((m.sources[source], score, rank))
        for c, text, learned in zip(out, self.text_similarity.tolist(), self.learned_similarity.tolist(),
                                    strict=True):
            c.text_similarity = None if math.isnan(text) else text
            c.learned_similarity = None if math.isnan(learned) else learned
        return out


@dataclass
class CandidateResult:
    """A RetrieveCandidates / SimilarItems / Search answer.

    Feed and similar-items answers carry `packed` and leave `listed` empty; `candidates` gives objects either way.
    """

    listed: list[CandidateOut]
    reports: list[SourceRun]
    cold_start: bool = False
    snapshot_versions: dict[str, str] = field(default_factory=dict)
    mode_used: str = ""
    language_code: str = ""
    packed: PackedCandidates | None = None

    @property
    def candidates(self) -> list[CandidateOut]:
        """The candidates as objects (built from `packed` on first use)."""
        if self.packed is not None and not self.listed and len(self.packed):
            self.listed = self.packed.objects()
        return self.listed
