"""The user tower: attention pooling over a user's recent items, trained by next-item prediction.

Every position of every visible sequence is one (prefix, next item) example; training fits in a couple of
minutes on 2 cores. The loss is sampled softmax
(shared uniform negatives, logQ-free because sampling is uniform); with at least as many negatives as items it
is the full softmax. The item embedding table is the learned item space: the learned index holds its rows and
the user vector is the tower's output, so the ANN score is their dot product.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn


@dataclass(frozen=True)
class TowerConfig:
    """Model and training settings.

    Attributes:
        dim: Width of item embeddings and of the user vector.
        max_len: Recent items the tower reads.
        dropout: Dropout rate during training.
        epochs: Passes over the sequences.
        batch_size: Sequences per step.
        lr: Adam learning rate.
        negatives: Shared uniform negatives per step for sampled softmax.
        target_window: Each epoch, a prefix's target is drawn from its next target_window items, not only the
            next one: MovieLens users rate in bursts whose order within a second is arbitrary.
        seed: Seed of torch and numpy generators.
    """

    dim: int = 64
    max_len: int = 20
    dropout: float = 0.1
    epochs: int = 20
    batch_size: int = 512
    lr: float = 1e-3
    negatives: int = 2048
    target_window: int = 1
    seed: int = 0


class UserTower(nn.Module):
    """Items (index 0 is padding, item i is i+1) -> a user vector.

    Attention pooling: each of the last max_len items is weighted by a softmax over a learned recency logit
    plus a content logit from the item itself, then a residual MLP maps the pooled vector into the item space.
    """

    def __init__(self, n_items: int, config: TowerConfig) -> None:
        super().__init__()
        self.config = config
        self.n_items = n_items
        self.items = nn.Embedding(n_items + 1, config.dim, padding_idx=0)
        self.recency = nn.Parameter(torch.zeros(config.max_len))
        self.content = nn.Linear(config.dim, 1)
        self.mlp = nn.Sequential(nn.Linear(config.dim, config.dim * 2), nn.GELU(), nn.Dropout(config.dropout),
                                 nn.Linear(config.dim * 2, config.dim))
        self.dropout = nn.Dropout(config.dropout)
        nn.init.normal_(self.items.weight, std=0.05)

    def forward(self, seq: torch.Tensor) -> torch.Tensor:
        """User vectors (batch x dim) of left-padded item sequences (batch x max_len, 0 = padding)."""
        x = self.dropout(self.items(seq))
        logits = self.recency.unsqueeze(0) + self.content(x).squeeze(-1)
        logits = logits.masked_fill(seq == 0, float("-inf"))
        weights = torch.softmax(logits, dim=1).nan_to_num(0.0)
        pooled = (weights.unsqueeze(-1) * x).sum(1)
        return pooled + self.mlp(pooled)

    def item_vectors(self) -> torch.Tensor:
        """The learned item space: one row per item (padding row dropped)."""
        return self.items.weight[1:]


def _pad_left(seq: Sequence[int], length: int) -> list[int]:
    tail = [i + 1 for i in seq[-length:]]
    return [0] * (length - len(tail)) + tail


def _examples(sequences: Sequence[Sequence[int]], max_len: int,
              window: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(prefix, next `window` items, -1 past the end) at every position of every sequence."""
    inputs, targets = [], []
    for seq in sequences:
        for t in range(1, len(seq)):
            inputs.append(_pad_left(seq[max(0, t - max_len):t], max_len))
            ahead = list(seq[t:t + window])
            targets.append(ahead + [-1] * (window - len(ahead)))
    return torch.tensor(inputs, dtype=torch.long), torch.tensor(targets, dtype=torch.long)


def _draw_targets(targets: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """One target per example among its valid next items, uniformly."""
    valid = (targets >= 0).sum(1).numpy()
    pick = torch.as_tensor((rng.random(len(valid)) * valid).astype(np.int64))
    return targets[torch.arange(len(targets)), pick]


def train_tower(sequences: Sequence[Sequence[int]], n_items: int, config: TowerConfig | None = None,
                log: bool = False) -> tuple[UserTower, dict[str, float]]:
    """Trains a tower on users' visible item sequences (oldest first) by next-item prediction.

    Returns:
        The model in eval mode and training figures (final loss, seconds, epochs).
    """
    config = config or TowerConfig()
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    model = UserTower(n_items, config)
    optimiser = torch.optim.Adam(model.parameters(), lr=config.lr)
    inputs, windows = _examples(sequences, config.max_len, config.target_window)
    started, loss_value = time.monotonic(), float("nan")
    model.train()
    for epoch in range(config.epochs):
        order = torch.as_tensor(rng.permutation(len(windows)))
        targets = _draw_targets(windows, rng)
        total = 0.0
        for start in range(0, len(order), config.batch_size):
            batch = order[start:start + config.batch_size]
            loss = _sampled_softmax(model(inputs[batch]), targets[batch], model.item_vectors(),
                                    config.negatives, rng)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += float(loss.detach()) * len(batch)
        loss_value = total / max(len(windows), 1)
        if log:
            print(f"epoch {epoch + 1}/{config.epochs} loss {loss_value:.4f}", flush=True)
    model.eval()
    return model, {"train_loss": loss_value, "train_seconds": time.monotonic() - started,
                   "epochs": float(config.epochs), "examples": float(len(windows))}


def _sampled_softmax(hidden: torch.Tensor, positive: torch.Tensor, items: torch.Tensor, negatives: int,
                     rng: np.random.Generator) -> torch.Tensor:
    """Cross-entropy of the positive against shared uniform negatives (full softmax when they cover all items)."""
    n_items = items.shape[0]
    if negatives >= n_items:
        return nn.functional.cross_entropy(hidden @ items.T, positive)
    sampled = torch.as_tensor(rng.choice(n_items, size=negatives, replace=False))
    pos_logit = (hidden * items[positive]).sum(-1, keepdim=True)
    neg_logits = hidden @ items[sampled].T
    # A sampled negative that is the positive itself must not count against it.
    neg_logits = neg_logits.masked_fill(sampled.unsqueeze(0) == positive.unsqueeze(1), float("-inf"))
    logits = torch.cat([pos_logit, neg_logits], dim=1)
    return nn.functional.cross_entropy(logits, torch.zeros(len(positive), dtype=torch.long))


@torch.no_grad()
def user_vectors(model: UserTower, histories: Sequence[Sequence[int]], batch_size: int = 256) -> np.ndarray:
    """One user vector per history (the last position's output); zeros for an empty history."""
    out = np.zeros((len(histories), model.config.dim), dtype=np.float32)
    for start in range(0, len(histories), batch_size):
        chunk = histories[start:start + batch_size]
        seq = torch.tensor([_pad_left(h, model.config.max_len) for h in chunk], dtype=torch.long)
        hidden = model(seq).numpy()
        for row, h in enumerate(chunk):
            if len(h):
                out[start + row] = hidden[row]
    return out


def config_dict(config: TowerConfig) -> dict[str, float]:
    """The config as a flat dict for a manifest's metrics."""
    return {k: float(v) for k, v in asdict(config).items()}
