"""`python -m services.console`: the agents' web console, serving until SIGTERM."""

from __future__ import annotations

from services.console.app import build
from services.console.settings import ConsoleSettings
from shared.server import run_app


def main() -> None:
    """Loads settings, pins math threads, serves the page until SIGTERM/SIGINT."""
    settings = ConsoleSettings()  # type: ignore[call-arg]
    run_app(settings, lambda: build(settings))


if __name__ == "__main__":
    main()
