"""The chart wires each service the way its settings class reads it: the command `python -m` runs, every
SHOPMESH_<SERVICE>_* name, the ports, and settings that load from the rendered environment.

Services whose code exists are checked against their own pydantic settings class (found by introspection);
components still to be written (their module has no __main__ yet) against the kit's ServiceSettings, plus
the peer addresses and what shopmesh/mesh.py wires for them. When a service lands, its class takes over.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings
from shopmesh.mesh import MESH, ServiceSpec, Supervisor
from tests.charts.conftest import CHART, Manifest, of_kind

pytestmark = pytest.mark.integration

Render = Callable[..., list[Manifest]]
PYTHON_COMPONENTS = [spec.name for spec in MESH]
# What the local supervisor sets only because it runs on one machine with local keys and folders.
LOCAL_ONLY = {"CREATE_LOCAL_KEYS", "DATA_DIR", "PLAINTEXT"}


def settings_class(spec: ServiceSpec) -> type[ServiceSettings] | None:
    """The service's own settings class (the ServiceSettings subclass with its env prefix), or None when the
    service's code does not exist yet."""
    if not spec.installed():
        return None
    module = importlib.import_module(f"{spec.module}.settings")
    prefix = f"SHOPMESH_{spec.name.upper()}_"
    for _, cls in inspect.getmembers(module, inspect.isclass):
        if issubclass(cls, ServiceSettings) and cls.model_config.get("env_prefix") == prefix:
            return cls
    raise AssertionError(f"{spec.module}.settings has no ServiceSettings subclass with prefix {prefix}")


def kit_settings(name: str) -> type[ServiceSettings]:
    """ServiceSettings under a service's prefix, for components whose own class does not exist yet."""

    class Placeholder(ServiceSettings):
        model_config = SettingsConfigDict(env_prefix=f"SHOPMESH_{name.upper()}_", extra="ignore", frozen=True)
        service_name: str = name

    return Placeholder


def container_of(objects: list[Manifest], name: str) -> dict[str, Any]:
    container: dict[str, Any] = of_kind(objects, "Deployment")[name]["spec"]["template"]["spec"]["containers"][0]
    return container


def shopmesh_env(container: dict[str, Any], name: str) -> dict[str, str | None]:
    """The container's SHOPMESH_<NAME>_* settings by suffix (None: read from a Secret)."""
    prefix = f"SHOPMESH_{name.upper()}_"
    return {e["name"].removeprefix(prefix): e.get("value") for e in container["env"] if e["name"].startswith(prefix)}


def test_every_mesh_service_is_a_component(render: Render) -> None:
    assert sorted(n for n in of_kind(render(), "Deployment") if n != "triton") == sorted(PYTHON_COMPONENTS)


@pytest.mark.parametrize("spec", MESH, ids=[s.name for s in MESH])
def test_command_is_the_module_the_mesh_runs(render: Render, spec: ServiceSpec) -> None:
    assert container_of(render(), spec.name)["command"] == ["python", "-m", spec.module]


@pytest.mark.parametrize("spec", MESH, ids=[s.name for s in MESH])
def test_env_names_are_settings_of_the_service(render: Render, chart_values: dict[str, Any],
                                               spec: ServiceSpec) -> None:
    """Every SHOPMESH_<SERVICE>_* the chart sets is a field of the service's settings (so none is silently
    ignored), and every field without a default is set (so none fails at start-up)."""
    objects = render()
    env = shopmesh_env(container_of(objects, spec.name), spec.name)
    own = settings_class(spec)
    cls = own or kit_settings(spec.name)
    fields = {name.upper() for name in cls.model_fields}
    allowed = set(fields)
    if own is None:
        peers = chart_values["components"][spec.name].get("dependsOn", {})
        allowed |= set(peers.values()) | wired_by_mesh(spec) | {m["env"] for m in
                                                                chart_values["components"][spec.name]["mounts"]
                                                                if "env" in m}
    assert set(env) <= allowed, f"{spec.name}: not settings of {cls.__name__}: {sorted(set(env) - allowed)}"
    required = {name.upper() for name, field in cls.model_fields.items() if field.is_required()}
    assert required <= set(env), f"{spec.name}: required settings missing: {sorted(required - set(env))}"


def wired_by_mesh(spec: ServiceSpec) -> set[str]:
    """The SHOPMESH_<SERVICE>_* names shopmesh/mesh.py sets for a service in the local mesh (peers excluded)."""
    supervisor = Supervisor([spec], Path("/nonexistent"))
    env = supervisor._env({spec.name: (1, 2, 3)}, spec)
    prefix = f"SHOPMESH_{spec.name.upper()}_"
    return {k.removeprefix(prefix) for k in env if k.startswith(prefix) and not k.endswith("_ADDRESS")}


@pytest.mark.parametrize("spec", MESH, ids=[s.name for s in MESH])
def test_the_chart_wires_what_the_local_mesh_wires(render: Render, spec: ServiceSpec) -> None:
    """Identity, ports, certificates and user-context keys reach each service as they do under `shopmesh up`."""
    env = shopmesh_env(container_of(render(), spec.name), spec.name)
    missing = wired_by_mesh(spec) - LOCAL_ONLY - set(env)
    assert not missing, f"{spec.name}: the local mesh sets {sorted(missing)}, the chart does not"
    assert env["SERVICE_NAME"] == spec.name
    assert env["HOST"] == "0.0.0.0"


@pytest.mark.parametrize("spec", MESH, ids=[s.name for s in MESH])
def test_ports_agree_between_settings_container_and_service(render: Render, spec: ServiceSpec) -> None:
    objects = render()
    container = container_of(objects, spec.name)
    env = shopmesh_env(container, spec.name)
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    main = "http" if spec.name == "console" else "grpc"  # the console's main port serves its web page
    assert (env["PORT"], env["HEALTH_PORT"], env["METRICS_PORT"]) == (
        str(ports[main]), str(ports["health"]), str(ports["metrics"]))
    service = {p["name"]: p for p in of_kind(objects, "Service")[spec.name]["spec"]["ports"]}
    assert service[main]["port"] == ports[main] and service[main]["targetPort"] == main


@pytest.mark.parametrize("spec", MESH, ids=[s.name for s in MESH])
def test_settings_load_from_the_rendered_environment(render: Render, spec: ServiceSpec,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The service's settings class accepts the rendered environment as it is (types, JSON lists, literals,
    validators), with Secret-sourced values standing in as dummies."""
    container = container_of(render(), spec.name)
    for key in [k for k in os.environ if k.startswith("SHOPMESH_")]:
        monkeypatch.delenv(key)
    for entry in container["env"]:
        value = entry.get("value")
        if value is None:
            ref = entry["valueFrom"]["secretKeyRef"]
            value = f"postgresql://user@db/{ref['key']}" if "DSN" in entry["name"] else "redis://db:6379/0"
        monkeypatch.setenv(entry["name"], value)
    cls = settings_class(spec) or kit_settings(spec.name)
    settings = cls()  # type: ignore[call-arg]  # every field comes from the environment
    assert settings.service_name == spec.name
    assert settings.port == next(p["containerPort"] for p in container["ports"] if p["name"] in ("grpc", "http"))
    assert settings.certs_dir == Path("/var/run/secrets/shopmesh/tls") and not settings.plaintext
    assert settings.user_context_public_keys == [Path("/var/run/secrets/shopmesh/user-context/user-context.pub")]
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert str(settings.certs_dir) in mounts
    assert all(str(p.parent) in mounts for p in settings.user_context_public_keys)


def test_peer_addresses_point_at_the_peers_services(render: Render, chart_values: dict[str, Any]) -> None:
    """SHOPMESH_<SERVICE>_<PEER>_ADDRESS (or the embedding's TRITON_URL) is the peer's Service and gRPC port."""
    objects = render()
    services = of_kind(objects, "Service")
    for name, comp in chart_values["components"].items():
        if comp["kind"] != "python":
            continue
        env = shopmesh_env(container_of(objects, name), name)
        for peer, suffix in comp.get("dependsOn", {}).items():
            grpc = next(p["port"] for p in services[peer]["spec"]["ports"] if p["name"] == "grpc")
            assert env[suffix] == f"{services[peer]['metadata']['name']}:{grpc}", (name, peer)


def test_vault_reads_its_keys_from_the_mounted_secret(render: Render) -> None:
    container = container_of(render(), "vault")
    env = shopmesh_env(container, "vault")
    assert env["STORE"] == "postgres"
    assert "CREATE_LOCAL_KEYS" not in env, "production keys come from the Secret, never created by the pod"
    mount = next(m for m in container["volumeMounts"] if m["mountPath"] == env["KEY_DIR"])
    assert mount["readOnly"] is True


def test_embedding_uses_the_triton_deployment_and_the_mounted_repository(render: Render) -> None:
    env = shopmesh_env(container_of(render(), "embedding"), "embedding")
    assert env["BACKEND"] == "triton"
    assert env["TRITON_URL"] == "shopmesh-triton:8001"
    assert env["MODELS_DIR"] == "/models"
    assert env["BUILD_MODELS_ON_START"] == "false", "a read-only repository cannot be built into"


def path_settings(cls: type[ServiceSettings]) -> set[str]:
    """Suffixes of the fields holding file or folder paths (Path, Path | None, list[Path])."""
    return {name.upper() for name, field in cls.model_fields.items() if "Path" in str(field.annotation)}


@pytest.mark.parametrize("values", [(), (CHART / "ci" / "jobs-on.yaml",)], ids=["default", "jobs-on"])
@pytest.mark.parametrize("spec", MESH, ids=[s.name for s in MESH])
def test_every_path_setting_lies_on_a_volume(render: Render, spec: ServiceSpec, values: tuple[Path, ...]) -> None:
    """A path the chart gives a service (models dir, index root, rules and experiments files, key files) is on a
    volume the container mounts: the root file system is read-only and holds none of them."""
    cls = settings_class(spec) or kit_settings(spec.name)  # a service without code yet: the kit's paths
    container = container_of(render(*values), spec.name)
    env = shopmesh_env(container, spec.name)
    mounts = [m["mountPath"] for m in container["volumeMounts"]]
    for suffix in path_settings(cls) & set(env):
        value = env[suffix]
        assert value is not None
        paths = json.loads(value) if value.startswith("[") else [value]
        for path in paths:
            assert any(path == m or path.startswith(m.rstrip("/") + "/") for m in mounts), (spec.name, suffix, path)
