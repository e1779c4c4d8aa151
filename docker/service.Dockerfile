# syntax=docker/dockerfile:1.7
# One image per Python service, built from this one file:
#   docker build -f docker/service.Dockerfile --build-arg SERVICE=vault -t shopmesh/vault:0.1.0 .
# Only the chosen service's extra is installed (pyproject.toml: one optional extra per service), the
# dependencies in a layer of their own before any source is copied, and the runtime runs as uid 10001 with
# nothing but the virtual environment (no compiler, no pip cache, no source tree).

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

FROM base AS deps
# vault, profile, embedding, retrieval, ranking, support, gateway or console.
ARG SERVICE
# An index holding the CPU-only torch wheels (embedding, ranking); without it pip resolves the CUDA build,
# several GB the Python services never use (GPU inference runs in the Triton image).
ARG PIP_EXTRA_INDEX_URL=""
RUN test -n "${SERVICE}" || (echo "build with --build-arg SERVICE=<name>" >&2; exit 1)
RUN python -m venv "${VIRTUAL_ENV}"
WORKDIR /src
# pyproject.toml alone decides the dependencies, so editing code reuses this layer.
COPY pyproject.toml ./
# EXTRAS (comma-separated) replaces the service's own extra, e.g. the jobs image of the chart:
# --build-arg SERVICE=jobs --build-arg EXTRAS=retrieval,ranking,embedding,data
ARG EXTRAS=""
RUN python - "${EXTRAS:-$SERVICE}" > /tmp/requirements.txt <<'PY'
import sys, tomllib
project = tomllib.load(open("pyproject.toml", "rb"))["project"]
extras = project["optional-dependencies"]
requirements = list(project["dependencies"])
for service in sys.argv[1].split(","):
    if service not in extras:
        sys.exit(f"no extra named {service!r} in pyproject.toml (extras: {', '.join(sorted(extras))})")
    requirements += [r for r in extras[service] if r not in requirements]
print("\n".join(requirements))
PY
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install ${PIP_EXTRA_INDEX_URL:+--extra-index-url "$PIP_EXTRA_INDEX_URL"} -r /tmp/requirements.txt

FROM deps AS build
COPY . .
# --no-deps: everything was resolved above; this adds only the shopmesh distribution itself.
RUN pip install --no-deps .

FROM base AS runtime
ARG SERVICE
RUN groupadd --gid 10001 shopmesh \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /var/lib/shopmesh --shell /usr/sbin/nologin shopmesh \
 && install -d -o 10001 -g 10001 /var/lib/shopmesh
COPY --from=build /opt/venv /opt/venv
ENV SHOPMESH_SERVICE=${SERVICE} \
    SHOPMESH_HOME=/var/lib/shopmesh \
    HF_HUB_OFFLINE=1
USER 10001:10001
WORKDIR /var/lib/shopmesh
EXPOSE 50051 8081 9090
# The chart sets the same command explicitly; this default serves `docker run` and compose.
# gateway is its own import root; every other service lives under services/.
CMD ["sh", "-c", "if [ \"$SHOPMESH_SERVICE\" = gateway ]; then m=gateway; else m=services.$SHOPMESH_SERVICE; fi; exec python -m \"$m\""]
