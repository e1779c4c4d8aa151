"""The ranker as a versioned artifact (#6 manifest): TorchScript model, feature schema, imputer, item space.

Titles (item_titles.json, catalogue data) feed the reason texts.

Layout: `<models>/artifacts/ranker-<catalog>/<n>/` with model.pt (TorchScript, imputed raw features
[n, F] float32 -> scores [n]), schema.json (feature names, fill values, which features training observed),
item_ids.json + item_vectors.npy (the learned item space for similarity features, MMR and reasons; may be
empty), config.json and manifest.json; plus `<models>/triton-gpu/ranker-<catalog>/` (config.pbtxt for the
libtorch backend, scores [n, 1]) for GPU serving. A loader refuses an artifact whose schema_id or feature
list differs from this code's, naming the difference.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

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
from shopmesh.models.repository import GPU, TensorSpec, TritonModelConfig, write_triton_model
from shopmesh.recsys.ranking.features import FEATURE_NAMES, SCHEMA_ID, Imputer, ItemSpace

PAYLOAD = ("model.pt", "schema.json", "item_ids.json", "item_vectors.npy", "item_titles.json", "config.json")
TRITON_INPUT = "INPUT__0"
TRITON_OUTPUT = "OUTPUT__0"


class SchemaMismatch(ManifestError):
    """The artifact was trained on another feature schema than the one this code computes."""


def artifact_name(catalog_id: str) -> str:
    """The artifact (and Triton model) name of a catalogue's ranker."""
    return f"ranker-{catalog_id}"


@dataclass
class RankerArtifact:
    """A loaded, verified ranker."""

    manifest: ArtifactManifest
    model: torch.jit.ScriptModule
    imputer: Imputer
    space: ItemSpace
    titles: dict[str, str]
    folder: Path

    def score(self, x: np.ndarray) -> np.ndarray:
        """Model scores (float64) of imputed feature rows (float32, FEATURE_NAMES wide)."""
        with torch.no_grad():
            return self.model(torch.from_numpy(x)).double().numpy()

    def explain_score(self, x: np.ndarray) -> np.ndarray:
        """The scores reasons are computed from (the model's `explain` method; its scores where it has none)."""
        explain = getattr(self.model, "explain", None)
        if explain is None:
            return self.score(x)
        with torch.no_grad():
            return explain(torch.from_numpy(x)).double().numpy()


class _TritonScores(torch.nn.Module):
    """Triton's batched outputs need a per-row dimension: scores [n] -> [n, 1]."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x).unsqueeze(-1)


def save_ranker(folder: Path, model: torch.nn.Module, imputer: Imputer, space: ItemSpace, titles: dict[str, str], *,
                catalog_id: str,
                version: str, metrics: dict[str, float], config: dict[str, object], data_start: str | None,
                data_end: str | None, triton_root: Path | None = None) -> ArtifactManifest:
    """Writes the artifact into `folder` (and the GPU Triton model under `triton_root` when given)."""
    folder.mkdir(parents=True, exist_ok=True)
    model.eval()
    example = torch.zeros((4, len(FEATURE_NAMES)), dtype=torch.float32)
    with torch.no_grad():
        methods = {"forward": example, "explain": example} if hasattr(model, "explain") else {"forward": example}
        scripted = torch.jit.trace_module(model, methods)
        triton = torch.jit.trace(_TritonScores(model), example)
    scripted.save(str(folder / "model.pt"))
    (folder / "schema.json").write_text(json.dumps({
        "schema_id": SCHEMA_ID, "feature_names": list(FEATURE_NAMES), "fill": imputer.fill.tolist(),
        "observed": imputer.observed.astype(bool).tolist()}, indent=1))
    ids = sorted(space.index, key=space.index.__getitem__)
    (folder / "item_ids.json").write_text(json.dumps(ids))
    np.save(folder / "item_vectors.npy", space.vectors.astype(np.float32))
    (folder / "config.json").write_text(json.dumps(config, sort_keys=True))
    (folder / "item_titles.json").write_text(json.dumps(titles, sort_keys=True, ensure_ascii=False))
    files = hash_files(folder, list(PAYLOAD))
    manifest = ArtifactManifest(
        name=artifact_name(catalog_id), version=version, kind="RANKER", files=files, sha256=payload_digest(files),
        vector_space=f"learned-{catalog_id}" if ids else "", vector_space_version=version if ids else "",
        dimension=space.dimension, schema_id=SCHEMA_ID, metrics=metrics, training_data_start=data_start,
        training_data_end=data_end, code_version=code_version(), create_time=utc_now(), catalog_id=catalog_id,
        extra={"features": str(len(FEATURE_NAMES)), "model": "dcn-v2", "format": "torchscript"})
    write_manifest(folder, manifest)
    if triton_root is not None and version.isdigit():
        triton.save(str(folder / "triton_model.pt"))
        write_triton_model(triton_root / GPU, triton_config(catalog_id), int(version),
                           {"model.pt": folder / "triton_model.pt"})
    return manifest


def triton_config(catalog_id: str) -> TritonModelConfig:
    """The GPU model config: libtorch backend, dynamic batching of candidate rows."""
    return TritonModelConfig(
        name=artifact_name(catalog_id), backend="pytorch",
        inputs=(TensorSpec(TRITON_INPUT, "TYPE_FP32", (len(FEATURE_NAMES),)),),
        outputs=(TensorSpec(TRITON_OUTPUT, "TYPE_FP32", (1,)),),
        max_batch_size=1024, preferred_batch_sizes=(256, 1024), queue_delay_us=200, instance_kind="KIND_GPU")


def load_ranker(folder: Path, threads: int = 1) -> RankerArtifact:
    """Reads, verifies and loads an artifact version folder.

    Raises:
        ManifestError: missing/corrupt manifest or payload, or a kind other than RANKER.
        SchemaMismatch: the artifact's feature schema is not this code's (the reason names the difference).
    """
    manifest = read_manifest(folder)
    if manifest.kind != "RANKER":
        raise ManifestError(f"{manifest.name} {manifest.version}: kind {manifest.kind}, not RANKER")
    verify_payload(folder, manifest)
    schema = json.loads((folder / "schema.json").read_text())
    names = list(schema.get("feature_names", []))
    if manifest.schema_id != SCHEMA_ID or names != list(FEATURE_NAMES):
        raise SchemaMismatch(f"{manifest.name} {manifest.version}: feature schema {manifest.schema_id} "
                             f"({len(names)} features) does not match this service's {SCHEMA_ID} "
                             f"({len(FEATURE_NAMES)} features){_first_difference(names)}")
    torch.set_num_threads(threads)
    model = torch.jit.load(str(folder / "model.pt"), map_location="cpu")
    model.eval()
    imputer = Imputer(np.asarray(schema["fill"], dtype=np.float32), np.asarray(schema["observed"], dtype=bool))
    ids = json.loads((folder / "item_ids.json").read_text())
    vectors = np.load(folder / "item_vectors.npy")
    titles = json.loads((folder / "item_titles.json").read_text())
    return RankerArtifact(manifest, model, imputer, ItemSpace(ids, vectors) if ids else ItemSpace([], vectors),
                          titles, folder)


def _first_difference(names: list[str]) -> str:
    for n, (theirs, ours) in enumerate(zip(names, FEATURE_NAMES, strict=False)):
        if theirs != ours:
            return f"; first difference at input {n}: {theirs!r} vs {ours!r}"
    if len(names) != len(FEATURE_NAMES):
        return f"; lengths differ ({len(names)} vs {len(FEATURE_NAMES)})"
    return ""
