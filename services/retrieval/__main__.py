"""`python -m services.retrieval`: serve candidates, similar items and search until SIGTERM."""

from __future__ import annotations

from services.retrieval.app import RetrievalApp
from services.retrieval.settings import RetrievalSettings
from shared.server import run_app


def main() -> None:
    """Loads settings, pins threads, serves until signalled."""
    settings = RetrievalSettings()  # type: ignore[call-arg]
    run_app(settings, lambda: RetrievalApp(settings))


if __name__ == "__main__":
    main()
