"""Fixtures of the support tests: mesh certificates, the real vault (SQLite), a fake profile service, and the
real support service on an mTLS port 0 with the in-process e5 encoder (the model the embedding service
serves) and its trained artifacts (trained once into $SHOPMESH_HOME on a clean machine, about a minute).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pytest

from services.support.app import SupportApp, build
from services.support.settings import SupportSettings
from services.vault.app import build as build_vault
from services.vault.keys import ensure_key_dir
from services.vault.settings import VaultSettings
from shared.server import ServiceHost
from shared.settings import ServiceSettings
from shared.tls import TlsFiles
from shared.usercontext import UserContextSigner
from shopmesh.common.v1 import conversation_pb2 as cpb
from shopmesh.profile.v1 import profile_service_pb2 as ppb
from shopmesh.profile.v1 import profile_service_pb2_grpc as ppb_grpc
from shopmesh.support.v1 import support_service_pb2 as pb
from shopmesh.support.v1 import support_service_pb2_grpc as pb_grpc
from shopmesh.vault.v1 import vault_service_pb2_grpc as vpb_grpc
from tests.support.fake_profile import FakeProfile

READ_TIMEOUT_S = 60.0




@pytest.fixture(scope="session")
def trained_models() -> None:
    """Trains the support artifacts once when missing or stale (later runs load them)."""
    from services.support.artifacts import load_or_train
    from services.support.encoder import CachedEncoder

    load_or_train(CachedEncoder())


@dataclass
class Mesh:
    """The running services of one test and how to call them."""

    app: SupportApp
    profile: FakeProfile
    vault_host: ServiceHost
    certs: Path
    signer: UserContextSigner
    channels: list[grpc.aio.Channel] = field(default_factory=list)

    def _channel(self, identity: str, port: int, server: str) -> grpc.aio.Channel:
        ca, chain, key = TlsFiles.in_dir(self.certs, identity).read()
        channel = grpc.aio.secure_channel(f"127.0.0.1:{port}", grpc.ssl_channel_credentials(ca, key, chain),
                                          options=[("grpc.ssl_target_name_override", server)])
        self.channels.append(channel)
        return channel

    def stub(self, identity: str = "gateway") -> pb_grpc.SupportServiceStub:
        """A support stub presenting `identity`'s certificate."""
        return pb_grpc.SupportServiceStub(self._channel(identity, self.app.host.port, "support"))

    def vault_stub(self, identity: str) -> vpb_grpc.VaultServiceStub:
        """A vault stub presenting `identity`'s certificate."""
        return vpb_grpc.VaultServiceStub(self._channel(identity, self.vault_host.port, "vault"))

    def as_user(self, user_id: str) -> tuple[tuple[str, str], ...]:
        """Metadata with a gateway-signed context for user_id."""
        return (("x-shopmesh-user-context", self.signer.sign(user_id, ttl_seconds=300)),)


async def start_mesh(certs: Path, signer: UserContextSigner, root: Path, **overrides: Any) -> Mesh:
    """Starts the vault, the fake profile and the support service."""
    ensure_key_dir(root / "keys")
    vault_settings = VaultSettings(certs_dir=certs, user_context_public_keys=[certs / "user-context.pub"],
                                   metrics_enabled=False, key_dir=root / "keys", data_dir=root / "vault",
                                   grace_seconds=0.5)  # type: ignore[call-arg]
    vault_host, vault_servicer = build_vault(vault_settings)
    await vault_host.start()
    await vault_host.set_ready(True)
    fake = FakeProfile()
    profile_host = ServiceHost(
        ServiceSettings(service_name="profile", certs_dir=certs, metrics_enabled=False,  # type: ignore[call-arg]
                        user_context_public_keys=[certs / "user-context.pub"]),
        lambda server: ppb_grpc.add_ProfileServiceServicer_to_server(fake, server),
        [ppb.DESCRIPTOR.services_by_name["ProfileService"].full_name])
    await profile_host.start()
    await profile_host.set_ready(True)
    values: dict[str, Any] = {
        "certs_dir": certs, "user_context_public_keys": [certs / "user-context.pub"], "metrics_enabled": False,
        "vault_address": f"127.0.0.1:{vault_host.port}", "profile_address": f"127.0.0.1:{profile_host.port}",
        "encoder": "in_process", "data_dir": root / "support", "grace_seconds": 0.5}
    values.update(overrides)
    app = build(SupportSettings(**values))
    await app.start()
    mesh = Mesh(app, fake, vault_host, certs, signer)
    mesh._extra = (profile_host, vault_servicer)  # type: ignore[attr-defined]
    return mesh


async def stop_mesh(mesh: Mesh) -> None:
    """Stops everything started by start_mesh."""
    for channel in mesh.channels:
        await channel.close()
    await mesh.app.stop(0)
    profile_host, vault_servicer = mesh._extra  # type: ignore[attr-defined]
    await profile_host.stop(0)
    await mesh.vault_host.stop(0)
    vault_servicer.vault.data.close()
    vault_servicer.vault.keys.close()


@pytest.fixture
async def mesh(mesh_certs: Path, signer: UserContextSigner, tmp_path: Path,
               trained_models: None) -> AsyncIterator[Mesh]:
    """Vault, fake profile and support service, on SQLite in tmp_path."""
    running = await start_mesh(mesh_certs, signer, tmp_path)
    yield running
    await stop_mesh(running)


class Conversation:
    """One Converse stream driven turn by turn."""

    def __init__(self, mesh: Mesh, user_id: str, language: str = "en", session_id: str = "", *,
                 identity: str = "gateway", resume_after: int = 0):
        self._call = mesh.stub(identity).Converse(metadata=mesh.as_user(user_id))
        self._open = cpb.OpenConversation(session_id=session_id, language_code=language,
                                          resume_after_sequence=resume_after)
        self.session_id = session_id
        self.events: list[cpb.ConversationEvent] = []

    async def open(self) -> cpb.ConversationEvent:
        """Sends open and returns the opened event."""
        await self._call.write(pb.ConverseRequest(input=cpb.ConversationInput(open=self._open)))
        event = await self.next()
        self.session_id = event.session_id
        return event

    async def next(self) -> cpb.ConversationEvent:
        """The next server event."""
        # A bounded wait: a turn that never finishes fails the test instead of hanging the suite.
        response = await asyncio.wait_for(self._call.read(), READ_TIMEOUT_S)
        assert response is not grpc.aio.EOF, "the stream ended"
        self.events.append(response.event)
        return response.event

    async def say(self, text: str, cmid: str | None = None) -> list[cpb.ConversationEvent]:
        """Sends a message and reads events up to the final chunk (or a rejection / hand-off update)."""
        await self._call.write(pb.ConverseRequest(input=cpb.ConversationInput(
            user_message=cpb.UserMessage(client_message_id=cmid or uuid.uuid4().hex, text=text))))
        out = []
        while True:
            event = await self.next()
            out.append(event)
            kind = event.WhichOneof("event")
            if kind == "turn_rejected" or (kind == "bot_reply" and event.bot_reply.final
                                           and not event.bot_reply.HasField("handoff")):
                return out
            if kind == "handoff_update":
                return out

    async def end(self) -> cpb.ConversationEvent:
        """Sends end and returns the ended event."""
        await self._call.write(pb.ConverseRequest(input=cpb.ConversationInput(end=cpb.EndConversation())))
        return await self.next()

    def cancel(self) -> None:
        """Closes the stream."""
        self._call.cancel()


def final_reply(events: list[cpb.ConversationEvent]) -> cpb.BotReply:
    """The final chunk of a turn."""
    return next(e.bot_reply for e in events if e.WhichOneof("event") == "bot_reply" and e.bot_reply.final)


def answer_text(events: list[cpb.ConversationEvent]) -> str:
    """The turn's answer: the concatenation of its chunks."""
    return "".join(e.bot_reply.text for e in events if e.WhichOneof("event") == "bot_reply")


def slots_of(reply: cpb.BotReply) -> dict[str, str]:
    """Slot name -> value of a reply's understanding."""
    return {s.name: s.value for s in reply.understanding.slots}
