"""A small fake Triton: the real KServe v2 `GRPCInferenceService` proto (from tritonclient) on grpc.aio, with
hooks to make models unready, slow, or failing. Used where the real tritonserver cannot be made to misbehave
on cue (a model stuck loading, a hung server)."""

from __future__ import annotations

import asyncio

import grpc
import numpy as np
from tritonclient.grpc import service_pb2, service_pb2_grpc


class FakeTriton(service_pb2_grpc.GRPCInferenceServiceServicer):
    """Answers readiness and ModelInfer for embedding models with unit vectors (row i: axis i mod dim).

    Attributes:
        ready_models: models reported ready (others answer like a model still loading).
        infer_delay_s: sleep before answering ModelInfer (a hung or overloaded Triton).
        fail_with: status every ModelInfer answers instead, e.g. INTERNAL (a crashed Python stub).
    """

    def __init__(self, models: set[str], dimension: int = 384):
        self.ready_models = set(models)
        self.infer_delay_s = 0.0
        self.fail_with: grpc.StatusCode | None = None
        self.dimension = dimension
        self.calls = 0

    async def ServerReady(self, request: service_pb2.ServerReadyRequest,
                          context: grpc.aio.ServicerContext) -> service_pb2.ServerReadyResponse:
        return service_pb2.ServerReadyResponse(ready=True)

    async def ModelReady(self, request: service_pb2.ModelReadyRequest,
                         context: grpc.aio.ServicerContext) -> service_pb2.ModelReadyResponse:
        return service_pb2.ModelReadyResponse(ready=request.name in self.ready_models)

    async def ModelInfer(self, request: service_pb2.ModelInferRequest,
                         context: grpc.aio.ServicerContext) -> service_pb2.ModelInferResponse:
        self.calls += 1
        if self.infer_delay_s:
            await asyncio.sleep(self.infer_delay_s)
        if request.model_name not in self.ready_models:
            # The message Triton 2.51 gives for a model without a loaded version.
            await context.abort(grpc.StatusCode.UNAVAILABLE,
                                f"Request for unknown model: '{request.model_name}' has no available versions")
        if self.fail_with is not None:
            await context.abort(self.fail_with, "injected failure")
        rows = int(request.inputs[0].shape[0])
        vectors = np.zeros((rows, self.dimension), dtype=np.float32)
        vectors[np.arange(rows), np.arange(rows) % self.dimension] = 1.0
        output = service_pb2.ModelInferResponse.InferOutputTensor(name="embedding", datatype="FP32",
                                                                  shape=[rows, self.dimension])
        return service_pb2.ModelInferResponse(model_name=request.model_name, outputs=[output],
                                              raw_output_contents=[vectors.tobytes()])


async def start_fake(fake: FakeTriton) -> tuple[grpc.aio.Server, str]:
    """Serves the fake on a free port; returns the server and its host:port."""
    server = grpc.aio.server()
    service_pb2_grpc.add_GRPCInferenceServiceServicer_to_server(fake, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    return server, f"127.0.0.1:{port}"
