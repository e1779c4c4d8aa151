"""A small VaultService implementing the real proto (Tokenize / Detokenize), with an error-injection hook.

Used until the real vault (#4) is importable; it keeps values in memory, issues convergent `tok_` tokens,
masks values and enforces the end-user context's subject like the contract says. Not a mock: it can fail
the way the vault fails (`inject`).
"""

from __future__ import annotations

import hashlib

import grpc

from shared.context import current_caller
from shared.errors import DomainError, FieldViolation, InvalidArgument, NotFound, PermissionDenied
from shared.server import ServiceHost
from shared.settings import ServiceSettings
from shopmesh.vault.v1 import vault_service_pb2 as vpb
from shopmesh.vault.v1 import vault_service_pb2_grpc as vpb_grpc

SERVICE_NAME = vpb.DESCRIPTOR.services_by_name["VaultService"].full_name


class FakeVault(vpb_grpc.VaultServiceServicer):
    """Tokens in memory; `inject(error, times)` makes the next calls fail with the given domain error."""

    def __init__(self) -> None:
        self.values: dict[str, tuple[str, int, str]] = {}  # token -> (subject, type, value)
        self._fail: DomainError | None = None
        self._fail_times = 0
        self.calls: list[tuple[str, str, str | None]] = []  # (rpc, purpose, caller)

    def inject(self, error: DomainError, times: int = 1) -> None:
        """The next `times` calls fail with `error` (the channel's retries count as calls)."""
        self._fail, self._fail_times = error, times

    def _maybe_fail(self) -> None:
        if self._fail is not None and self._fail_times > 0:
            self._fail_times -= 1
            raise self._fail

    async def Tokenize(self, request: vpb.TokenizeRequest, context: grpc.aio.ServicerContext) -> vpb.TokenizeResponse:
        self.calls.append(("Tokenize", request.purpose, current_caller().service))
        self._maybe_fail()
        if not request.subject_id:
            raise InvalidArgument("subject required", [FieldViolation("subject_id", "REQUIRED")])
        out = []
        for v in request.values:
            digest = hashlib.blake2b(f"{request.subject_id}|{v.type}|{v.value}".encode(), digest_size=12).hexdigest()
            token = f"tok_{digest}"
            self.values[token] = (request.subject_id, v.type, v.value)
            out.append(vpb.TokenizedValue(token=token, type=v.type, masked_value=v.value[:1] + "***"))
        return vpb.TokenizeResponse(tokens=out)

    async def Detokenize(self, request: vpb.DetokenizeRequest,
                         context: grpc.aio.ServicerContext) -> vpb.DetokenizeResponse:
        caller = current_caller()
        self.calls.append(("Detokenize", request.purpose, caller.service))
        self._maybe_fail()
        out = []
        for i, token in enumerate(request.tokens):
            found = self.values.get(token)
            if found is None:
                raise NotFound("unknown token", reason="UNKNOWN_TOKEN", metadata={"token_index": str(i)})
            subject, pii_type, value = found
            if caller.user_id is not None and caller.user_id != subject:
                raise PermissionDenied("another subject", reason="SUBJECT_MISMATCH")
            clear = request.max_disclosure == vpb.DISCLOSURE_CLEAR
            out.append(vpb.DetokenizedValue(token=token, type=pii_type, subject_id=subject,
                                            disclosure=vpb.DISCLOSURE_CLEAR if clear else vpb.DISCLOSURE_MASKED,
                                            value=value if clear else "", masked_value=value[:1] + "***"))
        return vpb.DetokenizeResponse(values=out)


def build_fake_vault(settings: ServiceSettings) -> tuple[ServiceHost, FakeVault]:
    """A host serving the fake vault (not started)."""
    fake = FakeVault()
    host = ServiceHost(settings, lambda server: vpb_grpc.add_VaultServiceServicer_to_server(fake, server),
                       [SERVICE_NAME])
    return host, fake


