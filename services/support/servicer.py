"""SupportService over gRPC: protobuf <-> the engine's contract-shaped dicts, callers checked, nothing else."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from google.protobuf import json_format
from grpc.aio import ServicerContext as Ctx

from services.support.agents import AgentDesk
from services.support.engine import SupportEngine
from services.support.live import Watcher
from shared.context import current_caller, require_end_user
from shared.errors import FieldViolation, InvalidArgument, PermissionDenied, Unauthenticated
from shopmesh.common.v1 import conversation_pb2 as cpb
from shopmesh.support.v1 import support_service_pb2 as pb
from shopmesh.support.v1 import support_service_pb2_grpc as pb_grpc

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["SupportService"].full_name
DOMAIN = "shopmesh.support"


def _parse(message: Any, data: dict[str, Any]) -> Any:
    return json_format.ParseDict(data, message, ignore_unknown_fields=True)


def _event(event: dict[str, Any]) -> pb.ConverseResponse:
    return pb.ConverseResponse(event=_parse(cpb.ConversationEvent(), event))


def _invalid(field: str, description: str, message: str) -> InvalidArgument:
    return InvalidArgument(message, [FieldViolation(field, description)])


def _enum_name(enum: Any, value: int, field: str) -> str:
    """The name of an enum value the request carries; one this build does not know is INVALID_ARGUMENT."""
    try:
        return str(enum.Name(value))
    except ValueError:
        raise _invalid(field, "UNKNOWN_ENUM_VALUE", f"{field} is not a known value ({value})") from None


def _states(values: Any) -> list[str]:
    return [_enum_name(cpb.HandoffState, s, f"states[{i}]") for i, s in enumerate(values)]


class SupportServicer(pb_grpc.SupportServiceServicer):
    """Delegates to the engine (conversations) and the desk (agents, privacy).

    Args:
        engine: the conversation engine.
        desk: the agents' desk.
        console_identities: mesh identities allowed the agent RPCs.
    """

    def __init__(self, engine: SupportEngine, desk: AgentDesk, console_identities: list[str]):
        self.engine = engine
        self.desk = desk
        self._consoles = frozenset(console_identities)

    def _require_console(self) -> None:
        if current_caller().service not in self._consoles:
            raise PermissionDenied("only the agent console may call this", reason="CALLER_NOT_ALLOWED",
                                   domain=DOMAIN)

    def _require_subject(self, user_id: str) -> str:
        if not user_id:
            raise _invalid("user_id", "REQUIRED", "user_id is required")
        if require_end_user() != user_id:
            raise PermissionDenied("user_id is not the signed-in user", reason="SUBJECT_MISMATCH", domain=DOMAIN)
        return user_id

    async def Converse(self, request_iterator: AsyncIterator[pb.ConverseRequest],
                       context: Ctx) -> AsyncIterator[pb.ConverseResponse]:
        user_id = require_end_user()
        first = await anext(aiter(request_iterator), None)
        if first is None:
            return
        if first.input.WhichOneof("input") != "open":
            raise _invalid("input.open", "REQUIRED", "the first input must be open")
        opened = first.input.open
        events = await self.engine.open(user_id, opened.session_id, opened.resume_after_sequence,
                                        opened.language_code)
        session_id = events[0]["session_id"]
        queue = self.engine.hub.attach(session_id)
        try:
            for event in events:
                yield _event(event)
            reader = asyncio.create_task(self._read(user_id, session_id, request_iterator, queue))
            try:
                while True:
                    item = await queue.get()
                    if item is None:
                        break
                    if isinstance(item, BaseException):
                        raise item
                    yield _event(item)
                    if "ended" in item:
                        break
            finally:
                reader.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await reader
        finally:
            self.engine.hub.detach(session_id, queue)

    async def _read(self, user_id: str, session_id: str, requests: AsyncIterator[pb.ConverseRequest],
                    queue: asyncio.Queue[Any]) -> None:
        async def emit(event: dict[str, Any]) -> None:
            queue.put_nowait(event)

        try:
            async for request in requests:
                kind = request.input.WhichOneof("input")
                if kind is None:
                    raise _invalid("input", "EMPTY", "no action set")
                if kind == "open":
                    raise _invalid("input.open", "REQUIRED", "open may appear only once, first")
                if kind == "end":
                    queue.put_nowait(await self.engine.end(user_id, session_id))
                    return
                message = request.input.user_message
                if not message.client_message_id:
                    raise _invalid("input.user_message.client_message_id", "REQUIRED",
                                   "client_message_id is required")
                await self.engine.turn(user_id, session_id, message.client_message_id, message.text, emit)
        except Exception as exc:
            queue.put_nowait(exc)
        finally:
            queue.put_nowait(None)

    async def GetSession(self, request: pb.GetSessionRequest, context: Ctx) -> pb.GetSessionResponse:
        if not request.session_id:
            raise _invalid("session_id", "REQUIRED", "session_id is required")
        caller = current_caller()
        if caller.user_id:
            view = await self.engine.session_for_user(caller.user_id, request.session_id)
        elif caller.service in self._consoles:
            view = await self.desk.session(request.session_id)
        else:
            raise Unauthenticated("this call needs an end-user context", reason="USER_CONTEXT_MISSING")
        return pb.GetSessionResponse(session=_parse(pb.Session(), view))

    async def ListHandoffs(self, request: pb.ListHandoffsRequest, context: Ctx) -> pb.ListHandoffsResponse:
        self._require_console()
        states = _states(request.states)
        rows, token = await self.desk.list_handoffs(states, request.agent_id, request.language_code, request.page_size,
                                           request.page_token)
        return pb.ListHandoffsResponse(handoffs=[_parse(pb.Handoff(), r) for r in rows], next_page_token=token)

    async def GetHandoff(self, request: pb.GetHandoffRequest, context: Ctx) -> pb.GetHandoffResponse:
        self._require_console()
        handoff, transcript = await self.desk.get(request.handoff_id)
        return pb.GetHandoffResponse(handoff=_parse(pb.Handoff(), handoff),
                                     transcript=[_parse(pb.TranscriptEntry(), e) for e in transcript])

    async def TakeHandoff(self, request: pb.TakeHandoffRequest, context: Ctx) -> pb.TakeHandoffResponse:
        self._require_console()
        handoff = await self.desk.take(request.handoff_id, request.agent_id, request.agent_display_name)
        return pb.TakeHandoffResponse(handoff=_parse(pb.Handoff(), handoff))

    async def AgentReply(self, request: pb.AgentReplyRequest, context: Ctx) -> pb.AgentReplyResponse:
        self._require_console()
        entry, live = await self.desk.reply(request.handoff_id, request.agent_id, request.text,
                                            request.client_message_id)
        return pb.AgentReplyResponse(entry=_parse(pb.TranscriptEntry(), entry), delivered_live=live)

    async def CloseHandoff(self, request: pb.CloseHandoffRequest, context: Ctx) -> pb.CloseHandoffResponse:
        self._require_console()
        handoff = await self.desk.close(request.handoff_id, request.agent_id,
                                        _enum_name(pb.Resolution, request.resolution, "resolution"), request.note)
        return pb.CloseHandoffResponse(handoff=_parse(pb.Handoff(), handoff))

    async def WatchHandoffs(self, request: pb.WatchHandoffsRequest,
                            context: Ctx) -> AsyncIterator[pb.WatchHandoffsResponse]:
        self._require_console()
        states = _states(request.states)
        watcher = Watcher(frozenset(states), request.language_code, request.agent_id, asyncio.Queue())
        self.engine.hub.watch(watcher)  # before the snapshot, so nothing falls between the two
        try:
            rows, _ = await self.desk.list_handoffs(states, "", request.language_code, 200, "")
            for row in rows:
                yield pb.WatchHandoffsResponse(kind=pb.HANDOFF_EVENT_KIND_SNAPSHOT, handoff=_parse(pb.Handoff(), row))
            yield pb.WatchHandoffsResponse(kind=pb.HANDOFF_EVENT_KIND_SNAPSHOT_END)
            while True:
                item = await watcher.queue.get()
                if item is None:
                    return
                response = pb.WatchHandoffsResponse(kind=pb.HandoffEventKind.Value(item["kind"]),
                                                    handoff=_parse(pb.Handoff(), item["handoff"]))
                if "entry" in item:
                    response.entry.CopyFrom(_parse(pb.TranscriptEntry(), item["entry"]))
                yield response
        finally:
            self.engine.hub.unwatch(watcher)

    async def DeleteUserSessions(self, request: pb.DeleteUserSessionsRequest,
                                 context: Ctx) -> pb.DeleteUserSessionsResponse:
        sessions, handoffs = await self.desk.delete_user(self._require_subject(request.user_id))
        return pb.DeleteUserSessionsResponse(deleted_session_count=sessions, deleted_handoff_count=handoffs,
                                             already_deleted=sessions == 0 and handoffs == 0)

    async def ExportUserSessions(self, request: pb.ExportUserSessionsRequest,
                                 context: Ctx) -> pb.ExportUserSessionsResponse:
        sessions, handoffs = await self.desk.export_user(self._require_subject(request.user_id))
        return pb.ExportUserSessionsResponse(sessions=[_parse(pb.Session(), s) for s in sessions],
                                             handoffs=[_parse(pb.Handoff(), h) for h in handoffs])
