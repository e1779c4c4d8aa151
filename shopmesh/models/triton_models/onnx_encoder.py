"""Triton Python-backend model: a sentence encoder exported to ONNX (pooling and L2 norm inside the graph),
run with onnxruntime on CPU.

The `tritonserver` in the nvidia-pytriton wheel ships only the Python backend, so on CPU this wraps the same
model.onnx that the GPU variant serves with Triton's native onnxruntime backend.
Inputs: input_ids, attention_mask (INT64, [batch, seq]); output: embedding (FP32, [batch, dim]).
"""

import json
import os

import numpy as np
import onnxruntime
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    """Runs model.onnx from this version folder."""

    def initialize(self, args):
        config = json.loads(args["model_config"])
        params = {key: value["string_value"] for key, value in config.get("parameters", {}).items()}
        options = onnxruntime.SessionOptions()
        # Eight services share two cores: one intra-op thread, as every shopmesh process.
        options.intra_op_num_threads = int(params.get("intra_op_threads", "1"))
        options.inter_op_num_threads = 1
        path = os.path.join(args["model_repository"], args["model_version"], "model.onnx")
        self.session = onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])

    def execute(self, requests):
        # The dynamic batcher only merges requests of one shape, so equal sequence lengths share one run.
        ids = [pb_utils.get_input_tensor_by_name(r, "input_ids").as_numpy() for r in requests]
        masks = [pb_utils.get_input_tensor_by_name(r, "attention_mask").as_numpy() for r in requests]
        outputs: list = [None] * len(requests)
        by_length: dict = {}
        for index, batch in enumerate(ids):
            by_length.setdefault(batch.shape[1], []).append(index)
        for indexes in by_length.values():
            feed = {"input_ids": np.concatenate([ids[i] for i in indexes]).astype(np.int64, copy=False),
                    "attention_mask": np.concatenate([masks[i] for i in indexes]).astype(np.int64, copy=False)}
            vectors = self.session.run(["embedding"], feed)[0]
            start = 0
            for i in indexes:
                rows = ids[i].shape[0]
                outputs[i] = vectors[start:start + rows]
                start += rows
        return [pb_utils.InferenceResponse([pb_utils.Tensor("embedding", out.astype(np.float32, copy=False))])
                for out in outputs]

    def finalize(self):
        self.session = None
