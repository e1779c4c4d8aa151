"""Protobuf <-> domain conversion for the retrieval servicer (the only module besides it that knows protos)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from services.retrieval import candidate_wire
from services.retrieval.registry import SnapshotStatus
from services.retrieval.types import CandidateOut, CandidateResult, ItemFilterSpec, SourceRun, UserVector
from shared.errors import FieldViolation, InvalidArgument
from shopmesh.common.v1 import artifact_pb2, item_pb2, recommendation_pb2, vector_pb2
from shopmesh.retrieval.v1 import retrieval_service_pb2 as pb

MAX_FILTER_VALUES = 100
"""Most category prefixes, and most brands, one ItemFilter may list."""
MAX_QUOTAS = 32
"""Most source quotas one request may carry (there are fewer sources)."""
_STATES = {"SERVING": artifact_pb2.ARTIFACT_STATE_SERVING, "REJECTED": artifact_pb2.ARTIFACT_STATE_REJECTED,
           "RETIRED": artifact_pb2.ARTIFACT_STATE_RETIRED, "LOADING": artifact_pb2.ARTIFACT_STATE_LOADING}
_KIND_OF_PART = {"text_index": "TEXT_INDEX", "learned_index": "LEARNED_INDEX", "behaviour": "CO_VISITATION",
                 "lexical_index": "LEXICAL_INDEX"}


def source_name(value: int) -> str:
    """CandidateSource enum value -> name without prefix ("" for unspecified or unknown)."""
    try:
        name = recommendation_pb2.CandidateSource.Name(value)
    except ValueError:
        return ""
    return "" if value == 0 else name.removeprefix("CANDIDATE_SOURCE_")


_SOURCE_VALUES = {name.removeprefix("CANDIDATE_SOURCE_"): value
                  for name, value in recommendation_pb2.CandidateSource.items()}


def source_value(name: str) -> Any:
    """Source name -> CandidateSource enum value (a dict: this runs once per source of every candidate)."""
    return _SOURCE_VALUES[name]


def quotas(raw: Sequence[pb.SourceQuota]) -> list[tuple[str, int]]:
    """(source name, max_candidates) per quota entry, order kept for field paths; over 32 is TOO_MANY.

    A million entries (found by fuzzing) made a million violations in a worker thread that held the GIL: SimilarItems
    ran past its deadline and the service's next calls queued behind it."""
    if len(raw) > MAX_QUOTAS:
        raise InvalidArgument("too many source quotas", [FieldViolation("source_quotas",
                                                                         f"TOO_MANY: at most {MAX_QUOTAS}")])
    return [(source_name(q.source) or ("UNSPECIFIED" if q.source == 0 else f"UNKNOWN_{q.source}"),
             q.max_candidates) for q in raw]


def item_filter(message: item_pb2.ItemFilter, violations: list[FieldViolation],
                prefix: str = "filter") -> ItemFilterSpec:
    """The explicit filter; a currency differing between min and max price is a violation."""
    min_price = max_price = None
    currencies = set()
    if message.HasField("min_price"):
        min_price = _cents(message.min_price)
        currencies.add(message.min_price.currency_code)
    if message.HasField("max_price"):
        max_price = _cents(message.max_price)
        currencies.add(message.max_price.currency_code)
    if len(currencies) > 1:
        violations.append(FieldViolation(f"{prefix}.min_price.currency_code", "CURRENCY_MISMATCH"))
    # Each prefix is matched against every category: a million of them ran Search past its deadline (fuzzing).
    for name, values in (("category_prefixes", message.category_prefixes), ("brands", message.brands)):
        if len(values) > MAX_FILTER_VALUES:
            violations.append(FieldViolation(f"{prefix}.{name}", f"TOO_MANY: at most {MAX_FILTER_VALUES}"))
            return ItemFilterSpec()
    return ItemFilterSpec(tuple(tuple(p.split("/")) for p in message.category_prefixes if p),
                          tuple(message.brands), min_price, max_price, message.include_out_of_stock)


def _cents(money: object) -> int:
    # Money is in micros (1e-6 of a unit); prices are stored in cents.
    return int(getattr(money, "amount_micros", 0)) // 10_000


def user_vector(message: vector_pb2.Vector, violations: list[FieldViolation], field: str) -> UserVector | None:
    """The vector, or None when unset; a byte length that is not dimension x 4 is a violation."""
    if not message.values_f32le and not message.dimension:
        return None
    if message.dimension <= 0 or len(message.values_f32le) != message.dimension * 4:
        violations.append(FieldViolation(f"{field}.values_f32le", "WRONG_LENGTH: must be dimension * 4 bytes"))
        return None
    values = np.frombuffer(message.values_f32le, dtype="<f4").astype(np.float32)
    if not np.isfinite(values).all():
        violations.append(FieldViolation(f"{field}.values_f32le", "NOT_FINITE: NaN or infinity"))
        return None
    return UserVector(values, message.vector_space, message.vector_space_version)


def raise_if(violations: list[FieldViolation], what: str) -> None:
    """Raises InvalidArgument when there are violations."""
    if violations:
        raise InvalidArgument(f"invalid {what} request", violations)


def add_candidates(response: Any, result: CandidateResult) -> None:
    """Appends the result's candidates to a response's `candidates` (field 1 of every retrieval response).

    Packed results are encoded from their arrays and parsed in C; object results are added in place
    (`repeated.add` builds each message once, where a list of messages is copied into the field).
    """
    packed = result.packed
    if packed is not None and not result.listed and candidate_wire.encodable(packed, _SOURCE_VALUES):
        response.MergeFromString(candidate_wire.candidate_fields(packed, _SOURCE_VALUES))
        return
    _add_objects(response.candidates, result.candidates)


def _add_objects(field: Any, items: list[CandidateOut]) -> None:
    add, values = field.add, _SOURCE_VALUES
    for c in items:
        message = add(item_id=c.item_id, score=c.score)
        add_source = message.sources.add
        for s, score, rank in c.sources:
            add_source(source=values[s], score=score, rank=rank)
        if c.text_similarity is not None:
            message.text_similarity = c.text_similarity
        if c.learned_similarity is not None:
            message.learned_similarity = c.learned_similarity


def reports(runs: list[SourceRun]) -> list[pb.SourceReport]:
    """Domain source runs -> protos."""
    return [pb.SourceReport(source=source_value(r.source),
                            outcome=pb.SourceOutcome.Value(f"SOURCE_OUTCOME_{r.outcome}"),
                            requested_count=r.requested, returned_count=r.returned, contributed_count=r.contributed,
                            latency_us=r.latency_us, detail=r.detail) for r in runs]


def served(result: CandidateResult) -> pb.ServedSnapshots:
    """Snapshot versions used."""
    return pb.ServedSnapshots(**result.snapshot_versions)


def index_snapshots(statuses: list[SnapshotStatus]) -> list[pb.IndexSnapshot]:
    """One IndexSnapshot per part of each known version."""
    out = []
    for status in statuses:
        parts = status.manifests or {}
        if not parts:
            out.append(pb.IndexSnapshot(state=_STATES[status.state], state_reason=status.reason))
            continue
        for part, manifest in parts.items():
            message = pb.IndexSnapshot(manifest=manifest.to_proto(), state=_STATES[status.state],
                                       state_reason=status.reason, index_type=manifest.extra.get("index_type", ""),
                                       paired_user_tower_version=manifest.extra.get("paired_user_tower_version", ""))
            snapshot = status.snapshot
            if snapshot is not None:
                index = {"text_index": snapshot.text_index, "learned_index": snapshot.learned_index}.get(part)
                message.item_count = index.size if index is not None else len(snapshot.items)
            if status.load_time:
                message.load_time.FromJsonString(status.load_time.replace("+00:00", "Z"))
            out.append(message)
    return out
