"""The build's last check: serve the CPU repository with the real local `tritonserver` and compare the
vectors it returns with the source models' own (stored at build as check_vectors.npy)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from shopmesh.models.encoders import CHECK_SENTENCES, E5_SMALL, MINILM
from shopmesh.models.minilm import CheckFailed
from shopmesh.models.repository import CPU
from shopmesh.models.tokens import WordPieceTokenizer
from shopmesh.models.tritonserver import ensure_installed


def _free_port() -> int:
    import socket

    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _infer_minilm(client: object, art: Path, texts: list[str]) -> np.ndarray:
    import tritonclient.grpc as grpcclient

    batch = WordPieceTokenizer(art / "tokenizer.json", MINILM.max_sequence_tokens).encode(texts)
    inputs = [grpcclient.InferInput("input_ids", list(batch.input_ids.shape), "INT64"),
              grpcclient.InferInput("attention_mask", list(batch.attention_mask.shape), "INT64")]
    inputs[0].set_data_from_numpy(batch.input_ids)
    inputs[1].set_data_from_numpy(batch.attention_mask)
    result = client.infer(MINILM.name, inputs, client_timeout=60)  # type: ignore[attr-defined]
    return np.asarray(result.as_numpy("embedding"))


def _infer_e5(client: object, texts: list[str], is_query: bool) -> np.ndarray:
    import tritonclient.grpc as grpcclient

    text = np.array([[t.encode()] for t in texts], dtype=np.object_)
    flags = np.full((len(texts), 1), is_query, dtype=np.bool_)
    inputs = [grpcclient.InferInput("text", list(text.shape), "BYTES"),
              grpcclient.InferInput("is_query", list(flags.shape), "BOOL")]
    inputs[0].set_data_from_numpy(text)
    inputs[1].set_data_from_numpy(flags)
    result = client.infer(E5_SMALL.name, inputs, client_timeout=60)  # type: ignore[attr-defined]
    return np.asarray(result.as_numpy("embedding"))


def check_served_vectors(root: Path, progress: Callable[[str], None]) -> tuple[dict[str, float], str]:
    """Starts tritonserver on `root/triton-cpu`, embeds CHECK_SENTENCES with both models, compares.

    Returns:
        Max abs difference per model, and "" — or ({}, the reason) when the wheel cannot run here.

    Raises:
        CheckFailed: a served vector differs from its source model's by more than the tolerance, or
            Triton did not become ready.
    """
    import tritonclient.grpc as grpcclient

    from shopmesh.models.build import artifact_dir

    install, reason = ensure_installed()
    if install is None:
        progress(f"Triton check skipped: {reason}")
        return {}, reason
    grpc_port, http_port, metrics_port = _free_port(), _free_port(), _free_port()
    env = install.env()
    env.update(OMP_NUM_THREADS="1", TOKENIZERS_PARALLELISM="false")
    progress(f"serving {root / CPU} with {install.binary.name} on port {grpc_port} to check its vectors")
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(install.command(root / CPU, grpc_port, http_port, metrics_port), env=env,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            client = grpcclient.InferenceServerClient(f"127.0.0.1:{grpc_port}")
            deadline = time.monotonic() + 120
            while True:
                with contextlib.suppress(Exception):
                    if all(client.is_model_ready(spec.name) for spec in (MINILM, E5_SMALL)):
                        break
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    tail = log.read().decode(errors="replace")[-2000:]
                    raise CheckFailed(f"tritonserver did not get ready (exit {proc.poll()}):\n{tail}")
                time.sleep(0.2)
            texts = list(CHECK_SENTENCES)
            diffs = {}
            ref = np.load(artifact_dir(root, MINILM) / "check_vectors.npy")
            diffs[MINILM.name] = float(np.abs(_infer_minilm(client, artifact_dir(root, MINILM), texts) - ref).max())
            ref = np.load(artifact_dir(root, E5_SMALL) / "check_vectors.npy")
            got = np.concatenate([_infer_e5(client, texts, False), _infer_e5(client, texts, True)])
            diffs[E5_SMALL.name] = float(np.abs(got - ref).max())
            client.close()
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    for spec in (MINILM, E5_SMALL):
        progress(f"{spec.name}: Triton vs source model max abs diff {diffs[spec.name]:.2e} (tolerance "
                 f"{spec.tolerance:.0e})")
        if diffs[spec.name] > spec.tolerance:
            raise CheckFailed(f"{spec.name}: Triton's vectors differ from the source model's by {diffs[spec.name]:.2e}")
    return diffs, ""
