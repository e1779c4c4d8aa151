"""The chart rendered by the real helm: lint, schema, Kubernetes models, security, scaling, policies, GPU."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes.client import ApiClient

from tests.charts.conftest import CHART, CI_VALUES, REPO_ROOT, Manifest, full_name, of_kind, run_helm

pytestmark = pytest.mark.integration

Render = Callable[..., list[Manifest]]
RENDERINGS = [pytest.param((), id="default"), *[pytest.param((path,), id=path.stem) for path in CI_VALUES]]
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "Job", "Pod")
# Objects of CRDs the kubernetes client has no model for; checked by the tests that create them.
CUSTOM_KINDS = {"Certificate", "ServiceMonitor"}


def model_name(obj: Manifest) -> str:
    """The kubernetes client's model class of an object, e.g. apps/v1 Deployment -> V1Deployment."""
    version = obj["apiVersion"].split("/")[-1]
    return f"{version[0].upper()}{version[1:]}{obj['kind']}"


def pod_spec(obj: Manifest) -> dict[str, Any]:
    spec: dict[str, Any] = obj["spec"] if obj["kind"] == "Pod" else obj["spec"]["template"]["spec"]
    return spec


def enabled_components(values: dict[str, Any]) -> list[str]:
    return sorted(name for name, comp in values["components"].items() if comp["enabled"])


def test_lint_strict(helm: str) -> None:
    """`helm lint --strict` passes with the defaults and with every CI values file."""
    for values in [None, *CI_VALUES]:
        args = ["lint", "--strict", str(CHART), *(["-f", str(values)] if values else [])]
        result = run_helm(helm, *args)
        assert result.returncode == 0, f"helm {' '.join(args)}:\n{result.stdout}{result.stderr}"
        assert "0 chart(s) failed" in result.stdout


@pytest.mark.parametrize("values", RENDERINGS)
def test_every_object_is_a_valid_kubernetes_model(render: Render, values: tuple[Path, ...]) -> None:
    """Each object deserialises into the client's model class and serialises back unchanged, so no field is
    misspelt (the models drop unknown fields) or mistyped (they validate types and required fields)."""
    api = ApiClient()
    objects = render(*values)
    assert objects
    for obj in objects:
        if obj["kind"] in CUSTOM_KINDS:
            continue
        model = api.deserialize(json.dumps(obj), model_name(obj), "application/json")
        assert api.sanitize_for_serialization(model) == obj, f"{obj['kind']}/{obj['metadata']['name']} changed"


@pytest.mark.parametrize("values", RENDERINGS)
def test_containers_have_probes_resources_and_a_locked_down_context(render: Render, values: tuple[Path, ...]) -> None:
    """Every container: requests and a memory limit, non-root, read-only root FS, no capabilities, no privilege
    escalation; every long-running one also readiness and liveness probes; no pod gets an API token."""
    for obj in render(*values):
        if obj["kind"] not in WORKLOAD_KINDS:
            continue
        spec = pod_spec(obj)
        where = f"{obj['kind']}/{obj['metadata']['name']}"
        assert spec["automountServiceAccountToken"] is False, where
        assert spec["enableServiceLinks"] is False, where
        assert spec["securityContext"]["runAsNonRoot"] is True, where
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, where
        for container in spec["containers"] + spec.get("initContainers", []):
            ctx = container["securityContext"]
            assert ctx["runAsNonRoot"] is True, where
            assert ctx["readOnlyRootFilesystem"] is True, where
            assert ctx["allowPrivilegeEscalation"] is False, where
            assert ctx["capabilities"] == {"drop": ["ALL"]}, where
            assert container["resources"]["requests"]["cpu"], where
            assert container["resources"]["limits"]["memory"], where
        if obj["kind"] in ("Deployment", "StatefulSet"):
            for container in spec["containers"]:
                assert container["readinessProbe"] and container["livenessProbe"], where


def test_python_services_probe_natively_over_grpc_on_the_health_port(render: Render) -> None:
    """The kubelet's gRPC probes hit the plaintext health port (never the mTLS port); a startupProbe holds
    liveness off while a service loads."""
    for name, deployment in of_kind(render(), "Deployment").items():
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert container["startupProbe"], name
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            if name == "triton":
                assert container[probe]["httpGet"]["port"] == "http", name
                assert container[probe]["httpGet"]["path"].startswith("/v2/health/"), name
            else:
                assert container[probe]["grpc"] == {"port": ports["health"]}, name
                assert ports["health"] != container["ports"][0]["containerPort"], name


@pytest.mark.parametrize("values", RENDERINGS)
def test_every_component_has_its_objects(render: Render, chart_values: dict[str, Any],
                                         values: tuple[Path, ...]) -> None:
    """Each enabled component: Deployment, Service (main port named by its protocol: grpc, the console's http),
    ServiceAccount, PDB; an HPA exactly
    when autoscaling is on (and then no fixed replicas); a NetworkPolicy exactly when policies are on."""
    effective = chart_values
    for file in values:
        effective = merge(effective, yaml.safe_load(file.read_text()))
    objects = render(*values)
    components = enabled_components(effective)
    autoscaled = {n for n in components if {**effective["default"]["autoscaling"],
                                            **effective["components"][n].get("autoscaling", {})}["enabled"]}
    datastores = {"postgresql", "redis"}  # in-cluster StatefulSets' Services, not components
    for kind in ("Deployment", "Service", "ServiceAccount", "PodDisruptionBudget"):
        assert sorted(set(of_kind(objects, kind)) - datastores) == components, kind
    assert sorted(of_kind(objects, "HorizontalPodAutoscaler")) == sorted(autoscaled)
    for name, deployment in of_kind(objects, "Deployment").items():
        assert ("replicas" in deployment["spec"]) == (name not in autoscaled), name
    for name, service in of_kind(objects, "Service").items():
        if name in components:
            protocol = {**effective["default"], **effective["components"][name]}["protocol"]
            assert protocol == ("http" if name == "console" else "grpc"), name
            assert service["spec"]["ports"][0]["name"] == protocol, name
            assert service["spec"]["ports"][0]["appProtocol"] == protocol, name
    policies = sorted(n for n in of_kind(objects, "NetworkPolicy") if n in components)
    assert policies == (components if effective["networkPolicy"]["enabled"] else [])


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Helm's values merge, for predicting a rendering from values files."""
    out = dict(base)
    for key, value in override.items():
        out[key] = merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def test_headless_services_where_clients_round_robin(render: Render) -> None:
    """Mesh services are headless (the kit's dns:/// channels balance with round_robin over pod IPs); the
    gateway (one address for the BFF), Triton (tritonclient pins one connection) and the console (an ingress or
    load balancer in front) get a ClusterIP."""
    for name, service in of_kind(render(), "Service").items():
        if name in ("gateway", "triton", "console"):
            assert service["spec"].get("clusterIP") != "None", name
        else:
            assert service["spec"]["clusterIP"] == "None", name


def test_autoscaling_targets_cpu_for_python_and_queue_time_for_triton(render: Render) -> None:
    hpas = of_kind(render(REPO_ROOT / "charts/shopmesh/ci/autoscaling-on.yaml"), "HorizontalPodAutoscaler")
    for name, hpa in hpas.items():
        metrics = hpa["spec"]["metrics"]
        assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": full_name(name)}
        if name == "triton":
            assert [m["type"] for m in metrics] == ["Pods"]
            assert "queue" in metrics[0]["pods"]["metric"]["name"]
        else:
            assert metrics == [{"type": "Resource", "resource": {"name": "cpu", "target": {
                "type": "Utilization", "averageUtilization": 70}}}], name
        assert hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
    assert hpas["gateway"]["spec"]["minReplicas"] == 3


def gpu_requests(objects: list[Manifest]) -> dict[str, Any]:
    """Containers asking for nvidia.com/gpu, by Deployment."""
    asked = {}
    for name, deployment in of_kind(objects, "Deployment").items():
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            resources = container["resources"]
            if "nvidia.com/gpu" in resources.get("limits", {}) or "nvidia.com/gpu" in resources.get("requests", {}):
                asked[name] = resources
    return asked


def test_triton_requests_a_gpu_only_when_asked(render: Render) -> None:
    for values in [(), (REPO_ROOT / "charts/shopmesh/ci/gpu-off.yaml",)]:
        objects = render(*values)
        assert gpu_requests(objects) == {}
        triton = of_kind(objects, "Deployment")["triton"]["spec"]["template"]["spec"]
        assert "--model-repository=/models/triton-cpu" in triton["containers"][0]["args"]
        assert "nodeSelector" not in triton and "tolerations" not in triton
    objects = render(REPO_ROOT / "charts/shopmesh/ci/gpu-on.yaml")
    asked = gpu_requests(objects)
    assert list(asked) == ["triton"]
    assert asked["triton"]["limits"]["nvidia.com/gpu"] == asked["triton"]["requests"]["nvidia.com/gpu"] == "1"
    triton = of_kind(objects, "Deployment")["triton"]["spec"]["template"]["spec"]
    assert "--model-repository=/models/triton-gpu" in triton["containers"][0]["args"]
    assert "--allow-gpu-metrics=true" in triton["containers"][0]["args"]
    assert triton["nodeSelector"] == {"nvidia.com/gpu.present": "true"}
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in triton["tolerations"]


def test_model_repository_from_an_image_or_a_volume(render: Render) -> None:
    """source=image: an init container copies the models image into an emptyDir; source=volume: the PVC,
    read-only. Both reach Triton and the embedding service (which reads tokenizers and manifests)."""
    for values, volume_kind in [((), "emptyDir"), ((REPO_ROOT / "charts/shopmesh/ci/gpu-off.yaml",),
                                                    "persistentVolumeClaim")]:
        deployments = of_kind(render(*values), "Deployment")
        for name in ("triton", "embedding"):
            spec = deployments[name]["spec"]["template"]["spec"]
            models = next(v for v in spec["volumes"] if v["name"] == "models")
            assert volume_kind in models, name
            inits = spec.get("initContainers", [])
            assert [i["image"] for i in inits] == (["shopmesh/models:0.1.0"] if volume_kind == "emptyDir" else [])
            mount = next(m for m in spec["containers"][0]["volumeMounts"] if m["name"] == "models")
            # Only Triton's own copy is writable (TensorRT's engine cache); a shared volume never is.
            writable = name == "triton" and volume_kind == "emptyDir"
            assert mount == {"name": "models", "mountPath": "/models", "readOnly": not writable}


def ingress_sources(policy: Manifest, port: str) -> list[Any] | None:
    """`from` of the rule admitting a named port (None: any source); fails when no rule admits it."""
    for rule in policy["spec"]["ingress"]:
        if any(p["port"] == port for p in rule["ports"]):
            return rule.get("from")
    raise AssertionError(f"{policy['metadata']['name']}: nothing admits port {port}")


def components_in(peers: list[Any]) -> set[str]:
    return {p["podSelector"]["matchLabels"]["app.kubernetes.io/component"] for p in peers}


def vault_policy_callers() -> set[str]:
    """Every identity services/vault/policy.yaml grants anything to."""
    policy = yaml.safe_load((REPO_ROOT / "services/vault/policy.yaml").read_text())
    return {rule["caller"] for rule in policy["rules"]} | set(policy.get("admins", []))


def test_vault_admits_exactly_the_callers_its_policy_names(render: Render, chart_values: dict[str, Any]) -> None:
    """Of the mesh's components, exactly those the vault's policy grants reach its gRPC port; identities
    that are not components (ops, cli: people with admin certificates) reach it by port-forward only."""
    policy = of_kind(render(REPO_ROOT / "charts/shopmesh/ci/networkpolicy-on.yaml"), "NetworkPolicy")["vault"]
    expected = vault_policy_callers() & set(enabled_components(chart_values))
    assert expected == {"console", "gateway", "profile", "support"}
    assert components_in(ingress_sources(policy, "grpc") or []) == expected


def test_each_service_admits_only_its_declared_callers(render: Render, chart_values: dict[str, Any]) -> None:
    policies = of_kind(render(REPO_ROOT / "charts/shopmesh/ci/networkpolicy-on.yaml"), "NetworkPolicy")
    components = chart_values["components"]
    for name in enabled_components(chart_values):
        policy = policies[name]
        assert policy["spec"]["policyTypes"] == ["Ingress", "Egress"]
        callers = {c for c in components if name in components[c].get("dependsOn", {})}
        sources = ingress_sources(policy, "grpc") if callers or name == "gateway" else None
        if name == "gateway":
            assert sources is None, "the gateway is the public API"
        elif callers:
            assert components_in(sources or []) == callers, name
        else:
            assert all(all(p["port"] != "grpc" for p in r["ports"]) for r in policy["spec"]["ingress"]), name
        health = "http" if name == "triton" else "health"
        assert ingress_sources(policy, health) == [{"ipBlock": {"cidr": "10.0.0.0/16"}}], name
        assert ingress_sources(policy, "metrics") == chart_values["networkPolicy"]["metricsFrom"], name
    assert components_in(ingress_sources(policies["triton"], "grpc") or []) == {"embedding"}


def test_egress_is_dns_dependencies_and_datastores_only(render: Render, chart_values: dict[str, Any]) -> None:
    policies = of_kind(render(REPO_ROOT / "charts/shopmesh/ci/datastores-external.yaml"), "NetworkPolicy")
    components = chart_values["components"]
    for name in enabled_components(chart_values):
        egress = policies[name]["spec"]["egress"]
        assert egress[0]["ports"] == [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]
        assert egress[0]["to"] == chart_values["networkPolicy"]["dnsPeers"]
        peers = [r for r in egress[1:] if "podSelector" in r["to"][0]]
        assert components_in([r["to"][0] for r in peers]) == set(components[name].get("dependsOn", {})), name
        external = {r["ports"][0]["port"]: r["to"] for r in egress[1:] if "ipBlock" in r["to"][0]}
        stores = components[name].get("datastores", {})
        assert set(external) == {p for s, p in (("postgresql", 5432), ("redis", 6380)) if s in stores}, name
        if "redis" in stores:
            assert external[6380] == [{"ipBlock": {"cidr": "10.20.1.0/28"}}]
    triton_port = {r["ports"][0]["port"] for r in policies["embedding"]["spec"]["egress"][1:]}
    assert triton_port == {8001}


def test_no_secret_material_by_default(render: Render) -> None:
    """The default install renders one Secret, the console's random session key (kept across upgrades); every
    other Secret is one you create (or cert-manager issues) and the chart only names."""
    assert [o["metadata"]["name"] for o in render() if o["kind"] == "Secret"] == [full_name("console-session")]
    rendered = "\n".join(yaml.safe_dump(o) for o in render())
    assert "PRIVATE KEY" not in rendered and "password" not in rendered.lower()


def test_secrets_reach_only_the_pods_that_need_them(render: Render) -> None:
    """Each pod mounts the CA and its own certificate pair only; only the gateway gets the signing key; only
    the vault the KEKs (the whole Secret as a folder, so a new kek-<N> appears without a restart)."""
    deployments = of_kind(render(), "Deployment")
    for name, deployment in deployments.items():
        if name == "triton":
            continue
        volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
        items = [i["path"] for i in volumes["mesh-tls"]["secret"]["items"]]
        assert items == ["ca.pem", f"{name}.pem", f"{name}.key"], name
        secrets = [(v["secret"]["secretName"], v["secret"].get("items")) for v in volumes.values() if "secret" in v]
        public = [{"key": "user-context.pub", "path": "user-context.pub"}]
        assert ("shopmesh-user-context", public) in secrets, name
        signing = ("shopmesh-user-context", [{"key": "user-context.key", "path": "user-context.key"}])
        assert (signing in secrets) == (name == "gateway"), name
        assert (("shopmesh-vault-keys", None) in secrets) == (name == "vault"), name
        # Whole Secrets only where every key is meant for the pod: KEKs in the vault, JWT public keys in the gateway.
        whole = {secret for secret, items in secrets if not items}
        assert whole <= {"shopmesh-vault-keys", "shopmesh-jwt"}, name
        assert ("shopmesh-jwt" in whole) == (name == "gateway"), name


def test_cert_manager_issues_each_identity(render: Render) -> None:
    objects = render(REPO_ROOT / "charts/shopmesh/ci/cert-manager.yaml")
    certificates = {o["spec"]["commonName"]: o for o in objects if o["kind"] == "Certificate"}
    python = sorted(n for n, d in of_kind(objects, "Deployment").items() if n != "triton")
    assert sorted(certificates) == sorted([*python, "helm-test"])
    for name, cert in certificates.items():
        assert cert["spec"]["uris"] == [f"spiffe://shopmesh/{name}"]
        assert cert["spec"]["issuerRef"] == {"name": "shopmesh-mesh-ca", "kind": "ClusterIssuer",
                                             "group": "cert-manager.io"}
        assert {"server auth", "client auth"} <= set(cert["spec"]["usages"])
    for name in python:
        spec = of_kind(objects, "Deployment")[name]["spec"]["template"]["spec"]
        tls = next(v for v in spec["volumes"] if v["name"] == "mesh-tls")["secret"]
        assert tls["secretName"] == certificates[name]["spec"]["secretName"]
        assert tls["items"] == [{"key": "ca.crt", "path": "ca.pem"}, {"key": "tls.crt", "path": f"{name}.pem"},
                                {"key": "tls.key", "path": f"{name}.key"}]
        assert spec["containers"][0]["image"] == f"registry.example.com/shopmesh/{name}:0.1.0-rc1"
        assert spec["imagePullSecrets"] == [{"name": "registry-credentials"}]
    monitors = {o["metadata"]["labels"]["app.kubernetes.io/component"]
                for o in objects if o["kind"] == "ServiceMonitor"}
    assert monitors == set(of_kind(objects, "Deployment"))


def secret_refs(objects: list[Manifest]) -> set[tuple[str, str]]:
    """(Secret, key) pairs the Deployments' env reads."""
    refs = set()
    for deployment in of_kind(objects, "Deployment").values():
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            for env in container.get("env", []):
                if "valueFrom" in env:
                    ref = env["valueFrom"]["secretKeyRef"]
                    refs.add((ref["name"], ref["key"]))
    return refs


def test_external_datastores_come_from_your_secrets(render: Render) -> None:
    objects = render(REPO_ROOT / "charts/shopmesh/ci/datastores-external.yaml")
    assert not [o for o in objects if o["kind"] == "StatefulSet"]
    assert [o["metadata"]["name"] for o in objects if o["kind"] == "Secret"] == [full_name("console-session")]
    assert secret_refs(objects) == {("shop-postgresql-dsns", "profile"), ("shop-postgresql-dsns", "vault"),
                                    ("shop-postgresql-dsns", "vault_keystore"), ("shop-redis-urls", "gateway"),
                                    ("shop-redis-urls", "profile"), ("shop-redis-urls", "support")}


def test_in_cluster_datastores_serve_every_key_components_read(render: Render) -> None:
    """The generated Secrets hold a DSN/URL for exactly the keys the services read, one database each."""
    objects = render(REPO_ROOT / "charts/shopmesh/ci/datastores-in-cluster.yaml")
    assert sorted(of_kind(objects, "StatefulSet")) == ["postgresql", "redis"]
    secrets = {name: s for name, s in of_kind(objects, "Secret").items() if name in ("postgresql", "redis")}
    served = {(s["metadata"]["name"], key) for s in secrets.values() for key in s["stringData"] if key != "password"}
    assert served == secret_refs(objects)
    pg = secrets["postgresql"]["stringData"]
    assert pg["vault"].endswith("@shopmesh-postgresql:5432/vault") and pg["vault"].startswith("postgresql://shopmesh:")
    init = of_kind(objects, "ConfigMap")["postgresql"]["data"]["databases.sql"]
    assert init.split() == ["CREATE", "DATABASE", "profile;", "CREATE", "DATABASE", "vault;",
                            "CREATE", "DATABASE", "vault_keystore;"]
    assert secrets["redis"]["stringData"]["profile"].startswith("redis://:")
    policy = of_kind(objects, "NetworkPolicy")["postgresql"]
    assert components_in(policy["spec"]["ingress"][0]["from"]) == {"profile", "profile-migrations", "vault",
                                                                    "vault-migrations"}
    assert policy["spec"]["egress"] == []


def test_schema_rejects_misspelt_keys_and_wrong_types(helm: str) -> None:
    for item, needle in [("components.vault.replcas=2", "replcas"), ("defualt.replicas=2", "defualt"),
                         ("networkPolicy.enable=true", "enable"), ("components.triton.gpu.enabled=yes", "gpu"),
                         ("modelRepository.source=s3", "source")]:
        result = run_helm(helm, "template", "shopmesh", str(CHART), "--set", item)
        assert result.returncode != 0, item
        assert needle in result.stderr, f"{item}: {result.stderr}"
    ok = run_helm(helm, "template", "shopmesh", str(CHART), "--set", "components.vault.replicas=2")
    assert ok.returncode == 0, ok.stderr


def test_a_component_can_turn_a_default_off(render: Render) -> None:
    """`false` in a component's block wins over `true` in default (Sprig's merge would drop it)."""
    objects = render(sets=("components.ranking.podDisruptionBudget.enabled=false",
                           "components.ranking.topologySpread=false"))
    assert "ranking" not in of_kind(objects, "PodDisruptionBudget")
    assert "vault" in of_kind(objects, "PodDisruptionBudget")
    ranking = of_kind(objects, "Deployment")["ranking"]["spec"]["template"]["spec"]
    assert "topologySpreadConstraints" not in ranking


def test_migrations_run_as_hooks_with_the_services_settings(render: Render) -> None:
    objects = render()
    jobs = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Job"}
    assert sorted(jobs) == ["shopmesh-profile-migrations", "shopmesh-vault-migrations"]
    deployments = of_kind(objects, "Deployment")
    for name in ("profile", "vault"):
        job = jobs[f"shopmesh-{name}-migrations"]
        assert job["metadata"]["annotations"]["helm.sh/hook"] == "post-install,pre-upgrade"
        container = job["spec"]["template"]["spec"]["containers"][0]
        service = deployments[name]["spec"]["template"]["spec"]["containers"][0]
        assert container["env"] == service["env"]
        assert container["image"] == service["image"]
        assert container["command"][:2] == ["python", "-c"]


def test_migration_commands_are_valid_python_against_the_real_modules() -> None:
    """The hook's one-liners compile and name functions that exist (they cannot run without PostgreSQL)."""
    import importlib

    values = yaml.safe_load((CHART / "values.yaml").read_text())
    for name in ("profile", "vault"):
        code = values["components"][name]["migrations"]["command"][2]
        compile(code, f"{name}-migrations", "exec")
        for statement in (part.strip() for part in code.split(";")):
            if statement.startswith("from "):
                module, names = statement.removeprefix("from ").split(" import ")
                imported = importlib.import_module(module)
                for item in names.split(","):
                    assert hasattr(imported, item.split(" as ")[0].strip()), (module, item)


def test_helm_test_pod_checks_the_gateway(render: Render) -> None:
    objects = render()
    pods = [o for o in objects if o["kind"] == "Pod"]
    assert len(pods) == 1
    pod = pods[0]
    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    env = {e["name"]: e["value"] for e in pod["spec"]["containers"][0]["env"]}
    gateway = of_kind(objects, "Service")["gateway"]
    ports = {p["name"]: p["port"] for p in gateway["spec"]["ports"]}
    assert env["GATEWAY_HOST"] == gateway["metadata"]["name"]
    assert int(env["GATEWAY_PORT"]) == ports["grpc"]
    script = of_kind(objects, "ConfigMap")["helm-test"]["data"]["helm-test.py"]
    assert script == (CHART / "files/helm-test.py").read_text()
    compile(script, "helm-test.py", "exec")
    assert "GetHomeFeed" in script and "HealthCheckRequest" in script


def test_extra_policy_rules_are_appended(render: Render, tmp_path: Path) -> None:
    """A component's extraIngress/extraEgress add to its policy (e.g. an ingress controller to the console)."""
    ingress = {"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}],
               "ports": [{"port": "grpc", "protocol": "TCP"}]}
    egress = {"to": [{"ipBlock": {"cidr": "10.30.0.0/16"}}], "ports": [{"port": 443, "protocol": "TCP"}]}
    values = tmp_path / "extra.yaml"
    values.write_text(yaml.safe_dump({"networkPolicy": {"enabled": True}, "components": {
        "console": {"extraIngress": [ingress]}, "retrieval": {"extraEgress": [egress]}}}))
    policies = of_kind(render(values), "NetworkPolicy")
    assert policies["console"]["spec"]["ingress"][-1] == ingress
    assert policies["retrieval"]["spec"]["egress"][-1] == egress
    assert ingress not in policies["gateway"]["spec"]["ingress"]


def test_packaged_chart_renders_the_same(helm: str, tmp_path: Path) -> None:
    """`helm package` keeps everything the templates read (e.g. files/helm-test.py), so the .tgz a registry
    serves renders exactly as the folder does."""
    from tests.charts.conftest import NAMESPACE, RELEASE, mask_session_key, template_text

    packaged = run_helm(helm, "package", str(CHART), "--destination", str(tmp_path))
    assert packaged.returncode == 0, packaged.stderr
    archive = next(tmp_path.glob("shopmesh-*.tgz"))
    result = run_helm(helm, "template", RELEASE, str(archive), "--namespace", NAMESPACE)
    assert result.returncode == 0, result.stderr
    # The console's session key is drawn anew by each rendering.
    assert mask_session_key(result.stdout) == mask_session_key(template_text(helm))
