"""`shopmesh k8s status`: each component of a Helm release, as the Kubernetes API reports it.

Reads the release's Deployments (apps/v1) and HorizontalPodAutoscalers (autoscaling/v2) by the chart's labels
(`app.kubernetes.io/instance=<release>,app.kubernetes.io/part-of=shopmesh`), one row per component (the
`app.kubernetes.io/component` label): ready/desired, updated and available replicas, and its HPA's
current/desired replicas and each metric's current value against its target. Exit code 0 when every
component is ready, 1 when one is not, 2 when the release has no Deployment or the API cannot be reached.
Needs the `kubernetes` client (`pip install 'shopmesh[k8s]'`) and read access to both kinds in the namespace.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass, field
from typing import Any

EXAMPLES = """examples:
  shopmesh k8s status --release shopmesh --namespace shopmesh
  shopmesh k8s status -r shop -n prod --context gke-prod --json | jq '.components[] | select(.ready | not)'
  until shopmesh k8s status -r shop -n prod; do sleep 10; done   # after helm upgrade, wait for every component
"""


def add_parser(subparsers: Any) -> None:
    """Adds `k8s status`."""
    group = subparsers.add_parser("k8s", help="inspect a shopmesh release on Kubernetes")
    commands = group.add_subparsers(dest="k8s_command", required=True, metavar="SUBCOMMAND")
    status = commands.add_parser(
        "status", help="readiness, replicas and HPA state of each component of a release",
        description="Lists the release's Deployments and autoscaling/v2 HPAs by the chart's labels and prints, per "
        "component, ready/desired, updated and available replicas, and the HPA's replicas and metrics (current "
        "vs target; Triton's is its queue time). Exit 0: every component ready; 1: one is not; 2: nothing found "
        "or the API failed.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    status.add_argument("-r", "--release", default="shopmesh", help="Helm release name (default shopmesh)")
    status.add_argument("-n", "--namespace", default=None,
                        help="namespace (default: the kubeconfig context's, else 'default')")
    status.add_argument("--kubeconfig", default=None, help="kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
    status.add_argument("--context", default=None, help="kubeconfig context (default: the current one)")
    status.add_argument("--in-cluster", action="store_true", help="use the pod's service account instead")
    status.add_argument("--json", action="store_true", help="print one JSON document instead of a table")
    status.set_defaults(handler=run_status)


@dataclass
class Metric:
    """One HPA metric: what it measures, its current value (None: not reported yet) and its target."""

    name: str
    current: str | None
    target: str


@dataclass
class Autoscaler:
    """An HPA's state."""

    name: str
    min_replicas: int
    max_replicas: int
    current_replicas: int
    desired_replicas: int
    metrics: list[Metric] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass
class Component:
    """One component of the release: its Deployment's replicas and, when it has one, its HPA."""

    component: str
    deployment: str
    desired: int
    ready_replicas: int
    updated: int
    available: int
    ready: bool
    reason: str
    hpa: Autoscaler | None = None


def selector(release: str) -> str:
    """The label selector of a release's objects (the chart's shopmesh.labels)."""
    return f"app.kubernetes.io/instance={release},app.kubernetes.io/part-of=shopmesh"


def _component(obj: Any) -> str:
    labels = obj.metadata.labels or {}
    return str(labels.get("app.kubernetes.io/component", obj.metadata.name))


def deployment_status(dep: Any) -> Component:
    """A Deployment's readiness: every desired replica ready, updated to the current template and available,
    and the controller has seen the latest spec (a rollout in progress is not ready)."""
    spec, status = dep.spec, dep.status
    desired = 1 if spec.replicas is None else int(spec.replicas)
    ready_n = int(status.ready_replicas or 0) if status else 0
    updated = int(status.updated_replicas or 0) if status else 0
    available = int(status.available_replicas or 0) if status else 0
    observed = int(status.observed_generation or 0) if status else 0
    reasons = []
    if observed < int(dep.metadata.generation or 0):
        reasons.append("rollout not observed yet")
    if ready_n < desired:
        reasons.append(f"{desired - ready_n} of {desired} not ready")
    if updated < desired:
        reasons.append(f"{desired - updated} not updated")
    if available < desired:
        reasons.append(f"{desired - available} not available")
    for cond in (status.conditions or []) if status else []:
        if cond.type == "Progressing" and cond.reason == "ProgressDeadlineExceeded":
            reasons.append("progress deadline exceeded")
        if cond.type == "ReplicaFailure" and cond.status == "True":
            reasons.append(f"replica failure: {cond.message or cond.reason}")
    return Component(component=_component(dep), deployment=dep.metadata.name, desired=desired,
                     ready_replicas=ready_n, updated=updated, available=available, ready=not reasons,
                     reason="; ".join(reasons) or "ready")


def _quantity(target: Any) -> str:
    """A MetricTarget or MetricValueStatus as text: 70%, 5000 (average) or 12 (value)."""
    if target is None:
        return "?"
    if getattr(target, "average_utilization", None) is not None:
        return f"{target.average_utilization}%"
    if getattr(target, "average_value", None) is not None:
        return str(target.average_value)
    if getattr(target, "value", None) is not None:
        return str(target.value)
    return "?"


def _metric_key(metric: Any) -> tuple[str, str]:
    """(type, name) of a MetricSpec or MetricStatus, to pair a target with its current value."""
    kind = metric.type
    source = {"Resource": metric.resource, "ContainerResource": metric.container_resource, "Pods": metric.pods,
              "Object": metric.object, "External": metric.external}.get(kind)
    if source is None:
        return kind, ""
    name = source.name if kind in ("Resource", "ContainerResource") else source.metric.name
    return kind, str(name)


def hpa_status(hpa: Any) -> Autoscaler:
    """An HPA's replicas, each metric's current value against its target, and the conditions that hold it back."""
    spec, status = hpa.spec, hpa.status
    current = {_metric_key(m): m for m in (status.current_metrics or [])}
    metrics = []
    for m in spec.metrics or []:
        kind, name = _metric_key(m)
        source = {"Resource": m.resource, "ContainerResource": m.container_resource, "Pods": m.pods,
                  "Object": m.object, "External": m.external}[kind]
        now = current.get((kind, name))
        now_source = None if now is None else {
            "Resource": now.resource, "ContainerResource": now.container_resource, "Pods": now.pods,
            "Object": now.object, "External": now.external}[kind]
        metrics.append(Metric(name=f"{kind.lower()}/{name}",
                              current=None if now_source is None else _quantity(now_source.current),
                              target=_quantity(source.target)))
    problems = [f"{c.type}={c.status}: {c.reason}" for c in (status.conditions or [])
                if c.type in ("AbleToScale", "ScalingActive") and c.status != "True"]
    return Autoscaler(name=hpa.metadata.name, min_replicas=int(spec.min_replicas or 1),
                      max_replicas=int(spec.max_replicas), current_replicas=int(status.current_replicas or 0),
                      desired_replicas=int(status.desired_replicas or 0), metrics=metrics, problems=problems)


def collect(apps: Any, autoscaling: Any, namespace: str, release: str) -> list[Component]:
    """The release's components, sorted, each with its HPA (matched by the HPA's scale target)."""
    labels = selector(release)
    deployments = apps.list_namespaced_deployment(namespace, label_selector=labels).items
    hpas = autoscaling.list_namespaced_horizontal_pod_autoscaler(namespace, label_selector=labels).items
    by_target = {h.spec.scale_target_ref.name: h for h in hpas if h.spec.scale_target_ref.kind == "Deployment"}
    components = []
    for dep in deployments:
        row = deployment_status(dep)
        if dep.metadata.name in by_target:
            row.hpa = hpa_status(by_target[dep.metadata.name])
        components.append(row)
    return sorted(components, key=lambda c: c.component)


def render_table(components: list[Component]) -> str:
    """One line per component, then an indented line per HPA."""
    head = f"{'COMPONENT':<14} {'READY':>7} {'UPDATED':>7} {'AVAIL':>5}  {'HPA (cur/desired, min-max)':<28} METRICS"
    lines = [head]
    for c in components:
        hpa, metrics = "-", ""
        if c.hpa is not None:
            hpa = f"{c.hpa.current_replicas}/{c.hpa.desired_replicas} ({c.hpa.min_replicas}-{c.hpa.max_replicas})"
            metrics = ", ".join(f"{m.name} {m.current or '<unknown>'}/{m.target}" for m in c.hpa.metrics)
        lines.append(f"{c.component:<14} {f'{c.ready_replicas}/{c.desired}':>7} {c.updated:>7} {c.available:>5}  "
                     f"{hpa:<28} {metrics}".rstrip())
        if not c.ready:
            lines.append(f"  not ready: {c.reason}")
        if c.hpa is not None and c.hpa.problems:
            lines.append(f"  hpa: {'; '.join(c.hpa.problems)}")
    return "\n".join(lines)


def _apis(args: argparse.Namespace) -> tuple[Any, Any, str]:
    from kubernetes import client, config

    namespace = args.namespace
    if args.in_cluster:
        config.load_incluster_config()
    else:
        config.load_kube_config(config_file=args.kubeconfig, context=args.context)
        if namespace is None:
            _, active = config.list_kube_config_contexts(config_file=args.kubeconfig)
            if args.context:
                contexts, _ = config.list_kube_config_contexts(config_file=args.kubeconfig)
                active = next((c for c in contexts if c["name"] == args.context), active)
            namespace = (active or {}).get("context", {}).get("namespace")
    return client.AppsV1Api(), client.AutoscalingV2Api(), namespace or "default"


def run_status(args: argparse.Namespace, apis: tuple[Any, Any, str] | None = None) -> int:
    """Handler of `shopmesh k8s status` (apis: AppsV1Api, AutoscalingV2Api and namespace, for callers that
    built their own client)."""
    try:
        from kubernetes.client.exceptions import ApiException
    except ImportError:
        print("error: the kubernetes client is not installed (pip install 'shopmesh[k8s]')", file=sys.stderr)
        return 2
    try:
        apps, autoscaling, namespace = apis or _apis(args)
        components = collect(apps, autoscaling, namespace, args.release)
    except ApiException as exc:
        print(f"error: Kubernetes API: {exc.status} {exc.reason}", file=sys.stderr)
        return 2
    except Exception as exc:  # config and connection errors come in many types
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    if not components:
        print(f"error: no Deployment of release {args.release!r} in namespace {namespace!r} "
              f"(selector {selector(args.release)})", file=sys.stderr)
        return 2
    ready = all(c.ready for c in components)
    if args.json:
        print(json.dumps({"release": args.release, "namespace": namespace, "ready": ready,
                          "components": [asdict(c) for c in components]}, indent=2))
    else:
        print(render_table(components))
    return 0 if ready else 1
