"""RetrieveCandidates and SimilarItems: validate, run each source in its quota, filter, merge, report."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from services.retrieval import sources
from services.retrieval.filters import allowed_mask
from services.retrieval.policy import FEED_SOURCES, CataloguePolicy, policy_for
from services.retrieval.registry import SnapshotRegistry
from services.retrieval.snapshot import Snapshot
from services.retrieval.types import (
    CandidateQuery,
    CandidateResult,
    ItemFilterSpec,
    Outcome,
    PackedCandidates,
    SourceRun,
)
from shared.errors import FieldViolation, InvalidArgument, NotFound
from shopmesh.recsys.merge import SourceResult, merge_arrays

MAX_K = 2000
MAX_SIMILAR_K = 500
MAX_EXCLUDED = 2000


@dataclass(frozen=True)
class Limits:
    """Request limits (the contract's)."""

    max_k: int = MAX_K
    max_similar_k: int = MAX_SIMILAR_K
    max_excluded: int = MAX_EXCLUDED


def check_quotas(quotas: dict[str, int], allowed: tuple[str, ...], violations: list[FieldViolation],
                 raw: list[tuple[str, int]]) -> None:
    """Adds violations for quotas naming no feed source or negative counts."""
    for n, (source, count) in enumerate(raw):
        if source in ("", "UNSPECIFIED"):
            violations.append(FieldViolation(f"source_quotas[{n}].source", "UNSPECIFIED: name a source"))
        elif source not in allowed:
            violations.append(FieldViolation(f"source_quotas[{n}].source", f"NOT_A_FEED_SOURCE: {source}"))
        if count < 0:
            violations.append(FieldViolation(f"source_quotas[{n}].max_candidates", "NEGATIVE"))
        elif source in allowed:
            quotas[source] = count


class RetrievalEngine:
    """The domain object the servicer delegates to."""

    def __init__(self, registry: SnapshotRegistry, policies: Callable[[str], CataloguePolicy] = policy_for,
                 limits: Limits | None = None) -> None:
        self.registry = registry
        self.policies = policies
        self.limits = limits or Limits()

    def retrieve(self, query: CandidateQuery, raw_quotas: list[tuple[str, int]] | None = None) -> CandidateResult:
        """Merged candidates for a home feed.

        Raises:
            InvalidArgument: k out of range, bad quotas, too many exclusions, a malformed user vector.
            NotFound: unknown catalogue.
            Unavailable: no snapshot loaded yet.
        """
        violations: list[FieldViolation] = []
        if not 1 <= query.k <= self.limits.max_k:
            violations.append(FieldViolation("k", f"OUT_OF_RANGE: 1 to {self.limits.max_k}, got {query.k}"))
        if len(query.exclude_item_ids) > self.limits.max_excluded:
            violations.append(FieldViolation("exclude_item_ids", f"TOO_MANY: over {self.limits.max_excluded}"))
        check_quotas(query.quotas, FEED_SOURCES, violations, raw_quotas or [])
        if violations:
            raise InvalidArgument("invalid RetrieveCandidates request", violations)
        snapshot = self.registry.get(query.catalog_id)
        policy = self.policies(query.catalog_id)
        return _Feed(snapshot, policy, query).run()

    def similar(self, catalog_id: str, item_id: str, k: int, *, spec: ItemFilterSpec, excluded: list[str],
                raw_quotas: list[tuple[str, int]]) -> CandidateResult:
        """Items similar to one item (co-visitation and text neighbours by default).

        Raises:
            InvalidArgument: empty item id, k out of range, bad quotas, too many exclusions.
            NotFound: unknown catalogue or item.
        """
        violations: list[FieldViolation] = []
        if not item_id:
            violations.append(FieldViolation("item_id", "REQUIRED"))
        if not 1 <= k <= self.limits.max_similar_k:
            violations.append(FieldViolation("k", f"OUT_OF_RANGE: 1 to {self.limits.max_similar_k}, got {k}"))
        if len(excluded) > self.limits.max_excluded:
            violations.append(FieldViolation("exclude_item_ids", f"TOO_MANY: over {self.limits.max_excluded}"))
        quotas: dict[str, int] = {}
        check_quotas(quotas, ("CO_VISITATION", "TEXT_NEIGHBOURS"), violations, raw_quotas)
        if violations:
            raise InvalidArgument("invalid SimilarItems request", violations)
        snapshot = self.registry.get(catalog_id)
        anchor = snapshot.items.position.get(item_id)
        if anchor is None:
            raise NotFound("no such item in the catalogue", reason="UNKNOWN_ITEM", domain="shopmesh.retrieval",
                           metadata={"item_id": item_id[:64]})
        policy = self.policies(catalog_id)
        wanted = {**policy.similar_quotas, **quotas} if quotas else dict(policy.similar_quotas)
        allowed = allowed_mask(snapshot.items, spec, [anchor, *snapshot.items.positions(excluded)])
        runs: list[SourceRun] = []
        results: list[SourceResult] = []
        for source, quota in wanted.items():
            run = SourceRun(source, Outcome.OK, quota)
            started = time.perf_counter()
            if quota == 0:
                run.outcome = Outcome.SKIPPED_DISABLED
            elif source == "CO_VISITATION":
                results.append(_result(source, sources.co_visitation(snapshot, [anchor], allowed, quota), run))
            elif snapshot.text_index is None:
                run.outcome, run.detail = Outcome.SKIPPED_DISABLED, "no text index"
            else:
                proposal = sources.text_neighbours(snapshot, [anchor], allowed, quota)
                if not len(proposal[0]) and not sources.in_text_index(snapshot, anchor):
                    run.outcome, run.detail = Outcome.SKIPPED_NO_INPUT, "item not in the text index"
                results.append(_result(source, proposal, run))
            run.latency_us = int((time.perf_counter() - started) * 1e6)
            runs.append(run)
        return _finish(snapshot, results, runs, policy, k)


def _result(source: str, proposal: sources.Proposal, run: SourceRun) -> SourceResult:
    positions, scores = proposal
    run.returned = len(positions)
    return SourceResult(source, positions, scores)


def _finish(snapshot: Snapshot, results: list[SourceResult], runs: list[SourceRun], policy: CataloguePolicy,
            k: int, *, cold_start: bool = False) -> CandidateResult:
    merged = merge_arrays(results, policy.weights, k)
    contributed = np.bincount(merged.entry_source, minlength=len(merged.sources)).tolist()
    by_source = dict(zip(merged.sources, contributed, strict=True))
    for run in runs:
        run.contributed = by_source.get(run.source, 0)
    table = snapshot.items
    unset = np.full(len(merged), np.nan, dtype=np.float32)
    packed = PackedCandidates(merged, table.item_ids, table.item_id_utf8, table.item_id_offsets,
                              table.longest_item_id, unset, unset.copy())
    return CandidateResult([], runs, cold_start, snapshot.versions(), packed=packed)


class _Feed:
    """One RetrieveCandidates run over one snapshot."""

    def __init__(self, snapshot: Snapshot, policy: CataloguePolicy, query: CandidateQuery) -> None:
        self.snapshot, self.policy, self.query = snapshot, policy, query
        table = snapshot.items
        self.recent = table.positions([i for i, _ in query.recent_items])
        self.purchased = {table.position[i]: v for i, v in query.purchased.items() if i in table.position}
        exclude_purchased = policy.exclude_purchased if query.exclude_purchased is None else query.exclude_purchased
        excluded = table.positions(query.exclude_item_ids)
        if exclude_purchased:
            excluded += list(self.purchased)
        if snapshot_excludes_seen(policy):
            excluded += self.recent
        self.allowed = allowed_mask(table, query.filter, excluded)

    def run(self) -> CandidateResult:
        quotas = {**self.policy.quotas, **self.query.quotas}
        cold = not self.recent and not self.purchased and self.query.user_vector is None
        runs: list[SourceRun] = []
        results: list[SourceResult] = []
        for source in FEED_SOURCES:
            quota = quotas.get(source, 0)
            run = SourceRun(source, Outcome.OK, quota)
            started = time.perf_counter()
            if quota <= 0:
                run.outcome = Outcome.SKIPPED_DISABLED
            elif source == "COLD_START" and not cold:
                run.outcome, run.detail = Outcome.SKIPPED_NO_INPUT, "user has history"
            else:
                proposal = self._propose(source, quota, run)
                if proposal is not None:
                    results.append(_result(source, proposal, run))
            run.latency_us = int((time.perf_counter() - started) * 1e6)
            runs.append(run)
        result = _finish(self.snapshot, results, runs, self.policy, self.query.k, cold_start=cold)
        self._similarities(result)
        return result

    def _propose(self, source: str, quota: int, run: SourceRun) -> sources.Proposal | None:
        s, allowed = self.snapshot, self.allowed
        try:
            if source == "USER_VECTOR_ANN":
                return self._ann(quota, run)
            if source == "CO_VISITATION":
                return (self._need(run, bool(self.recent)) and sources.co_visitation(
                    s, self.recent[::-1], allowed, quota)) or None
            if source in ("TEXT_NEIGHBOURS", "RECENT_TEXT_VECTORS"):
                if s.text_index is None:
                    run.outcome, run.detail = Outcome.SKIPPED_DISABLED, "no text index"
                    return None
                if source == "TEXT_NEIGHBOURS":
                    return (self._need(run, bool(self.recent)) and sources.text_neighbours(
                        s, self.recent, allowed, quota)) or None
                profile = self._text_profile
                return (self._need(run, profile is not None) and sources.recent_text_vectors(
                    s, profile, allowed, quota)) or None  # type: ignore[arg-type]
            if source == "REPURCHASE":
                return (self._need(run, bool(self.purchased)) and sources.repurchase(
                    s, self.purchased, allowed, quota)) or None
            if source == "TRENDING":
                return sources.trending(s, allowed, quota)
            if source == "CATEGORY_AFFINITY":
                affinities = self._affinities()
                return (self._need(run, bool(affinities)) and sources.category_affinity(
                    s, affinities, allowed, quota)) or None
            return sources.cold_start(s, allowed, quota)
        except (RuntimeError, ValueError, MemoryError) as exc:
            # One failing index must not fail the feed: report it, let the other sources answer.
            run.outcome, run.detail = Outcome.FAILED, f"{type(exc).__name__}"
            return None

    @staticmethod
    def _need(run: SourceRun, present: bool) -> bool:
        if not present:
            run.outcome, run.detail = Outcome.SKIPPED_NO_INPUT, "no input for this source"
        return present

    def _ann(self, quota: int, run: SourceRun) -> sources.Proposal | None:
        vector = self.query.user_vector
        learned = self.snapshot.learned_space
        if vector is None:
            run.outcome, run.detail = Outcome.SKIPPED_NO_INPUT, "no user vector"
            return None
        if self.snapshot.learned_index is None:
            run.outcome, run.detail = Outcome.SKIPPED_DISABLED, "no learned index"
            return None
        wrong_dimension = len(vector.values) != self.snapshot.learned_index.dimension
        if (vector.space, vector.space_version) != learned or wrong_dimension:
            run.outcome = Outcome.SKIPPED_VECTOR_SPACE_MISMATCH
            run.detail = f"vector {vector.space}@{vector.space_version}, index {learned[0]}@{learned[1]}"
            return None
        return sources.ann(self.snapshot, vector.values, self.allowed, quota)

    def _affinities(self) -> dict[int, float]:
        names = self.snapshot.items.category_keys
        given = {names[k.casefold()]: v for k, v in self.query.category_affinities.items() if k.casefold() in names}
        if given:
            return given
        recent = self.recent[:50]
        if not recent:
            return {}
        counts = np.bincount(self.snapshot.items.category[recent], minlength=len(names))
        return {int(c): float(v) / len(recent) for c, v in enumerate(counts) if v}

    def _similarities(self, result: CandidateResult) -> None:
        """Fills text and learned similarities of each candidate (features the ranker reads)."""
        packed = result.packed
        if packed is None or not len(packed):
            return
        positions = packed.merged.items
        vector = self.query.user_vector
        if vector is not None and self.snapshot.learned_index is not None and (
                (vector.space, vector.space_version) == self.snapshot.learned_space
                and len(vector.values) == self.snapshot.learned_index.dimension):
            rows = self.snapshot.learned_row[positions]
            in_index = rows >= 0
            packed.learned_similarity[in_index] = self.snapshot.learned_matrix[rows[in_index]] @ vector.values
        profile = self._text_profile
        if profile is None:
            return
        rows = self.snapshot.text_row[positions]
        known = rows >= 0
        packed.text_similarity[known] = self.snapshot.text_matrix[rows[known]] @ profile

    @cached_property
    def _text_profile(self) -> np.ndarray | None:
        """The user's text profile, computed once per request (a source and the similarities read it)."""
        return sources.text_profile(self.snapshot, self.recent) if self.recent else None


def snapshot_excludes_seen(policy: CataloguePolicy) -> bool:
    """Items the user interacted with are not re-proposed where purchases are excluded (the offline protocol)."""
    return policy.exclude_purchased
