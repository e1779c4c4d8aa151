// The agents' console: live queue and transcript updates (server-sent events) and audited reveals.
// Server fragments are HTML that the server escaped; values from JSON go in with textContent only.
"use strict";
(function () {
  const body = document.body;
  const csrf = body.dataset.csrf;
  const page = body.dataset.page;
  const handoff = body.dataset.handoff || "";
  const live = document.getElementById("live");

  function showError(message) {
    let box = document.getElementById("error");
    if (!box) {
      box = document.createElement("p");
      box.id = "error";
      box.className = "error";
      box.setAttribute("role", "alert");
      document.getElementById("main").prepend(box);
    }
    box.textContent = message;
  }

  async function refresh(url, target) {
    const response = await fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } });
    if (response.status === 401) { window.location.assign("/login"); return; }
    if (response.ok) { target.innerHTML = await response.text(); }
  }

  function refreshQueue() {
    const rows = document.getElementById("queue-rows");
    if (rows) { refresh("/queue/rows", rows); }
  }

  function refreshTranscript() {
    const transcript = document.getElementById("transcript");
    if (transcript) { refresh("/handoffs/" + encodeURIComponent(handoff) + "/transcript", transcript); }
  }

  if ((page === "queue" || page === "conversation") && window.EventSource) {
    const events = new EventSource("/events");
    events.onopen = function () { if (live) { live.textContent = live.dataset.on; live.classList.remove("off"); } };
    events.onerror = function () { if (live) { live.textContent = live.dataset.off; live.classList.add("off"); } };
    events.addEventListener("queue", function (message) {
      let event;
      try { event = JSON.parse(message.data); } catch (e) { return; }
      if (page === "queue") { refreshQueue(); return; }
      if (event.handoff_id !== handoff) { return; }
      if (event.kind === "user_message" || event.kind === "agent_message") { refreshTranscript(); }
      else if (event.kind === "closed" || event.kind === "withdrawn" || event.kind === "taken") {
        if (!document.activeElement || document.activeElement.tagName !== "TEXTAREA") { window.location.reload(); }
      }
    });
    if (page === "queue") { window.setInterval(refreshQueue, 30000); }
  }

  document.addEventListener("click", async function (click) {
    const button = click.target.closest("button.reveal");
    if (!button) { return; }
    const reason = document.getElementById("reveal-reason");
    const form = new URLSearchParams({
      sequence: button.dataset.sequence, span: button.dataset.span, reason: reason ? reason.value : "",
    });
    button.disabled = true;
    const response = await fetch("/handoffs/" + encodeURIComponent(handoff) + "/reveal", {
      method: "POST", credentials: "same-origin", body: form,
      headers: { "X-CSRF-Token": csrf, "Accept": "application/json" },
    });
    let answer = {};
    try { answer = await response.json(); } catch (e) { answer = {}; }
    if (!response.ok) { showError(answer.message || String(response.status)); button.disabled = false; return; }
    const value = button.previousElementSibling;
    value.textContent = answer.value;
    value.classList.add("revealed");
    button.remove();
  });
})();
