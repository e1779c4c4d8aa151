"""GPU benchmark (issue #6, acceptance 4): MiniLM-L6 on Triton's GPU path vs raw PyTorch fp16, same GPU, same run.

Sentences/s and p99 at batch 1, 32 and 256 with 64-token inputs, for
  (a) tritonserver from the nvidia-pytriton wheel, Python backend running the GPU image's CUDA torch in fp16
      (shopmesh/models/triton_models/torch_gpu_encoder.py), called with tritonclient.grpc,
  (b) the baseline: the same fp16 model called directly in this process.
Targets: >= 20,000 sentences/s at batch 256 and (a) >= 0.9x (b).

A device call carries at most 64 MiB, which holds the repo and the two wheels but not the weights, so the
throughput run uses randomly initialised weights of the same architecture; correctness is a second call with
fp16 weights exported here (`--export-weights`, 45 MB) and checked against sentence-transformers' vectors.

    # on the GPU machine, with the wheels carried in shared/wheels (nvidia-pytriton 0.7.0, tritonclient 2.73.0):
    python benchmarks/embedding_gpu_bench.py --wheels shared/wheels
    # correctness: here, then on the GPU machine with check/ carried
    .venv/bin/python benchmarks/embedding_gpu_bench.py --export-weights check/
    python benchmarks/embedding_gpu_bench.py --wheels shared/wheels --check check/
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
MODEL = "minilm-gpu"
WORK = Path(os.environ.get("OUT", "/tmp")) / "embedding-gpu-bench"


def free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def unpack_wheels(wheels: Path) -> Path:
    """pip-unpacks the carried wheels (no deps: the GPU image has numpy, grpcio, protobuf, torch)."""
    site = Path("/tmp/embedding-gpu-site")
    if not (site / "pytriton").exists():
        found = sorted(str(w) for w in wheels.glob("*.whl"))
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), *found],
                       check=True)
    sys.path.insert(0, str(site))
    return site


def write_repository(root: Path, weights: Path | None, max_batch: int, kind: str = "KIND_GPU") -> Path:
    """A one-model repository: the fp16 torch encoder on KIND_GPU with dynamic batching."""
    model_dir = root / MODEL
    version = model_dir / "1"
    version.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(REPO / "shopmesh/models/triton_models/torch_gpu_encoder.py", version / "model.py")
    if weights is not None:
        shutil.copyfile(weights, version / "weights.pt")
    random_weights = "0" if weights is not None else "1"
    (model_dir / "config.pbtxt").write_text(f"""name: "{MODEL}"
backend: "python"
max_batch_size: {max_batch}
input [
  {{ name: "input_ids" data_type: TYPE_INT64 dims: [ -1 ] }},
  {{ name: "attention_mask" data_type: TYPE_INT64 dims: [ -1 ] }}
]
output [ {{ name: "embedding" data_type: TYPE_FP32 dims: [ 384 ] }} ]
dynamic_batching {{ max_queue_delay_microseconds: 500 }}
instance_group [ {{ count: 2 kind: {kind} }} ]
parameters: {{ key: "random_weights" value: {{ string_value: "{random_weights}" }} }}
""")
    return root


class Server:
    """tritonserver from the unpacked wheel on the repository."""

    def __init__(self, site: Path, repository: Path):
        from shopmesh.models.tritonserver import TritonInstall

        install = TritonInstall(site)
        install.prepare_backends()
        self.port = free_port()
        cmd = install.command(repository, self.port, free_port(), free_port())
        self.log = (WORK / "tritonserver.log").open("wb")
        # Own group (killed whole on stop) and SIGTERM if this script dies: no GPU server outlives a run.
        def child_setup() -> None:
            import ctypes

            os.setsid()
            with contextlib.suppress(OSError, AttributeError):
                ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG

        self.proc = subprocess.Popen(cmd, env=install.env(), stdout=self.log, stderr=subprocess.STDOUT,
                                     preexec_fn=child_setup)  # noqa: PLW1509

    def wait_ready(self, timeout_s: float = 300) -> None:
        import tritonclient.grpc as grpcclient

        client = grpcclient.InferenceServerClient(f"127.0.0.1:{self.port}")
        deadline = time.monotonic() + timeout_s
        while True:
            with contextlib.suppress(Exception):
                if client.is_model_ready(MODEL):
                    return
            failed = "failed to load" in Path(self.log.name).read_text(errors="replace")
            if failed or self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"tritonserver not ready; see {self.log.name}")
            time.sleep(0.5)

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)


def token_batch(batch: int, seq: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random WordPiece ids framed by [CLS] ... [SEP], all positions attended (64-token inputs)."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(1000, 30000, size=(batch, seq), dtype=np.int64)
    ids[:, 0], ids[:, -1] = 101, 102
    return ids, np.ones_like(ids)


def summarise(latencies: list[float], rows: int, elapsed: float) -> dict[str, float]:
    ordered = sorted(latencies)
    return {"sent_s": rows / elapsed, "p50_ms": ordered[len(ordered) // 2] * 1000,
            "p99_ms": ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000}


def bench_triton(port: int, batch: int, seq: int, seconds: float, concurrency: int) -> dict[str, float]:
    """`concurrency` client threads, each with its own connection, calling infer in a loop."""
    import tritonclient.grpc as grpcclient

    ids, mask = token_batch(batch, seq, seed=batch)
    latencies: list[float] = []
    rows = [0]
    errors: list[BaseException] = []
    lock = threading.Lock()
    warmed = threading.Barrier(concurrency + 1)

    def worker() -> None:
        try:
            client = grpcclient.InferenceServerClient(f"127.0.0.1:{port}")
            inputs = [grpcclient.InferInput("input_ids", list(ids.shape), "INT64"),
                      grpcclient.InferInput("attention_mask", list(mask.shape), "INT64")]
            inputs[0].set_data_from_numpy(ids)
            inputs[1].set_data_from_numpy(mask)
            for _ in range(3):
                client.infer(MODEL, inputs)
        except BaseException as exc:
            errors.append(exc)
            warmed.abort()
            return
        warmed.wait()
        mine = []
        stop_at = time.monotonic() + seconds
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            client.infer(MODEL, inputs)
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)
            rows[0] += batch * len(mine)
        client.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    try:
        warmed.wait()
    except threading.BrokenBarrierError:
        raise RuntimeError(f"a Triton client failed: {errors[:1]}") from None
    started = time.monotonic()
    for t in threads:
        t.join()
    return summarise(latencies, rows[0], time.monotonic() - started)


def torch_model(weights: Path | None):
    import torch
    from transformers import BertConfig, BertModel

    sys.path.insert(0, str(REPO / "shopmesh/models/triton_models"))
    from torch_gpu_encoder import MINILM_CONFIG  # type: ignore[import-not-found]

    torch.manual_seed(0)
    model = BertModel(BertConfig(**MINILM_CONFIG), add_pooling_layer=False)
    if weights is not None:
        model.load_state_dict(torch.load(weights, map_location="cpu"), strict=False)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return model.to(device, dtype=torch.float16 if device.type == "cuda" else torch.float32).eval(), device


def bench_torch(model, device, batch: int, seq: int, seconds: float) -> dict[str, float]:
    """The same fp16 forward + pooling, called directly (one CUDA stream, synchronised per batch)."""
    import torch

    ids, mask = token_batch(batch, seq, seed=batch)
    ids_t, mask_t = torch.from_numpy(ids), torch.from_numpy(mask)
    latencies = []

    @torch.inference_mode()
    def once() -> None:
        i, m = ids_t.to(device, non_blocking=True), mask_t.to(device, non_blocking=True)
        hidden = model(input_ids=i, attention_mask=m).last_hidden_state
        w = m.unsqueeze(-1).to(hidden.dtype)
        out = torch.nn.functional.normalize(((hidden * w).sum(1) / w.sum(1)).float(), dim=1)
        out.cpu()

    for _ in range(5):
        once()
    stop_at = time.monotonic() + seconds
    started = time.monotonic()
    while time.monotonic() < stop_at:
        t0 = time.perf_counter()
        once()
        latencies.append(time.perf_counter() - t0)
    return summarise(latencies, batch * len(latencies), time.monotonic() - started)


def export_weights(out: Path) -> None:
    """Here (CPU): fp16 MiniLM weights, tokenised check sentences and sentence-transformers' vectors."""
    import torch

    from shopmesh.models.encoders import CHECK_SENTENCES
    from shopmesh.models.minilm import _source_model

    out.mkdir(parents=True, exist_ok=True)
    source = _source_model()
    state = {k: v.half() for k, v in source[0].auto_model.state_dict().items()}
    torch.save(state, out / "weights.pt")
    texts = list(CHECK_SENTENCES)
    tok = source.tokenizer(texts, padding=True, truncation=True, max_length=256, return_tensors="np")
    reference = source.encode(texts, normalize_embeddings=True)
    np.savez(out / "check.npz", input_ids=tok["input_ids"].astype(np.int64),
             attention_mask=tok["attention_mask"].astype(np.int64), reference=reference.astype(np.float32))
    print(f"wrote {out}/weights.pt ({(out / 'weights.pt').stat().st_size / 1e6:.1f} MB) and check.npz")


def check(port: int, folder: Path) -> float:
    """Max abs difference of Triton's fp16 vectors from sentence-transformers' fp32 ones."""
    import tritonclient.grpc as grpcclient

    data = np.load(folder / "check.npz")
    client = grpcclient.InferenceServerClient(f"127.0.0.1:{port}")
    inputs = [grpcclient.InferInput("input_ids", list(data["input_ids"].shape), "INT64"),
              grpcclient.InferInput("attention_mask", list(data["attention_mask"].shape), "INT64")]
    inputs[0].set_data_from_numpy(data["input_ids"])
    inputs[1].set_data_from_numpy(data["attention_mask"])
    got = client.infer(MODEL, inputs).as_numpy("embedding")
    return float(np.abs(got - data["reference"]).max())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheels", type=Path, help="folder with the nvidia-pytriton and tritonclient wheels")
    parser.add_argument("--seq", type=int, default=64)
    parser.add_argument("--batches", default="1,32,256")
    parser.add_argument("--seconds", type=float, default=8.0, help="per measurement")
    parser.add_argument("--concurrency", type=int, default=4, help="Triton client threads in flight")
    parser.add_argument("--instance-kind", default="KIND_GPU", help="KIND_CPU: smoke-test this script on a CPU")
    parser.add_argument("--check", type=Path, help="folder from --export-weights: check correctness instead")
    parser.add_argument("--export-weights", type=Path, help="write fp16 weights + check data here (CPU) and exit")
    args = parser.parse_args()
    # SIGTERM (a call's time limit) runs the `finally` that stops tritonserver.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.export_weights:
        export_weights(args.export_weights)
        return 0
    if args.wheels is None:
        parser.error("--wheels is required")
    WORK.mkdir(parents=True, exist_ok=True)
    site = unpack_wheels(args.wheels)
    weights = args.check / "weights.pt" if args.check else None
    batches = [int(b) for b in args.batches.split(",")]
    server = Server(site, write_repository(WORK / "repo", weights, max(256, *batches), args.instance_kind))
    results: dict[str, object] = {}
    try:
        server.wait_ready()
        if args.check:
            diff = check(server.port, args.check)
            print(f"Triton GPU fp16 vs sentence-transformers fp32: max abs diff {diff:.2e} (fp16 tolerance 5e-3)")
            results["check_max_abs_diff"] = diff
            return 0 if diff < 5e-3 else 1
        model, device = torch_model(None)
        print(f"MiniLM-L6 (random weights), seq {args.seq}, device {device}, Triton clients {args.concurrency}")
        print(f"{'batch':>6} {'triton sent/s':>14} {'p99 ms':>8} {'torch sent/s':>13} {'p99 ms':>8} {'ratio':>6}")
        for batch in batches:
            tri = bench_triton(server.port, batch, args.seq, args.seconds, args.concurrency)
            raw = bench_torch(model, device, batch, args.seq, args.seconds)
            results[str(batch)] = {"triton": tri, "torch": raw}
            print(f"{batch:>6} {tri['sent_s']:>14.0f} {tri['p99_ms']:>8.2f} {raw['sent_s']:>13.0f} "
                  f"{raw['p99_ms']:>8.2f} {tri['sent_s'] / raw['sent_s']:>5.2f}x")
        top = results[str(max(batches))]
        assert isinstance(top, dict)
        print(f"target: >= 20,000 sentences/s at batch 256 and >= 0.9x torch: "
              f"{top['triton']['sent_s']:.0f} sentences/s, {top['triton']['sent_s'] / top['torch']['sent_s']:.2f}x")
    finally:
        server.stop()
        (WORK / "results.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
