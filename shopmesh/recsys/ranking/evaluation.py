"""`shopmesh eval recommend`: retrieval -> ranking offline on one split, beside the baselines of #8.

Every row is a top-100 list per evaluated user on the same split (#7's protocol): Recall@10, Recall@20,
NDCG@10, MRR (reciprocal rank of the first hit within the 100), catalogue coverage (distinct items in all
top-10s over the catalogue) and intra-list diversity of the top 10 (`diversity.intra_list_diversity` with
the MMR similarity). The ranker is trained on the split one step earlier (`training.training_split`) and
ranks the test replay's candidates; its NDCG@10 has a bootstrap 95% interval over users.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from shopmesh.recsys import baselines
from shopmesh.recsys.metrics import top_k
from shopmesh.recsys.ranking import training
from shopmesh.recsys.ranking.datasets import Dataset
from shopmesh.recsys.ranking.diversity import intra_list_diversity, mmr, similarity_matrix
from shopmesh.recsys.ranking.features import ItemSpace
from shopmesh.recsys.ranking.model import RankerConfig
from shopmesh.recsys.ranking.replay import Replay

LIST_LENGTH = 100
BOOTSTRAP_SAMPLES = 1000


@dataclass
class Row:
    """One line of the report; `per_user_ndcg` feeds the intervals."""

    name: str
    kind: str
    recall10: float
    recall20: float
    ndcg10: float
    mrr: float
    coverage: float
    ild10: float
    per_user_ndcg: list[float] = field(repr=False, default_factory=list)
    ci: tuple[float, float] | None = None


@dataclass
class Report:
    """One data set's table and the run's facts."""

    dataset: str
    users: int
    items: int
    rows: list[Row]
    facts: dict[str, float]

    def format(self) -> str:
        """A plain-text table."""
        head = f"{'':34}{'kind':10}{'R@10':9}{'R@20':9}{'NDCG@10':9}{'95% CI':17}{'MRR':9}{'cover':8}ILD@10"
        lines = [f"{self.dataset}: {self.users} users, {self.items} items", head]
        for r in self.rows:
            ci = f"[{r.ci[0]:.4f}, {r.ci[1]:.4f}]" if r.ci else ""
            lines.append(f"{r.name:34}{r.kind:10}{r.recall10:<9.4f}{r.recall20:<9.4f}{r.ndcg10:<9.4f}{ci:17}"
                         f"{r.mrr:<9.4f}{r.coverage:<8.3f}{r.ild10:.4f}")
        lines.append("facts: " + ", ".join(f"{k} {v:.4g}" for k, v in self.facts.items()))
        return "\n".join(lines)

    def row(self, name: str) -> Row:
        """A row by name."""
        return next(r for r in self.rows if r.name == name)


def per_user_ndcg(lists: Sequence[Sequence[int]], targets: Sequence[Sequence[int]], k: int = 10) -> list[float]:
    """Binary-relevance NDCG@k per user (users without targets skipped)."""
    out = []
    for ranked, wanted in zip(lists, targets, strict=True):
        if not wanted:
            continue
        hits = set(wanted)
        dcg = sum(1.0 / math.log2(p + 2) for p, i in enumerate(ranked[:k]) if i in hits)
        out.append(dcg / sum(1.0 / math.log2(p + 2) for p in range(min(k, len(hits)))))
    return out


def bootstrap_ci(values: Sequence[float], samples: int = BOOTSTRAP_SAMPLES, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap 95% interval of the mean, resampling users."""
    arr = np.asarray(values, dtype=np.float64)
    rng = np.random.default_rng(seed)
    means = arr[rng.integers(0, len(arr), size=(samples, len(arr)))].mean(axis=1)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


class Judge:
    """Computes a Row for ranked lists against one replay's split and similarity space."""

    def __init__(self, rep: Replay) -> None:
        self.rep = rep
        self.split = rep.split
        self.space: ItemSpace = rep.space

    def similarity(self, items: Sequence[int]) -> np.ndarray:
        """MMR similarity among dense items."""
        keys = [self.rep.item_keys[i] for i in items]
        vectors, known = self.space.rows(keys) if self.space.dimension else (None, None)
        return similarity_matrix([self.rep.categories[i] for i in items], vectors, known)

    def row(self, name: str, kind: str, lists: Sequence[Sequence[int]]) -> Row:
        """Metrics of per-user lists (best first)."""
        targets = self.split.targets
        recall = {k: float(np.mean([len(set(r[:k]) & set(t)) / len(t) for r, t in zip(lists, targets, strict=True)
                                    if t])) for k in (10, 20)}
        ranks = []
        for r, t in zip(lists, targets, strict=True):
            hits = set(t)
            first = next((p for p, i in enumerate(r[:LIST_LENGTH]) if i in hits), None)
            ranks.append(0.0 if first is None else 1.0 / (first + 1))
        ndcg = per_user_ndcg(lists, targets)
        shown = {i for r in lists for i in r[:10]}
        ild = float(np.mean([intra_list_diversity(self.similarity(list(r[:10]))) for r in lists if len(r) > 1]))
        return Row(name, kind, recall[10], recall[20], float(np.mean(ndcg)), float(np.mean(ranks)),
                   len(shown) / self.split.n_items, ild, ndcg)


def baseline_lists(data: Dataset, rep: Replay, *, threads: int, seed: int = 0) -> dict[str, list[list[int]]]:
    """Top-100 lists of every baseline of #8 over the whole catalogue (seen items banned on MovieLens)."""
    from implicit.cpu.bpr import BayesianPersonalizedRanking
    from implicit.nearest_neighbours import CosineRecommender

    split = data.split
    banned = [h if split.exclude_seen else [] for h in split.histories]

    def lists(score_row: Callable[[int], np.ndarray]) -> list[list[int]]:
        return [top_k(score_row(u), LIST_LENGTH, banned[u]) for u in range(split.n_users)]

    out: dict[str, list[list[int]]] = {}
    pop = baselines.popularity(split)
    out["popularity"] = lists(lambda _u: pop)
    user_items = split.train_matrix()
    user_items.data[:] = 1.0
    knn = CosineRecommender(K=100, num_threads=threads)
    knn.fit(user_items, show_progress=False)
    similarity = knn.similarity.tocsr()
    out["item-kNN (implicit cosine, K=100)"] = lists(
        lambda u: np.asarray((user_items[u] @ similarity).todense(), dtype=np.float64).ravel())
    als = baselines.ALSModel(split, threads=threads, seed=seed)
    out["ALS (implicit)"] = lists(als.scores)
    bpr = BayesianPersonalizedRanking(factors=64, learning_rate=0.05, regularization=0.01, iterations=100,
                                      random_state=seed, num_threads=threads)
    bpr.fit(user_items, show_progress=False)
    user_f, item_f = np.asarray(bpr.user_factors), np.asarray(bpr.item_factors)
    out["BPR (implicit)"] = lists(lambda u: (item_f @ user_f[u]).astype(np.float64))
    covis = rep.source_scores.get("CO_VISITATION")
    if covis is not None:
        out["co-visitation (last 5)"] = lists(lambda u: covis[u])
    if not split.exclude_seen:
        out["per-user repurchase"] = lists(
            lambda u: baselines.repurchase(split.histories[u], split.history_times[u], split.n_items))
    out["retrieval order (no ranker)"] = [c[:LIST_LENGTH] for c in rep.candidates]
    return out


def evaluate_recommend(data: Dataset, *, seeds: Sequence[int], ranker: RankerConfig, tower_epochs: int | None,
                       diversity_lambdas: Sequence[float], threads: int,
                       log: Callable[[str], None] | None = None) -> Report:
    """The whole report of one data set.

    Args:
        data: The data set (its split may be subsampled).
        seeds: Ranker training seeds; the first is also retrained once to check reproduction.
        ranker: Ranker settings (seed replaced per run).
        tower_epochs: User tower epochs of the replay; None: the tower's default.
        diversity_lambdas: MMR lambdas, one diversity row each.
        threads: BLAS / implicit threads.
        log: Progress lines.
    """
    say = log or (lambda _: None)
    started = time.monotonic()
    facts: dict[str, float] = {}
    config = training.replay_config(data, tower_epochs=tower_epochs)
    train_rep = training.replay_split(data, training.training_split(data.split), config, log=say)
    test_rep = training.replay_split(data, data.split, config, log=say)
    facts["replay_seconds"] = time.monotonic() - started
    say(f"replays done in {facts['replay_seconds']:.0f} s")
    judge = Judge(test_rep)
    rows = [judge.row(name, "baseline" if not name.startswith("retrieval") else "retrieval", lists)
            for name, lists in baseline_lists(data, test_rep, threads=threads).items()]
    say("baselines done")
    raw_train = training.features_of(train_rep)
    raw_test = training.features_of(test_rep)
    per_seed: list[Row] = []
    diverse: dict[float, list[Row]] = {lam: [] for lam in diversity_lambdas}
    for seed in seeds:
        t = time.monotonic()
        trained = _fit(train_rep, raw_train, training.with_seed(ranker, seed))
        facts[f"train_seconds_seed{seed}"] = time.monotonic() - t
        scores = training.rank_replay(trained, test_rep, raw_test)
        per_seed.append(judge.row(f"ranker DCN-v2, seed {seed}", "ranker", _order(test_rep, scores)))
        for lam in diversity_lambdas:
            diverse[lam].append(judge.row(f"ranker + MMR lambda {lam:g}, seed {seed}", "ranker",
                                          _diversified(judge, test_rep, scores, lam)))
        say(f"seed {seed}: NDCG@10 {per_seed[-1].ndcg10:.4f}")
    if seeds:
        again = _fit(train_rep, raw_train, training.with_seed(ranker, seeds[0]))
        repeat = judge.row("retrain", "ranker", _order(test_rep, training.rank_replay(again, test_rep, raw_test)))
        facts["retrain_ndcg10_rel_diff"] = abs(repeat.ndcg10 - per_seed[0].ndcg10) / max(per_seed[0].ndcg10, 1e-12)
        rows += per_seed
        rows.append(_mean_row(f"ranker DCN-v2, mean of {len(seeds)} seeds", per_seed))
        plain = rows[-1]
        for lam, by_seed in diverse.items():
            mixed = _mean_row(f"ranker + MMR lambda {lam:g}, mean", by_seed)
            rows.append(mixed)
            facts[f"mmr{lam:g}_ild_gain"] = mixed.ild10 / plain.ild10 - 1 if plain.ild10 else 0.0
            facts[f"mmr{lam:g}_ndcg_drop"] = 1 - mixed.ndcg10 / plain.ndcg10 if plain.ndcg10 else 0.0
    facts["train_users_with_positive"] = float(sum(1 for y in training.labels_of(train_rep) if y.sum() > 0))
    facts["candidates_recall"] = float(np.mean([len(set(c) & set(t)) / len(t) for c, t in
                                                zip(test_rep.candidates, data.split.targets, strict=True) if t]))
    facts["total_seconds"] = time.monotonic() - started
    return Report(data.split.name, data.split.n_users, data.split.n_items, rows, facts)


def _fit(rep: Replay, raw: list[np.ndarray], config: RankerConfig) -> training.TrainedRanker:
    return training.fit_features(rep, raw, config)


def _order(rep: Replay, scores: list[np.ndarray]) -> list[list[int]]:
    return [[c[i] for i in np.argsort(-s, kind="stable")][:LIST_LENGTH] for c, s in zip(rep.candidates, scores,
                                                                                         strict=True)]


def _diversified(judge: Judge, rep: Replay, scores: list[np.ndarray], lam: float) -> list[list[int]]:
    out = []
    for c, s in zip(rep.candidates, scores, strict=True):
        top = np.argsort(-s, kind="stable")[:LIST_LENGTH]
        items = [c[i] for i in top]
        picked = mmr(s[top], judge.similarity(items), lam, page=20)
        out.append([items[i] for i in picked])
    return out


def _mean_row(name: str, rows: Sequence[Row]) -> Row:
    """The seeds' mean; the interval bootstraps users' NDCG@10 averaged over seeds."""
    per_user = list(np.mean([r.per_user_ndcg for r in rows], axis=0))
    mean = {f: float(np.mean([getattr(r, f) for r in rows]))
            for f in ("recall10", "recall20", "ndcg10", "mrr", "coverage", "ild10")}
    return Row(name, "ranker", mean["recall10"], mean["recall20"], mean["ndcg10"], mean["mrr"], mean["coverage"],
               mean["ild10"], per_user_ndcg=per_user, ci=bootstrap_ci(per_user))
