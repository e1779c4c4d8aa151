"""The README's main job: `shopmesh demo` runs end to end on the fetched data."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.integration
@pytest.mark.timeout(1300)
def test_demo_walks_through_data_mesh_and_privacy(tmp_path: Path) -> None:
    from shopmesh.data.paths import default_data_dir

    env = dict(os.environ, SHOPMESH_HOME=str(tmp_path), SHOPMESH_DATA_DIR=str(default_data_dir()))
    done = subprocess.run([sys.executable, "-m", "shopmesh", "demo"], env=env, cwd=REPO, capture_output=True,
                          text=True, timeout=1200)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1,682 items, 943 users, 100,000 interactions (1997-09-20 → 1998-04-22, event time)" in done.stdout
    assert "== the mesh ==" in done.stdout
    redacted = next(line for line in done.stdout.splitlines() if "redacted by the vault:" in line)
    assert "手机[PHONE]" in redacted and "[EMAIL]" in redacted and "li.wei@example.cn" not in redacted
    assert "vault: SERVING (checked over mTLS" in done.stdout
    assert "support answering an order question sees only: +86 138****5678 (policy: masked)" in done.stdout
    assert "retrieval asking for them: PERMISSION_DENIED" in done.stdout
    assert "reading a forgotten token: NOT_FOUND" in done.stdout
    assert "hash chain intact" in done.stdout
    # The app's walk-through through the gateway: a feed with reasons, search, one support exchange.
    lines = done.stdout.splitlines()
    assert "== the app: feed, search and support through the gateway ==" in lines
    feed_at = next(n for n, line in enumerate(lines) if line.startswith("home feed ("))
    assert lines[feed_at].startswith(("home feed (personalized", "home feed (cold_start")), lines[feed_at]
    assert "first 5 of the page" in lines[feed_at]
    assert all(" — " in line for line in lines[feed_at + 1:feed_at + 6]), lines[feed_at + 1:feed_at + 6]
    search = next(line for line in lines if line.startswith("search 'star wars'"))
    assert "Star Wars" in search, search
    support = next(line for line in lines if line.startswith("support, asked"))
    assert "intent return." in support or "intent returns." in support, support
    assert any(line.startswith("  answer: ") and len(line) > 20 for line in lines)
    # The agents' console: the hand-off taken over, replied to, revealed (audited) and closed.
    assert "== the agents' console: a hand-off taken over by a person ==" in lines
    assert any(line.startswith("agent `demo` signed in to http://127.0.0.1:") and line.endswith("lists it: True")
               for line in lines), lines
    assert "  the customer's app received: \"Hi, this is the demo agent. I'll call you now.\"" in lines
    revealed = next(line for line in lines if "the phone number shows masked" in line)
    assert "415 555 0100" not in revealed and "audited by the vault" in revealed
    assert "  closed as resolved; the customer's conversation ended (agent_closed)" in lines
