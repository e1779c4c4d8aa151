"""`python -m services.ranking`: the learned ranker, serving until SIGTERM."""

from __future__ import annotations

import torch

from services.ranking.app import build
from services.ranking.settings import RankingSettings
from shared.server import run_app


def main() -> None:
    """Loads settings, pins torch/OpenMP threads to the configured count, serves until SIGTERM/SIGINT."""
    settings = RankingSettings()  # type: ignore[call-arg]
    torch.set_num_threads(settings.cpu_threads)
    run_app(settings, lambda: build(settings))


if __name__ == "__main__":
    main()
