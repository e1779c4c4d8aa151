"""End to end in a real browser (Acceptance 1 of the console): a customer chatting through the gateway is
handed off; an agent signs in, sees it appear in the queue live, opens and takes it, replies (the customer's
stream receives the reply), sees a new customer message live (its markup shown as text), reveals the phone
number (audited by the vault with the agent and the reason) and closes the conversation (the customer's
stream ends). Screenshots of the queue and the conversation view land in docs/ with
SHOPMESH_UPDATE_SCREENSHOTS=1."""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest

from shopmesh.common.v1 import conversation_pb2 as cpb
from shopmesh.vault.v1 import vault_service_pb2 as vpb
from tests.console.conftest import AGENTS, ConsoleMesh, Customer, here

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(900)]
REPO = here().parents[1]


def _browser() -> tuple[str, str]:
    """playwright-core's folder and the chromium binary, from scripts/install-browser (which says what is missing)."""
    done = subprocess.run([str(REPO / "scripts" / "install-browser")], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"scripts/install-browser failed: {done.stderr.strip()}"
    package, browser = done.stdout.split()[-2:]
    return package, browser


class Flow:
    """The node process driving the browser, spoken to in JSON lines."""

    def __init__(self, mesh: ConsoleMesh, shots: Path):
        package, browser = _browser()
        _, password, _ = AGENTS["ada"]
        env = dict(os.environ, CONSOLE_URL=mesh.url, AGENT_ID="ada", AGENT_PASSWORD=password,
                   PLAYWRIGHT_CORE=package, CHROMIUM=browser, SHOTS_DIR=str(shots))
        self.proc = subprocess.Popen(["node", str(here() / "agent_flow.cjs")], env=env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.steps: queue.Queue[dict[str, Any]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("{"):
                self.steps.put(json.loads(line))
        self.steps.put({"step": "exited"})

    def expect(self, step: str, timeout_s: float = 90.0) -> dict[str, Any]:
        got = self.steps.get(timeout=timeout_s)
        if got["step"] != step:
            stderr = self.proc.stderr.read() if got["step"] == "exited" and self.proc.stderr else ""
            raise AssertionError(f"browser: expected {step}, got {got} {stderr}")
        return got

    def send(self, **message: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(message) + "\n")
        self.proc.stdin.flush()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)


def test_agent_takes_over_a_conversation_in_the_browser(console_mesh: ConsoleMesh, customer: Customer,
                                                         tmp_path: Path) -> None:
    order_id = console_mesh.place_order(customer.user_id, "Toy Story (1995)")
    flow = Flow(console_mesh, tmp_path)
    try:
        opened = flow.expect("queue_open")
        assert opened["first_focus"] == "skip"  # keyboard: the skip link comes first

        handoff_id = customer.hand_off("I want to talk to a real person, please call me at +1 415 555 0134")
        flow.send(handoff_id=handoff_id)
        queued = flow.expect("queued")
        assert queued["same_document"] is True  # it appeared live, without a reload
        assert "asked for a person" in queued["row"] and "en" in queued["row"]

        reply = f"Hi, this is Ada. I can see your order {order_id}."
        flow.send(reply=reply)
        replied = flow.expect("replied")
        assert "the customer is online" in replied["notice"]
        assert customer.wait_for("agent_message").agent_message.text == reply

        customer.say("Thanks! <script>window.__pwned=1</script> is my order late?")
        flow.send(expect_text="window.__pwned=1")
        revealed = flow.expect("revealed")
        assert revealed["pwned"] is False
        assert "0134" not in revealed["masked"] or "*" in revealed["masked"]
        assert revealed["revealed"].replace(" ", "").endswith("4155550134")

        flow.expect("closed")
        ended = customer.wait_for("ended")
        assert ended.ended.reason == cpb.CONVERSATION_END_REASON_AGENT_CLOSED

        chinese = flow.expect("chinese")
        assert chinese["heading"].startswith("待接队列")
        assert chinese["errors"] == []
    finally:
        flow.stop()

    reveals = [e for e in console_mesh.audit(customer.user_id)
               if e.caller == "console" and e.purpose == "console.reveal_to_contact_customer"]
    assert len(reveals) == 1
    assert reveals[0].acting_agent_id == "ada" and reveals[0].decision == vpb.AUDIT_DECISION_ALLOWED
    assert list(reveals[0].pii_types) == [vpb.PII_TYPE_PHONE]

    shots = [tmp_path / "console-queue.png", tmp_path / "console-conversation.png"]
    assert all(p.stat().st_size > 10_000 for p in shots)
    if os.environ.get("SHOPMESH_UPDATE_SCREENSHOTS") == "1":
        for shot in [*shots, tmp_path / "console-queue-zh.png"]:
            shutil.copy(shot, REPO / "docs" / shot.name)
