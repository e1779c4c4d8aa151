"""The synthetic shop's order policies and timelines: payment, handling, carriers, returns and refund times.

These numbers are the shop's documented policy (docs/data.md); the support FAQ quotes the same ones.
"""

from __future__ import annotations

import random
import string
from datetime import timedelta

from shopmesh.data.order_events import PaymentMethod

PAYMENT_SHARE: dict[PaymentMethod, float] = {
    PaymentMethod.CARD: 0.50,
    PaymentMethod.PAYPAL: 0.25,
    PaymentMethod.ALIPAY: 0.15,
    PaymentMethod.WECHAT_PAY: 0.10,
}
"""How often each method is a user's preferred one."""

PAYMENT_SECONDS: dict[PaymentMethod, tuple[int, int]] = {
    PaymentMethod.CARD: (8, 120),
    PaymentMethod.PAYPAL: (20, 300),
    PaymentMethod.ALIPAY: (5, 90),
    PaymentMethod.WECHAT_PAY: (5, 90),
}
"""From placing an order to the payment being captured."""

PAYMENT_WINDOW = timedelta(minutes=30)
"""An order not paid within this is cancelled."""

HANDLING_HOURS = (3.0, 48.0)
"""From payment to hand-over to the carrier."""

CARRIER_DAYS: dict[str, tuple[float, float]] = {
    "UPS": (1.0, 4.0),
    "FedEx": (1.0, 3.0),
    "USPS": (2.0, 6.0),
    "DHL": (2.0, 6.0),
}
"""Transit time per carrier, from shipment to delivery."""

RETURN_WINDOW_DAYS = 30
"""Returns may be requested up to this many days after delivery."""

RETURN_TRANSIT_DAYS = (2.0, 9.0)
"""From the return request to the parcel arriving at the warehouse."""

REFUND_DAYS: dict[PaymentMethod, tuple[float, float]] = {
    PaymentMethod.CARD: (3.0, 10.0),
    PaymentMethod.PAYPAL: (0.1, 2.0),
    PaymentMethod.ALIPAY: (0.01, 1.0),
    PaymentMethod.WECHAT_PAY: (0.01, 1.0),
}
"""From the refund being initiated to the money reaching the customer; the upper bound is `expected_by`."""

CANCEL_REASONS = ("changed my mind", "ordered by mistake", "found it cheaper elsewhere", "delivery too slow")
RETURN_REASONS = ("doesn't fit", "not as described", "arrived damaged", "changed my mind", "wrong item sent")

POINTS_PER_CURRENCY_UNIT = 1
"""Points earned per whole unit (dollar) paid."""
POINT_VALUE_CENTS = 1
"""What one redeemed point takes off an order."""
MIN_REDEEM_POINTS = 500
"""Points are redeemed in blocks of this size."""
MAX_REDEEM_SHARE = 0.5
"""Points may pay for at most this share of an order's subtotal."""

FREE_SHIPPING_FROM_CENTS = 3500
SHIPPING_CENTS = 499


def between(rng: random.Random, bounds: tuple[float, float]) -> float:
    """A uniform draw within `bounds`."""
    return rng.uniform(*bounds)


def tracking_number(rng: random.Random, carrier: str) -> str:
    """A tracking number in the carrier's usual format (random, so not a real parcel)."""
    digits = string.digits
    if carrier == "UPS":
        body = "".join(rng.choice(string.ascii_uppercase + digits) for _ in range(6))
        return f"1Z{body}03{''.join(rng.choice(digits) for _ in range(8))}"
    if carrier == "FedEx":
        return "".join(rng.choice(digits) for _ in range(12))
    if carrier == "USPS":
        return "9400" + "".join(rng.choice(digits) for _ in range(18))
    return "".join(rng.choice(digits) for _ in range(10))  # DHL Express
