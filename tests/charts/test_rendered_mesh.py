"""The default rendering, run: each existing service's container started as the chart renders it (command,
env, mounted Secrets, emptyDirs, model repository), reaching SERVING within its startupProbe's budget and
answering real calls over mTLS through the wiring the chart gives it. Closest to `helm install` without a
cluster: a wrong setting name, path, port or peer address makes a service fail here.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import psycopg
import pytest

from shopmesh.certs import USER_CONTEXT_PRIVATE, USER_CONTEXT_PUBLIC, ensure_certs
from shopmesh.embedding.v1 import embedding_service_pb2, embedding_service_pb2_grpc
from shopmesh.profile.v1 import profile_service_pb2, profile_service_pb2_grpc
from shopmesh.vault.v1 import vault_service_pb2, vault_service_pb2_grpc
from tests.charts.conftest import Manifest, of_kind
from tests.charts.pods import Pod, Secrets, http_ready, start, start_triton

pytestmark = [pytest.mark.integration, pytest.mark.slow]

Render = Callable[..., list[Manifest]]
PG_DSN = "postgresql://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/0"
# Services whose code exists. support is left out: without shipped artifacts it trains its models at start,
# minutes on CI's cores (its startupProbe allows 5 minutes); start it here once its artifacts are packaged.
STARTED = ("vault", "profile", "embedding")
IDENTITIES = ("vault", "profile", "embedding", "gateway", "retrieval", "loader")


def secret_store(certs: Path, keys: Path) -> Secrets:
    """What the operator creates per charts/shopmesh/README.md, with this machine's databases."""
    tls = {"ca.pem": (certs / "ca.pem").read_bytes()}
    for identity in IDENTITIES:
        tls[f"{identity}.pem"] = (certs / f"{identity}.pem").read_bytes()
        tls[f"{identity}.key"] = (certs / f"{identity}.key").read_bytes()
    return {
        "shopmesh-mesh-tls": tls,
        "shopmesh-user-context": {"user-context.pub": (certs / USER_CONTEXT_PUBLIC).read_bytes(),
                                  "user-context.key": (certs / USER_CONTEXT_PRIVATE).read_bytes()},
        "shopmesh-vault-keys": {p.name: p.read_bytes() for p in keys.iterdir()},
        "shopmesh-jwt": {},
        "shopmesh-postgresql": {"profile": PG_DSN.encode(), "vault": PG_DSN.encode(),
                                "vault_keystore": PG_DSN.encode()},
        "shopmesh-redis": {"profile": REDIS_URL.encode(), "support": REDIS_URL.encode()},
    }


@pytest.fixture(scope="module")
def mesh(render: Render, models_root: Path, triton_install: object,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Pod]]:
    """Triton, then vault, profile and embedding, each started from its rendered Deployment."""
    from services.vault.keys import ensure_key_dir

    root = tmp_path_factory.mktemp("rendered-mesh")
    ensure_certs(root / "certs", IDENTITIES)
    ensure_key_dir(root / "keys")
    secrets = secret_store(root / "certs", root / "keys")
    deployments = of_kind(render(), "Deployment")
    suffix = uuid.uuid4().hex[:8]
    # Test isolation only: fresh schemas and key prefixes in the shared PostgreSQL and Redis.
    isolation = {"vault": {"SHOPMESH_VAULT_POSTGRES_SCHEMA": f"mesh_vault_{suffix}",
                           "SHOPMESH_VAULT_KEYSTORE_POSTGRES_SCHEMA": f"mesh_vault_ks_{suffix}"},
                 "profile": {"SHOPMESH_PROFILE_POSTGRES_SCHEMA": f"mesh_profile_{suffix}",
                             "SHOPMESH_PROFILE_REDIS_PREFIX": f"mesh-{suffix}:"}}
    pods: dict[str, Pod] = {}
    addresses: dict[str, str] = {}
    try:
        triton = start_triton(deployments["triton"], root / "triton", models_root, triton_install)
        pods["triton"] = triton
        addresses["shopmesh-triton:8001"] = f"127.0.0.1:{triton.ports['grpc']}"
        http_ready(triton, "/v2/health/ready", 120)
        for name in STARTED:
            pod = start(deployments[name], root / name, secrets, models_root, addresses=addresses,
                        extra_env=isolation.get(name))
            pods[name] = pod
            startup = pod.container["startupProbe"]
            pod.wait_serving(min(startup["periodSeconds"] * startup["failureThreshold"], 120))
            rendered = f"shopmesh-{name}:{pod.container['ports'][0]['containerPort']}"
            addresses[rendered] = f"127.0.0.1:{pod.ports['grpc']}"
        yield pods
    finally:
        for pod in reversed(list(pods.values())):
            pod.stop(grace_s=30)
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            for overrides in isolation.values():
                for key, schema in overrides.items():
                    if key.endswith("_SCHEMA"):
                        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def channel_as(identity: str, pod: Pod, certs: Path) -> grpc.Channel:
    """An mTLS channel to a pod's main port with `identity`'s certificate, verifying the pod's identity."""
    credentials = grpc.ssl_channel_credentials((certs / "ca.pem").read_bytes(),
                                               (certs / f"{identity}.key").read_bytes(),
                                               (certs / f"{identity}.pem").read_bytes())
    return grpc.secure_channel(f"127.0.0.1:{pod.ports['grpc']}", credentials,
                               options=[("grpc.ssl_target_name_override", pod.name)])


def certs_of(mesh: dict[str, Pod]) -> Path:
    return mesh["vault"].root.parent / "certs"


def test_every_started_service_is_serving_on_its_probe_port(mesh: dict[str, Pod]) -> None:
    for name in STARTED:
        assert mesh[name].health() == "SERVING", name
        probe = mesh[name].container["readinessProbe"]["grpc"]["port"]
        assert probe == next(p["containerPort"] for p in mesh[name].container["ports"] if p["name"] == "health")


def test_vault_answers_over_mtls_with_its_mounted_keys(mesh: dict[str, Pod]) -> None:
    with channel_as("gateway", mesh["vault"], certs_of(mesh)) as channel:
        response = vault_service_pb2_grpc.VaultServiceStub(channel).Redact(
            vault_service_pb2.RedactRequest(text="write to ana@example.com"), timeout=10)
    assert "ana@example.com" not in response.redacted_text
    assert len(response.spans) == 1


def test_profile_serves_from_its_postgresql_and_redis(mesh: dict[str, Pod]) -> None:
    """A catalogue write (as the loader identity) lands in the rendered PostgreSQL and reads back (as gateway)."""
    from shopmesh.common.v1 import item_pb2, money_pb2

    item = item_pb2.Item(item_id="chart-1", catalog_id="chart", title="Helm-rendered kettle",
                         category_path=["kitchen"], price=money_pb2.Money(currency_code="EUR", amount_micros=1),
                         stock_quantity=3, language_code="en")
    with channel_as("loader", mesh["profile"], certs_of(mesh)) as channel:
        written = profile_service_pb2_grpc.ProfileServiceStub(channel).UpsertItems(
            profile_service_pb2.UpsertItemsRequest(items=[item]), timeout=10)
    assert written.created_count == 1
    with channel_as("gateway", mesh["profile"], certs_of(mesh)) as channel:
        read = profile_service_pb2_grpc.ProfileServiceStub(channel).GetItems(
            profile_service_pb2.GetItemsRequest(catalog_id="chart", item_ids=["chart-1"]), timeout=10)
    assert read.results[0].item.title == "Helm-rendered kettle"
    schema = mesh["profile"].env["SHOPMESH_PROFILE_POSTGRES_SCHEMA"]
    with psycopg.connect(PG_DSN) as conn:
        row = conn.execute(f'SELECT count(*) FROM "{schema}".items WHERE item_id = %s', ("chart-1",)).fetchone()
    assert row == (1,)


def test_embedding_embeds_through_the_triton_deployment(mesh: dict[str, Pod]) -> None:
    """retrieval -> embedding -> Triton, over the addresses and repository the chart wires."""
    with channel_as("retrieval", mesh["embedding"], certs_of(mesh)) as channel:
        response = embedding_service_pb2_grpc.EmbeddingServiceStub(channel).Embed(
            embedding_service_pb2.EmbedRequest(texts=["red summer dress", "wool socks"],
                                               kind=embedding_service_pb2.EMBEDDING_KIND_QUERY), timeout=20)
    assert response.count == 2 and response.dimension > 0
    assert mesh["embedding"].env["SHOPMESH_EMBEDDING_TRITON_URL"] == f"127.0.0.1:{mesh['triton'].ports['grpc']}"


def test_sigterm_stops_within_the_termination_grace_period(mesh: dict[str, Pod]) -> None:
    """Last: each service drains and exits 0 before the kubelet would SIGKILL it."""
    for name in reversed(STARTED):
        pod = mesh[name]
        started = time.monotonic()
        code = pod.stop(grace_s=pod.termination_grace_s)
        assert code == 0, f"{name}: exit {code} after {time.monotonic() - started:.1f} s\n{pod.tail()}"
