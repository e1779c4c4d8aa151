"""Wiring: settings -> keys, channels, caches, flows, servicer, host (what __main__ and the tests build)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from gateway.account import Account
from gateway.auth import Authenticator, JwtVerifier, KeyRing
from gateway.chat import ChatRelay
from gateway.clients import Downstreams
from gateway.consent import ConsentCache
from gateway.cursors import CursorCodec
from gateway.events import EventsIntake
from gateway.experiments import Experiments
from gateway.feed import FeedConfig, HomeFeed, TrendingCache, VectorCache
from gateway.impressions import ImpressionSigner
from gateway.lists import Pager
from gateway.observability import ListMetrics
from gateway.ratelimit import InProcessRateLimiter, RateLimiter, RedisRateLimiter
from gateway.search import Discovery
from gateway.servicer import SERVICE_NAME, GatewayServicer, Limits
from gateway.settings import GatewaySettings
from shared.channels import ChannelFactory
from shared.logging import get_logger
from shared.metrics import register_caches
from shared.server import ServiceHost
from shared.usercontext import UserContextSigner
from shopmesh.gateway.v1 import gateway_service_pb2_grpc as pb_grpc

_log = get_logger(__name__)


def derived_key(signing_key_pem: bytes, purpose: str) -> bytes:
    """An HMAC key for `purpose` derived from the user-context signing key every replica already holds."""
    return hmac.new(hashlib.sha256(signing_key_pem).digest(), purpose.encode(), hashlib.sha256).digest()


@dataclass
class GatewayApp:
    """A built (not started) gateway."""

    host: ServiceHost
    servicer: GatewayServicer
    clients: Downstreams
    limiter: RateLimiter
    trending: TrendingCache
    settings: GatewaySettings

    async def start(self) -> None:
        """Serves, warms the trending cache (best effort), then reports SERVING."""
        await self.host.start()
        await self.trending.refresh(self.settings.default_catalog)
        await self.host.set_ready(True)

    async def stop(self, grace_s: float | None = None) -> None:
        """Stops serving, then closes channels and the rate-limit store."""
        await self.host.stop(grace_s)
        await self.clients.close()
        await self.limiter.close()


def build(settings: GatewaySettings) -> GatewayApp:
    """Builds the gateway (nothing started)."""
    signing_pem = settings.user_context_signing_key.read_bytes()
    signer = UserContextSigner.from_file(settings.user_context_signing_key)
    keys = KeyRing(list(settings.jwt_public_keys), settings.jwt_key_check_seconds)
    auth = Authenticator(JwtVerifier(keys, settings.jwt_issuer, settings.jwt_audience, settings.jwt_leeway_seconds),
                         signer)
    channels = ChannelFactory(settings.tls_files(), default_deadline_ms=settings.default_deadline_ms)
    clients = Downstreams(channels, settings)
    consent = ConsentCache(clients, settings.consent_ttl_seconds, settings.personalization_default_granted)
    limiter: RateLimiter
    if settings.redis_url:
        limiter = RedisRateLimiter(settings.redis_url, settings.redis_prefix, settings.rate_limit_per_second,
                                   settings.rate_limit_burst)
    else:
        limiter = InProcessRateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst)
    codec = CursorCodec(derived_key(signing_pem, "gateway.page-cursor"), settings.cursor_ttl_seconds)
    impressions = ImpressionSigner(derived_key(signing_pem, "gateway.impression"))
    vectors = VectorCache()
    trending = TrendingCache(clients, settings.trending_ttl_seconds, settings.candidate_count)
    feed = HomeFeed(clients, consent, Experiments.load(settings.experiments_file),
                    Pager(clients, codec, impressions), codec=codec, vectors=vectors, trending=trending,
                    config=FeedConfig(settings.default_catalog, settings.feed_depth, settings.candidate_count,
                                      settings.log_impressions))
    servicer = GatewayServicer(
        auth=auth, clients=clients, consent=consent, limiter=limiter, feed=feed, discovery=Discovery(feed),
        events=EventsIntake(clients, consent, impressions, settings.default_catalog, settings.max_events_per_batch),
        account=Account(clients, settings.default_catalog),
        chat=ChatRelay(clients, settings.contact_url, settings.contact_phone), codec=codec,
        limits=Limits(settings.feed_deadline_ms / 1000, settings.max_deadline_ms / 1000, settings.max_request_bytes,
                      settings.default_catalog),
        user_caches=[vectors, limiter, consent])
    host = ServiceHost(settings, lambda server: pb_grpc.add_GatewayServiceServicer_to_server(servicer, server),
                       [SERVICE_NAME])
    servicer.metrics = ListMetrics(host.metrics.registry)
    register_caches(host.metrics.registry, {"gateway_user_vector": vectors, "gateway_consent": consent})
    _log.info("gateway.built", peers=sorted(p for p in clients.breakers), redis=bool(settings.redis_url))
    return GatewayApp(host, servicer, clients, limiter, trending, settings)
