"""The model repository's layout under `$SHOPMESH_HOME/models`, and the Triton `config.pbtxt` of each variant.

    models/
      artifacts/<model>/<version>/   payload (model.onnx, tokenizer.json, ...) + manifest.json
      triton-cpu/<model>/            config.pbtxt + <version>/ (Python backend; what the local Triton serves)
      triton-gpu/<model>/            config.pbtxt + <version>/ (for the NGC tritonserver container)

Versions are Triton's integer version folders; the manifest's `version` string names the same build.
Payload files are hard-linked into the Triton folders, so a 90 MB model is stored once.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from shopmesh import paths

CPU = "triton-cpu"
GPU = "triton-gpu"
VARIANTS = (CPU, GPU)


def models_dir() -> Path:
    """`$SHOPMESH_HOME/models` (override with SHOPMESH_MODELS_DIR)."""
    override = os.environ.get("SHOPMESH_MODELS_DIR")
    return Path(override).resolve() if override else paths.home() / "models"


@dataclass(frozen=True)
class TensorSpec:
    """One input or output of a Triton model (dims exclude the batch dimension)."""

    name: str
    data_type: str
    dims: tuple[int, ...]

    def render(self) -> str:
        dims = ", ".join(str(d) for d in self.dims)
        return f'  {{ name: "{self.name}" data_type: {self.data_type} dims: [ {dims} ] }}'


@dataclass(frozen=True)
class TritonModelConfig:
    """What a config.pbtxt says, rendered for one variant.

    Attributes:
        name: the Triton model name (= artifact name).
        backend: "python" or "onnxruntime".
        inputs / outputs: tensor specs.
        max_batch_size: the largest batch Triton accepts.
        preferred_batch_sizes: what the dynamic batcher aims for.
        queue_delay_us: how long the dynamic batcher may hold a request to grow a batch.
        instance_kind: KIND_CPU or KIND_GPU.
        instance_count: model instances.
        parameters: string parameters passed to the model (Python backend).
        tensorrt_fp16: GPU onnxruntime only: add the TensorRT execution accelerator at fp16.
    """

    name: str
    backend: str
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]
    max_batch_size: int
    preferred_batch_sizes: tuple[int, ...] = (8, 32)
    queue_delay_us: int = 1000
    instance_kind: str = "KIND_CPU"
    instance_count: int = 1
    parameters: tuple[tuple[str, str], ...] = ()
    tensorrt_fp16: bool = False

    def render(self) -> str:
        """The config.pbtxt text."""
        preferred = ", ".join(str(b) for b in self.preferred_batch_sizes)
        lines = [
            f'name: "{self.name}"',
            f'backend: "{self.backend}"',
            f"max_batch_size: {self.max_batch_size}",
            "input [", ",\n".join(t.render() for t in self.inputs), "]",
            "output [", ",\n".join(t.render() for t in self.outputs), "]",
            "dynamic_batching {",
            f"  preferred_batch_size: [ {preferred} ]",
            f"  max_queue_delay_microseconds: {self.queue_delay_us}",
            "}",
            f"instance_group [ {{ count: {self.instance_count} kind: {self.instance_kind} }} ]",
            # Keep only the newest version loaded; older folders stay on disk for rollback.
            "version_policy: { latest { num_versions: 1 } }",
        ]
        for key, value in self.parameters:
            lines.append(f'parameters: {{ key: "{key}" value: {{ string_value: "{value}" }} }}')
        if self.tensorrt_fp16:
            lines += [
                "optimization { execution_accelerators { gpu_execution_accelerator: [ {",
                '  name: "tensorrt"',
                '  parameters { key: "precision_mode" value: "FP16" }',
                '  parameters { key: "max_workspace_size_bytes" value: "1073741824" }',
                '  parameters { key: "trt_engine_cache_enable" value: "1" }',
                "} ] } }",
            ]
        return "\n".join(lines) + "\n"


def link_or_copy(source: Path, target: Path) -> None:
    """Hard-links `source` to `target` (copies across file systems); replaces an existing target."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        target.unlink()
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def write_triton_model(root: Path, config: TritonModelConfig, version: int, files: dict[str, Path]) -> Path:
    """Writes `<root>/<model>/config.pbtxt` and `<version>/` with the given files; returns the model folder.

    Args:
        root: a Triton model repository (one variant).
        config: the model's config for this variant.
        version: the Triton version folder.
        files: name in the version folder -> source file (linked or copied).
    """
    model_dir = root / config.name
    version_dir = model_dir / str(version)
    version_dir.mkdir(parents=True, exist_ok=True)
    for name, source in files.items():
        link_or_copy(source, version_dir / name)
    tmp = model_dir / "config.pbtxt.tmp"
    tmp.write_text(config.render())
    tmp.replace(model_dir / "config.pbtxt")
    return model_dir
