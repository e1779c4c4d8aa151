"""Per-RPC context (request id, deadline, calling service, end user) held in contextvars.

The server interceptor fills it for each incoming call; outbound clients read it to propagate the request
id, the remaining deadline and the end-user context to the next hop.
"""

from __future__ import annotations

import contextvars
import time
from dataclasses import dataclass

from shared.errors import Unauthenticated


@dataclass(frozen=True)
class Caller:
    """Who is calling: the service identity from its mTLS certificate and the end user, if any.

    Attributes:
        service: the calling service's mesh identity (e.g. `gateway`), None on a plaintext port.
        user_id: the end user the call acts for, from the gateway-signed user context; None if absent.
        user_token: the signed user-context token itself, forwarded unchanged on outbound calls.
    """

    service: str | None = None
    user_id: str | None = None
    user_token: str | None = None


request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
deadline_var: contextvars.ContextVar[float | None] = contextvars.ContextVar("deadline", default=None)
_NO_CALLER = Caller()
caller_var: contextvars.ContextVar[Caller] = contextvars.ContextVar("caller", default=_NO_CALLER)


def current_caller() -> Caller:
    """The caller of the RPC being handled (an empty Caller outside an RPC)."""
    return caller_var.get()


def require_end_user() -> str:
    """The end user's id from the verified user context; raises Unauthenticated when there is none."""
    user_id = caller_var.get().user_id
    if not user_id:
        raise Unauthenticated("this call needs an end-user context", reason="USER_CONTEXT_MISSING")
    return user_id


def current_request_id() -> str | None:
    """The request id of the RPC being handled, propagated from the first hop."""
    return request_id_var.get()


def remaining_seconds() -> float | None:
    """Seconds left before the current RPC's deadline (monotonic clock), or None when it has none."""
    deadline = deadline_var.get()
    if deadline is None:
        return None
    return deadline - time.monotonic()
