"""Unit tests of the kit's pure parts: settings, user-context tokens, certificates, thread caps."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError
from pydantic_settings import SettingsConfigDict

from shared.errors import InvalidArgument, ResourceExhausted
from shared.settings import ServiceSettings
from shared.tls import identity_from_pem
from shared.usercontext import UserContextSigner, UserContextVerifier, generate_keypair
from shopmesh.certs import ensure_certs


class _PeerSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SHOPMESH_UNITTEST_", extra="ignore", frozen=True)
    service_name: str = "unittest"
    profile_address: str


def test_missing_peer_address_fails_at_start_up(clean_env: None) -> None:
    os.environ["SHOPMESH_UNITTEST_PLAINTEXT"] = "true"
    with pytest.raises(ValidationError, match="profile_address"):
        _PeerSettings()
    os.environ["SHOPMESH_UNITTEST_PROFILE_ADDRESS"] = "profile:50051"
    assert _PeerSettings().profile_address == "profile:50051"


def test_tls_is_required_unless_plaintext_is_explicit(clean_env: None) -> None:
    os.environ["SHOPMESH_UNITTEST_PROFILE_ADDRESS"] = "profile:50051"
    with pytest.raises(ValidationError, match="certs_dir"):
        _PeerSettings()


def test_user_context_round_trip_and_key_rotation(tmp_path: Path) -> None:
    generate_keypair(tmp_path / "old.key", tmp_path / "old.pub")
    generate_keypair(tmp_path / "new.key", tmp_path / "new.pub")
    token = UserContextSigner.from_file(tmp_path / "old.key").sign("u-1", ttl_seconds=30)
    both = UserContextVerifier.from_files([tmp_path / "new.pub", tmp_path / "old.pub"])
    assert both.verify(token).user_id == "u-1"
    from shared.errors import Unauthenticated

    with pytest.raises(Unauthenticated):
        UserContextVerifier.from_files([tmp_path / "new.pub"]).verify(token)
    untrusted_issuer = UserContextSigner.from_file(tmp_path / "old.key", issuer="support").sign("u-1")
    with pytest.raises(Unauthenticated, match="issuer"):
        both.verify(untrusted_issuer)


def test_certs_carry_the_service_identity_and_are_kept_unless_rotated(tmp_path: Path) -> None:
    first = ensure_certs(tmp_path, ("vault", "gateway"))
    assert first.created_ca and first.issued == ("vault", "gateway") and first.created_user_context_keys
    assert identity_from_pem((tmp_path / "vault.pem").read_bytes()) == "vault"
    assert oct((tmp_path / "vault.key").stat().st_mode & 0o777) == "0o600"
    again = ensure_certs(tmp_path, ("vault", "gateway"))
    assert not again.created_ca and again.issued == ()
    before = (tmp_path / "vault.pem").read_bytes()
    rotated = ensure_certs(tmp_path, ("vault",), rotate=True)
    assert rotated.issued == ("vault",) and (tmp_path / "vault.pem").read_bytes() != before


def test_domain_error_details() -> None:
    from google.rpc import error_details_pb2

    status = ResourceExhausted("slow down", retry_after_seconds=1.5, reason="RATE_LIMITED").to_status()
    info, retry = error_details_pb2.ErrorInfo(), error_details_pb2.RetryInfo()
    assert status.details[0].Unpack(info) and info.reason == "RATE_LIMITED"
    assert status.details[1].Unpack(retry) and retry.retry_delay.ToMilliseconds() == 1500
    assert InvalidArgument("x").to_status().code == 3


def test_thread_caps_apply_to_torch_openmp_and_an_already_loaded_blas() -> None:
    code = (
        "import numpy, torch, threadpoolctl\n"
        "from shared.threads import pin_cpu_threads\n"
        "applied = pin_cpu_threads(1)\n"
        "import os\n"
        "assert torch.get_num_threads() == 1, torch.get_num_threads()\n"
        "pools = threadpoolctl.threadpool_info()\n"
        "assert pools and all(p['num_threads'] == 1 for p in pools), pools  # numpy's BLAS loaded before\n"
        "assert os.environ['OMP_NUM_THREADS'] == '1'\n"
        "print(sorted(applied))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.returncode == 0, out.stderr
    assert "torch" in out.stdout
