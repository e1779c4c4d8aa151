"""`shopmesh data fetch` through the CLI module: parsing, output of a first and a second run, errors."""

from __future__ import annotations

import argparse
import functools
from pathlib import Path

import pytest

from shopmesh.cli import data_cmd
from shopmesh.data.fetch import fetch_datasets
from tests.data.helpers import CountingDownloader, build_fake_source


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="shopmesh")
    data_cmd.add_parser(parser.add_subparsers(dest="command", required=True))
    return parser


def _run(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    return int(args.handler(args))


def test_parser_wires_fetch_and_its_options() -> None:
    args = _parser().parse_args(["data", "fetch", "--data-dir", "/tmp/x", "--quiet"])
    assert args.handler is data_cmd.run_fetch
    assert args.data_dir == "/tmp/x" and args.quiet is True
    with pytest.raises(SystemExit):
        _parser().parse_args(["data"])  # a sub-command is required


def test_first_and_second_run_output(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = build_fake_source(tmp_path / "index")
    downloader = CountingDownloader(tmp_path / "index")
    fake_fetch = functools.partial(fetch_datasets, sources=[source], downloader=downloader)
    monkeypatch.setattr(data_cmd, "fetch_datasets", fake_fetch)

    assert _run(["data", "fetch", "--data-dir", str(tmp_path / "d")]) == 0
    first = capsys.readouterr().out
    assert "downloading fake==1.0" in first and "1 archive(s) downloaded, 2 file(s) extracted" in first

    assert _run(["data", "fetch", "--data-dir", str(tmp_path / "d")]) == 0
    second = capsys.readouterr().out
    assert "nothing downloaded or extracted" in second and "downloading" not in second
    assert downloader.calls == ["fake==1.0"]

    assert _run(["data", "fetch", "--data-dir", str(tmp_path / "d"), "--quiet"]) == 0
    assert capsys.readouterr().out == ""


def test_failure_is_reported_with_exit_code_1(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = build_fake_source(tmp_path / "index")
    (tmp_path / "index" / source.archive).write_bytes(b"corrupt")  # the "index" now serves a bad archive
    fake_fetch = functools.partial(fetch_datasets, sources=[source], downloader=CountingDownloader(tmp_path / "index"))
    monkeypatch.setattr(data_cmd, "fetch_datasets", fake_fetch)

    assert _run(["data", "fetch", "--data-dir", str(tmp_path / "d"), "--quiet"]) == 1
    assert "does not match its pinned sha256" in capsys.readouterr().err


@pytest.mark.integration
def test_second_real_fetch_through_the_cli_does_no_work(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["data", "fetch", "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert sum(line.startswith("[") and "up to date" in line for line in out.splitlines()) == 4
    assert "All 4 data sets up to date" in out and "nothing downloaded or extracted" in out
