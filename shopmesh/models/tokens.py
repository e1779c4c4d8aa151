"""WordPiece tokenisation for encoders with schema `token-ids-v1`, done by the caller of the model.

Tokenising in the embedding service (Rust `tokenizers`, microseconds a sentence) instead of in a Triton
Python model or ensemble saves one Python-backend hop per request; see docs/embedding.md for the figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

PAD_MULTIPLE = 16
"""Sequence lengths are padded up to a multiple of this, so requests of similar length share one shape and
Triton's dynamic batcher (which merges only equal shapes) can batch them across service replicas."""


MIN_BUCKET = 32
"""Upper bound in tokens of the shortest length bucket."""


@dataclass(frozen=True)
class TokenBatch:
    """A padded batch: input_ids and attention_mask as (batch, seq) int64; truncated[i] per text."""

    input_ids: np.ndarray
    attention_mask: np.ndarray
    truncated: list[bool]


class WordPieceTokenizer:
    """Wraps a `tokenizer.json` with the model's truncation length.

    Args:
        path: the artifact's tokenizer.json.
        max_tokens: longest sequence (special tokens included); longer texts are truncated.
    """

    def __init__(self, path: Path, max_tokens: int):
        from tokenizers import Tokenizer

        self._tok = Tokenizer.from_file(str(path))
        self._tok.no_padding()
        self._tok.enable_truncation(max_tokens)
        self.max_tokens = max_tokens

    def encode(self, texts: list[str]) -> TokenBatch:
        """Tokenises, pads to the longest (rounded up to PAD_MULTIPLE, capped at max_tokens)."""
        return _pad(self._tok.encode_batch(texts), self.max_tokens)

    def encode_buckets(self, texts: list[str]) -> list[tuple[list[int], TokenBatch]]:
        """Tokenises and splits the batch by length (power-of-two buckets from MIN_BUCKET tokens up).

        Cost grows with the padded length, so one 256-token text would otherwise make 63 short ones in its
        batch cost as much as 64 long ones; the smallest bucket is wide enough that ordinary queries and
        titles (10-30 tokens) stay in one run, since each extra run costs its own overhead.

        Returns:
            (row indexes into `texts`, their padded batch) per bucket, shortest first.
        """
        encodings = self._tok.encode_batch(texts)
        buckets: dict[int, list[int]] = {}
        for row, enc in enumerate(encodings):
            bucket = MIN_BUCKET
            while bucket < len(enc.ids):
                bucket *= 2
            buckets.setdefault(bucket, []).append(row)
        return [(rows, _pad([encodings[r] for r in rows], self.max_tokens)) for _, rows in sorted(buckets.items())]


def _pad(encodings: list[Any], max_tokens: int) -> TokenBatch:
    longest = max(len(e.ids) for e in encodings)
    width = min(-(-longest // PAD_MULTIPLE) * PAD_MULTIPLE, max_tokens)
    ids = np.zeros((len(encodings), width), dtype=np.int64)
    mask = np.zeros((len(encodings), width), dtype=np.int64)
    for row, enc in enumerate(encodings):
        ids[row, : len(enc.ids)] = enc.ids
        mask[row, : len(enc.ids)] = 1
    return TokenBatch(ids, mask, [bool(e.overflowing) for e in encodings])
