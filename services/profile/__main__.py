"""`python -m services.profile`: load settings, open the stores, serve until SIGTERM."""

from __future__ import annotations

from services.profile.app import ProfileApp, build
from services.profile.settings import ProfileSettings
from shared.logging import get_logger
from shared.server import run_app


def _ready(app: ProfileApp) -> None:
    # run_app has frozen the heap (catalogue, caches) out of the collector's scans by now.
    get_logger("services.profile").info("profile.ready", port=app.host.port, health_port=app.host.health_port)


def main() -> None:
    """Serves the profile service until SIGTERM or SIGINT, then stops gracefully."""
    settings = ProfileSettings()  # type: ignore[call-arg]  # vault_address comes from the environment
    run_app(settings, lambda: build(settings), after_start=_ready)


if __name__ == "__main__":
    main()
