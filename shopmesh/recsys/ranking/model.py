"""The ranker: a DCN-v2 (cross network + deep tower) over the standardised feature vector, trained listwise.

Each training group is one replayed request: its positives (the item the user took next, or the next
basket's items) and negatives sampled from the same request's other candidates, so the model learns to
order what retrieval actually proposes. The loss is ListNet's softmax cross-entropy against the positives'
uniform distribution. Standardisation is inside the module, so the exported TorchScript takes the imputed
raw features.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn


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
        negatives: Sampled negatives per group.
        seed: Seed of torch and numpy.
    """

    cross_layers: int = 2
    hidden: tuple[int, ...] = (64, 32)
    dropout: float = 0.1
    epochs: int = 30
    batch_groups: int = 32
    lr: float = 3e-3
    weight_decay: float = 1e-5
    negatives: int = 100
    seed: int = 0


class DCNRanker(nn.Module):
    """Raw imputed features [n, F] -> scores [n]."""

    def __init__(self, n_features: int, config: RankerConfig, mean: np.ndarray, std: np.ndarray) -> None:
        super().__init__()
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

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Scores of a batch of candidates (any leading shape, features last)."""
        x0 = torch.clamp((x - self.mean) / self.std, -8.0, 8.0)  # type: ignore[operator]
        xl = x0
        for layer in self.cross:
            xl = x0 * layer(xl) + xl
        return self.head(torch.cat([xl, self.deep(x0)], dim=-1)).squeeze(-1)


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


def train_ranker(groups: Sequence[Group], config: RankerConfig,
                 log: bool = False) -> tuple[DCNRanker, dict[str, float]]:
    """Fits a DCNRanker on imputed groups (deterministic for a seed on one thread).

    Returns:
        The model in eval mode and training figures.
    """
    if not groups:
        raise ValueError("no training group has a positive among its candidates")
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    stacked = np.concatenate([g.x for g in groups])
    mean = stacked.mean(axis=0)
    std = stacked.std(axis=0)
    std = np.where(std > 1e-6, std, 1.0)
    model = DCNRanker(stacked.shape[1], config, mean, std)
    optimiser = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    started, loss_value = time.monotonic(), float("nan")
    model.train()
    for epoch in range(config.epochs):
        order = rng.permutation(len(groups))
        total = 0.0
        for start in range(0, len(order), config.batch_groups):
            x, y, mask = _batch([groups[i] for i in order[start:start + config.batch_groups]])
            loss = listnet_loss(model(x), y, mask)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += float(loss.detach()) * len(x)
        loss_value = total / len(groups)
        if log:
            print(f"ranker epoch {epoch + 1}/{config.epochs} loss {loss_value:.4f}", flush=True)
    model.eval()
    return model, {"train_loss": loss_value, "train_seconds": time.monotonic() - started,
                   "groups": float(len(groups)), "rows": float(len(stacked)), "epochs": float(config.epochs)}


@torch.no_grad()
def score(model: nn.Module, x: np.ndarray) -> np.ndarray:
    """Scores of imputed rows [n, F] as float64."""
    if not len(x):
        return np.zeros(0)
    return model(torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))).double().numpy()


def config_dict(config: RankerConfig) -> dict[str, object]:
    """The config as plain JSON values."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(config).items()}
