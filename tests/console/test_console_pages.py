"""The console's pages beyond the browser flow: a Chinese conversation in the Chinese UI (language chosen by
?lang=, kept in a cookie, or taken from Accept-Language), the queue's order and columns, and the labels the
page's forms carry for screen readers."""

from __future__ import annotations

import re

import pytest

from services.console.i18n import TEXTS
from tests.console.conftest import ConsoleMesh, Customer, signed_in

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(900)]


def test_a_chinese_conversation_in_the_chinese_ui(console_mesh: ConsoleMesh, customer: Customer) -> None:
    chinese = Customer(console_mesh.gateway, customer.user_id + "-zh", language="zh")
    chinese.open()
    try:
        handoff_id = chinese.hand_off("我要人工客服")
        ada = signed_in(console_mesh, "ada")
        queue = ada.get("/queue?lang=zh")
        assert '<html lang="zh-CN">' in queue.text and TEXTS["zh"]["queue"] in queue.text
        row = re.search(rf'<tr data-handoff="{handoff_id}".*?</tr>', ada.get("/queue/rows").text, re.S)
        assert row, "the hand-off is not in the queue"
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(0), re.S)
        assert cells[2] == "zh" and cells[5] == TEXTS["zh"]["handoff_reason_user_requested"]
        assert "我要人工客服" in cells[6]
        # The cookie keeps the language; without it Accept-Language decides.
        assert TEXTS["zh"]["take"] in ada.get(f"/handoffs/{handoff_id}").text
        fresh = signed_in(console_mesh, "bo")
        page = fresh.get(f"/handoffs/{handoff_id}", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})
        assert TEXTS["zh"]["take"] in page.text
        english = fresh.get(f"/handoffs/{handoff_id}", headers={"Accept-Language": "en-GB"})
        assert TEXTS["en"]["take"] in english.text
    finally:
        chinese.close()


def test_queue_order_and_form_labels(console_mesh: ConsoleMesh, customer: Customer) -> None:
    first = customer.hand_off("I want to talk to a real person")
    later = Customer(console_mesh.gateway, customer.user_id + "-2")
    later.open()
    try:
        second = later.hand_off("Let me speak to an agent please")
        ada = signed_in(console_mesh, "ada")
        rows = ada.get("/queue/rows").text
        assert rows.index(first) < rows.index(second)  # longest waiting first
        assert ada.post(f"/handoffs/{first}/take").status_code == 303
        view = ada.get(f"/handoffs/{first}").text
        for control in ("reply", "resolution", "note", "reveal-reason"):
            assert f'<label for="{control}">' in view and f'id="{control}"' in view, control
        assert 'class="skip" href="#main"' in view and 'role="alert"' not in view
    finally:
        later.close()
