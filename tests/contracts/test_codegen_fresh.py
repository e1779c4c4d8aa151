"""The committed generated code matches the protos, and the freshness check really detects drift."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from shopmesh import codegen
from tests.contracts.conftest import REPO_ROOT, run


def test_generated_code_is_fresh() -> None:
    """Fails when a proto was edited (or grpcio-tools changed) without running `python -m shopmesh.codegen`."""
    diff = codegen.check()
    assert diff.clean, (
        "generated code is out of date; run `python -m shopmesh.codegen` and commit the result:\n" + diff.report()
    )
    assert len(diff.unchanged) >= 3 * 7, "expected messages, stubs and gRPC modules for at least seven services"


def test_check_command_exits_zero_on_the_repository() -> None:
    result = run([sys.executable, "-m", "shopmesh.codegen", "--check"])
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout


def _copy_protos_and_generate(tmp_path: Path) -> tuple[Path, Path]:
    protos = tmp_path / "protos"
    shutil.copytree(REPO_ROOT / "protos", protos)
    tree = tmp_path / "tree"
    tree.mkdir()
    codegen.sync(target_root=tree, proto_root=protos)
    assert codegen.check(target_root=tree, proto_root=protos).clean
    return protos, tree


def test_check_flags_a_proto_edited_without_regenerating(tmp_path: Path) -> None:
    protos, tree = _copy_protos_and_generate(tmp_path)
    money = protos / "shopmesh" / "common" / "v1" / "money.proto"
    text = money.read_text()
    anchor = "  int64 amount_micros = 2;\n"
    assert anchor in text
    money.write_text(text.replace(anchor, anchor + "  // Added without regenerating.\n  string note = 3;\n"))

    diff = codegen.check(target_root=tree, proto_root=protos)

    assert not diff.clean
    assert "shopmesh/common/v1/money_pb2.py" in diff.stale
    assert "shopmesh/common/v1/money_pb2.pyi" in diff.stale
    assert "stale: shopmesh/common/v1/money_pb2.py" in diff.report()


def test_check_flags_missing_and_extra_files_and_sync_repairs_them(tmp_path: Path) -> None:
    protos, tree = _copy_protos_and_generate(tmp_path)
    (tree / "shopmesh" / "vault" / "v1" / "vault_service_pb2_grpc.py").unlink()
    stray = tree / "shopmesh" / "oldsvc" / "v1" / "oldsvc_service_pb2.py"
    stray.parent.mkdir(parents=True)
    stray.write_text("# left over from a deleted proto\n")
    hand_written = tree / "shopmesh" / "__init__.py"
    hand_written.write_text('"""Hand-written, never touched by codegen."""\n')

    diff = codegen.check(target_root=tree, proto_root=protos)
    assert diff.missing == ["shopmesh/vault/v1/vault_service_pb2_grpc.py"]
    assert diff.extra == ["shopmesh/oldsvc/v1/oldsvc_service_pb2.py"]

    codegen.sync(target_root=tree, proto_root=protos)
    assert codegen.check(target_root=tree, proto_root=protos).clean
    assert not stray.exists()
    assert hand_written.read_text() == '"""Hand-written, never touched by codegen."""\n'
