"""`shopmesh models build/list` on the built repository, and the backend choice where Triton cannot run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.embedding.app import choose_backend
from services.embedding.backend_inprocess import InProcessBackend
from services.embedding.backend_triton import TritonBackend
from shopmesh.cli.main import main
from tests.embedding.conftest import settings_for


def test_build_keeps_checked_artifacts_and_list_prints_manifests(models_root: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "build", "--out", str(models_root), "--no-triton-check"]) == 0
    assert "built nothing, kept ['minilm-l6-v2', 'multilingual-e5-small']" in capsys.readouterr().out
    assert main(["models", "list", "--out", str(models_root)]) == 0
    listed = capsys.readouterr().out
    assert "minilm-l6-v2 0.1.0-r1 TEXT_ENCODER dim=384 space=text-minilm-l6-v2" in listed
    manifest = json.loads((models_root / "artifacts" / "minilm-l6-v2" / "1" / "manifest.json").read_text())
    assert manifest["extra"]["onnx_opset"] == "17"
    assert manifest["metrics"]["max_abs_diff_vs_sentence_transformers"] < 1e-5
    for variant in ("triton-cpu", "triton-gpu"):
        config = (models_root / variant / "minilm-l6-v2" / "config.pbtxt").read_text()
        assert "dynamic_batching" in config and (models_root / variant / "minilm-l6-v2" / "1" / "model.onnx").exists()


def test_auto_backend_falls_back_to_in_process_where_the_wheel_cannot_run(
        models_root: Path, certs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from shopmesh.models import tritonserver

    monkeypatch.setattr(tritonserver, "wheel_supported", lambda: (False, "nvidia-pytriton needs glibc >= 2.35"))
    assert isinstance(choose_backend(settings_for(certs, models_root), models_root), InProcessBackend)
    with pytest.raises(RuntimeError, match="glibc"):
        choose_backend(settings_for(certs, models_root, backend="triton"), models_root)
    external = choose_backend(settings_for(certs, models_root, triton_url="triton:8001"), models_root)
    assert isinstance(external, TritonBackend) and external.url == "triton:8001" and external.managed is None
