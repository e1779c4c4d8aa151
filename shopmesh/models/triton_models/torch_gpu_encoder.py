# mypy: ignore-errors
# (Runs inside Triton's Python stub with the GPU image's torch/transformers, whose stubs differ from ours.)
"""Triton Python-backend model: all-MiniLM-L6-v2 on the GPU with PyTorch fp16 (the GPU path of the wheel's
tritonserver, which has no onnxruntime/TensorRT backend; the NGC container uses triton-gpu/ instead).

Weights come from `weights.pt` (a BertModel state dict) in the version folder; with parameter
`random_weights` = "1" the same architecture is randomly initialised (throughput runs where the weights do
not fit in what a benchmark call may carry). Inputs input_ids, attention_mask (INT64, [batch, seq]);
output embedding (FP32, [batch, 384]), mean-pooled and L2-normalised like sentence-transformers.
"""

import json
import os

import numpy as np
import torch
from transformers import BertConfig, BertModel

MINILM_CONFIG = {"hidden_size": 384, "intermediate_size": 1536, "num_attention_heads": 12, "num_hidden_layers": 6,
                 "vocab_size": 30522, "max_position_embeddings": 512, "type_vocab_size": 2, "hidden_act": "gelu",
                 "layer_norm_eps": 1e-12, "pad_token_id": 0}


class TritonPythonModel:
    """One fp16 BertModel per GPU instance."""

    def initialize(self, args):
        config = json.loads(args["model_config"])
        params = {key: value["string_value"] for key, value in config.get("parameters", {}).items()}
        device_id = args.get("model_instance_device_id", "0")
        self.device = torch.device(f"cuda:{device_id}" if torch.cuda.is_available() else "cpu")
        model = BertModel(BertConfig(**MINILM_CONFIG), add_pooling_layer=False)
        weights = os.path.join(args["model_repository"], args["model_version"], "weights.pt")
        if params.get("random_weights") != "1":
            model.load_state_dict(torch.load(weights, map_location="cpu"), strict=False)
        dtype = torch.float16 if self.device.type == "cuda" else torch.float32
        self.model = model.to(self.device, dtype=dtype).eval()

    @torch.inference_mode()
    def _embed(self, ids, mask):
        ids = torch.from_numpy(ids).to(self.device, non_blocking=True)
        mask = torch.from_numpy(mask).to(self.device, non_blocking=True)
        hidden = self.model(input_ids=ids, attention_mask=mask).last_hidden_state
        weights = mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled.float(), p=2.0, dim=1).cpu().numpy()

    def execute(self, requests):
        # Imported here so the benchmark can import MINILM_CONFIG outside Triton.
        import triton_python_backend_utils as pb_utils

        # Requests the dynamic batcher merged share one shape: one forward pass for each group.
        ids = [pb_utils.get_input_tensor_by_name(r, "input_ids").as_numpy() for r in requests]
        masks = [pb_utils.get_input_tensor_by_name(r, "attention_mask").as_numpy() for r in requests]
        groups: dict = {}
        for index, batch in enumerate(ids):
            groups.setdefault(batch.shape[1], []).append(index)
        outputs: list = [None] * len(requests)
        for indexes in groups.values():
            vectors = self._embed(np.concatenate([ids[i] for i in indexes]),
                                  np.concatenate([masks[i] for i in indexes]))
            start = 0
            for i in indexes:
                outputs[i] = vectors[start:start + ids[i].shape[0]]
                start += ids[i].shape[0]
        return [pb_utils.InferenceResponse([pb_utils.Tensor("embedding", out)]) for out in outputs]

    def finalize(self):
        self.model = None
