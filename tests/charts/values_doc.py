"""The chart README's values table, generated from the `# --` comments of values.yaml (helm-docs' convention).

`python -m tests.charts.values_doc --write` rewrites the table in charts/shopmesh/README.md; the tests fail
when it is stale or when a value has no documentation.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

CHART = Path(__file__).resolve().parents[2] / "charts" / "shopmesh"
START, END = "<!-- values:start -->", "<!-- values:end -->"
COMPONENTS_START, COMPONENTS_END = "<!-- components:start -->", "<!-- components:end -->"
# What a component's block sets besides the `default` keys it overrides (documented in values.yaml's header).
COMPONENT_KEYS = ("enabled", "kind", "module", "public", "dependsOn", "datastores", "mounts", "models", "image",
                  "gpu", "extraArgs", "shmSize")
_KEY = re.compile(r"^(\s*)([A-Za-z0-9_][A-Za-z0-9_.\-/]*):(\s|$)")


@dataclass(frozen=True)
class DocumentedValue:
    """One documented key: its dotted path, default, and description."""

    path: str
    default: Any
    description: str


def lookup(values: dict[str, Any], path: str) -> Any:
    node: Any = values
    for part in path.split("."):
        node = node[part]
    return node


def documented(text: str) -> list[DocumentedValue]:
    """Every key preceded by a `# -- ...` comment (continued by the comment lines right after it)."""
    values = yaml.safe_load(text)
    stack: list[tuple[int, str]] = []
    pending: list[str] | None = None
    found: list[DocumentedValue] = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("# --"):
            pending = [stripped.removeprefix("# --").strip()]
            continue
        if stripped.startswith("#"):
            if pending is not None:
                pending.append(stripped.removeprefix("#").strip())
            continue
        match = _KEY.match(line)
        if not match:
            pending = None if stripped else pending
            continue
        indent = len(match.group(1))
        while stack and stack[-1][0] >= indent:
            stack.pop()
        stack.append((indent, match.group(2)))
        if pending is not None:
            path = ".".join(key for _, key in stack)
            found.append(DocumentedValue(path, lookup(values, path), " ".join(pending)))
            pending = None
    return found


def table(text: str) -> str:
    """The markdown table of the documented values."""
    rows = ["| Key | Default | Description |", "|---|---|---|"]
    for value in documented(text):
        default = json.dumps(value.default, separators=(", ", ": ")).replace("|", "\\|")
        description = value.description.replace("|", "\\|")
        rows.append(f"| `{value.path}` | `{default}` | {description} |")
    return "\n".join(rows)


def components_table(text: str) -> str:
    """One row per component: what runs, whom it calls, its datastores, and what it overrides of `default`."""
    values = yaml.safe_load(text)
    rows = ["| Component | Runs | Calls (`dependsOn`) | Datastores (setting: Secret key) | Overrides of `default` |",
            "|---|---|---|---|---|"]
    for name, comp in values["components"].items():
        runs = f"`python -m {comp['module']}`" if comp["kind"] == "python" else "`tritonserver`"
        calls = ", ".join(f"{peer} (`{suffix}`)" for peer, suffix in comp.get("dependsOn", {}).items()) or "-"
        stores = "; ".join(f"{store}: " + ", ".join(f"`{k}`: `{v}`" for k, v in keys.items())
                           for store, keys in comp.get("datastores", {}).items()) or "-"
        shown = {key: value for key, value in comp.items() if key not in COMPONENT_KEYS and value not in ({}, [])}
        if "migrations" in shown:  # the one-liner is in values.yaml; the table says that there is one
            shown["migrations"] = {"enabled": shown["migrations"]["enabled"], "command": "..."}
        overrides = "<br>".join(f"`{key}`: `{json.dumps(value, separators=(', ', ': '))}`"
                                for key, value in shown.items()) or "-"
        enabled = "" if comp["enabled"] else " (disabled)"
        rows.append(f"| `{name}`{enabled} | {runs} | {calls} | {stores} | {overrides.replace('|', '/')} |")
    return "\n".join(rows)


def replace_between(text: str, start: str, end: str, body: str) -> str:
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{body}\n{end}{tail}"


def readme_with_table(readme: str, values_text: str) -> str:
    """The README with its generated sections (values, components) replaced by the current ones."""
    readme = replace_between(readme, START, END, table(values_text))
    return replace_between(readme, COMPONENTS_START, COMPONENTS_END, components_table(values_text))


def main() -> int:
    readme = CHART / "README.md"
    if "--write" in sys.argv:
        readme.write_text(readme_with_table(readme.read_text(), (CHART / "values.yaml").read_text()))
    else:
        text = (CHART / "values.yaml").read_text()
        print(f"{components_table(text)}\n\n{table(text)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
