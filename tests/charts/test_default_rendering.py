"""docs/helm-default-rendering.yaml is the reviewed example of a default install; it must match the chart (but
for the console's random session key, shown as a placeholder)."""

from __future__ import annotations

import difflib

import pytest

from tests.charts.conftest import DEFAULT_RENDERING, REGENERATE, mask_session_key, template_text

pytestmark = pytest.mark.integration


def test_committed_default_rendering_matches_the_chart(helm: str) -> None:
    rendered = mask_session_key(template_text(helm))
    committed = DEFAULT_RENDERING.read_text() if DEFAULT_RENDERING.exists() else ""
    if rendered != committed:
        diff = "".join(list(difflib.unified_diff(committed.splitlines(True), rendered.splitlines(True),
                                                 "docs/helm-default-rendering.yaml", "helm template"))[:80])
        pytest.fail(f"the chart's default rendering changed; review it and regenerate with\n  {REGENERATE}\n{diff}")
