"""The user tower as a versioned artifact (#6 manifest): TorchScript model, item vocabulary, item vectors.

The item vectors are the learned space the learned index is built from; the manifest's vector_space_version
is the artifact version, so a learned index built from it names the same version and the two are promoted
as a pair.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from shopmesh.models.manifest import (
    ArtifactManifest,
    code_version,
    hash_files,
    payload_digest,
    read_manifest,
    utc_now,
    verify_payload,
    write_manifest,
)
from shopmesh.recsys.tower import UserTower, config_dict

SCHEMA_ID = "user-tower-item-ids-v1"
"""Input: int64 [batch, max_len] left-padded item indices + 1 (0 = padding); output: float32 [batch, dim]."""


@dataclass
class TowerArtifact:
    """A loaded tower artifact (vectors and vocabulary; the TorchScript file is for serving)."""

    manifest: ArtifactManifest
    item_ids: list[str]
    item_vectors: np.ndarray


def learned_space(catalog_id: str) -> str:
    """The learned space name of a catalogue."""
    return f"learned-{catalog_id}"


def save_tower(folder: Path, model: UserTower, item_ids: list[str], *, catalog_id: str, version: str,
               metrics: dict[str, float], data_start: str | None, data_end: str | None) -> ArtifactManifest:
    """Writes model.pt (TorchScript), item_ids.json, item_vectors.npy and the manifest into folder."""
    folder.mkdir(parents=True, exist_ok=True)
    model.eval()
    example = torch.zeros((1, model.config.max_len), dtype=torch.long)
    example[0, -1] = 1
    with torch.no_grad():
        traced = torch.jit.trace(model, example)
    traced.save(str(folder / "model.pt"))
    (folder / "item_ids.json").write_text(json.dumps(item_ids))
    np.save(folder / "item_vectors.npy", model.item_vectors().detach().numpy().astype(np.float32))
    (folder / "config.json").write_text(json.dumps(config_dict(model.config), sort_keys=True))
    files = hash_files(folder, ["model.pt", "item_ids.json", "item_vectors.npy", "config.json"])
    manifest = ArtifactManifest(
        name=f"user-tower-{catalog_id}", version=version, kind="USER_TOWER", files=files, sha256=payload_digest(files),
        vector_space=learned_space(catalog_id), vector_space_version=version, dimension=model.config.dim,
        schema_id=SCHEMA_ID, metrics=metrics, training_data_start=data_start, training_data_end=data_end,
        code_version=code_version(), create_time=utc_now(), catalog_id=catalog_id,
        extra={"max_len": str(model.config.max_len)})
    write_manifest(folder, manifest)
    return manifest


def load_tower(folder: Path) -> TowerArtifact:
    """Reads and verifies a tower artifact (raises ManifestError on a checksum failure)."""
    manifest = read_manifest(folder)
    verify_payload(folder, manifest)
    return TowerArtifact(manifest, json.loads((folder / "item_ids.json").read_text()),
                         np.load(folder / "item_vectors.npy"))
