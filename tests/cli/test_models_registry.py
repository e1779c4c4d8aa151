"""The model registry on real artifacts: promote, refuse, roll back, the CLI, and what the services serve."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.ranking.models import ModelRegistry
from services.retrieval.snapshot import promoted_version
from shopmesh.cli.main import main
from shopmesh.models import registry
from shopmesh.models.families import discover, ranker_family
from tests.ranking import helpers


@pytest.fixture(scope="module")
def rankers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`<artifacts>/ranker-movielens/{1,2,3}`: two good versions and one with another feature schema."""
    root = tmp_path_factory.mktemp("artifacts")
    helpers.write_artifact(root, version="1")
    helpers.write_artifact(root, version="2")
    bad = helpers.write_artifact(root, version="3")
    manifest = json.loads((bad / "manifest.json").read_text())
    manifest["schema_id"] = "ranker-features-v0-old"
    (bad / "manifest.json").write_text(json.dumps(manifest))
    return root


@pytest.fixture
def artifacts(rankers: Path, tmp_path: Path) -> Path:
    """A private copy of the module's artifacts (each test writes its own pointer and history)."""
    import shutil

    target = tmp_path / "artifacts"
    shutil.copytree(rankers, target)
    return target


def served_version(models: ModelRegistry) -> str | None:
    promoted = models.load_all()["movielens"].promoted
    return promoted.manifest.version if promoted else None


def clock() -> str:
    return "2026-12-02T00:00:00+00:00"


def test_promote_checks_the_version_and_rollback_walks_back_the_history(artifacts: Path) -> None:
    family = ranker_family(artifacts, "movielens")
    assert registry.read_pointer(family.folder) is None
    registry.promote(family, "1", clock=clock)
    event = registry.promote(family, "2", reason="better", clock=clock)
    assert (event.version, event.previous) == ("2", "1")
    assert registry.read_pointer(family.folder) == "2"
    with pytest.raises(registry.RegistryError, match="feature schema ranker-features-v0-old"):
        registry.promote(family, "3")
    with pytest.raises(registry.RegistryError, match="no version '9'"):
        registry.promote(family, "9")
    assert registry.read_pointer(family.folder) == "2", "a refused promote leaves the pointer alone"
    assert registry.rollback(family, clock=clock).version == "1"
    assert registry.read_pointer(family.folder) == "1"
    with pytest.raises(registry.RegistryError, match="no earlier promoted version"):
        registry.rollback(family)
    assert [(e.action, e.version) for e in registry.history(family.folder)] == [
        ("promote", "1"), ("promote", "2"), ("rollback", "1")]
    listed = {v.version: v for v in registry.list_versions(family)}
    assert listed["1"].promoted and not listed["2"].promoted and listed["3"].manifest is not None


def test_a_pointer_written_elsewhere_is_recorded_before_the_next_change(artifacts: Path) -> None:
    family = ranker_family(artifacts, "movielens")
    registry.promote(family, "1", clock=clock)
    (family.folder / registry.POINTER_FILE).write_text("2\n")
    assert registry.rollback(family, clock=clock).version == "1"
    actions = [(e.action, e.version) for e in registry.history(family.folder)]
    assert actions == [("promote", "1"), ("external", "2"), ("rollback", "1")]


def test_the_ranking_registry_serves_the_pointer_and_keeps_serving_through_a_bad_one(artifacts: Path) -> None:
    models = ModelRegistry(artifacts, ["movielens"])
    state = models.load_all()["movielens"]
    assert state.promoted is not None and state.promoted.manifest.version == "2", "no pointer: newest loadable"
    family = ranker_family(artifacts, "movielens")
    registry.promote(family, "1", clock=clock)
    assert served_version(models) == "1"
    assert models.changed, "a pointer change alone is a change"
    (family.folder / registry.POINTER_FILE).write_text("3\n")  # a version that does not load here
    served = models.load_all()["movielens"]
    assert served.promoted is not None and served.promoted.manifest.version == "1"
    assert not models.changed
    fresh = ModelRegistry(artifacts, ["movielens"]).load_all()["movielens"]
    assert fresh.promoted is not None and fresh.promoted.manifest.version == "1", \
        "a fresh start behind a bad pointer serves what was promoted before it, not the newest version"
    (family.folder / registry.POINTER_FILE).write_text("2\n")
    assert served_version(models) == "2"


def test_cli_list_promote_rollback(artifacts: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = ["--out", str(artifacts.parent), "--indexes", str(tmp_path / "no-indexes")]
    assert main(["models", "promote", "ranker-movielens", "1", *out]) == 0
    assert main(["models", "promote", "ranker-movielens", "3", *out]) == 1
    assert "refused" in capsys.readouterr().err
    assert main(["models", "promote", "ranker-nowhere", "1", *out]) == 2
    assert main(["models", "promote", "ranker-movielens", "2", *out]) == 0
    assert main(["models", "list", *out]) == 0
    listed = capsys.readouterr().out
    assert "ranker-movielens (ranker)" in listed and "promoted 2" in listed
    assert "  * 2: ranker-movielens 2 RANKER" in listed and "    1: ranker-movielens 1 RANKER" in listed
    assert main(["models", "rollback", "ranker-movielens", *out]) == 0
    assert "rolled back to 1 (was 2)" in capsys.readouterr().out
    assert main(["models", "rollback", "ranker-movielens", *out]) == 1


def test_retrieval_snapshots_are_a_family_the_running_registry_hot_swaps(tmp_path: Path) -> None:
    from services.retrieval.registry import SnapshotRegistry
    from tests.retrieval import helpers as snapshots

    indexes = tmp_path / "indexes"
    snapshots.build(indexes, "1")
    snapshots.build(indexes, "2", promote_it=False)
    broken = snapshots.build(indexes, "3", promote_it=False)
    (broken / "learned_index" / "keys.npy").write_bytes(b"not the file the manifest hashed")
    serving = SnapshotRegistry(indexes, ["movielens"])
    serving.refresh()
    assert serving.get("movielens").version == "1"
    family = next(f for f in discover(tmp_path / "models", indexes) if f.name == "retrieval-movielens")
    assert registry.promote(family, "2").previous == "1", "the pointer `build index --promote` wrote is adopted"
    serving.refresh()
    assert serving.get("movielens").version == "2" and promoted_version(indexes, "movielens") == "2"
    with pytest.raises(registry.RegistryError, match=r"keys\.npy fails its sha256"):
        registry.promote(family, "3")
    assert registry.rollback(family).version == "1"
    serving.refresh()
    assert serving.get("movielens").version == "1"
    summary = registry.summary(next(v for v in registry.list_versions(family) if v.version == "2"))
    assert summary["user_tower"] == "2" and summary["kind"] == "LEARNED_INDEX"
