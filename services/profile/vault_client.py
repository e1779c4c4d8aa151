"""The profile service's client of the vault (shopmesh.vault.v1): token checks and, for loaders, tokenizing.

Purposes used (granted to caller `profile` in services/vault/policy.yaml, for the end user's own data):
- `profile.read_profile`: Detokenize with MASKED disclosure, with the end user's signed context (the kit
  forwards it on every call): on UpdateProfile to check that each token belongs to that user and has the
  field's PII type (NAME, EMAIL, PHONE, ADDRESS), and to read a profile back masked. No clear value is
  requested.
- `profile.store_profile`: Tokenize of NAME, EMAIL, PHONE, ADDRESS values of a user (loaders).
"""

from __future__ import annotations

import grpc
from google.rpc import error_details_pb2, status_pb2

from services.profile.model import Violation
from shared.channels import ChannelFactory
from shared.errors import PermissionDenied, Unavailable
from shopmesh.vault.v1 import vault_service_pb2 as vpb
from shopmesh.vault.v1 import vault_service_pb2_grpc as vpb_grpc

STORE_PURPOSE = "profile.store_profile"
READ_PURPOSE = "profile.read_profile"
VAULT_SERVICE = vpb.DESCRIPTOR.services_by_name["VaultService"]


def _error_info(exc: grpc.aio.AioRpcError) -> error_details_pb2.ErrorInfo | None:
    for key, value in exc.trailing_metadata() or ():
        if key == "grpc-status-details-bin" and isinstance(value, bytes):
            status = status_pb2.Status.FromString(value)
            for detail in status.details:
                info = error_details_pb2.ErrorInfo()
                if detail.Unpack(info):
                    return info
    return None


class VaultClient:
    """Calls the vault over the mesh (mTLS, deadlines, the end user's context propagated).

    Args:
        channels: the kit's channel factory.
        address: host:port of the vault.
        timeout_s: deadline of one call.
    """

    def __init__(self, channels: ChannelFactory, address: str, timeout_s: float = 0.8):
        self._stub = vpb_grpc.VaultServiceStub(channels.channel(address, "vault", [VAULT_SERVICE]))
        self._timeout = timeout_s

    async def verify(self, user_id: str, tokens: dict[str, tuple[str, str]]) -> list[Violation]:
        """Violations per field of {field path: (token, PII type name)}: unknown, another user's, wrong type."""
        paths = list(tokens)
        request = vpb.DetokenizeRequest(tokens=[tokens[p][0] for p in paths], purpose=READ_PURPOSE,
                                        max_disclosure=vpb.DISCLOSURE_MASKED)
        try:
            response = await self._stub.Detokenize(request, timeout=self._timeout)
        except grpc.aio.AioRpcError as exc:
            info = _error_info(exc)
            reason = info.reason if info else ""
            if exc.code() == grpc.StatusCode.NOT_FOUND:
                index = int(info.metadata.get("token_index", "0")) if info else 0
                field = paths[min(index, len(paths) - 1)]
                return [Violation(field, "UNKNOWN_TOKEN", "the vault never issued this token (or forgot it)")]
            if exc.code() == grpc.StatusCode.INVALID_ARGUMENT:
                return [Violation(paths[0], "MALFORMED_TOKEN", "the vault rejected a token")]
            if exc.code() == grpc.StatusCode.PERMISSION_DENIED and reason == "SUBJECT_MISMATCH":
                return [Violation(paths[0], "TOKEN_OF_ANOTHER_USER", "a token belongs to another user")]
            if exc.code() == grpc.StatusCode.PERMISSION_DENIED:
                raise PermissionDenied("the vault's policy denies the profile's token check",
                                       reason="VAULT_POLICY_DENIED") from exc
            raise Unavailable("the vault is unavailable; retry with backoff", reason="VAULT_UNAVAILABLE") from exc
        out = []
        for path, value in zip(paths, response.values, strict=False):
            if value.subject_id != user_id:
                out.append(Violation(path, "TOKEN_OF_ANOTHER_USER", "the token belongs to another user"))
            elif vpb.PiiType.Name(value.type) != f"PII_TYPE_{tokens[path][1]}":
                out.append(Violation(path, "WRONG_TOKEN_TYPE", f"expected a {tokens[path][1]} token"))
        return out

    async def tokenize(self, user_id: str, values: list[tuple[str, str]]) -> list[str]:
        """Tokens of [(PII type name, clear value)] for a user, in order (purpose profile.store_profile)."""
        request = vpb.TokenizeRequest(subject_id=user_id, purpose=STORE_PURPOSE, values=[
            vpb.PiiValue(type=vpb.PiiType.Value(f"PII_TYPE_{t}"), value=v) for t, v in values])
        response = await self._stub.Tokenize(request, timeout=self._timeout)
        return [t.token for t in response.tokens]

    async def read_masked(self, tokens: list[str]) -> list[str]:
        """Masked forms of tokens (purpose profile.read_profile), with the caller's user context."""
        response = await self._stub.Detokenize(
            vpb.DetokenizeRequest(tokens=tokens, purpose=READ_PURPOSE, max_disclosure=vpb.DISCLOSURE_MASKED),
            timeout=self._timeout)
        return [v.masked_value for v in response.values]
