"""Loads the served models from the model repository's artifacts, checking each manifest against its payload.

A model whose files fail their checksum or whose schema this service does not implement is kept as
REJECTED with the reason (ListModels shows it), never served.
"""

from __future__ import annotations

from pathlib import Path

from services.embedding.types import ModelState, ServedModel
from shared.logging import get_logger
from shopmesh.models.encoders import ENCODERS, SCHEMA_TEXT, SCHEMA_TOKEN_IDS
from shopmesh.models.manifest import ArtifactManifest, ManifestError, latest_version_dir, read_manifest, verify_payload

SUPPORTED_SCHEMAS = (SCHEMA_TOKEN_IDS, SCHEMA_TEXT)
_log = get_logger(__name__)


def load_catalog(models_root: Path) -> list[ServedModel]:
    """The known encoders found under `models_root/artifacts`, default first; checksums verified.

    Raises:
        ManifestError: not one encoder could be loaded (the service cannot serve anything).
    """
    served: list[ServedModel] = []
    for spec in ENCODERS:
        folder = latest_version_dir(models_root / "artifacts" / spec.name)
        if folder is None:
            _log.warning("embedding.model_missing", model=spec.name, root=str(models_root))
            continue
        model = ServedModel(
            manifest=_placeholder(spec.name), artifact_dir=folder, max_sequence_tokens=spec.max_sequence_tokens,
            max_batch_size=spec.max_batch_size, asymmetric=spec.schema_id == SCHEMA_TEXT, default=spec.default,
        )
        try:
            model.manifest = read_manifest(folder)
            if model.manifest.schema_id not in SUPPORTED_SCHEMAS:
                raise ManifestError(f"schema {model.manifest.schema_id!r} is not implemented by this service")
            verify_payload(folder, model.manifest)
        except ManifestError as exc:
            model.state, model.state_reason = ModelState.REJECTED, str(exc)
            _log.error("embedding.model_rejected", model=spec.name, reason=str(exc))
        served.append(model)
    if not any(m.state is not ModelState.REJECTED for m in served):
        raise ManifestError(f"no loadable text encoder under {models_root} (run `shopmesh models build`)")
    return sorted(served, key=lambda m: not m.default)


def _placeholder(name: str) -> ArtifactManifest:
    return ArtifactManifest(name=name, version="unknown", kind="TEXT_ENCODER", files={}, sha256="")
