"""`shopmesh up` and `shopmesh status`: run the whole mesh locally and look at it."""

from __future__ import annotations

import argparse
import os
import signal
import threading
from pathlib import Path

from shopmesh import paths
from shopmesh.mesh import MESH, ServiceSpec, Supervisor, available_services, check_health, read_state, summarize_log


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds `up` and `status`."""
    up = subparsers.add_parser(
        "up", help="start every service of the mesh locally, each in its own process",
        description="Starts every installed service (embedded defaults), waits until each is healthy, prints "
        "the gateway address and a log summary, and stops them all on Ctrl-C or SIGTERM.",
    )
    up.add_argument("--services", default=None, help="comma-separated subset (default: every installed service)")
    up.add_argument("--with", dest="extra", action="append", default=[], metavar="NAME=MODULE",
                    help="also run `python -m MODULE` as service NAME (repeatable)")
    up.add_argument("--plaintext", action="store_true", help="no mTLS between services (not for production)")
    up.add_argument("--otlp-endpoint", default="", metavar="HOST:PORT",
                    help="send every service's OpenTelemetry spans to this collector (OTLP/gRPC); default: off")
    up.add_argument("--timeout", type=float, default=180.0, help="seconds to wait for health")
    up.set_defaults(handler=run_up)
    status = subparsers.add_parser("status", help="health and address of each service of a running mesh")
    status.set_defaults(handler=run_status)


def _select(args: argparse.Namespace) -> list[ServiceSpec]:
    chosen = available_services()
    if args.services is not None:
        wanted = {name.strip() for name in args.services.split(",") if name.strip()}
        unknown = wanted - {spec.name for spec in MESH}
        if unknown:
            raise SystemExit(f"unknown service(s): {', '.join(sorted(unknown))}")
        chosen = [spec for spec in chosen if spec.name in wanted]
    for item in args.extra:
        name, _, module = item.partition("=")
        if not name or not module:
            raise SystemExit(f"--with expects NAME=MODULE, got {item!r}")
        chosen.append(ServiceSpec(name, module))
    return chosen


def print_table(supervisor: Supervisor) -> None:
    """The services, their addresses and start times."""
    print(f"{'service':<12} {'address':<18} {'health':<9} {'pid':>7}  start")
    for service in supervisor.running:
        health = "SERVING" if service.healthy else "starting"
        print(f"{service.name:<12} 127.0.0.1:{service.port:<8} {health:<9} {service.pid:>7}  {service.started_s}s")


def print_log_summary(supervisor: Supervisor) -> None:
    """Log lines by level per service, with the last errors."""
    print("logs:")
    for service in supervisor.running:
        summary = summarize_log(Path(service.log_file))
        print(f"  {service.name:<12} {summary.get('by_level', {})}  ({service.log_file})")
        errors = summary.get("last_errors") or []
        assert isinstance(errors, list)
        for error in errors:
            print(f"      error: {error}")


def _console_login() -> str:
    """How to sign in to the local console: a `demo` agent is created on first start (see ensure_demo_agent)."""
    from services.console.accounts import DEMO_AGENT, ensure_demo_agent

    accounts = Path(os.environ.get("SHOPMESH_CONSOLE_ACCOUNTS_FILE") or paths.home() / "console" / "accounts.yaml")
    password_file = ensure_demo_agent(accounts)
    if password_file is None:
        return f"(agents in {accounts}; add one with `shopmesh console add-agent`)"
    return f"(agent `{DEMO_AGENT}`, password in {password_file})"


def run_up(args: argparse.Namespace) -> int:
    """Starts the mesh, prints where it is, and supervises it until Ctrl-C/SIGTERM."""
    services = _select(args)
    if not services:
        print("no services are installed yet: nothing to start")
        return 0
    supervisor = Supervisor(services, paths.home(), plaintext=args.plaintext, otlp_endpoint=args.otlp_endpoint)
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        print(f"starting {len(services)} service(s): {', '.join(spec.name for spec in services)}", flush=True)
        console_login = _console_login() if any(spec.name == "console" for spec in services) else ""
        supervisor.start(timeout_s=args.timeout)
        print_table(supervisor)
        gateway = next((s for s in supervisor.running if s.name == "gateway"), None)
        if gateway is not None:
            print(f"gateway: 127.0.0.1:{gateway.port} (mTLS={'off' if args.plaintext else 'on'})")
        console = next((s for s in supervisor.running if s.name == "console"), None)
        if console is not None:
            print(f"agents' console: http://127.0.0.1:{console.port}/ {console_login}")
        print_log_summary(supervisor)
        print("mesh is up; Ctrl-C stops it", flush=True)
        while not stop.wait(1.0):
            exited = supervisor.exited()
            if exited:
                print(f"service exited: {exited}; stopping the mesh", flush=True)
                return 1
        return 0
    except RuntimeError as exc:
        print(f"mesh failed to start: {exc}", flush=True)
        print_log_summary(supervisor)
        for name, _code in supervisor.exited():
            log_file = Path(next(s.log_file for s in supervisor.running if s.name == name))
            print(f"last lines of {name}'s log:\n" + "\n".join(log_file.read_text(errors="replace").splitlines()[-15:]))
        return 1
    finally:
        print("stopping the mesh ...", flush=True)
        supervisor.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        print("mesh stopped", flush=True)


def run_status(args: argparse.Namespace) -> int:
    """Prints each running service's health, read live from its plaintext health port."""
    state = read_state(paths.run_dir())
    if state is None:
        print("no mesh is running (start one with `shopmesh up`)")
        return 1
    services = state.get("services", [])
    assert isinstance(services, list)
    print(f"{'service':<12} {'address':<18} {'health':<12} {'pid':>7}")
    worst = 0
    for service in services:
        health = check_health(int(service["health_port"]))
        worst = worst or int(health != "SERVING")
        print(f"{service['name']:<12} 127.0.0.1:{service['port']:<8} {health:<12} {service['pid']:>7}")
    return worst
