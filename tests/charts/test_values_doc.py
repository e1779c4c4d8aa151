"""values.yaml documents every value, and the chart README's tables are the ones values.yaml generates."""

from __future__ import annotations

import re
from typing import Any

import yaml

from tests.charts.values_doc import CHART, COMPONENT_KEYS, documented, readme_with_table


def leaves(node: Any, path: str = "") -> list[str]:
    """Dotted paths of every scalar, list or empty map in a values tree."""
    if isinstance(node, dict) and node:
        return [leaf for key, value in node.items() for leaf in leaves(value, f"{path}.{key}" if path else key)]
    return [path]


def test_every_value_is_documented() -> None:
    """Each leaf of values.yaml is documented itself or by an ancestor; a component's keys are those of
    `default` (documented there) or the component keys the file's header explains."""
    text = (CHART / "values.yaml").read_text()
    values = yaml.safe_load(text)
    docs = {value.path for value in documented(text)}
    undocumented = []
    for leaf in leaves(values):
        parts = leaf.split(".")
        if parts[0] == "components" and (parts[2] in COMPONENT_KEYS or parts[2] in values["default"]):
            continue
        if not any(".".join(parts[:i]) in docs for i in range(1, len(parts) + 1)):
            undocumented.append(leaf)
    assert not undocumented, f"values without a `# --` comment: {undocumented}"


def test_readme_tables_are_current() -> None:
    readme = (CHART / "README.md").read_text()
    expected = readme_with_table(readme, (CHART / "values.yaml").read_text())
    assert readme == expected, "charts/shopmesh/README.md is stale: .venv/bin/python -m tests.charts.values_doc --write"


def test_readme_lists_every_component_and_value() -> None:
    readme = (CHART / "README.md").read_text()
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    for name in values["components"]:
        assert f"| `{name}`" in readme
    for value in documented((CHART / "values.yaml").read_text()):
        assert f"| `{value.path}` |" in readme


def test_every_documented_value_is_read_by_a_template() -> None:
    """No value does nothing: the last part of each documented key appears in the templates."""
    templates = "\n".join(p.read_text() for p in (CHART / "templates").rglob("*") if p.is_file())
    unread = [v.path for v in documented((CHART / "values.yaml").read_text())
              if not re.search(rf"\.{re.escape(v.path.split('.')[-1])}\b|\"{re.escape(v.path.split('.')[-1])}\"",
                               templates)]
    assert not unread, f"documented values no template reads: {unread}"
