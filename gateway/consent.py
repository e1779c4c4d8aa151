"""A short-TTL cache of users' consent, read from profile (feed, search and SendEvents consult it)."""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from gateway.degradation import PeerDown
from shopmesh.common.v1 import account_pb2
from shopmesh.profile.v1 import profile_service_pb2 as profile_pb

MAX_CACHED_USERS = 50_000


@dataclass(frozen=True)
class ConsentState:
    """A user's consent as the gateway acts on it.

    Attributes:
        personalization: personalised lists and behaviour events are allowed.
        marketing: marketing use is allowed.
        known: read from profile now or recently; False when profile could not be asked (then
            personalization is False: the gateway fails closed).
    """

    personalization: bool
    marketing: bool
    known: bool = True


UNKNOWN = ConsentState(personalization=False, marketing=False, known=False)


class ConsentCache:
    """Consent per user for `ttl_seconds`; GW-PRIVACY invalidates a user after UpdateConsent/DeleteMyData."""

    def __init__(self, clients: Any, ttl_seconds: float = 5.0, default_granted: bool = True):
        self._clients = clients
        self._default_granted = default_granted
        self._ttl = ttl_seconds
        self._entries: OrderedDict[str, tuple[float, ConsentState]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    async def get(self, caller: Any) -> ConsentState:
        """The caller's consent (profile's GetConsent at most once per TTL); UNKNOWN when profile is down."""
        state = self.cached(caller.user_id)
        return state if state is not None else await self.fetch(caller)

    async def fetch(self, caller: Any) -> ConsentState:
        """Asks profile's GetConsent now and caches the answer; UNKNOWN when profile is down."""
        try:
            response = await self._clients.call("profile", "GetConsent",
                                                profile_pb.GetConsentRequest(user_id=caller.user_id),
                                                caller.metadata, share=0.25)
        except PeerDown:
            return UNKNOWN
        return self.remember(caller.user_id, response.consent)

    def cached(self, user_id: str) -> ConsentState | None:
        """The user's consent if read within the TTL, else None (counted as a hit or a miss)."""
        hit = self._entries.get(user_id)
        if hit is not None and time.monotonic() - hit[0] < self._ttl:
            self.hits += 1
            return hit[1]
        self.misses += 1
        return None

    def remember(self, user_id: str, consent: account_pb2.Consent) -> ConsentState:
        """Caches consent profile just answered (GetConsent, or GetUserFeatures with include_consent)."""
        state = ConsentState(self._granted(consent.personalization), self._granted(consent.marketing))
        self._entries[user_id] = (time.monotonic(), state)
        self._entries.move_to_end(user_id)
        while len(self._entries) > MAX_CACHED_USERS:
            self._entries.popitem(last=False)
        return state

    def _granted(self, value: int) -> bool:
        # Never asked (UNSPECIFIED): the jurisdiction's default, as profile applies at ingest.
        if value == account_pb2.CONSENT_STATE_UNSPECIFIED:
            return self._default_granted
        return value == account_pb2.CONSENT_STATE_GRANTED

    def invalidate(self, user_id: str) -> None:
        """Forgets the cached consent of one user (the next read asks profile)."""
        self._entries.pop(user_id, None)

    async def forget_user(self, user_id: str) -> int:
        """user_caches protocol: drops the user's entry."""
        return 1 if self._entries.pop(user_id, None) is not None else 0
