"""SQL of the order mirror, points and outbox, run on the SqlStore's thread inside its transactions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import orjson

from services.profile.orders import OrderEventIn, Points
from services.profile.store import SqlStore

Fold = Callable[[list[OrderEventIn], set[str], dict[str, dict[str, Any]], dict[str, Points]],
                tuple[list[Any], list[OrderEventIn], set[str], set[str]]]
"""(events, seen event ids, orders by id, points by user) -> (results, applied events, changed orders,
changed users); mutates the orders and points it is given."""


def _in(n: int) -> str:
    return "(" + ", ".join("?" * n) + ")"


def apply_order_events(store: SqlStore, events: list[OrderEventIn], fold: Fold) -> list[Any]:
    """Loads what the events touch, folds them, writes the result: one transaction."""
    def work(cur: Any) -> list[Any]:
        ids = sorted({e.order_event_id for e in events})
        cur.execute(store._sql(f"SELECT order_event_id FROM order_events WHERE order_event_id IN {_in(len(ids))}"),
                    ids)
        seen = {r[0] for r in cur.fetchall()}
        order_ids = sorted({e.order_id for e in events})
        cur.execute(store._sql(f"SELECT order_id, doc FROM orders WHERE order_id IN {_in(len(order_ids))}"),
                    order_ids)
        orders = {r[0]: orjson.loads(r[1]) for r in cur.fetchall()}
        users = sorted({e.user_id for e in events})
        cur.execute(store._sql(f"SELECT user_id, doc FROM points WHERE user_id IN {_in(len(users))}"), users)
        points = {r[0]: Points(**orjson.loads(r[1])) for r in cur.fetchall()}
        results, applied, changed_orders, changed_users = fold(events, seen, orders, points)
        for e in applied:
            cur.execute(store._sql("INSERT INTO order_events VALUES (?, ?, ?, ?, ?)"),
                        (e.order_event_id, e.order_id, e.user_id, e.event_time_us, e.kind))
        for order_id in sorted(changed_orders):
            o = orders[order_id]
            cur.execute(store._sql(
                "INSERT INTO orders VALUES (?, ?, ?, ?, ?) ON CONFLICT (order_id) DO UPDATE SET "
                "status = excluded.status, doc = excluded.doc"),
                (order_id, o["user_id"], o["status"], o["place_time"], orjson.dumps(o).decode()))
        for user in sorted(changed_users):
            pts = points[user]
            doc = orjson.dumps({"balance": pts.balance, "earned": pts.earned, "history": pts.history}).decode()
            cur.execute(store._sql("INSERT INTO points VALUES (?, ?) ON CONFLICT (user_id) DO UPDATE SET "
                                   "doc = excluded.doc"), (user, doc))
        return results
    return store.run(work)


def list_orders(store: SqlStore, user_id: str, statuses: Sequence[int], limit: int,
                offset: int) -> list[dict[str, Any]]:
    """A user's orders, newest first."""
    def work(cur: Any) -> list[dict[str, Any]]:
        where = "user_id = ?" + (f" AND status IN {_in(len(statuses))}" if statuses else "")
        cur.execute(store._sql(f"SELECT doc FROM orders WHERE {where} ORDER BY place_time_us DESC, order_id DESC "
                               "LIMIT ? OFFSET ?"), (user_id, *statuses, limit, offset))
        return [orjson.loads(r[0]) for r in cur.fetchall()]
    return store.run(work)


def get_order(store: SqlStore, order_id: str) -> dict[str, Any] | None:
    """One order, whoever it belongs to (the caller checks the user)."""
    def work(cur: Any) -> dict[str, Any] | None:
        cur.execute(store._sql("SELECT doc FROM orders WHERE order_id = ?"), (order_id,))
        row = cur.fetchone()
        return None if row is None else orjson.loads(row[0])
    return store.run(work)


def get_points(store: SqlStore, user_id: str) -> Points:
    """A user's points (zero when none)."""
    def work(cur: Any) -> Points:
        cur.execute(store._sql("SELECT doc FROM points WHERE user_id = ?"), (user_id,))
        row = cur.fetchone()
        return Points() if row is None else Points(**orjson.loads(row[0]))
    return store.run(work)


def put_outbox(store: SqlStore, *, request_id: str, kind: int, user_id: str, order_id: str, doc: dict[str, Any],
               now_us: int) -> tuple[bool, tuple[Any, ...]]:
    """Records a request once per request_id; returns (duplicate, the stored row)."""
    def work(cur: Any) -> tuple[bool, tuple[Any, ...]]:
        select = store._sql("SELECT sequence, request_id, kind, user_id, order_id, doc, create_time_us, ack_time_us "
                            "FROM outbox WHERE request_id = ?")
        cur.execute(select, (request_id,))
        row = cur.fetchone()
        if row is not None:
            return True, tuple(row)
        cur.execute(store._sql("INSERT INTO outbox (request_id, kind, user_id, order_id, doc, create_time_us) "
                               "VALUES (?, ?, ?, ?, ?, ?)"),
                    (request_id, kind, user_id, order_id, orjson.dumps(doc).decode(), now_us))
        cur.execute(select, (request_id,))
        return False, tuple(cur.fetchone())
    return store.run(work)


def find_outbox(store: SqlStore, request_id: str) -> tuple[Any, ...] | None:
    """The outbox row of a request id, or None."""
    def work(cur: Any) -> tuple[Any, ...] | None:
        cur.execute(store._sql("SELECT sequence, request_id, kind, user_id, order_id, doc, create_time_us, "
                               "ack_time_us FROM outbox WHERE request_id = ?"), (request_id,))
        row = cur.fetchone()
        return None if row is None else tuple(row)
    return store.run(work)


def list_outbox(store: SqlStore, after: int, limit: int, include_acked: bool,
                user_id: str | None = None) -> list[tuple[Any, ...]]:
    """Outbox rows after a sequence, oldest first."""
    def work(cur: Any) -> list[tuple[Any, ...]]:
        where = "sequence > ?" + ("" if include_acked else " AND ack_time_us IS NULL")
        params: list[Any] = [after]
        if user_id is not None:
            where += " AND user_id = ?"
            params.append(user_id)
        cur.execute(store._sql("SELECT sequence, request_id, kind, user_id, order_id, doc, create_time_us, "
                               f"ack_time_us FROM outbox WHERE {where} ORDER BY sequence LIMIT ?"), (*params, limit))
        return [tuple(r) for r in cur.fetchall()]
    return store.run(work)


def ack_outbox(store: SqlStore, sequences: Sequence[int], now_us: int) -> int:
    """Marks entries delivered; returns how many were newly acknowledged."""
    def work(cur: Any) -> int:
        cur.execute(store._sql(f"UPDATE outbox SET ack_time_us = ? WHERE ack_time_us IS NULL AND sequence IN "
                               f"{_in(len(sequences))}"), (now_us, *sequences))
        return int(cur.rowcount)
    return store.run(work)


def delete_user_orders(store: SqlStore, user_id: str) -> tuple[int, int]:
    """Deletes a user's orders, order events, points and outbox entries; returns (orders, outbox entries)."""
    def work(cur: Any) -> tuple[int, int]:
        cur.execute(store._sql("DELETE FROM orders WHERE user_id = ?"), (user_id,))
        orders = int(cur.rowcount)
        cur.execute(store._sql("DELETE FROM order_events WHERE user_id = ?"), (user_id,))
        cur.execute(store._sql("DELETE FROM points WHERE user_id = ?"), (user_id,))
        cur.execute(store._sql("DELETE FROM outbox WHERE user_id = ?"), (user_id,))
        return orders, int(cur.rowcount)
    return store.run(work)
