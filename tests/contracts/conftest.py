"""Fixtures for the contract tests: the buf binary and the protos' descriptor set with comments."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from google.protobuf import descriptor_pb2

from shopmesh import codegen

REPO_ROOT = codegen.REPO_ROOT


@pytest.fixture(scope="session")
def buf() -> str:
    """Path of the pinned buf CLI, installed from npm by scripts/install-buf on first use."""
    result = subprocess.run(
        [str(REPO_ROOT / "scripts" / "install-buf")], capture_output=True, text=True, check=False, timeout=240
    )
    if result.returncode != 0:
        pytest.fail(f"scripts/install-buf failed (exit {result.returncode}):\n{result.stderr}")
    return result.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="session")
def descriptor_set(tmp_path_factory: pytest.TempPathFactory) -> descriptor_pb2.FileDescriptorSet:
    """Every shopmesh proto (and its imports) compiled by protoc with source info, i.e. with comments."""
    out = tmp_path_factory.mktemp("descriptors") / "shopmesh.binpb"
    codegen.build_descriptor_set(out)
    fds = descriptor_pb2.FileDescriptorSet()
    fds.ParseFromString(out.read_bytes())
    return fds


@pytest.fixture(scope="session")
def shopmesh_files(descriptor_set: descriptor_pb2.FileDescriptorSet) -> list[descriptor_pb2.FileDescriptorProto]:
    """The shopmesh files of the descriptor set (imports such as google/protobuf excluded)."""
    files = [f for f in descriptor_set.file if f.name.startswith("shopmesh/")]
    assert files, "no shopmesh protos compiled"
    return files


def run(cmd: list[str], cwd: Path = REPO_ROOT, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Runs a command, capturing text output, without raising on a non-zero exit."""
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False, timeout=timeout)
