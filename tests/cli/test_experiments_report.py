"""`shopmesh experiments report`: intervals recover injected effects, SRM is flagged, store + CLI end to end."""

from __future__ import annotations

import asyncio
import json
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from gateway.experiments import Experiments
from gateway.impressions import ImpressionRef, ImpressionSigner
from shopmesh.cli.main import main
from shopmesh.experiments.report import CLICK, IMPRESSION, PURCHASE, LoggedEvent, Tally, parse_arm
from shopmesh.experiments.stats import chi2_sf, chi_square_gof, newcombe_interval, wilson_interval

SIGNER = ImpressionSigner(b"test-impression-key")
EXPERIMENTS_YAML = """
experiments:
  - id: exp-balanced
    salt: s1
    surfaces: [home_feed]
    variants:
      - {name: control, weight: 50}
      - {name: treatment, weight: 50}
  - id: exp-srm
    salt: s2
    surfaces: [similar_items]
    variants:
      - {name: control, weight: 50}
      - {name: treatment, weight: 50}
"""
TRUE_CTR = {"control": 0.05, "treatment": 0.06}
PURCHASE_GIVEN_CLICK = 0.2


# --- statistics --------------------------------------------------------------------------------------------------


def test_chi_square_survival_matches_scipy() -> None:
    from scipy import stats  # a test dependency only (retrieval/ranking extras); the report itself needs none
    for df in (1, 2, 3, 4, 5, 8, 11):
        for x in (0.1, 1.0, 3.84, 10.0, 25.0, 60.0):
            assert chi2_sf(x, df) == pytest.approx(float(stats.chi2.sf(x, df)), rel=1e-9, abs=1e-15), (x, df)


def test_wilson_and_newcombe_match_published_values() -> None:
    # Newcombe (1998), example (a): 56/70 vs 48/80 -> difference 0.2, hybrid score interval 0.0524 to 0.3339
    low, high = newcombe_interval(56, 70, 48, 80)
    assert (round(low, 4), round(high, 4)) == (0.0524, 0.3339)
    low, high = wilson_interval(81, 263)  # SciPy's binomtest(81, 263).proportion_ci(method="wilson")
    assert (low, high) == pytest.approx((0.2552885198782742, 0.36620957698280004), rel=1e-12)
    assert wilson_interval(0, 0) == (0.0, 1.0) and wilson_interval(0, 50)[0] == 0.0


def test_srm_chi_square_of_a_known_split() -> None:
    test = chi_square_gof([10_000, 9_000], [50, 50])
    assert test.statistic == pytest.approx(2 * 500**2 / 9_500)
    assert test.p_value < 1e-10 and test.df == 1


# --- simulated experiments ---------------------------------------------------------------------------------------


@dataclass
class Simulated:
    """Events of one simulated experiment and the users each variant got."""

    events: list[LoggedEvent]
    users: dict[str, int]


def simulate(config: Experiments, experiment: str, surface: str, *, users: int, impressions_per_user: int, seed: int,
             drop_treatment_users: float = 0.0) -> Simulated:
    """Users bucketed by the gateway's own hashing; each sees cards, clicks with its variant's true CTR.

    `drop_treatment_users` loses that share of treatment users' impressions altogether (a logging bug: the
    sample-ratio mismatch the report must catch).
    """
    rng = random.Random(seed)
    events: list[LoggedEvent] = []
    counts: dict[str, int] = {}
    for u in range(users):
        user = f"user-{seed}-{u}"
        variant = config.assign(user, surface).variant
        assert variant, "every test user is in the experiment"
        if variant == "treatment" and rng.random() < drop_treatment_users:
            continue
        counts[variant] = counts.get(variant, 0) + 1
        for k in range(impressions_per_user):
            ref = ImpressionRef(f"r{u:08d}{k:04d}", 1, k, experiment, variant)
            impression = SIGNER.make(ref, user, f"item-{k}")
            events.append(LoggedEvent(user, IMPRESSION, impression))
            if rng.random() < TRUE_CTR[variant]:
                events.append(LoggedEvent(user, CLICK, impression))
                if rng.random() < PURCHASE_GIVEN_CLICK:
                    events.append(LoggedEvent(user, PURCHASE, impression))
    return Simulated(events, counts)


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Experiments:
    """The test experiments, loaded by the gateway's own loader."""
    path = tmp_path_factory.mktemp("experiments") / "experiments.yaml"
    path.write_text(EXPERIMENTS_YAML)
    return Experiments.load(path)


WEIGHTS = {"control": 50.0, "treatment": 50.0}


def test_an_injected_difference_is_recovered_within_its_intervals(config: Experiments) -> None:
    sim = simulate(config, "exp-balanced", "home_feed", users=20_000, impressions_per_user=10, seed=12)
    report = Tally().add_all(sim.events).report("exp-balanced", WEIGHTS)
    rows = {v.variant: v for v in report.variants}
    assert report.control == "control"
    for name, truth in TRUE_CTR.items():
        row = rows[name]
        assert row.users == sim.users[name] and row.impressions == 10 * sim.users[name]
        assert row.ctr.ci_low <= truth <= row.ctr.ci_high, (name, row.ctr)
        conversion = truth * PURCHASE_GIVEN_CLICK
        assert row.conversion.ci_low <= conversion <= row.conversion.ci_high, (name, row.conversion)
    diff = rows["treatment"].ctr_vs_control
    assert diff is not None
    injected = TRUE_CTR["treatment"] - TRUE_CTR["control"]
    assert diff.ci_low <= injected <= diff.ci_high, diff
    assert diff.ci_low > 0 and diff.p_value < 0.001  # 200,000 impressions detect a 1-point lift
    assert report.srm is not None and not report.srm.mismatch and report.srm.p_value > 0.001


def test_intervals_cover_the_truth_about_95_percent_of_the_time() -> None:
    rng = random.Random(7)
    covered_ctr = covered_diff = 0
    runs, n = 400, 2_000
    for _ in range(runs):
        c = sum(rng.random() < 0.05 for _ in range(n))
        t = sum(rng.random() < 0.06 for _ in range(n))
        low, high = wilson_interval(c, n)
        covered_ctr += low <= 0.05 <= high
        low, high = newcombe_interval(t, n, c, n)
        covered_diff += low <= 0.01 <= high
    assert 0.92 <= covered_ctr / runs <= 0.98 and 0.92 <= covered_diff / runs <= 0.98


def test_an_injected_sample_ratio_mismatch_is_flagged_and_a_balanced_split_is_not(config: Experiments) -> None:
    balanced = simulate(config, "exp-srm", "similar_items", users=20_000, impressions_per_user=1, seed=3)
    broken = simulate(config, "exp-srm", "similar_items", users=20_000, impressions_per_user=1, seed=3,
                      drop_treatment_users=0.10)
    ok = Tally().add_all(balanced.events).report("exp-srm", WEIGHTS)
    bad = Tally().add_all(broken.events).report("exp-srm", WEIGHTS)
    assert ok.srm is not None and not ok.srm.mismatch
    assert bad.srm is not None and bad.srm.mismatch and bad.srm.p_value < 0.001
    assert bad.srm.expected_users["treatment"] > {v.variant: v.users for v in bad.variants}["treatment"]


def test_clicks_count_once_per_impression_and_only_for_its_user() -> None:
    imp = SIGNER.make(ImpressionRef("r1", 1, 0, "exp-balanced", "control"), "u1", "item-1")
    tally = Tally().add_all([LoggedEvent("u1", CLICK, imp), LoggedEvent("u1", IMPRESSION, imp),
                             LoggedEvent("u1", CLICK, imp), LoggedEvent("u2", CLICK, imp)])
    row = tally.report("exp-balanced", WEIGHTS).variants[0]
    assert (row.impressions, row.clicks, row.ctr.rate) == (1, 1, 1.0)
    assert tally.unattributed == 1
    assert parse_arm(imp) == ("exp-balanced", "control") and parse_arm("no-arm") is None


# --- the real store and the CLI ----------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgres_redis"])
def store_env(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
              ) -> Iterator[dict[str, object]]:
    """The profile store of one test (embedded SQLite, or a fresh PostgreSQL schema), named by the environment."""
    from tests.profile.conftest import cleanup_backend, make_backend, postgres_and_redis_available

    if request.param == "postgres_redis" and not postgres_and_redis_available():
        pytest.fail("PostgreSQL or Redis on 127.0.0.1 is not answering (see /work/shared/notes/toolchain.md)")
    backend = make_backend(request.param, tmp_path)
    overrides = dict(backend.overrides)
    for name in ("data_dir", "postgres_dsn", "postgres_schema", "redis_url", "redis_prefix"):
        monkeypatch.delenv(f"SHOPMESH_PROFILE_{name.upper()}", raising=False)
    for name, value in overrides.items():
        monkeypatch.setenv(f"SHOPMESH_PROFILE_{name.upper()}", str(value))
    overrides.setdefault("data_dir", tmp_path / "profile-data")  # PostgreSQL runs: the SQLite feature store
    yield overrides
    cleanup_backend(backend)


async def _log(store: dict[str, object], sims: list[Simulated]) -> int:
    """Writes the simulated events through the real profile service into its store."""
    from services.profile.app import build_offline
    from services.profile.model import Event, EventOrigin, EventType, Item, ResultStatus
    from services.profile.settings import ProfileDataSettings

    settings = ProfileDataSettings(**{**store, "default_catalog": "shop"})  # type: ignore[arg-type]
    service = build_offline(settings)
    accepted = 0
    try:
        await service.start()
        await service.upsert_items([Item(f"item-{k}", "shop", f"Item {k}") for k in range(10)], "loader")
        t0 = 891_000_000 * 10**6
        rows = [Event(f"ev{i}", e.user_id, EventType(e.event_type), t0 + i * 1000, "shop",
                      f"item-{e.impression_id.split('.')[2]}", impression_id=e.impression_id,
                      origin=EventOrigin.DATASET_REPLAY)
                for i, e in enumerate(e for sim in sims for e in sim.events)]
        for start in range(0, len(rows), 1000):
            results = await service.ingest(rows[start:start + 1000], False, "gateway", None)
            accepted += sum(r.status == ResultStatus.ACCEPTED for r in results)
    finally:
        await service.close()
    return accepted


def test_report_from_the_profile_store_through_the_cli(config: Experiments, tmp_path: Path,
                                                       store_env: dict[str, object],
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    balanced = simulate(config, "exp-balanced", "home_feed", users=4_000, impressions_per_user=3, seed=21)
    broken = simulate(config, "exp-srm", "similar_items", users=4_000, impressions_per_user=1, seed=22,
                      drop_treatment_users=0.2)
    total = sum(len(s.events) for s in (balanced, broken))
    assert asyncio.run(_log(store_env, [balanced, broken])) == total
    yaml_file = tmp_path / "experiments.yaml"
    yaml_file.write_text(EXPERIMENTS_YAML)

    code = main(["experiments", "report", "--experiments-file", str(yaml_file), "--json", "--fail-on-srm"])
    out = json.loads(capsys.readouterr().out)
    assert code == 3  # exp-srm's split is off
    reports = {r["experiment_id"]: r for r in out["experiments"]}
    assert not reports["exp-balanced"]["srm"]["mismatch"] and reports["exp-srm"]["srm"]["mismatch"]
    rows = {v["variant"]: v for v in reports["exp-balanced"]["variants"]}
    for name in TRUE_CTR:
        assert rows[name]["users"] == balanced.users[name]
        assert rows[name]["impressions"] == 3 * balanced.users[name]
        arm = ("exp-balanced", name)
        clicks = sum(e.event_type == CLICK for e in balanced.events if parse_arm(e.impression_id) == arm)
        assert rows[name]["clicks"] == clicks
        assert math.isclose(rows[name]["ctr"]["rate"], clicks / rows[name]["impressions"])
    assert reports["exp-srm"]["srm"]["p_value"] < 0.001

    code = main(["experiments", "report", "--experiments-file", str(yaml_file), "--experiment", "exp-balanced"])
    text = capsys.readouterr().out
    assert code == 0 and "experiment exp-balanced (control: control)" in text and "sample ratio: ok" in text
    # a window before every event: nothing to report, and no mismatch
    code = main(["experiments", "report", "--experiments-file", str(yaml_file), "--json", "--fail-on-srm",
                 "--end", "1990-01-01"])
    empty = json.loads(capsys.readouterr().out)
    assert code == 0 and all(v["impressions"] == 0 for r in empty["experiments"] for v in r["variants"])


def test_a_missing_sqlite_log_is_an_error_and_is_not_created(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SHOPMESH_PROFILE_DATA_DIR", str(tmp_path / "nowhere"))
    monkeypatch.delenv("SHOPMESH_PROFILE_POSTGRES_DSN", raising=False)
    assert main(["experiments", "report"]) == 1
    assert "no profile event log" in capsys.readouterr().err and not (tmp_path / "nowhere").exists()
