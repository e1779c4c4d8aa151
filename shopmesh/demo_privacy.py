"""The demo's privacy step: the running vault over mTLS — redact, tokenize, policy-shaped reads, forget, audit.

Until the gateway exists (#10) the demo stands in for it: it dials with the `gateway` certificate and signs the
end-user context with the local user-context key, exactly as the gateway will.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

import grpc

from shared.channels import ChannelFactory
from shared.tls import TlsFiles
from shared.usercontext import UserContextSigner
from shopmesh.certs import USER_CONTEXT_PRIVATE, ensure_certs
from shopmesh.vault.v1 import vault_service_pb2 as pb
from shopmesh.vault.v1 import vault_service_pb2_grpc

Say = Callable[[str], None]
MESSAGE = "我的订单A10023还没到，手机13812345678，email li.wei@example.cn, card 4111 1111 1111 1111"


class _Callers:
    """Stubs to the vault as several mesh identities (each its own certificate)."""

    def __init__(self, certs_dir: Path, address: str):
        ensure_certs(certs_dir, ("gateway", "support", "retrieval", "cli"))
        self._factories = {name: ChannelFactory(TlsFiles.in_dir(certs_dir, name), default_deadline_ms=3000)
                           for name in ("gateway", "support", "retrieval", "cli")}
        self._address = address
        self.signer = UserContextSigner.from_file(certs_dir / USER_CONTEXT_PRIVATE)

    def stub(self, identity: str) -> vault_service_pb2_grpc.VaultServiceStub:
        return vault_service_pb2_grpc.VaultServiceStub(self._factories[identity].channel(self._address, "vault"))

    def user(self, user_id: str) -> tuple[tuple[str, str], ...]:
        return (("x-shopmesh-user-context", self.signer.sign(user_id)),)

    async def close(self) -> None:
        for factory in self._factories.values():
            await factory.close()


async def show_privacy(say: Say, certs_dir: Path, vault_port: int) -> None:
    """Walks through the vault's main guarantees against the running service."""
    callers = _Callers(certs_dir, f"127.0.0.1:{vault_port}")
    demo_user = f"demo-user-{secrets.token_hex(3)}"  # fresh each run: a forgotten subject stays forgotten
    try:
        redacted = await callers.stub("support").Redact(pb.RedactRequest(text=MESSAGE))
        say(f"support message: {MESSAGE}")
        say(f"  redacted by the vault: {redacted.redacted_text}")
        say("  spans: " + ", ".join(f"{s.start}:{s.end}" for s in redacted.spans) + " (order number A10023 kept)")

        me = callers.user(demo_user)
        issued = await callers.stub("gateway").Tokenize(pb.TokenizeRequest(
            subject_id=demo_user, purpose="gateway.store_profile", values=[
                pb.PiiValue(type=pb.PII_TYPE_EMAIL, value="li.wei@example.cn"),
                pb.PiiValue(type=pb.PII_TYPE_PHONE, value="138 1234 5678")]), metadata=me)
        tokens = [t.token for t in issued.tokens]
        say(f"profile PII stored as tokens: {', '.join(f'{t.token} ({t.masked_value})' for t in issued.tokens)}")
        clear = await callers.stub("gateway").Detokenize(pb.DetokenizeRequest(
            tokens=tokens, purpose="gateway.read_profile", max_disclosure=pb.DISCLOSURE_CLEAR), metadata=me)
        say(f"  the user reads their own profile: {[v.value for v in clear.values]}")
        masked = await callers.stub("support").Detokenize(pb.DetokenizeRequest(
            tokens=tokens[1:], purpose="support.answer_order_question", max_disclosure=pb.DISCLOSURE_CLEAR),
            metadata=me)
        say(f"  support answering an order question sees only: {masked.values[0].masked_value} (policy: masked)")
        try:
            await callers.stub("retrieval").Detokenize(pb.DetokenizeRequest(
                tokens=tokens, purpose="gateway.read_profile"), metadata=me)
        except grpc.aio.AioRpcError as exc:
            say(f"  retrieval asking for them: {exc.code().name} (audited)")
        forgotten = await callers.stub("gateway").ForgetSubject(pb.ForgetSubjectRequest(
            subject_id=demo_user, purpose="gateway.delete_my_data"), metadata=me)
        say(f"delete-my-data: data key destroyed ({forgotten.destroyed_data_key_count}), "
            f"{forgotten.deleted_value_count} values and {forgotten.deleted_index_entry_count} index rows deleted")
        try:
            await callers.stub("gateway").Detokenize(pb.DetokenizeRequest(
                tokens=tokens, purpose="gateway.read_profile"), metadata=me)
        except grpc.aio.AioRpcError as exc:
            say(f"  reading a forgotten token: {exc.code().name} ({exc.details()})")
        audit = await callers.stub("cli").VerifyAudit(pb.VerifyAuditRequest())
        say(f"audit log: {audit.checked_entry_count} entries, hash chain "
            f"{'intact' if audit.intact else 'BROKEN'} (head {audit.head_hash.hex()[:16]}…)")
    finally:
        await callers.close()
