"""Acceptance 2: replaying MovieLens-100K in time order gives the features `shopmesh features rebuild` gives."""

from __future__ import annotations

import asyncio
import math
import time
from pathlib import Path

import pytest

from services.profile.app import build_offline
from services.profile.features import ItemFeatureValues, UserFeatureValues
from services.profile.settings import ProfileDataSettings
from shopmesh.cli.features_cmd import _rebuild, load_datasets
from shopmesh.data.fetch import fetch_datasets

REL_TOL = 1e-9


def close(a: object, b: object, path: str = "") -> list[str]:
    """Differences between two feature values (floats within REL_TOL relative), as readable paths."""
    if isinstance(a, float) and isinstance(b, float):
        return [] if math.isclose(a, b, rel_tol=REL_TOL, abs_tol=1e-300) else [f"{path}: {a!r} != {b!r}"]
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return [f"{path}: keys differ"]
        return [d for k in a for d in close(a[k], b[k], f"{path}.{k}")]
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        if len(a) != len(b):
            return [f"{path}: lengths {len(a)} != {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in close(x, y, f"{path}[{i}]")]
    if isinstance(a, UserFeatureValues | ItemFeatureValues):
        return close(vars_of(a), vars_of(b), path)
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def vars_of(value: object) -> dict[str, object]:
    """A frozen dataclass's fields."""
    return {k: getattr(value, k) for k in value.__dataclass_fields__}  # type: ignore[attr-defined]


async def snapshot(settings: ProfileDataSettings) -> dict[str, object]:
    """Every user's and item's online features, read from the feature store."""
    service = build_offline(settings)
    await service.start()
    try:
        catalog = "movielens"
        users = [f"u{i}" for i in range(1, 944)]
        items = sorted(service.catalogue.items_of(catalog))
        out: dict[str, object] = {}
        for user in users:
            out[user] = (await service.engine.user_features(catalog, user, None))[1]
        for start in range(0, len(items), 1000):
            _, values = await service.engine.item_features(catalog, items[start:start + 1000], None)
            out.update(zip(items[start:start + 1000], values, strict=True))
        return out
    finally:
        await service.close()


@pytest.mark.slow
def test_replaying_movielens_equals_a_rebuild(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fetch_datasets(None)  # no-op when ./scripts/test already fetched
    monkeypatch.setenv("SHOPMESH_PROFILE_DATA_DIR", str(tmp_path / "profile"))
    started = time.monotonic()
    counts = asyncio.run(load_datasets(None, None, clothing=False))
    assert counts["events"] == counts["accepted"] == 237_895  # 100,000 views + clicks (>= 3) + purchases (>= 4)
    incremental = asyncio.run(snapshot(ProfileDataSettings()))
    events, users, items = asyncio.run(_rebuild())
    assert (events, users, items) == (237_895, 943, 1_682)
    rebuilt = asyncio.run(snapshot(ProfileDataSettings()))
    assert close(incremental, rebuilt) == []
    sample = incremental["u1"]
    assert isinstance(sample, UserFeatureValues)
    assert sample.as_of_us // 1_000_000 == 893_286_638  # 1998-04-22: the last rating, not the wall clock
    assert sample.total_events > 272 and sample.category_affinities and sample.purchased
    print(f"replay + rebuild + compare: {time.monotonic() - started:.1f} s")
