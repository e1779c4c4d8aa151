"""CPU thread pinning: eight services share two cores, so each process caps its math libraries' threads."""

from __future__ import annotations

import contextlib
import os
import sys

from threadpoolctl import threadpool_limits

_ENV_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS",
             "VECLIB_MAXIMUM_THREADS", "TOKENIZERS_PARALLELISM")


def pin_cpu_threads(threads: int) -> dict[str, int]:
    """Caps torch, onnxruntime (through the env it reads), FAISS and OpenMP threads for this process.

    Call it first in a service's main, before the numeric libraries spin up their pools; libraries
    imported later read the environment, and those already imported are set directly.

    Returns:
        What was applied, by library, for the start-up log.
    """
    applied: dict[str, int] = {}
    for var in _ENV_VARS:
        os.environ[var] = "false" if var == "TOKENIZERS_PARALLELISM" else str(threads)
    applied["openmp_env"] = threads
    # A BLAS already loaded (numpy's OpenBLAS, imported with a service's modules before its main runs) sized
    # its pool from the core count at import and ignores the environment now: cap it directly. Left at 2
    # threads, every small matrix product (MMR's similarities) woke a second thread that spun on a busy core.
    threadpool_limits(limits=threads)
    applied["blas_openmp"] = threads
    if "torch" in sys.modules:
        torch = sys.modules["torch"]
        torch.set_num_threads(threads)
        # Interop threads can only be set before the first parallel op; the intra-op cap still holds then.
        with contextlib.suppress(RuntimeError):
            torch.set_num_interop_threads(threads)
        applied["torch"] = threads
    if "faiss" in sys.modules:
        sys.modules["faiss"].omp_set_num_threads(threads)
        applied["faiss"] = threads
    return applied


def onnxruntime_session_options(threads: int) -> object:
    """onnxruntime SessionOptions with intra/inter-op threads capped (onnxruntime ignores OMP_NUM_THREADS)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return options
