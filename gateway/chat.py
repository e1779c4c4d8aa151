"""The support chat relayed both ways to support.Converse; a "try later" notice when support is down."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import grpc

from gateway.degradation import Degraded, PeerDown
from gateway.errors import relay
from shopmesh.gateway.v1 import gateway_service_pb2 as pb
from shopmesh.support.v1 import support_service_pb2 as support_pb

RETRY_AFTER_SECONDS = 120
_NOTICE_TEXT = {
    "zh": "我们的客服助手暂时无法使用，请几分钟后再试，或通过以下方式联系我们。",
    "en": "Our assistant is unavailable right now; please try again in a few minutes or contact us.",
}
_PEER_FAULTS = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.INTERNAL,
                grpc.StatusCode.UNKNOWN, grpc.StatusCode.UNIMPLEMENTED}


class ChatRelay:
    """Relays one app conversation stream to support."""

    def __init__(self, clients: Any, contact_url: str, contact_phone: str):
        self._clients = clients
        self._contact_url = contact_url
        self._contact_phone = contact_phone

    def notice(self, language: str, down: PeerDown) -> pb.ChatResponse:
        """The one response sent when support is unavailable."""
        text = _NOTICE_TEXT["zh" if language.startswith("zh") else "en"]
        return pb.ChatResponse(
            notice=pb.SupportNotice(text=text, contact_url=self._contact_url, contact_phone=self._contact_phone,
                                    retry_after_seconds=RETRY_AFTER_SECONDS),
            degradations=[Degraded.of(down, pb.FALLBACK_CONTACT_ROUTE).to_proto()])

    async def relay(self, caller: Any, requests: AsyncIterator[pb.ChatRequest]) -> AsyncIterator[pb.ChatResponse]:
        """Support's events for the app's inputs, in order; ends when either side ends."""
        first = await anext(aiter(requests), None)
        if first is None:
            return
        language = first.input.open.language_code if first.input.HasField("open") else ""
        try:
            call = self._clients.stream("support", "Converse", caller.metadata)
        except PeerDown as down:
            yield self.notice(language, down)
            return
        breaker = self._clients.breakers["support"]

        async def pump() -> None:
            with contextlib.suppress(grpc.aio.AioRpcError, asyncio.InvalidStateError, grpc.aio.UsageError):
                await call.write(support_pb.ConverseRequest(input=first.input))
                async for request in requests:
                    await call.write(support_pb.ConverseRequest(input=request.input))
                await call.done_writing()

        writer = asyncio.create_task(pump())
        relayed = 0
        try:
            while True:
                try:
                    message = await call.read()
                except grpc.aio.AioRpcError as exc:
                    if exc.code() in _PEER_FAULTS:
                        breaker.record(False)
                        if relayed == 0:
                            yield self.notice(language, PeerDown(
                                "support", pb.DEGRADATION_CAUSE_UNAVAILABLE,
                                f"support.Converse: {exc.code().name.lower()}"))
                            return
                    raise relay(exc) from exc
                if message is grpc.aio.EOF:
                    break
                relayed += 1
                breaker.record(True)
                yield pb.ChatResponse(event=message.event)
        finally:
            writer.cancel()
            call.cancel()
