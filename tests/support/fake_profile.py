"""A small fake of the profile service's order RPCs (the real proto), with an error-injection hook.

The real profile service (#5) does not serve the order RPCs yet (ListOrders, GetOrder, GetRefundStatus,
GetPointsBalance, RequestCancellation); this servicer implements them over fixed orders of two users and,
like the real one, answers only for the user in the signed user context.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import grpc
from google.protobuf import timestamp_pb2
from grpc.aio import ServicerContext as Ctx

from shared.context import require_end_user
from shared.errors import FailedPrecondition, NotFound, PermissionDenied
from shopmesh.common.v1 import money_pb2, order_pb2
from shopmesh.profile.v1 import profile_service_pb2 as pb
from shopmesh.profile.v1 import profile_service_pb2_grpc as pb_grpc

ALICE, BOB = "u-alice", "u-bob"
BOB_SECRET_TITLE = "Bob's red ski jacket"
BOB_TRACKING = "1ZBOB99903999999"


def _ts(seconds: int) -> timestamp_pb2.Timestamp:
    return timestamp_pb2.Timestamp(seconds=seconds)


def _order(order_id: str, status: order_pb2.OrderStatus, title: str, tracking: str = "",
           carrier: str = "UPS") -> order_pb2.Order:
    order = order_pb2.Order(order_id=order_id, status=status, place_time=_ts(1_790_000_000), synthetic=True,
                            lines=[order_pb2.OrderLine(line_id="l1", item_id="i1", title=title, quantity=1)],
                            payment_method=order_pb2.PAYMENT_METHOD_CARD)
    if tracking:
        order.shipments.append(order_pb2.Shipment(shipment_id="s1", carrier=carrier, tracking_number=tracking,
                                                  ship_time=_ts(1_790_050_000),
                                                  estimated_delivery_time=_ts(1_790_300_000)))
    return order


def default_orders() -> dict[str, list[order_pb2.Order]]:
    """Alice: one shipped and one paid order; Bob: one delivered order with a refund."""
    bob = _order("B20417", order_pb2.ORDER_STATUS_DELIVERED, BOB_SECRET_TITLE, BOB_TRACKING, "DHL")
    bob.refunds.append(order_pb2.Refund(refund_id="r1", order_id="B20417", status=order_pb2.REFUND_STATUS_PENDING,
                                        amount=money_pb2.Money(currency_code="USD", amount_micros=42_000_000),
                                        payment_method=order_pb2.PAYMENT_METHOD_PAYPAL))
    return {
        ALICE: [_order("A10023", order_pb2.ORDER_STATUS_SHIPPED, "Black puffer jacket", "1ZALICE0301234567"),
                _order("A10024", order_pb2.ORDER_STATUS_PAID, "Grey wool sweater")],
        BOB: [bob],
    }


@dataclass
class FakeProfile(pb_grpc.ProfileServiceServicer):
    """Order RPCs over in-memory orders.

    Attributes:
        orders: user id -> orders.
        fail_with: when set, every call fails with this status (error injection).
        seen_users: the user_id of every request, to prove whose data was asked for.
        cancellations: RequestCancellation requests received.
    """

    orders: dict[str, list[order_pb2.Order]] = field(default_factory=default_orders)
    fail_with: grpc.StatusCode | None = None
    seen_users: list[str] = field(default_factory=list)
    cancellations: list[pb.RequestCancellationRequest] = field(default_factory=list)

    async def _check(self, user_id: str, context: Ctx) -> list[order_pb2.Order]:
        if self.fail_with is not None:
            await context.abort(self.fail_with, "injected failure")
        self.seen_users.append(user_id)
        if require_end_user() != user_id:
            raise PermissionDenied("user_id is not the signed-in user", reason="SUBJECT_MISMATCH")
        return self.orders.get(user_id, [])

    def _find(self, orders: list[order_pb2.Order], order_id: str) -> order_pb2.Order:
        wanted = order_id.lstrip("#").upper()
        for order in orders:
            if order.order_id == wanted:
                return order
        raise NotFound("no such order for this user", reason="UNKNOWN_ORDER")

    async def ListOrders(self, request: pb.ListOrdersRequest, context: Ctx) -> pb.ListOrdersResponse:
        return pb.ListOrdersResponse(orders=await self._check(request.user_id, context))

    async def GetOrder(self, request: pb.GetOrderRequest, context: Ctx) -> pb.GetOrderResponse:
        order = self._find(await self._check(request.user_id, context), request.order_id)
        return pb.GetOrderResponse(order=order)

    async def GetRefundStatus(self, request: pb.GetRefundStatusRequest, context: Ctx) -> pb.GetRefundStatusResponse:
        orders = await self._check(request.user_id, context)
        if request.order_id:
            return pb.GetRefundStatusResponse(refunds=self._find(orders, request.order_id).refunds)
        return pb.GetRefundStatusResponse(refunds=[r for o in orders for r in o.refunds])

    async def GetPointsBalance(self, request: pb.GetPointsBalanceRequest,
                               context: Ctx) -> pb.GetPointsBalanceResponse:
        await self._check(request.user_id, context)
        return pb.GetPointsBalanceResponse(balance_points=1234, tier="silver", points_to_next_tier=766)

    async def RequestCancellation(self, request: pb.RequestCancellationRequest,
                                  context: Ctx) -> pb.RequestCancellationResponse:
        order = self._find(await self._check(request.user_id, context), request.order_id)
        if order.status in (order_pb2.ORDER_STATUS_SHIPPED, order_pb2.ORDER_STATUS_DELIVERED):
            raise FailedPrecondition("already shipped", reason="ORDER_ALREADY_SHIPPED")
        self.cancellations.append(request)
        return pb.RequestCancellationResponse(entry=pb.OutboxEntry(request_id=request.request_id,
                                                                   order_id=order.order_id))
