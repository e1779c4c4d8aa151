// One agent's session in a real browser (playwright-core driving Debian's chromium, headless), steered by the
// pytest that runs it: JSON lines out on stdout ({"step": ...}), JSON lines in on stdin (what to do next).
// Env: CONSOLE_URL, AGENT_ID, AGENT_PASSWORD, PLAYWRIGHT_CORE (the package folder), CHROMIUM, SHOTS_DIR.
"use strict";
const path = require("path");
const readline = require("readline");
const { chromium } = require(process.env.PLAYWRIGHT_CORE);

const url = process.env.CONSOLE_URL;
const lines = readline.createInterface({ input: process.stdin });
const inbox = [];
let waiting = null;
lines.on("line", (line) => { const m = JSON.parse(line); if (waiting) { const w = waiting; waiting = null; w(m); } else { inbox.push(m); } });
function next() { return inbox.length ? Promise.resolve(inbox.shift()) : new Promise((resolve) => { waiting = resolve; }); }
function say(step, extra) { process.stdout.write(JSON.stringify(Object.assign({ step }, extra || {})) + "\n"); }

(async () => {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM, headless: true,
    args: ["--no-sandbox", "--disable-dev-shm-usage"] });
  const errors = [];
  let page = null;
  try {
    const context = await browser.newContext({ viewport: { width: 1366, height: 800 }, locale: "en-US" });
    page = await context.newPage();
    page.setDefaultTimeout(30000);
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("dialog", (d) => { errors.push("dialog: " + d.message()); d.dismiss(); });

    // Sign in (the form submits on Enter); on the queue, Tab reaches the skip link first.
    await page.goto(url + "/queue");
    if (!page.url().includes("/login")) { throw new Error("the queue did not ask for sign-in: " + page.url()); }
    await page.getByLabel("Agent ID").fill(process.env.AGENT_ID);
    await page.getByLabel("Password").fill(process.env.AGENT_PASSWORD);
    await page.getByLabel("Password").press("Enter");
    await page.waitForURL(/\/queue$/);
    await page.keyboard.press("Tab");
    const first = await page.evaluate(() => document.activeElement && document.activeElement.className);
    await page.locator("#live").filter({ hasText: "Live updates on" }).waitFor();
    await page.evaluate(() => { window.__sameDocument = true; });
    say("queue_open", { first_focus: first });

    // The hand-off appears without a reload.
    const { handoff_id: handoffId } = await next();
    const row = page.locator(`tr[data-handoff="${handoffId}"]`);
    await row.waitFor();
    const sameDocument = await page.evaluate(() => window.__sameDocument === true);
    const rowText = await row.innerText();
    await page.evaluate(() => document.activeElement && document.activeElement.blur());
    await page.screenshot({ path: path.join(process.env.SHOTS_DIR, "console-queue.png"), fullPage: true });
    say("queued", { same_document: sameDocument, row: rowText });

    // Open, take, reply.
    await row.getByRole("link").click();
    await page.waitForURL(new RegExp(`/handoffs/${handoffId}$`));
    await page.getByRole("button", { name: "Take this conversation" }).click();
    const { reply } = await next();
    await page.getByLabel("Reply to the customer").fill(reply);
    await page.getByRole("button", { name: "Send" }).click();
    const notice = await page.locator("#notice").innerText();
    say("replied", { notice });

    // A new customer message arrives live; its markup is text, never run.
    const { expect_text: expected } = await next();
    await page.locator(".msg.user", { hasText: expected }).waitFor();
    const pwned = await page.evaluate(() => window.__pwned !== undefined);

    // Reveal the phone number: an explicit click, with a reason.
    await page.getByLabel("Why do you need this value?").selectOption("contact_customer");
    const phone = page.locator('.pii[data-type="PHONE"]').first();
    const masked = await phone.innerText();
    await page.locator('.pii[data-type="PHONE"] + button.reveal').first().click();
    await page.locator(".pii.revealed").first().waitFor();
    const revealed = await page.locator(".pii.revealed").first().innerText();
    await page.screenshot({ path: path.join(process.env.SHOTS_DIR, "console-conversation.png"), fullPage: true });
    say("revealed", { masked, revealed, pwned });

    // Close with a resolution tag.
    await page.getByLabel("Resolution").selectOption("resolved");
    await page.getByRole("button", { name: "Close", exact: true }).click();
    await page.locator(".notice", { hasText: "This conversation is closed." }).waitFor();
    say("closed");

    // The Chinese UI.
    await page.goto(url + "/queue?lang=zh");
    const heading = await page.locator("h1").innerText();
    await page.screenshot({ path: path.join(process.env.SHOTS_DIR, "console-queue-zh.png") });
    say("chinese", { heading, errors });
  } catch (e) {
    let shown = "";
    try { shown = page ? page.url() + "\n" + (await page.locator("main").innerText()) : ""; } catch (_) { shown = ""; }
    say("failed", { error: String(e && e.stack || e), errors, page: shown });
    process.exitCode = 1;
  } finally {
    await browser.close();
    lines.close();
  }
})();
