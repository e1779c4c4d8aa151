"""The ranking tests' fixtures: real ranking services (grpc.aio over mTLS) started on demand."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import grpc
import pytest

from services.ranking.app import RankingApp, build
from services.ranking.settings import RankingSettings
from shared.tls import TlsFiles
from shopmesh.ranking.v1 import ranking_service_pb2_grpc as pb_grpc

Factory = Callable[..., Awaitable[tuple[RankingApp, pb_grpc.RankingServiceStub]]]


@pytest.fixture
async def ranking(mesh_certs: Path, tmp_path: Path) -> AsyncIterator[Factory]:
    """Starts ranking services over tmp_path/artifacts; returns (app, stub dialled as the gateway)."""
    apps: list[RankingApp] = []
    channels: list[grpc.aio.Channel] = []

    async def make(**overrides: object) -> tuple[RankingApp, pb_grpc.RankingServiceStub]:
        values: dict[str, object] = {"certs_dir": mesh_certs, "metrics_enabled": False, "grace_seconds": 0.5,
                                     "models_dir": tmp_path / "artifacts", "train_missing_model": False,
                                     "refresh_interval_s": 0.2}
        values.update(overrides)
        app = build(RankingSettings(**values))  # type: ignore[arg-type]
        await app.start()
        apps.append(app)
        ca, chain, key = TlsFiles.in_dir(mesh_certs, "gateway").read()
        channel = grpc.aio.secure_channel(f"127.0.0.1:{app.host.port}", grpc.ssl_channel_credentials(ca, key, chain),
                                          options=[("grpc.ssl_target_name_override", "ranking")])
        channels.append(channel)
        return app, pb_grpc.RankingServiceStub(channel)

    yield make
    for channel in channels:
        await channel.close()
    for app in apps:
        await app.stop(0)
