"""`python -m gateway`: the public mobile API, serving until SIGTERM."""

from __future__ import annotations

from gateway.app import build
from gateway.settings import GatewaySettings
from shared.server import run_app


def main() -> None:
    """Loads settings, pins math threads, serves until SIGTERM/SIGINT."""
    settings = GatewaySettings()  # type: ignore[call-arg]
    run_app(settings, lambda: build(settings))


if __name__ == "__main__":
    main()
