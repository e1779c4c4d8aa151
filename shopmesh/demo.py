"""`shopmesh demo`: a short, scripted walk-through of what exists, growing as the services land.

Each step runs against the real parts: the data sets from their packages, the order simulator, and the mesh
started by the supervisor (health checked over mTLS on each main port), then the privacy vault's RPCs.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from shared.channels import ChannelFactory
from shared.tls import TlsFiles
from shopmesh.certs import ensure_certs
from shopmesh.data import movielens
from shopmesh.data.order_history import fold_orders
from shopmesh.data.orders import simulate_orders
from shopmesh.data.purchases import movielens_purchases
from shopmesh.demo_app import show_app
from shopmesh.demo_console import show_console
from shopmesh.demo_privacy import show_privacy
from shopmesh.mesh import Supervisor, available_services

Say = Callable[[str], None]
DEMO_IDENTITY = "cli"
"""The certificate the CLI dials the mesh with."""
DEMO_RATINGS = 20_000
"""Ratings replayed into profile: enough users with history for the feed, loaded in about half a minute."""
START_TIMEOUT_S = 600.0


def show_data(say: Say) -> None:
    """The default shop (MovieLens-100K, event time 1997–98) and its simulated order histories."""
    items, users, interactions = movielens.load_items(), movielens.load_users(), movielens.load_interactions()
    first, last = min(i.event_time for i in interactions), max(i.event_time for i in interactions)
    say(f"catalogue: {len(items):,} items, {len(users):,} users, {len(interactions):,} interactions "
        f"({first:%Y-%m-%d} → {last:%Y-%m-%d}, event time)")
    sample = items[0]
    say(f"  item {sample.item_id}: {sample.title!r}, {sample.price_cents / 100:.2f} "
        f"(synthetic: {', '.join(sorted(sample.synthetic_fields))})")
    prices = {item.item_id: item.price_cents for item in items}
    events = simulate_orders(movielens_purchases(interactions), prices)
    histories = fold_orders(events)
    kinds = Counter(event.kind.value for event in events)
    say(f"order histories (synthetic, seeded): {sum(len(h.orders) for h in histories.values()):,} orders of "
        f"{len(histories):,} users; events: " + ", ".join(f"{k} {v:,}" for k, v in kinds.most_common(6)))
    user = histories[min(histories)]
    order = user.latest()
    if order is not None:
        say(f"  user {user.user_id}'s latest order {order.order_id}: {order.status.value}, "
            f"{len(order.lines)} line(s), {order.total_cents / 100:.2f} via {order.payment_method.value}; "
            f"points balance {user.points_balance}")
        for event in order.events[:5]:
            say(f"    {event.event_time:%Y-%m-%d %H:%M} {event.kind.value}")


async def _health_over_mtls(supervisor: Supervisor, tls: TlsFiles) -> list[tuple[str, str]]:
    factory = ChannelFactory(tls, default_deadline_ms=2000)
    results = []
    try:
        for service in supervisor.running:
            stub = health_pb2_grpc.HealthStub(factory.channel(f"127.0.0.1:{service.port}", service.name))
            try:
                response = await stub.Check(health_pb2.HealthCheckRequest())
                results.append((service.name, health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)))
            except grpc.aio.AioRpcError as exc:
                results.append((service.name, exc.code().name))
    finally:
        await factory.close()
    return results


def load_shop(say: Say) -> None:
    """`shopmesh data load` of the first DEMO_RATINGS MovieLens ratings into this home's profile store."""
    done = subprocess.run([sys.executable, "-m", "shopmesh", "data", "load", "--limit", str(DEMO_RATINGS),
                           "--no-clothing"], capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        raise RuntimeError(f"shopmesh data load failed: {done.stderr.strip()[-500:]}")
    say(f"profile: the shop loaded (catalogue, the first {DEMO_RATINGS:,} ratings replayed as events)")


def show_mesh(say: Say, home: Path) -> int:
    """Starts every installed service, checks each over mTLS, stops them; returns an exit code."""
    services = available_services()
    if not services:
        say("no mesh services are installed yet (the vault, profile, embedding, retrieval, ranking, support "
            "and gateway land issue by issue); `shopmesh up` will start them as they do")
        return 0
    if any(s.name == "profile" for s in services):
        load_shop(say)
    password_file = None
    if any(s.name == "console" for s in services):
        from services.console.accounts import ensure_demo_agent

        password_file = ensure_demo_agent(home / "console" / "accounts.yaml")
    supervisor = Supervisor(services, home)
    try:
        # A fresh home trains the ranker's and support's small models at their first start: minutes, not seconds.
        supervisor.start(timeout_s=START_TIMEOUT_S)
        ensure_certs(home / "certs", (DEMO_IDENTITY,))
        for name, status in asyncio.run(_health_over_mtls(supervisor, TlsFiles.in_dir(home / "certs", DEMO_IDENTITY))):
            say(f"  {name}: {status} (checked over mTLS as `{DEMO_IDENTITY}`)")
        gateway = next((s for s in supervisor.running if s.name == "gateway"), None)
        if gateway is not None:
            say("== the app: feed, search and support through the gateway ==")
            show_app(say, home / "certs", gateway.port, DEMO_IDENTITY)
        console = next((s for s in supervisor.running if s.name == "console"), None)
        if gateway is not None and console is not None and password_file is not None:
            say("== the agents' console: a hand-off taken over by a person ==")
            show_console(say, home / "certs", gateway.port, console.port, identity=DEMO_IDENTITY,
                         password_file=password_file)
        vault = next((s for s in supervisor.running if s.name == "vault"), None)
        if vault is not None:
            say("== privacy: the vault ==")
            asyncio.run(show_privacy(say, home / "certs", vault.port))
        return 0
    except RuntimeError as exc:
        say(f"mesh failed to start: {exc}")
        return 1
    finally:
        supervisor.stop()


def run_demo(home: Path, say: Say = print) -> int:
    """The whole walk-through; returns the exit code."""
    say("== data: the default shop ==")
    show_data(say)
    say("== the mesh ==")
    return show_mesh(say, home)
