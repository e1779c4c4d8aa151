"""`python -m services.vault`: the privacy vault, serving until SIGTERM."""

from __future__ import annotations

from services.vault.admin import KeyAdmin
from services.vault.app import SERVICE_NAME, build_vault
from services.vault.servicer import VaultServicer
from services.vault.settings import VaultSettings
from shared.server import ServiceHost, run_service
from shopmesh.vault.v1 import vault_service_pb2_grpc


def main() -> None:
    """Opens the stores, loads keys and policy, serves; resumes an unfinished rewrap once serving."""
    settings = VaultSettings()  # type: ignore[call-arg]
    vault = build_vault(settings)
    servicer = VaultServicer(vault, KeyAdmin(vault, batch_size=settings.rewrap_batch_size))

    async def on_start(host: ServiceHost) -> None:
        servicer.admin.start_rewrap()
        await host.set_ready(True)

    run_service(settings, lambda server: vault_service_pb2_grpc.add_VaultServiceServicer_to_server(servicer, server),
                [SERVICE_NAME], on_start)


if __name__ == "__main__":
    main()
