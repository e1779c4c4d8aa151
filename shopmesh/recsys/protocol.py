"""The offline evaluation splits: leave-last-out on MovieLens-100K, last order as test basket on Instacart.

Items are mapped to dense indices 0..n_items-1 so every source scores into one numpy row. Only events before
a user's test event are visible to the sources (the user's own history and the training matrix).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from shopmesh.data.instacart import Basket
from shopmesh.data.records import Interaction


@dataclass
class Split:
    """A train/test split over dense item indices.

    Attributes:
        name: Data set name for reports.
        item_ids: Dense index -> the data set's own item id.
        histories: Per evaluated user, visible item indices in event order (oldest first).
        history_times: Per evaluated user, the event time (epoch seconds) of each history entry.
        targets: Per evaluated user, the held-out item indices (one for MovieLens, a basket for Instacart).
        train_users: Every user's visible sequence (same as histories, users with empty history included).
        exclude_seen: Whether ranking is over unseen items only (MovieLens) or all items (Instacart).
        test_times: Per evaluated user, the test event's time (epoch seconds).
    """

    name: str
    item_ids: np.ndarray
    histories: list[list[int]]
    history_times: list[list[int]]
    targets: list[list[int]]
    test_times: list[int]
    exclude_seen: bool
    baskets: list[list[list[int]]] = field(default_factory=list)

    @property
    def n_items(self) -> int:
        """Number of items in the catalogue."""
        return len(self.item_ids)

    @property
    def n_users(self) -> int:
        """Number of evaluated users."""
        return len(self.histories)

    def train_matrix(self) -> sparse.csr_matrix:
        """User x item counts of visible events (float32 CSR), one row per evaluated user."""
        rows, cols = [], []
        for user, items in enumerate(self.histories):
            rows.extend([user] * len(items))
            cols.extend(items)
        data = np.ones(len(rows), dtype=np.float32)
        return sparse.csr_matrix((data, (rows, cols)), shape=(self.n_users, self.n_items), dtype=np.float32)

    def subsample(self, n_users: int, seed: int = 0) -> Split:
        """The same split over a random subset of users (a shortened run for CI).

        Sources train on the kept users' histories only, so figures are lower than the full run's.
        """
        rng = np.random.default_rng(seed)
        keep = sorted(rng.choice(self.n_users, size=min(n_users, self.n_users), replace=False).tolist())
        return Split(self.name, self.item_ids, [self.histories[u] for u in keep],
                     [self.history_times[u] for u in keep], [self.targets[u] for u in keep],
                     [self.test_times[u] for u in keep], self.exclude_seen,
                     [self.baskets[u] for u in keep] if self.baskets else [])


def validation_split(split: Split) -> Split:
    """The same protocol one step earlier: each user's last visible event becomes the target.

    For tuning (fusion weights) without looking at the test items; users with one visible event are dropped.
    """
    keep = [u for u, h in enumerate(split.histories) if len(h) >= 2]
    return Split(f"{split.name}-validation", split.item_ids, [split.histories[u][:-1] for u in keep],
                 [split.history_times[u][:-1] for u in keep], [[split.histories[u][-1]] for u in keep],
                 [split.history_times[u][-1] for u in keep], split.exclude_seen)


def leave_last_out(interactions: list[Interaction], name: str = "movielens-100k") -> Split:
    """Per user, events sorted by (timestamp, item id); the last is the test item, earlier ones are visible.

    Args:
        interactions: All interactions of the data set.
        name: Data set name for reports.
    """
    item_ids = np.array(sorted({i.item_id for i in interactions}), dtype=np.int64)
    index = {int(item): n for n, item in enumerate(item_ids)}
    per_user: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for i in interactions:
        per_user[i.user_id].append((i.epoch_seconds, i.item_id))
    histories, times, targets, test_times = [], [], [], []
    for user in sorted(per_user):
        events = sorted(per_user[user])
        if len(events) < 2:
            continue
        *visible, last = events
        histories.append([index[item] for _, item in visible])
        times.append([t for t, _ in visible])
        targets.append([index[last[1]]])
        test_times.append(last[0])
    return Split(name, item_ids, histories, times, targets, test_times, exclude_seen=True)


def last_basket(baskets: list[Basket], name: str = "instacart-sample") -> Split:
    """Per user, the last order (by order number) is the test basket; earlier orders are visible.

    Repurchase is normal for groceries, so ranking is over every item (exclude_seen is False).
    """
    item_ids = np.array(sorted({p for b in baskets for p in b.product_ids}), dtype=np.int64)
    index = {int(item): n for n, item in enumerate(item_ids)}
    per_user: dict[int, list[Basket]] = defaultdict(list)
    for b in baskets:
        per_user[b.user_id].append(b)
    histories, times, targets, test_times, user_baskets = [], [], [], [], []
    for user in sorted(per_user):
        orders = sorted(per_user[user], key=lambda b: b.order_number)
        if len(orders) < 2:
            continue
        *visible, last = orders
        histories.append([index[p] for b in visible for p in b.product_ids])
        times.append([int(b.event_time.timestamp()) for b in visible for _ in b.product_ids])
        user_baskets.append([[index[p] for p in b.product_ids] for b in visible])
        targets.append(sorted({index[p] for p in last.product_ids}))
        test_times.append(int(last.event_time.timestamp()))
    return Split(name, item_ids, histories, times, targets, test_times, exclude_seen=False, baskets=user_baskets)
