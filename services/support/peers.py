"""Clients of the support service's peers over the mesh (mTLS, deadlines, the end user's signed context
forwarded by the kit's ChannelFactory): the vault (redaction), the profile service (the user's own orders,
refunds, points, cancellation requests) and the embedding service (e5 query vectors).

Declared purposes (granted to caller `support` in services/vault/policy.yaml):
- `support.store_transcript`: Redact with tokenize_values, subject = the signed-in user, before any
  message is stored or logged.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import grpc
import numpy as np

from services.support.encoder import DIMENSION, MODEL_NAME, E5Encoder
from services.support.userdata import CancelOutcome, DataUnavailable, OrderView, PointsView, RefundView
from shared.channels import ChannelFactory
from shared.errors import FailedPrecondition, Unavailable, error_info
from shopmesh.common.v1 import order_pb2, redaction_pb2
from shopmesh.embedding.v1 import embedding_service_pb2 as epb
from shopmesh.embedding.v1 import embedding_service_pb2_grpc as epb_grpc
from shopmesh.profile.v1 import profile_service_pb2 as ppb
from shopmesh.profile.v1 import profile_service_pb2_grpc as ppb_grpc
from shopmesh.vault.v1 import vault_service_pb2 as vpb
from shopmesh.vault.v1 import vault_service_pb2_grpc as vpb_grpc

STORE_PURPOSE = "support.store_transcript"
_DEPENDENCY_DOWN = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.CANCELLED,
                    grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN)


def error_reason(exc: grpc.aio.AioRpcError) -> str:
    """The google.rpc.ErrorInfo reason of a failed call, or ""."""
    return str(error_info(exc).reason)


@dataclass(frozen=True)
class RedactedSpan:
    """A placeholder in redacted text: PII type (e.g. "PII_ENTITY_TYPE_EMAIL"), code-point range, vault token."""

    entity_type: str
    start: int
    end: int
    token: str


@dataclass(frozen=True)
class Redacted:
    """A message after the vault: the text with typed placeholders and the spans."""

    text: str
    spans: tuple[RedactedSpan, ...]


class VaultRedactor:
    """Redacts messages through the vault (purpose support.store_transcript, tokens for the user)."""

    def __init__(self, channels: ChannelFactory, address: str, timeout_s: float):
        service = vpb.DESCRIPTOR.services_by_name["VaultService"]
        self._stub = vpb_grpc.VaultServiceStub(channels.channel(address, "vault", [service]))
        self._timeout = timeout_s

    async def redact(self, text: str, language: str, user_id: str, *, tokenize: bool = True) -> Redacted:
        """The redacted text; raises Unavailable when the vault cannot answer (nothing is stored then).

        Args:
            text / language: the message.
            user_id: the data subject the tokens are issued for.
            tokenize: False for text that is not the user's own input (an agent's reply): placeholders only.
        """
        request = vpb.RedactRequest(text=text, language_code=language if language in ("en", "zh") else "",
                                    tokenize_values=tokenize, subject_id=user_id if tokenize else "",
                                    purpose=STORE_PURPOSE)
        try:
            response = await self._stub.Redact(request, timeout=self._timeout)
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.FAILED_PRECONDITION:
                raise FailedPrecondition("the user's data was erased", reason=error_reason(exc) or
                                         "SUBJECT_FORGOTTEN") from exc
            raise Unavailable("the vault is unavailable; the message was not stored",
                              reason="VAULT_UNAVAILABLE") from exc
        spans = tuple(RedactedSpan(redaction_pb2.PiiEntityType.Name(s.entity_type),
                                   s.redacted_start, s.redacted_end, s.token) for s in response.spans)
        return Redacted(response.redacted_text, spans)


def _ts(value: object) -> float:
    seconds = getattr(value, "seconds", 0)
    nanos = getattr(value, "nanos", 0)
    return float(seconds) + float(nanos) / 1e9


def _order_view(order: order_pb2.Order) -> OrderView:
    shipment = order.shipments[-1] if order.shipments else None
    return OrderView(
        order_id=order.order_id,
        status=order_pb2.OrderStatus.Name(order.status).removeprefix("ORDER_STATUS_").lower(),
        place_time=_ts(order.place_time), item_titles=tuple(line.title for line in order.lines),
        carrier=shipment.carrier if shipment else "", tracking_number=shipment.tracking_number if shipment else "",
        estimated_delivery_time=_ts(shipment.estimated_delivery_time) if shipment else 0.0,
        deliver_time=_ts(shipment.deliver_time) if shipment else 0.0)


def _refund_view(refund: order_pb2.Refund) -> RefundView:
    amount = f"{refund.amount.currency_code} {refund.amount.amount_micros / 1e6:.2f}"
    return RefundView(refund.order_id, order_pb2.RefundStatus.Name(refund.status).removeprefix(
        "REFUND_STATUS_").lower(), amount, order_pb2.PaymentMethod.Name(refund.payment_method).removeprefix(
        "PAYMENT_METHOD_").lower(), _ts(refund.expected_complete_time))


class ProfileClient:
    """The profile service's order and points RPCs, always for the signed-in user (ProfilePort)."""

    def __init__(self, channels: ChannelFactory, address: str, timeout_s: float):
        service = ppb.DESCRIPTOR.services_by_name["ProfileService"]
        self._stub = ppb_grpc.ProfileServiceStub(channels.channel(address, "profile", [service]))
        self._timeout = timeout_s

    async def _call(self, method: str, request: object) -> object:
        try:
            return await getattr(self._stub, method)(request, timeout=self._timeout)
        except grpc.aio.AioRpcError as exc:
            if exc.code() in _DEPENDENCY_DOWN:
                raise DataUnavailable(f"profile {method}: {exc.code().name}") from exc
            raise

    async def recent_orders(self, user_id: str, limit: int = 5) -> list[OrderView]:
        """See ProfilePort."""
        response = await self._call("ListOrders", ppb.ListOrdersRequest(user_id=user_id, page_size=limit))
        assert isinstance(response, ppb.ListOrdersResponse)
        return [_order_view(o) for o in response.orders]

    async def order(self, user_id: str, order_id: str) -> OrderView | None:
        """See ProfilePort."""
        try:
            response = await self._call("GetOrder", ppb.GetOrderRequest(user_id=user_id, order_id=order_id))
        except grpc.aio.AioRpcError as exc:
            if exc.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT,
                              grpc.StatusCode.PERMISSION_DENIED):
                return None
            raise DataUnavailable(f"profile GetOrder: {exc.code().name}") from exc
        assert isinstance(response, ppb.GetOrderResponse)
        return _order_view(response.order)

    async def refunds(self, user_id: str, order_id: str) -> list[RefundView] | None:
        """See ProfilePort."""
        try:
            response = await self._call("GetRefundStatus",
                                        ppb.GetRefundStatusRequest(user_id=user_id, order_id=order_id))
        except grpc.aio.AioRpcError as exc:
            if exc.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT,
                              grpc.StatusCode.PERMISSION_DENIED):
                return None
            raise DataUnavailable(f"profile GetRefundStatus: {exc.code().name}") from exc
        assert isinstance(response, ppb.GetRefundStatusResponse)
        return [_refund_view(r) for r in response.refunds]

    async def points(self, user_id: str) -> PointsView:
        """See ProfilePort."""
        try:
            response = await self._call("GetPointsBalance", ppb.GetPointsBalanceRequest(user_id=user_id))
        except grpc.aio.AioRpcError as exc:
            raise DataUnavailable(f"profile GetPointsBalance: {exc.code().name}") from exc
        assert isinstance(response, ppb.GetPointsBalanceResponse)
        return PointsView(response.balance_points, response.tier, response.points_to_next_tier,
                          response.expiring_points, _ts(response.next_expiry_time))

    async def request_cancellation(self, user_id: str, order_id: str, reason: str, request_id: str) -> CancelOutcome:
        """See ProfilePort."""
        request = ppb.RequestCancellationRequest(user_id=user_id, order_id=order_id, reason=reason[:200],
                                                 request_id=request_id)
        try:
            await self._call("RequestCancellation", request)
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.FAILED_PRECONDITION:
                return CancelOutcome(False, error_reason(exc))
            if exc.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT,
                              grpc.StatusCode.PERMISSION_DENIED):
                return CancelOutcome(False, "NOT_FOUND")
            raise DataUnavailable(f"profile RequestCancellation: {exc.code().name}") from exc
        return CancelOutcome(True)


class EmbeddingClient:
    """e5 query vectors from the embedding service."""

    def __init__(self, channels: ChannelFactory, address: str, timeout_s: float):
        service = epb.DESCRIPTOR.services_by_name["EmbeddingService"]
        # The embedding service acts for no user and refuses a user context (USER_CONTEXT_UNEXPECTED).
        self._stub = epb_grpc.EmbeddingServiceStub(channels.channel(address, "embedding", [service],
                                                                    forward_user_context=False))
        self._timeout = timeout_s

    async def embed(self, texts: list[str], timeout_s: float | None = None) -> np.ndarray:
        """(n, DIMENSION) normalised query vectors; raises Unavailable when the service cannot answer.

        Args:
            texts: at most 256 (the embedding contract).
            timeout_s: overrides the per-turn deadline (the FAQ's start-up embedding takes longer).
        """
        try:
            response = await self._stub.Embed(epb.EmbedRequest(texts=texts, model_name=MODEL_NAME,
                                                               kind=epb.EMBEDDING_KIND_QUERY),
                                              timeout=timeout_s or self._timeout)
        except grpc.aio.AioRpcError as exc:
            raise Unavailable("the embedding service is unavailable", reason="EMBEDDING_UNAVAILABLE") from exc
        vectors = np.frombuffer(response.vectors_f32le, "<f4").reshape(response.count, response.dimension)
        return vectors.astype(np.float32)

    async def close(self) -> None:
        """Nothing to release (the channel factory owns the channel)."""


_SHARED_VECTORS: OrderedDict[str, np.ndarray] = OrderedDict()


class InProcessEncoder:
    """The same e5 model in this process, on one worker thread (keeps the event loop free).

    A small process-wide LRU of vectors (texts are FAQ entries and already-redacted messages) spares
    re-embedding the FAQ when several services are built in one process (tests, benchmarks).
    """

    def __init__(self, cache_texts: int = 4096) -> None:
        self._encoder = E5Encoder()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="support-e5")
        self._cache_texts = cache_texts

    def _encode(self, texts: list[str]) -> np.ndarray:
        if self._cache_texts <= 0:
            return self._encoder.encode(texts)
        missing = [t for t in dict.fromkeys(texts) if t not in _SHARED_VECTORS]
        if missing:
            for text, vector in zip(missing, self._encoder.encode(missing), strict=True):
                _SHARED_VECTORS[text] = vector
                if len(_SHARED_VECTORS) > self._cache_texts:
                    _SHARED_VECTORS.popitem(last=False)
        out = []
        for text in texts:
            vector = _SHARED_VECTORS.get(text)
            out.append(vector if vector is not None else self._encoder.encode([text])[0])
        return np.stack(out)

    async def embed(self, texts: list[str], timeout_s: float | None = None) -> np.ndarray:
        """(n, DIMENSION) normalised query vectors (timeout_s is accepted for symmetry and ignored)."""
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._encode, texts)

    async def close(self) -> None:
        """Stops the worker thread."""
        self._executor.shutdown(wait=False, cancel_futures=True)
