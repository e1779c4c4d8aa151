"""Builders for the profile tests: a small catalogue, events at given times, timestamp helpers."""

from __future__ import annotations

import time

from google.protobuf import timestamp_pb2

from shopmesh.common.v1 import event_pb2, item_pb2, money_pb2
from shopmesh.profile.v1 import profile_service_pb2 as pb
from shopmesh.profile.v1 import profile_service_pb2_grpc as pb_grpc

CATALOG = "movielens"
T0 = 891_000_000  # 1998-03-27, inside MovieLens' time range: replays are judged at 1998 times
VIEW, CLICK, CART, PURCHASE, SEARCH = (event_pb2.EVENT_TYPE_VIEW, event_pb2.EVENT_TYPE_CLICK,
                                       event_pb2.EVENT_TYPE_ADD_TO_CART, event_pb2.EVENT_TYPE_PURCHASE,
                                       event_pb2.EVENT_TYPE_SEARCH)


def ts(seconds: float) -> timestamp_pb2.Timestamp:
    """A Timestamp at Unix `seconds`."""
    whole = int(seconds)
    return timestamp_pb2.Timestamp(seconds=whole, nanos=round((seconds - whole) * 1e9))


def catalogue_items(n: int = 20, catalog: str = CATALOG) -> list[item_pb2.Item]:
    """n items in two genres and three brands."""
    genres = ("Comedy", "Drama")
    brands = ("Northlight Pictures", "Blue Harbor Films", "Paper Crane Films")
    return [item_pb2.Item(
        item_id=f"ml-{i}", catalog_id=catalog, title=f"Movie {i}", description="synthetic test item",
        category_path=["Movies", genres[i % 2]], brand=brands[i % 3],
        price=money_pb2.Money(currency_code="USD", amount_micros=9_990_000), stock_quantity=0 if i == 7 else 10,
        language_code="en", synthetic_fields=["brand", "price", "stock_quantity"]) for i in range(1, n + 1)]


async def load_catalogue(stub: pb_grpc.ProfileServiceStub, n: int = 20, catalog: str = CATALOG) -> None:
    """UpsertItems of the test catalogue (call with the loader identity)."""
    await stub.UpsertItems(pb.UpsertItemsRequest(items=catalogue_items(n, catalog)), timeout=10)


def event(event_id: str, user: str, kind: int, at: float, item: str = "", **fields: object) -> pb.Event:
    """A behaviour event; dataset-replay origin so 1998 times are within retention."""
    values: dict[str, object] = {"origin": pb.EVENT_ORIGIN_DATASET_REPLAY, "catalog_id": CATALOG}
    values.update(fields)
    return pb.Event(event_id=event_id, user_id=user, event_type=kind, event_time=ts(at), item_id=item,
                    **values)  # type: ignore[arg-type]


def now_s() -> float:
    """The wall clock (only for the future-timestamp rule)."""
    return time.time()
