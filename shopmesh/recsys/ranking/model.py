"""The ranker: a DCN-v2 (cross network + deep tower) over the standardised feature vector, trained listwise.

Each training group is one replayed request: its positives (the item the user took next, or the next
basket's items) and the same request's other candidates as negatives (all of them by default, so the hard
negatives at the top of retrieval's list are in every group and the model learns to order the top). The
loss is ListNet's softmax cross-entropy against the positives' uniform distribution.

The score is a residual over retrieval: `score = w * log(retrieval_score) + f(x)`, with the head of `f`
starting at zero and `w` at 1, so an untrained model ranks exactly in retrieval order and training only
moves what the features justify. Training keeps the epoch (0 included: retrieval order itself) with the best
NDCG@10 on held-out training requests. Standardisation is inside the module, so the exported TorchScript
takes the imputed raw features.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from shopmesh.recsys.ranking.features import INDEX

PRIOR_COLUMN = INDEX["retrieval_score"]
PRIOR_FLOOR = 1e-9
VALIDATION_SEED = 20261202
"""Merged retrieval scores are sums of distributions (> 0); the floor keeps log finite for imputed zeros."""


@dataclass(frozen=True)
class RankerConfig:
    """Model and training settings.

    Attributes:
        cross_layers: DCN-v2 cross layers.
        hidden: Widths of the deep tower.
        dropout: Dropout in the deep tower.
        epochs: Passes over the groups.
        batch_groups: Groups per step.
        lr: Adam learning rate.
        weight_decay: Adam L2.
        negatives: Negatives per group, sampled when a request has more (the default keeps all 200).
        prior: Score as a residual over log(retrieval score); False: the DCN alone.
        folds: Fold members averaged, each early-stopped on its own held-out fold (1: one model).
        validation_share: With one fold, the share of the groups held out to choose the epoch (0: the last).
        seed: Seed of torch and numpy.
    """

    cross_layers: int = 2
    hidden: tuple[int, ...] = (64, 32)
    dropout: float = 0.1
    epochs: int = 30
    batch_groups: int = 32
    lr: float = 3e-3
    weight_decay: float = 1e-5
    negatives: int = 1000
    prior: bool = True
    folds: int = 5
    validation_share: float = 0.2
    seed: int = 0


class DCNRanker(nn.Module):
    """Raw imputed features [n, F] -> scores [n]."""

    def __init__(self, n_features: int, config: RankerConfig, mean: np.ndarray, std: np.ndarray) -> None:
        super().__init__()
        self.prior = config.prior
        self.prior_weight = nn.Parameter(torch.ones(()))
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32))
        self.cross = nn.ModuleList([nn.Linear(n_features, n_features) for _ in range(config.cross_layers)])
        layers: list[nn.Module] = []
        width = n_features
        for h in config.hidden:
            layers += [nn.Linear(width, h), nn.ReLU(), nn.Dropout(config.dropout)]
            width = h
        self.deep = nn.Sequential(*layers)
        self.head = nn.Linear(n_features + width, 1)
        for layer in self.cross:
            # Cross layers start as the identity (x0 * 0 + x), so the deep tower leads early training.
            nn.init.zeros_(layer.weight)  # type: ignore[arg-type]
            nn.init.zeros_(layer.bias)  # type: ignore[arg-type]
        if self.prior:
            # The residual starts at zero: before training the ranker is retrieval order.
            nn.init.zeros_(self.head.weight)
            nn.init.zeros_(self.head.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Scores of a batch of candidates (any leading shape, features last)."""
        x0 = torch.clamp((x - self.mean) / self.std, -8.0, 8.0)  # type: ignore[operator]
        xl = x0
        for layer in self.cross:
            xl = x0 * layer(xl) + xl
        out = self.head(torch.cat([xl, self.deep(x0)], dim=-1)).squeeze(-1)
        if self.prior:
            out = out + self.prior_weight * torch.log(torch.clamp(x[..., PRIOR_COLUMN], min=PRIOR_FLOOR))
        return out

    def explain(self, x: torch.Tensor) -> torch.Tensor:
        """The scores reasons are computed from: for one model, its scores."""
        return self.forward(x)


@dataclass
class Group:
    """One replayed request's rows (imputed features) and 0/1 labels."""

    x: np.ndarray
    labels: np.ndarray


def sample_groups(features: Sequence[np.ndarray], labels: Sequence[np.ndarray], negatives: int,
                  seed: int) -> list[Group]:
    """Per request with a positive: all its positives plus up to `negatives` sampled other candidates."""
    rng = np.random.default_rng(seed)
    groups = []
    for x, y in zip(features, labels, strict=True):
        pos = np.flatnonzero(y > 0)
        if not len(pos):
            continue
        neg = np.flatnonzero(y <= 0)
        if len(neg) > negatives:
            neg = np.sort(rng.choice(neg, size=negatives, replace=False))
        keep = np.concatenate([pos, neg])
        groups.append(Group(x[keep], y[keep].astype(np.float32)))
    return groups


def _batch(groups: Sequence[Group]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    width = max(len(g.labels) for g in groups)
    n_features = groups[0].x.shape[1]
    x = np.zeros((len(groups), width, n_features), dtype=np.float32)
    y = np.zeros((len(groups), width), dtype=np.float32)
    mask = np.zeros((len(groups), width), dtype=bool)
    for n, g in enumerate(groups):
        x[n, :len(g.labels)] = g.x
        y[n, :len(g.labels)] = g.labels
        mask[n, :len(g.labels)] = True
    return torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(mask)


def listnet_loss(scores: torch.Tensor, labels: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Softmax cross-entropy of each group against its positives' uniform distribution (padding masked)."""
    logits = scores.masked_fill(~mask, float("-inf"))
    target = labels / labels.sum(dim=1, keepdim=True).clamp_min(1.0)
    log_p = torch.log_softmax(logits, dim=1).masked_fill(~mask, 0.0)
    return -(target * log_p).sum(dim=1).mean()


def split_groups(groups: Sequence[Group], share: float, fold: int = 0) -> tuple[list[Group], list[Group]]:
    """Training and held-out groups: fold `fold` of round(1 / share) fixed folds (the same for every seed)."""
    folds = round(1 / share) if share > 0 and len(groups) >= 10 else 0
    if not folds:
        return list(groups), []
    which = np.random.default_rng(VALIDATION_SEED).permutation(len(groups)) % folds
    return ([g for n, g in enumerate(groups) if which[n] != fold],
            [g for n, g in enumerate(groups) if which[n] == fold])


def group_ndcg(scores: torch.Tensor, labels: torch.Tensor, mask: torch.Tensor, k: int = 10) -> float:
    """Mean binary NDCG@k of padded groups (ties broken by position, like a stable sort)."""
    logits = scores.masked_fill(~mask, float("-inf"))
    order = torch.argsort(-logits, dim=1, stable=True)[:, :k]
    gains = torch.gather(labels, 1, order)
    discount = 1.0 / torch.log2(torch.arange(2, order.shape[1] + 2, dtype=torch.float32))
    dcg = (gains * discount).sum(dim=1)
    ideal = torch.cumsum(discount, 0)[(labels.sum(dim=1).clamp(1, order.shape[1]) - 1).long()]
    return float((dcg / ideal).mean())


@torch.no_grad()
def _held_out_ndcg(model: nn.Module, batches: Sequence[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]) -> float:
    model.eval()
    total = sum(group_ndcg(model(x), y, mask) * len(x) for x, y, mask in batches)
    return total / sum(len(x) for x, _, _ in batches)


class RankerEnsemble(nn.Module):
    """The mean score of fold members (each a DCNRanker early-stopped on its own held-out fold)."""

    def __init__(self, members: Sequence[nn.Module]) -> None:
        super().__init__()
        self.members = nn.ModuleList(members)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Scores of a batch of candidates (any leading shape, features last)."""
        return torch.stack([m(x) for m in self.members]).mean(dim=0)

    def explain(self, x: torch.Tensor) -> torch.Tensor:
        """The first member's scores, which reasons (occlusion of source groups) are computed from.

        Occlusion needs a second forward over about two trials per page item; one member costs a fifth of the
        ensemble and drives the same sources, since every member sees the same features.
        """
        first: nn.Module = self.members[0]
        return first(x)


def train_ranker(groups: Sequence[Group], config: RankerConfig,
                 log: bool = False) -> tuple[nn.Module, dict[str, float]]:
    """Fits the ranker on imputed groups (deterministic for a seed on one thread).

    With `folds` > 1 the groups are cut into that many fixed folds and one DCNRanker is trained per fold with
    the fold held out; each keeps the weights of its epoch with the best held-out NDCG@10 (epoch 0 is the
    untrained residual, i.e. retrieval order), and the ranker is their mean. Every group trains all but one
    member, and averaging removes most of the epoch choice's noise. With `folds` 1, `validation_share` of the
    groups is held out for one model; with `validation_share` 0 too, the last epoch is kept.

    Returns:
        The model in eval mode and training figures (held-out figures are the folds' means).
    """
    if not groups:
        raise ValueError("no training group has a positive among its candidates")
    if config.folds <= 1 or len(groups) < 10:
        return _train_member(*split_groups(groups, config.validation_share), config, config.seed, log)
    members, infos = [], []
    for fold in range(config.folds):
        fit_groups, held = split_groups(groups, 1.0 / config.folds, fold)
        model, info = _train_member(fit_groups, held, config, config.seed * 1000 + fold, log)
        members.append(model)
        infos.append(info)
    ensemble = RankerEnsemble(members).eval()
    info = {k: float(np.mean([i[k] for i in infos])) for k in infos[0]}
    info.update(groups=float(len(groups)), train_seconds=float(sum(i["train_seconds"] for i in infos)),
                folds=float(config.folds), best_epochs=float(sum(i["best_epoch"] for i in infos)))
    return ensemble, info


def _train_member(fit_groups: Sequence[Group], held: Sequence[Group], config: RankerConfig, seed: int,
                  log: bool) -> tuple[DCNRanker, dict[str, float]]:
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    stacked = np.concatenate([g.x for g in fit_groups])
    mean = stacked.mean(axis=0)
    std = stacked.std(axis=0)
    std = np.where(std > 1e-6, std, 1.0)
    model = DCNRanker(stacked.shape[1], config, mean, std)
    optimiser = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    held_batches = [_batch(held[i:i + 256]) for i in range(0, len(held), 256)]
    best_epoch, best_ndcg, best_state = 0, float("nan"), None
    if held_batches:
        best_ndcg = _held_out_ndcg(model, held_batches)
        best_state = copy.deepcopy(model.state_dict())
    first_ndcg = best_ndcg
    started, loss_value = time.monotonic(), float("nan")
    for epoch in range(config.epochs):
        model.train()
        order = rng.permutation(len(fit_groups))
        total = 0.0
        for start in range(0, len(order), config.batch_groups):
            x, y, mask = _batch([fit_groups[i] for i in order[start:start + config.batch_groups]])
            loss = listnet_loss(model(x), y, mask)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += float(loss.detach()) * len(x)
        loss_value = total / len(fit_groups)
        line = f"ranker epoch {epoch + 1}/{config.epochs} loss {loss_value:.4f}"
        if held_batches:
            ndcg = _held_out_ndcg(model, held_batches)
            line += f" held-out NDCG@10 {ndcg:.4f}"
            if ndcg > best_ndcg:
                best_epoch, best_ndcg, best_state = epoch + 1, ndcg, copy.deepcopy(model.state_dict())
        if log:
            print(line, flush=True)
    if best_state is not None:
        model.load_state_dict(best_state)
    else:
        best_epoch = config.epochs
    model.eval()
    return model, {"train_loss": loss_value, "train_seconds": time.monotonic() - started,
                   "groups": float(len(fit_groups) + len(held)), "held_out_groups": float(len(held)),
                   "rows": float(len(stacked)),
                   "epochs": float(config.epochs), "best_epoch": float(best_epoch),
                   "held_out_ndcg10": best_ndcg, "held_out_ndcg10_epoch0": first_ndcg,
                   "prior_weight": float(model.prior_weight.detach())}


@torch.no_grad()
def score(model: nn.Module, x: np.ndarray) -> np.ndarray:
    """Scores of imputed rows [n, F] as float64."""
    if not len(x):
        return np.zeros(0)
    return model(torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))).double().numpy()


def config_dict(config: RankerConfig) -> dict[str, object]:
    """The config as plain JSON values."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(config).items()}
