#!/usr/bin/env node
/*
 * console.test.js - the /ops/ page in a real browser: Debian's chromium,
 * headless, driven by puppeteer-core (pinned in package.json, never a
 * browser download), against browser_world (world.c: the real shopvox,
 * PostgreSQL and the Peoplevox sandbox). Scenarios: log in; see an
 * unknown-SKU exception; retry it from the page, map the SKU from the
 * page (an item code the catalogue lacks refused next to its field first)
 * and watch the exception close and the order reach the fake warehouse;
 * retry a dead job; open an order's timeline; a viewer's write buttons are
 * disabled and the API refuses its write (403); a write without the CSRF
 * header is 403; a routing rule refused with a field error, then saved, and
 * a sample order checked; the carriers view (add, edit); the settings
 * views at phone width and for a viewer (forms disabled); the CSP and the
 * other strict headers are on the page; returns (filter, one return,
 * authorise), reports (the daily report's figures, another day, drift,
 * reconciliation), schedules and budgets (also at 390 px wide, no sideways
 * scroll), and a keyboard-only pass (Tab reaches the nav and a labelled
 * control with a visible focus; Enter follows a nav link). A screenshot of each view
 * goes to $BROWSER_SCREENSHOTS (printed). Exit 77 (skipped) when chromium
 * or node_modules are missing outside CI (./dev deps installs both).
 */
"use strict";

const fs = require("fs");
const path = require("path");
const readline = require("readline");
const {spawn} = require("child_process");

const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const OPERATOR = "op-token-0123456789abcdef0123456789";
const VIEWER = "viewer-token-0123456789abcdef01234567";
const SHOTS = process.env.BROWSER_SCREENSHOTS || path.join(process.cwd(), "browser-screenshots");
const WAIT_MS = 30000;
const SHOP = "it-store.myshopline.com"; /* IT_SHOP of tests/support/it_proc.h */

function skip(why) {
  if (process.env.CI) { console.error("browser test cannot run: " + why); process.exit(1); }
  console.error("skipped: " + why + " (./dev deps installs it)");
  process.exit(77);
}

if (!process.env.SHOPVOX_TEST_PG_URL) { console.error("SHOPVOX_TEST_PG_URL not set: skipping"); process.exit(77); }
if (!fs.existsSync(CHROMIUM)) skip("no " + CHROMIUM);
let puppeteer;
try { puppeteer = require(path.join(__dirname, "node_modules", "puppeteer-core")); }
catch (e) { skip("no tests/browser/node_modules/puppeteer-core"); }

/* ---- the world ---- */

function startWorld() {
  const child = spawn(process.env.BROWSER_WORLD, [], {
    env: Object.assign({}, process.env, {BROWSER_ADMIN_TOKENS: `olga:operator:${OPERATOR},ann:viewer:${VIEWER}`}),
    stdio: ["pipe", "pipe", "inherit"]});
  const lines = readline.createInterface({input: child.stdout});
  const waiting = [];
  lines.on("line", (l) => { const w = waiting.shift(); if (w) w(l); });
  const next = () => new Promise((resolve) => waiting.push(resolve));
  const world = {
    child,
    async ask(cmd) {
      const answer = next();
      child.stdin.write(cmd + "\n");
      const l = await answer;
      if (!l.startsWith("ok")) throw new Error(cmd + ": " + l);
      return l.slice(3);
    },
    async ready() {
      const l = await next();
      if (!l || !l.startsWith("ready ")) throw new Error("world did not start: " + l);
      return Number(l.slice(6));
    },
  };
  return world;
}

async function waitFor(what, fn) {
  const end = Date.now() + WAIT_MS;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error("timed out waiting for " + what);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/* ---- the checks ---- */

const results = [];
async function check(name, fn) {
  try { await fn(); results.push([name, true]); console.log("ok - " + name); }
  catch (e) { results.push([name, false]); console.log("not ok - " + name + ": " + (e.stack || e)); }
}
function assert(cond, msg) { if (!cond) throw new Error(msg); }

async function shot(page, name) {
  fs.mkdirSync(SHOTS, {recursive: true});
  const file = path.join(SHOTS, name + ".png");
  await page.screenshot({path: file, fullPage: true});
  console.log("screenshot: " + file);
}

async function login(page, base, token) {
  await page.goto(base + "/ops/", {waitUntil: "load"});
  await page.waitForSelector("#token", {visible: true});
  await page.type("#token", token);
  await page.keyboard.press("Enter"); /* the form works from the keyboard */
  await page.waitForSelector("#nav:not([hidden])");
}

async function cookieLogin(base, token) {
  const r = await fetch(base + "/ops/login", {method: "POST", headers: {"Content-Type": "application/json"},
                                              body: JSON.stringify({token})});
  const body = await r.json();
  return {cookie: r.headers.get("set-cookie").split(";")[0], csrf: body.csrf_token};
}

async function main() {
  const world = startWorld();
  const port = await world.ready();
  const base = "http://127.0.0.1:" + port;
  const args = ["--headless=new", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage"];
  if (process.getuid && process.getuid() === 0) args.push("--no-sandbox"); /* root: CI */
  const browser = await puppeteer.launch({executablePath: CHROMIUM, headless: true, args});
  const page = await browser.newPage();
  await page.setViewport({width: 1280, height: 800});
  const cspViolations = [];
  page.on("console", (m) => { if (/Content Security Policy/.test(m.text())) cspViolations.push(m.text()); });
  let orderName = null;

  await check("the page carries the CSP and the strict headers", async () => {
    const r = await fetch(base + "/ops/");
    const csp = r.headers.get("content-security-policy");
    assert(csp && csp.includes("default-src 'none'") && csp.includes("script-src 'self'") &&
           csp.includes("frame-ancestors 'none'"), "CSP: " + csp);
    assert(r.headers.get("x-content-type-options") === "nosniff", "nosniff");
    assert(r.headers.get("referrer-policy") === "no-referrer", "referrer");
    assert(r.headers.get("x-frame-options") === "DENY", "frame");
  });

  await check("a write through a session without its CSRF header is 403", async () => {
    const s = await cookieLogin(base, OPERATOR);
    const id = await world.ask("sql INSERT INTO exceptions (shop, type, team, subject_kind, subject, detail) " +
      `VALUES ('${SHOP}', 'stock_drift', 'ecommerce', 'x', 'csrf-1', 'd') RETURNING id`);
    const url = base + "/api/v1/exceptions/" + id + "/resolve";
    let r = await fetch(url, {method: "POST", headers: {Cookie: s.cookie, "Content-Type": "application/json"}, body: "{}"});
    assert(r.status === 403, "without the header: " + r.status);
    r = await fetch(url, {method: "POST", headers: {Cookie: s.cookie, "X-CSRF-Token": s.csrf,
                                                    "Content-Type": "application/json"}, body: "{}"});
    assert(r.status === 200, "with the header: " + r.status);
  });

  await check("log in and see the dashboard", async () => {
    await login(page, base, OPERATOR);
    await page.waitForSelector("::-p-text(Last 24 hours)");
    await shot(page, "home");
  });

  await check("an unknown SKU shows as an exception in the e-commerce queue", async () => {
    orderName = await world.ask("order B NOT-IN-PVX-1");
    await waitFor("the unknown_sku exception", async () =>
      Number(await world.ask("sql SELECT count(*) FROM exceptions WHERE type = 'unknown_sku' AND state = 'open'")) > 0);
    await page.goto(base + "/ops/#/exceptions/ecommerce", {waitUntil: "load"});
    await page.waitForSelector("::-p-text(unknown_sku)");
    await shot(page, "exceptions");
  });

  await check("retry from the page, map the SKU: the exception closes and the order reaches the warehouse", async () => {
    const id = await world.ask("sql SELECT id FROM exceptions WHERE type = 'unknown_sku' AND state = 'open' ORDER BY id LIMIT 1");
    /* a retry before the mapping: the order is tried again and held again */
    await page.click(`button[aria-label="retry exception ${id}"]`);
    await page.waitForSelector("#toast.show");
    assert(/#\d+: /.test(await page.$eval("#toast", (t) => t.textContent)), "no answer shown");
    /* the mapping, from the page: an item code the catalogue lacks is refused at its field */
    await page.goto(base + "/ops/#/sku", {waitUntil: "load"});
    await page.waitForSelector(`#sku-held a::-p-text(${orderName})`);
    await page.type("#sku-shopline", "NOT-IN-PVX-1");
    await page.type("#sku-item", "NO-SUCH-ITEM");
    await page.keyboard.press("Enter");
    await page.waitForSelector("#sku-item-error::-p-text(not in the Peoplevox catalogue)");
    assert(await page.$eval("#sku-item", (i) => i.getAttribute("aria-invalid")) === "true", "item code not marked");
    await shot(page, "sku-refused");
    await page.$eval("#sku-item", (i) => { i.value = ""; });
    await page.type("#sku-item", "TEE-BLK-M");
    await page.keyboard.press("Enter"); /* saves, re-checks the held order */
    await page.waitForSelector("#sku-result::-p-text(Saved: NOT-IN-PVX-1)");
    await waitFor("the exception to close", async () =>
      (await world.ask("sql SELECT state FROM exceptions WHERE id = " + id)) === "resolved");
    const so = await waitFor("a Sales Order number", async () =>
      await world.ask(`sql SELECT coalesce(sales_order_number, '') FROM orders WHERE name = '${orderName}'`));
    await waitFor("the Sales Order in the warehouse", async () => Number(await world.ask("so_count " + so)) === 1);
    await page.goto(base + "/ops/#/exceptions/ecommerce", {waitUntil: "load"});
    await page.reload({waitUntil: "load"});
    await page.waitForSelector("::-p-text(Exceptions: ecommerce)");
    const left = await page.$$(`button[aria-label="retry exception ${id}"]`);
    assert(left.length === 0, "the exception is still listed");
    assert(await world.ask("sql SELECT count(*) FROM audit_log WHERE action = 'sku.map' AND actor = 'olga' " +
                           "AND subject_id = 'NOT-IN-PVX-1'") === "1", "no audit row of the page's mapping");
    await page.goto(base + "/ops/#/sku", {waitUntil: "load"});
    await page.waitForSelector("#sku-list ::-p-text(TEE-BLK-M)");
    await page.waitForSelector("#sku-held ::-p-text(No order is held)");
    await shot(page, "sku");
  });

  await check("retry a dead job", async () => {
    const id = await world.ask("sql INSERT INTO jobs (shop, kind, dedupe_key, payload, state, attempts, last_error, finished_at) " +
      `VALUES ('${SHOP}', 'catalogue_sync', 'browser-dead-1', '{}', 'dead', 12, 'boom', now()) RETURNING id`);
    await page.goto(base + "/ops/#/jobs/dead", {waitUntil: "load"});
    await page.waitForSelector(`button[aria-label="retry job ${id}"]`);
    await shot(page, "jobs");
    await page.click(`button[aria-label="retry job ${id}"]`);
    await waitFor("the job back in the queue", async () =>
      (await world.ask("sql SELECT state FROM jobs WHERE id = " + id)) !== "dead");
  });

  await check("open an order's timeline", async () => {
    await page.goto(base + "/ops/#/orders", {waitUntil: "load"});
    /* the order's link itself: the text alone may still be the previous view's */
    await page.waitForSelector(`a::-p-text(${orderName})`);
    await shot(page, "orders");
    await page.click(`a::-p-text(${orderName})`);
    await page.waitForSelector("::-p-text(Order " + orderName + ")");
    await page.waitForSelector(".timeline li");
    const items = await page.$$eval(".timeline li", (l) => l.length);
    assert(items >= 2, "timeline has " + items + " entries");
    await shot(page, "order");
  });

  await check("a phone-width home view", async () => {
    await page.setViewport({width: 375, height: 740});
    await page.goto(base + "/ops/#/", {waitUntil: "load"});
    await page.waitForSelector("::-p-text(Last 24 hours)");
    await shot(page, "home-phone");
    await page.setViewport({width: 1280, height: 800});
  });

  await check("a viewer cannot write: buttons disabled, the API says 403", async () => {
    const ctx = await browser.createBrowserContext();
    const vp = await ctx.newPage();
    await vp.setViewport({width: 1280, height: 800});
    await world.ask("sql INSERT INTO exceptions (shop, type, team, subject_kind, subject, detail) " +
      `VALUES ('${SHOP}', 'stalled_order', 'ops', 'order', 'viewer-1', 'd') RETURNING id`);
    await login(vp, base, VIEWER);
    await vp.goto(base + "/ops/#/exceptions/ops", {waitUntil: "load"});
    await vp.waitForSelector("::-p-text(stalled_order)");
    const enabled = await vp.$$eval("button", (bs) => bs.filter((b) => /Retry|Resolve/.test(b.textContent) && !b.disabled).length);
    assert(enabled === 0, enabled + " write buttons enabled for a viewer");
    const status = await vp.evaluate(async () => {
      const r = await fetch("/api/v1/exceptions/1/resolve", {method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-CSRF-Token": sv.session.csrf_token}, body: "{}"});
      return r.status;
    });
    assert(status === 403, "viewer write: " + status);
    await shot(vp, "exceptions-viewer");
    await ctx.close();
  });

  /* ---- views_ops.js: returns, reports, schedules and budgets ---- */

  await check("returns: the list by state, paged, one return, authorise it", async () => {
    await world.ask("sql INSERT INTO returns (shop, shopline_return_id, shopline_order_id, mode, state) " +
      `SELECT '${SHOP}', 'browser-old-' || n, 'browser-order-0', 'auto', 'cancelled' FROM generate_series(1, 55) n RETURNING id`);
    const id = await world.ask("sql INSERT INTO returns (shop, shopline_return_id, shopline_order_id, mode, reason) " +
      `VALUES ('${SHOP}', 'browser-rtn-1', 'browser-order-1', 'authorise', 'too small') RETURNING id`);
    await world.ask("sql INSERT INTO return_lines (return_id, line_item_id, item_code, quantity) " +
      `VALUES (${id}, 'L1', 'TEE-BLK-M', 2) RETURNING return_id`);
    await page.goto(base + "/ops/#/returns", {waitUntil: "load"});
    await page.waitForSelector(`a[href="#/return/${id}"]`);
    await page.click("a::-p-text(Older returns)"); /* 56 returns: 50, then 6 */
    await page.waitForSelector("a::-p-text(First page)");
    await page.waitForSelector("::-p-text(No older returns.)");
    const older = await page.$$eval("tbody tr", (trs) => trs.length);
    assert(older === 6, older + " returns on the second page");
    await page.click("a::-p-text(First page)");
    await page.waitForSelector(`a[href="#/return/${id}"]`);
    await page.select("#return-state", "requested"); /* the state filter */
    await page.waitForSelector("::-p-text(Returns: requested)");
    await page.waitForSelector(`a[href="#/return/${id}"]`);
    await shot(page, "returns");
    await page.click(`a[href="#/return/${id}"]`);
    await page.waitForSelector(`::-p-text(Return #${id})`);
    await page.waitForSelector("::-p-text(TEE-BLK-M)");
    assert(await page.$("label[for=return-reason]"), "the reject reason has no label");
    await shot(page, "return");
    await page.click(`button[aria-label="authorise return ${id}"]`);
    await waitFor("the return authorised", async () =>
      (await world.ask("sql SELECT state FROM returns WHERE id = " + id)) !== "requested");
    await page.waitForSelector("::-p-text(No decision to take)");
  });

  await check("reports: the daily report shows its figures, drift and reconciliation", async () => {
    await page.goto(base + "/ops/#/reports", {waitUntil: "load"});
    await page.waitForSelector("::-p-text(Daily report for)");
    const rows = await page.$$eval("table.report tr", (trs) => trs.map((tr) => tr.textContent));
    const received = rows.find((t) => t.startsWith("received"));
    assert(received && /^received\d+$/.test(received), "no orders received figure: " + rows.join(" | "));
    assert(Number(received.slice(8)) >= 1, "the day's orders not counted: " + received);
    assert(rows.some((t) => t.startsWith("paid to Sales Order")), "no delays");
    assert(rows.some((t) => t.startsWith("ecommerce")), "no exceptions per team");
    assert(!/\bnull\b|undefined|NaN/.test(await page.$eval("#view", (v) => v.textContent)), "null, undefined or NaN shown");
    await shot(page, "reports-daily");
    await page.$eval("#report-date", (i) => { i.value = "2026-01-15"; });
    await page.click("#view form button[type=submit]");
    await page.waitForSelector("::-p-text(Daily report for 2026-01-15)");
    await world.ask("sql INSERT INTO inventory_drift_reports (shop, started_at, checked, drifted, corrected, pending, " +
      "unread, variance_units, expected_units, drifted_pct, variance_pct, over_threshold, calls, top_items, " +
      `peoplevox_only, shopline_only) VALUES ('${SHOP}', now(), 40, 2, 2, 0, 1, 7, 100, 5, 7, true, 1, ` +
      `'[{"sku": "DRIFT-SKU-1", "location_id": "L1", "wanted": 5, "pushed": 5, "shown": 10, "variance": 5}]', ` +
      `'{"count": 12, "first": ["PVX-ONLY-1"]}', '{"count": 0, "first": []}') RETURNING id`);
    await page.click("button::-p-text(Stock drift)");
    await page.waitForSelector("h1::-p-text(Stock drift)");
    await page.waitForSelector("td::-p-text(DRIFT-SKU-1)");
    await page.waitForSelector("::-p-text(12 SKUs, the first 1: PVX-ONLY-1)");
    await page.waitForSelector("::-p-text(over the threshold)");
    await shot(page, "reports-inventory");
    await page.click("button::-p-text(Reconciliation)");
    await page.waitForSelector("h1::-p-text(Reconciliation)");
    await page.waitForSelector("td::-p-text(orders)");
    await shot(page, "reports-reconcile");
  });

  await check("schedules and budgets", async () => {
    await page.goto(base + "/ops/#/schedules", {waitUntil: "load"});
    await page.waitForSelector("h2::-p-text(Schedulers)");
    const tasks = await page.$$eval("tbody tr", (trs) => trs.length);
    assert(tasks >= 5, tasks + " scheduler rows");
    await page.waitForSelector("::-p-text(Peoplevox budget in use)");
    const text = await page.$eval("#view", (v) => v.textContent);
    assert(!/\bnull\b|undefined|NaN/.test(text), "a value shown as null, undefined or NaN");
    await shot(page, "schedules");
    await page.setViewport({width: 390, height: 844});
    await page.reload({waitUntil: "load"});
    await page.waitForSelector("h2::-p-text(Schedulers)");
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert(overflow <= 0, "the page is " + overflow + " px wider than a 390 px phone");
    await shot(page, "schedules-phone");
    await page.goto(base + "/ops/#/reports", {waitUntil: "load"});
    await page.waitForSelector("::-p-text(Daily report for)");
    await shot(page, "reports-daily-phone");
    await page.setViewport({width: 1280, height: 800});
  });

  await check("keyboard only: Tab reaches the nav and a labelled control, Enter follows a link", async () => {
    await page.goto(base + "/ops/#/reports/daily", {waitUntil: "load"});
    await page.waitForSelector("#report-date");
    await page.evaluate(() => { document.body.tabIndex = -1; document.body.focus(); document.body.removeAttribute("tabindex"); }); /* from the top */
    const seen = [];
    for (let i = 0; i < 30; i++) {
      await page.keyboard.press("Tab");
      seen.push(await page.evaluate(() => {
        const a = document.activeElement;
        const label = a && a.id ? document.querySelector(`label[for="${a.id}"]`) : null;
        const box = label ? label.getBoundingClientRect() : null;
        return {tag: a.tagName, nav: !!a.closest("#nav"), href: a.getAttribute("href"),
                label: label && box.width > 0 && box.height > 0 ? label.textContent : null,
                outline: getComputedStyle(a).outlineStyle};
      }));
    }
    assert(seen.some((s) => s.nav), "Tab never reached the nav: " + JSON.stringify(seen));
    const control = seen.find((s) => /INPUT|SELECT/.test(s.tag) && s.label);
    assert(control, "Tab never reached a labelled control: " + JSON.stringify(seen));
    assert(control.outline !== "none", "no visible focus on " + control.label);
    /* from the top again, to the Schedules link, and Enter */
    await page.evaluate(() => { document.body.tabIndex = -1; document.body.focus(); document.body.removeAttribute("tabindex"); }); /* from the top */
    for (let i = 0; i < 30; i++) {
      await page.keyboard.press("Tab");
      if (await page.evaluate(() => document.activeElement.getAttribute("href") === "#/schedules")) break;
    }
    await page.keyboard.press("Enter");
    await page.waitForSelector("h2::-p-text(Schedulers)");
  });

  await check("a routing rule refused with a field error, then saved; a sample order checked", async () => {
    await page.goto(base + "/ops/#/routing", {waitUntil: "load"});
    await page.waitForSelector("#rule-1-kind");
    const n = await page.$$eval(".rules > li", (l) => l.length);
    await page.click("::-p-text(Add rule)");
    const k = n + 1;
    assert(await page.evaluate(() => document.activeElement.id) === `rule-${k}-kind`, "focus not on the new rule");
    await page.type(`#rule-${k}-match`, "DE");
    await page.type(`#rule-${k}-site`, "ATLANTIS");
    await page.click("::-p-text(Save rules)");
    await page.waitForSelector(`#rule-${k}-site-error::-p-text(unknown site 'ATLANTIS')`);
    assert(await world.ask("sql SELECT count(*) FROM routing_rules WHERE match = 'DE'") === "0", "saved anyway");
    await shot(page, "routing-refused");
    await page.$eval(`#rule-${k}-site`, (i) => { i.value = ""; });
    await page.type(`#rule-${k}-site`, "LONDON");
    await page.click("::-p-text(Save rules)");
    await page.waitForSelector("::-p-text(Saved: )");
    assert(await world.ask("sql SELECT site FROM routing_rules WHERE kind = 'country' AND match = 'DE'") === "LONDON", "not saved");
    assert(Number(await world.ask("sql SELECT count(*) FROM audit_log WHERE action = 'routing.set' AND actor = 'olga'")) >= 1, "no audit row");
    await page.type("#check-country", "DE");
    await page.keyboard.press("Enter");
    await page.waitForSelector("#check-result::-p-text(→ LONDON)");
    await shot(page, "routing");
  });

  await check("the carriers view: add a mapping, then edit it", async () => {
    await page.goto(base + "/ops/#/carriers", {waitUntil: "load"});
    await page.waitForSelector("#carrier-name");
    await page.type("#carrier-name", "Royal Mail");
    await page.type("#carrier-company", "Royal Mail");
    await page.type("#carrier-url", "ftp://x/{tracking}");
    await page.click("::-p-text(Save carrier)");
    await page.waitForSelector("#carrier-url-error::-p-text(https://)"); /* checked before sending */
    await page.$eval("#carrier-url", (i) => { i.value = ""; });
    await page.type("#carrier-url", "https://track.example/{tracking}");
    await page.click("::-p-text(Save carrier)");
    await page.waitForSelector("#carrier-result::-p-text(track.example/TRACKING123)");
    await page.click('button[aria-label="edit carrier Royal Mail"]');
    assert(await page.$eval("#carrier-name", (i) => i.value) === "Royal Mail", "edit did not fill the form");
    await page.$eval("#carrier-company", (i) => { i.value = ""; });
    await page.type("#carrier-company", "Royal Mail UK");
    await page.keyboard.press("Enter");
    await page.waitForSelector("td::-p-text(Royal Mail UK)");
    assert(await world.ask("sql SELECT tracking_company FROM carriers WHERE carrier = 'Royal Mail'") === "Royal Mail UK", "not stored");
    await shot(page, "carriers");
  });

  await check("the settings views at phone width, and read only for a viewer", async () => {
    await page.setViewport({width: 390, height: 844});
    for (const v of ["sku", "routing", "carriers"]) {
      await page.goto(base + "/ops/#/" + v, {waitUntil: "load"});
      await page.waitForSelector("form.edit");
      const wide = await page.evaluate(() => document.documentElement.scrollWidth);
      assert(wide <= 390, v + " is " + wide + " px wide at phone width");
      await shot(page, v + "-phone");
    }
    await page.setViewport({width: 1280, height: 800});
    const ctx = await browser.createBrowserContext();
    const vp = await ctx.newPage();
    await vp.setViewport({width: 1280, height: 800});
    await login(vp, base, VIEWER);
    await vp.waitForSelector("::-p-text(Last 24 hours)"); /* the home view done: it cannot replace the next */
    for (const v of ["sku", "routing", "carriers"]) {
      await vp.goto(base + "/ops/#/" + v, {waitUntil: "load"});
      await vp.waitForSelector("form.edit ::-p-text(Read only)");
      const enabled = await vp.$$eval("form.edit input, form.edit select, form.edit button", (l) => l.filter((c) => !c.disabled).length);
      assert(enabled === 0, v + ": " + enabled + " controls enabled for a viewer");
    }
    const status = await vp.evaluate(async () => {
      const r = await fetch("/api/v1/sku-mappings", {method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-CSRF-Token": sv.session.csrf_token},
        body: JSON.stringify({shopline_sku: "V", item_code: "TEE-BLK-M"})});
      return r.status;
    });
    assert(status === 403, "viewer mapping: " + status);
    await shot(vp, "carriers-viewer");
    await ctx.close();
  });

  /* A logged-in page of its own whose requests matching held() wait for release(). */
  async function heldPage(held) {
    const ctx = await browser.createBrowserContext();
    const p = await ctx.newPage();
    await p.setViewport({width: 1280, height: 800});
    await login(p, base, OPERATOR);
    await p.waitForSelector("::-p-text(Last 24 hours)");
    let release;
    const gate = new Promise((r) => { release = r; });
    await p.setRequestInterception(true);
    p.on("request", async (req) => {
      if (held(req)) await gate;
      req.continue();
    });
    return {ctx, p, release};
  }

  await check("a view answered late does not replace the view shown since", async () => {
    const {ctx, p, release} = await heldPage((req) => req.url().includes("/api/v1/dashboard")); /* home's read */
    await p.evaluate(() => { location.hash = "#/jobs"; });
    await p.waitForSelector("h1::-p-text(Jobs)");
    const late = p.waitForResponse((r) => r.url().includes("/api/v1/dashboard"));
    await p.evaluate(() => { location.hash = "#/"; }); /* home: its read is held */
    await new Promise((r) => setTimeout(r, 300));
    await p.evaluate(() => { location.hash = "#/jobs/dead"; });
    await p.waitForSelector("h1::-p-text(Jobs: dead)");
    release();
    await late;
    await new Promise((r) => setTimeout(r, 500)); /* time for a stale render to land */
    const h1 = await p.$eval("#view h1", (h) => h.textContent);
    assert(h1.startsWith("Jobs"), "the late home view replaced Jobs: " + h1);
    await ctx.close();
  });

  await check("a write answered after the user moved on does not bring its view back", async () => {
    const id = await world.ask("sql INSERT INTO jobs (shop, kind, dedupe_key, payload, state, attempts, last_error, finished_at) " +
      `VALUES ('${SHOP}', 'catalogue_sync', 'browser-dead-late', '{}', 'dead', 12, 'boom', now()) RETURNING id`);
    const {ctx, p, release} = await heldPage((req) => req.method() === "POST" && req.url().includes("/retry"));
    await p.evaluate(() => { location.hash = "#/jobs/dead"; });
    await p.waitForSelector(`button[aria-label="retry job ${id}"]`);
    const late = p.waitForResponse((r) => r.url().includes("/retry"));
    await p.click(`button[aria-label="retry job ${id}"]`);
    await p.evaluate(() => { location.hash = "#/orders"; });
    await p.waitForSelector("h1::-p-text(Orders)");
    release();
    await late;
    await p.waitForSelector("#toast.show");
    await new Promise((r) => setTimeout(r, 500)); /* time for a refresh of Jobs to land */
    const h1 = await p.$eval("#view h1", (h) => h.textContent);
    assert(h1 === "Orders", "the retried job's view replaced Orders: " + h1);
    await ctx.close();
  });

  await check("no CSP violation on any view", async () => {
    assert(cspViolations.length === 0, cspViolations.join("\n"));
  });

  await browser.close();
  world.child.stdin.end();
  await new Promise((r) => world.child.on("exit", r));
  const failed = results.filter((r) => !r[1]).length;
  console.log(`${results.length - failed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => { console.error(e); process.exit(1); });
