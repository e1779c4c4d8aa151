"""The agents' console as the chart deploys it, rendered by the real helm: an HTTP main port behind a ClusterIP,
the shared session-signing key, the agents' accounts, the optional Ingress and the policy admitting it."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
from kubernetes.client import ApiClient

from tests.charts.conftest import (
    CHART,
    NAMESPACE,
    RELEASE,
    SESSION_KEY_LINE,
    Manifest,
    full_name,
    mask_session_key,
    of_kind,
    parse,
    run_helm,
    template_text,
)
from tests.charts.test_chart import ingress_sources, model_name, pod_spec

pytestmark = pytest.mark.integration

Render = Callable[..., list[Manifest]]
CONSOLE_CI = CHART / "ci" / "console.yaml"
SESSION_DIR = "/var/run/secrets/shopmesh/session"
ACCOUNTS_DIR = "/var/run/secrets/shopmesh/accounts"


def console(objects: list[Manifest]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The console's pod spec and container."""
    spec = pod_spec(of_kind(objects, "Deployment")["console"])
    return spec, spec["containers"][0]


def env_of(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value") for e in container["env"]}


def volume(spec: dict[str, Any], name: str) -> dict[str, Any] | None:
    return next((v for v in spec["volumes"] if v["name"] == name), None)


def mount(container: dict[str, Any], name: str) -> dict[str, Any] | None:
    return next((m for m in container["volumeMounts"] if m["name"] == name), None)


def secrets(objects: list[Manifest]) -> dict[str, Manifest]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == "Secret"}


def test_the_console_serves_http_on_its_main_port(render: Render) -> None:
    """Container and Service port are named http (appProtocol http) on the number SHOPMESH_CONSOLE_PORT gets;
    health stays gRPC on the health port, probed natively."""
    objects = render()
    _, container = console(objects)
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert set(ports) == {"http", "health", "metrics"}
    env = env_of(container)
    assert env["SHOPMESH_CONSOLE_PORT"] == str(ports["http"]) == "50051"
    assert env["SHOPMESH_CONSOLE_HEALTH_PORT"] == str(ports["health"])
    assert env["SHOPMESH_CONSOLE_METRICS_PORT"] == str(ports["metrics"])
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["grpc"] == {"port": ports["health"]}, probe
    service = of_kind(objects, "Service")["console"]
    assert service["spec"]["ports"][0] == {"name": "http", "port": ports["http"], "targetPort": "http",
                                           "protocol": "TCP", "appProtocol": "http"}
    assert [p["name"] for p in service["spec"]["ports"]] == ["http", "health", "metrics"]


def test_the_console_service_is_a_cluster_ip(render: Render) -> None:
    """An ingress controller or load balancer needs a ClusterIP: the console's Service is not headless."""
    spec = of_kind(render(), "Service")["console"]["spec"]
    assert "clusterIP" not in spec
    assert spec["type"] == "ClusterIP"


def test_every_other_component_keeps_its_grpc_port(render: Render) -> None:
    objects = render()
    for name, service in of_kind(objects, "Service").items():
        if name != "console":
            assert service["spec"]["ports"][0]["name"] == "grpc", name
            assert service["spec"]["ports"][0]["appProtocol"] == "grpc", name
    for name, deployment in of_kind(objects, "Deployment").items():
        if name != "console":
            assert pod_spec(deployment)["containers"][0]["ports"][0]["name"] == "grpc", name


def test_the_console_keeps_cookies_secure_and_shares_one_session_key(render: Render) -> None:
    """Cookies stay Secure (TLS ends at the ingress); every replica reads the one key of the mounted Secret
    and never creates its own."""
    objects = render()
    spec, container = console(objects)
    env = env_of(container)
    assert env["SHOPMESH_CONSOLE_COOKIE_SECURE"] == "true"
    assert env["SHOPMESH_CONSOLE_CREATE_SESSION_SECRET"] == "false"
    assert env["SHOPMESH_CONSOLE_SESSION_SECRET_FILE"] == f"{SESSION_DIR}/session.key"
    assert mount(container, "session") == {"name": "session", "mountPath": SESSION_DIR, "readOnly": True}
    session = volume(spec, "session")
    assert session is not None
    assert session["secret"]["secretName"] == full_name("console-session")
    assert session["secret"]["items"] == [{"key": "session.key", "path": "session.key"}]
    secret = secrets(objects)[full_name("console-session")]
    key = base64.b64decode(secret["data"]["session.key"])
    assert len(key) >= 32
    assert secret["metadata"]["labels"]["app.kubernetes.io/component"] == "console"
    # Only the console mounts it.
    for name, deployment in of_kind(objects, "Deployment").items():
        if name != "console":
            assert volume(pod_spec(deployment), "session") is None, name


def test_the_chart_made_session_key_is_random(helm: str) -> None:
    """Without a cluster to look the Secret up in, each rendering draws a new key (an install keeps its own)."""
    keys = {secrets(parse(template_text(helm)))[full_name("console-session")]["data"]["session.key"] for _ in range(2)}
    assert len(keys) == 2


def test_an_existing_session_secret_replaces_the_chart_one(render: Render) -> None:
    objects = render(sets=("components.console.sessionSecret.existingSecret=agents-session",))
    assert full_name("console-session") not in secrets(objects)
    spec, container = console(objects)
    session = volume(spec, "session")
    assert session is not None and session["secret"]["secretName"] == "agents-session"
    assert env_of(container)["SHOPMESH_CONSOLE_SESSION_SECRET_FILE"] == f"{SESSION_DIR}/session.key"


def test_accounts_are_mounted_only_when_named(render: Render) -> None:
    """No accounts Secret: nothing mounted (no agent can sign in, NOTES.txt says so); named: its accounts.yaml,
    read-only, as a folder so kubelet's in-place updates reach the console without a restart."""
    spec, container = console(render())
    assert volume(spec, "accounts") is None and mount(container, "accounts") is None
    assert "SHOPMESH_CONSOLE_ACCOUNTS_FILE" not in env_of(container)

    spec, container = console(render(sets=("components.console.accounts.existingSecret=agents",)))
    accounts = volume(spec, "accounts")
    assert accounts is not None
    assert accounts["secret"]["secretName"] == "agents"
    assert accounts["secret"]["items"] == [{"key": "accounts.yaml", "path": "accounts.yaml"}]
    accounts_mount = mount(container, "accounts")
    assert accounts_mount == {"name": "accounts", "mountPath": ACCOUNTS_DIR, "readOnly": True}
    assert "subPath" not in accounts_mount
    assert env_of(container)["SHOPMESH_CONSOLE_ACCOUNTS_FILE"] == f"{ACCOUNTS_DIR}/accounts.yaml"


def notes(helm: str, *sets: str) -> str:
    """NOTES.txt as `helm install --dry-run=client` prints it."""
    args = ["install", RELEASE, str(CHART), "--namespace", NAMESPACE, "--dry-run=client"]
    for item in sets:
        args += ["--set", item]
    result = run_helm(helm, *args)
    assert result.returncode == 0, result.stderr
    return result.stdout.split("NOTES:", 1)[1]


def test_notes_warn_when_no_agent_can_sign_in(helm: str) -> None:
    assert "no agent can sign in" in notes(helm)
    named = notes(helm, "components.console.accounts.existingSecret=agents")
    assert "no agent can sign in" not in named and "Secret agents" in named


def test_no_ingress_by_default(render: Render) -> None:
    assert [o for o in render() if o["kind"] == "Ingress"] == []


def test_the_ingress_routes_to_the_console_http_port(render: Render) -> None:
    objects = render(CONSOLE_CI)
    ingresses = [o for o in objects if o["kind"] == "Ingress"]
    assert len(ingresses) == 1
    ingress = ingresses[0]
    api = ApiClient()
    model = api.deserialize(json.dumps(ingress), model_name(ingress), "application/json")
    assert api.sanitize_for_serialization(model) == ingress
    assert ingress["metadata"]["name"] == full_name("console")
    assert ingress["metadata"]["annotations"] == {"cert-manager.io/cluster-issuer": "letsencrypt"}
    spec = ingress["spec"]
    assert spec["ingressClassName"] == "nginx"
    assert spec["tls"] == [{"secretName": "console-shop-example-com-tls", "hosts": ["console.shop.example.com"]}]
    assert spec["rules"] == [{"host": "console.shop.example.com", "http": {"paths": [{
        "path": "/", "pathType": "Prefix",
        "backend": {"service": {"name": full_name("console"), "port": {"name": "http"}}}}]}}]
    service = of_kind(objects, "Service")["console"]
    assert service["metadata"]["name"] == full_name("console")
    assert "http" in {p["name"] for p in service["spec"]["ports"]}


def test_an_ingress_without_host_or_tls(render: Render) -> None:
    objects = render(sets=("components.console.ingress.enabled=true",))
    spec = next(o for o in objects if o["kind"] == "Ingress")["spec"]
    assert "tls" not in spec and "ingressClassName" not in spec
    assert spec["rules"][0].keys() == {"http"}


def test_the_policy_admits_the_ingress_controller_to_the_http_port(render: Render) -> None:
    """No component calls the console, so its http port admits only what extraIngress names; its egress still
    reaches its three peers."""
    policy = of_kind(render(CONSOLE_CI), "NetworkPolicy")["console"]
    assert ingress_sources(policy, "http") == [{
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}},
        "podSelector": {"matchLabels": {"app.kubernetes.io/name": "ingress-nginx"}}}]
    assert all(p["port"] != "grpc" for rule in policy["spec"]["ingress"] for p in rule["ports"])
    egress = {peer["podSelector"]["matchLabels"].get("app.kubernetes.io/component")
              for rule in policy["spec"]["egress"] for peer in rule.get("to", []) if "podSelector" in peer} - {None}
    assert egress == {"support", "profile", "vault"}


def test_the_console_ci_values_wire_your_secrets(render: Render) -> None:
    objects = render(CONSOLE_CI)
    assert secrets(objects) == {}
    spec, container = console(objects)
    assert {v["secret"]["secretName"] for v in spec["volumes"] if v["name"] in ("session", "accounts")} == {
        "agents-console-session", "agents-console-accounts"}
    env = env_of(container)
    assert env["SHOPMESH_CONSOLE_ACCOUNTS_FILE"] == f"{ACCOUNTS_DIR}/accounts.yaml"
    assert env["SHOPMESH_CONSOLE_COOKIE_SECURE"] == "true"


@pytest.mark.parametrize("item, needle", [
    ("components.gateway.ingress.enabled=true", "ingress"),
    ("components.vault.sessionSecret.existingSecret=x", "sessionSecret"),
    ("components.console.protocol=https", "protocol"),
    ("components.console.ingress.tls.secret=x", "secret"),
    ("components.console.accounts.existing=x", "existing"),
])
def test_the_schema_keeps_the_console_values_to_the_console(helm: str, item: str, needle: str) -> None:
    result = run_helm(helm, "template", RELEASE, str(CHART), "--set", item)
    assert result.returncode != 0, item
    assert needle in result.stderr, f"{item}: {result.stderr}"


def test_an_ingress_needs_the_http_protocol(helm: str) -> None:
    result = run_helm(helm, "template", RELEASE, str(CHART), "--set", "components.console.ingress.enabled=true",
                      "--set", "components.console.protocol=grpc")
    assert result.returncode != 0 and "protocol to http" in result.stderr


def test_lint_strict_with_the_console_values(helm: str) -> None:
    for sets in [(), ("components.console.ingress.enabled=true",)]:
        args = ["lint", "--strict", str(CHART), "-f", str(CONSOLE_CI)]
        for item in sets:
            args += ["--set", item]
        result = run_helm(helm, *args)
        assert result.returncode == 0, result.stdout + result.stderr


def test_the_mask_matches_only_the_session_key(helm: str) -> None:
    text = template_text(helm)
    assert len(SESSION_KEY_LINE.findall(text)) == 1
    masked = mask_session_key(text)
    assert [a for a, b in zip(text.splitlines(), masked.splitlines(), strict=True) if a != b] == [
        m.group(0) for m in SESSION_KEY_LINE.finditer(text)]
