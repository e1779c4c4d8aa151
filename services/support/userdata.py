"""Answers from the user's own data (orders, refunds, points), as domain views and texts in en / zh.

The views carry no PII: order numbers, statuses, carriers, tracking numbers, amounts and dates. The
shipping address is never read here (the vault's masked form would not help a status answer).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol


class DataUnavailable(Exception):
    """The profile service could not answer (down, deadline); the turn hands off as DATA_UNAVAILABLE."""


@dataclass(frozen=True)
class OrderView:
    """What an order answer needs."""

    order_id: str
    status: str
    """Lower-case status name: placed, paid, shipped, delivered, cancelled, ..."""
    place_time: float
    item_titles: tuple[str, ...] = ()
    carrier: str = ""
    tracking_number: str = ""
    estimated_delivery_time: float = 0.0
    deliver_time: float = 0.0


@dataclass(frozen=True)
class RefundView:
    """One refund."""

    order_id: str
    status: str
    """pending | issued | rejected."""
    amount: str
    """Formatted, e.g. "USD 19.99"."""
    payment_method: str
    expected_complete_time: float = 0.0


@dataclass(frozen=True)
class PointsView:
    """The user's points account."""

    balance: int
    tier: str
    points_to_next_tier: int
    expiring_points: int = 0
    next_expiry_time: float = 0.0


@dataclass(frozen=True)
class CancelOutcome:
    """Result of a cancellation request: recorded, or why not (ORDER_ALREADY_SHIPPED, NOT_FOUND, ...)."""

    recorded: bool
    reason: str = ""


@dataclass
class UserDataAnswer:
    """The text of a user-data answer and whether it still needs a slot from the user."""

    text: str
    clarification: bool = False
    order_ids: list[str] = field(default_factory=list)


class ProfilePort(Protocol):
    """The profile service, seen from the support domain; every call acts for the signed-in user."""

    async def recent_orders(self, user_id: str, limit: int = 5) -> list[OrderView]:
        """The user's newest orders."""
        ...

    async def order(self, user_id: str, order_id: str) -> OrderView | None:
        """One of the user's orders; None when it is not theirs or does not exist."""
        ...

    async def refunds(self, user_id: str, order_id: str) -> list[RefundView] | None:
        """Refunds of one order (or every open refund when order_id is empty); None: not the user's order."""
        ...

    async def points(self, user_id: str) -> PointsView:
        """The user's points balance."""
        ...

    async def request_cancellation(self, user_id: str, order_id: str, reason: str, request_id: str) -> CancelOutcome:
        """Records a cancellation request in the profile service's outbox."""
        ...


def _date(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d") if epoch else ""


_STATUS_ZH = {"placed": "已下单", "paid": "已付款", "partially_shipped": "部分发货", "shipped": "已发货",
              "delivered": "已送达", "cancelled": "已取消", "return_requested": "退货处理中",
              "partially_refunded": "部分退款", "refunded": "已退款"}


def order_status_text(order: OrderView, language: str) -> str:
    """One order's status, carrier, tracking and dates."""
    if language == "zh":
        text = f"订单{order.order_id}状态：{_STATUS_ZH.get(order.status, order.status)}。"
        if order.carrier:
            text += f"承运商{order.carrier}，运单号{order.tracking_number}。"
        if order.deliver_time:
            text += f"已于{_date(order.deliver_time)}送达。"
        elif order.estimated_delivery_time:
            text += f"预计{_date(order.estimated_delivery_time)}送达。"
        return text
    text = f"Order {order.order_id} is {order.status.replace('_', ' ')}."
    if order.carrier:
        text += f" It travels with {order.carrier}, tracking number {order.tracking_number}."
    if order.deliver_time:
        text += f" It was delivered on {_date(order.deliver_time)}."
    elif order.estimated_delivery_time:
        text += f" Estimated delivery: {_date(order.estimated_delivery_time)}."
    return text


def which_order_text(orders: list[OrderView], language: str) -> str:
    """Asks which order, listing the user's recent ones."""
    listed = ", ".join(f"{o.order_id} ({_STATUS_ZH.get(o.status, o.status) if language == 'zh' else o.status})"
                       for o in orders[:5])
    if language == "zh":
        return f"请问是哪个订单？您最近的订单：{listed}。" if orders else "您的账户里还没有订单。请问订单号是多少？"
    return (f"Which order do you mean? Your recent orders: {listed}." if orders
            else "I can't see any orders in your account. What's the order number?")


def not_your_order_text(order_id: str, language: str) -> str:
    """The answer when an order number is not in the user's account (whoever it belongs to)."""
    if language == "zh":
        return f"在您的账户中找不到订单{order_id}。请核对订单号。"
    return f"I can't find order {order_id} in your account. Please check the number."


def refunds_text(refunds: list[RefundView], language: str) -> str:
    """The user's refunds."""
    if not refunds:
        return "您目前没有处理中的退款。" if language == "zh" else "You have no refund in progress right now."
    parts = []
    for r in refunds[:3]:
        when = _date(r.expected_complete_time)
        if language == "zh":
            status = {"pending": "处理中", "issued": "已发起", "rejected": "未通过"}.get(r.status, r.status)
            parts.append(f"订单{r.order_id}退款{r.amount}：{status}" + (f"，预计{when}前到账" if when else ""))
        else:
            parts.append(f"Refund of {r.amount} for order {r.order_id}: {r.status}"
                         + (f", expected by {when}" if when else ""))
    return ("；".join(parts) + "。") if language == "zh" else ". ".join(parts) + "."


def points_text(points: PointsView, language: str) -> str:
    """The user's points balance and tier."""
    expiry = _date(points.next_expiry_time)
    if language == "zh":
        text = f"您现在有{points.balance}积分，会员等级{points.tier}，距下一级还差{points.points_to_next_tier}积分。"
        if points.expiring_points and expiry:
            text += f"{points.expiring_points}积分将于{expiry}过期。"
        return text
    text = (f"You have {points.balance} points, tier {points.tier}; {points.points_to_next_tier} more points "
            "reach the next tier.")
    if points.expiring_points and expiry:
        text += f" {points.expiring_points} points expire on {expiry}."
    return text


def cancel_text(order_id: str, outcome: CancelOutcome, language: str) -> str:
    """The answer to a cancellation request."""
    zh = language == "zh"
    if outcome.recorded:
        return (f"已提交订单{order_id}的取消申请，确认后会通知您，退款将原路退回。" if zh else
                f"I've asked to cancel order {order_id}. You'll get a confirmation, and the refund goes back to "
                "your original payment method.")
    if outcome.reason == "ORDER_ALREADY_SHIPPED":
        return (f"订单{order_id}已发货，无法取消，签收后可以申请退货。" if zh else
                f"Order {order_id} has already shipped, so it can't be cancelled; you can return it once "
                "it arrives.")
    if outcome.reason == "ORDER_ALREADY_CANCELLED":
        return f"订单{order_id}已经取消了。" if zh else f"Order {order_id} is already cancelled."
    return not_your_order_text(order_id, language)
