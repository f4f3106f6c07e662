/*
 * views_config.js - the settings editors, registered in sv.views like
 * views.js's: sku (SKU mappings: list, search, add, remove; the orders
 * held for unknown SKUs, watched until the mapping releases them),
 * routing (the rules as rows: add, edit, remove, save; a sample order's
 * site under the draft) and carriers (list, add, edit, delete).
 *
 * Each form checks what it can before sending (the server checks again,
 * and its refusals name their fields in error.fields: they are shown next
 * to the control, which gets aria-invalid). A viewer sees the forms
 * disabled with the reason; the API would answer 403 anyway. Every write
 * goes through sv.api, which carries the session's CSRF token.
 */
"use strict";

/* ---- form helpers ---- */

/* A labelled control with its error line: {box, input, error}. */
function field(id, label, input, hint) {
  const error = el("p", {id: id + "-error", class: "field-error", role: "alert"});
  input.id = id;
  input.setAttribute("aria-describedby", id + "-error" + (hint ? " " + id + "-hint" : ""));
  return {input, error,
          box: el("div", {class: "field"}, el("label", {for: id}, label), input,
                  hint ? el("span", {id: id + "-hint", class: "label"}, hint) : null, error)};
}

function setError(f, message) {
  f.error.textContent = message || "";
  if (message) f.input.setAttribute("aria-invalid", "true");
  else f.input.removeAttribute("aria-invalid");
}

/* Clears every field of fields (an object of field()s). */
function clearErrors(fields) {
  for (const f of Object.values(fields)) setError(f, "");
}

/* The server's field errors onto fields (by name); the rest into general. Returns how many shown. */
function showServerErrors(err, fields, general) {
  const list = err.body && err.body.error && err.body.error.fields ? err.body.error.fields : [];
  let shown = 0;
  for (const x of list) {
    if (fields[x.field]) { setError(fields[x.field], x.message); shown++; }
  }
  if (shown === 0) general.textContent = err.message;
  const first = list.find((x) => fields[x.field]);
  if (first) fields[first.field].input.focus();
  return shown;
}

/* A form of a view: disabled for a viewer, with the reason. */
function editForm(label, onsubmit, ...children) {
  const form = el("form", {class: "card edit", "aria-label": label, novalidate: true,
                           onsubmit: (ev) => { ev.preventDefault(); onsubmit(); }}, ...children);
  if (!sv.canWrite()) {
    for (const c of form.querySelectorAll("input, select, button")) c.disabled = true;
    form.prepend(el("p", {class: "label"}, "Read only: your token is a viewer's."));
  }
  return form;
}

const CONTROL = /[\u0000-\u001f\u007f]/;
const bytes = (s) => new TextEncoder().encode(s).length;

/* ---- SKU mappings ---- */

function skuProblems(sku, code) {
  const p = {};
  if (sku.trim() === "") p.shopline_sku = "Enter the SKU exactly as the Shopline order line has it.";
  else if (CONTROL.test(sku)) p.shopline_sku = "The SKU has a tab, line break or other control character.";
  else if (bytes(sku) > 1000) p.shopline_sku = "The SKU is longer than 1000 bytes.";
  if (code.trim() === "") p.item_code = "Enter the Peoplevox item code.";
  else if (CONTROL.test(code)) p.item_code = "The item code has a tab, line break or other control character.";
  else if (code !== code.trim()) p.item_code = "The item code starts or ends with a space.";
  else if (bytes(code) > 50) p.item_code = "Peoplevox item codes are at most 50 bytes.";
  return p;
}

async function skuHeld(box) {
  let list;
  try { list = await sv.api("GET", "/api/v1/exceptions?type=unknown_sku&limit=100"); }
  catch (e) { box.replaceChildren(sv.failure(e)); return -1; }
  box.replaceChildren(list.items.length
    ? table(["Order", "Unknown SKUs", "Held for"], list.items.map((x) => cells([
        x.order_name ? el("a", {href: "#/order/" + x.order_id}, x.order_name) : x.subject,
        x.detail, sv.age(x.age_s)])))
    : el("p", {class: "ok"}, "No order is held for an unknown SKU."));
  return list.items.length;
}

/* Refreshes the held orders until none is left or 30 s passed, saying so in status. */
function skuWatch(box, status, enqueued) {
  const end = Date.now() + 30000;
  const tick = async () => {
    if (!box.isConnected) return;
    const left = await skuHeld(box);
    if (left === 0) { status.textContent = enqueued + " held order(s) re-checked: every unknown-SKU exception is closed."; return; }
    if (Date.now() < end) setTimeout(tick, 1500);
  };
  tick();
}

async function skuList(box, q) {
  let list;
  try { list = await sv.api("GET", "/api/v1/sku-mappings?limit=200" + (q ? "&q=" + encodeURIComponent(q) : "")); }
  catch (e) { box.replaceChildren(sv.failure(e)); return; }
  const remove = async (sku) => {
    try {
      const r = await sv.api("POST", "/api/v1/sku-mappings/remove", {shopline_sku: sku});
      sv.toast("Removed " + r.shopline_sku + " → " + r.item_code);
    } catch (e) { sv.toast(sku + ": " + e.message); }
    skuList(box, q);
  };
  box.replaceChildren(table(["Shopline SKU", "Item code", "In the catalogue", "Added", "By", ""],
    list.items.map((m) => cells([m.shopline_sku, m.item_code,
      el("span", {class: "badge " + (m.item_state === "active" ? "good" : "bad")}, m.item_state),
      sv.time(m.created_at), m.created_by || "—",
      sv.writeButton("Remove", () => remove(m.shopline_sku),
                     {class: "secondary", "aria-label": "remove mapping " + m.shopline_sku})], [3, 4])), [3, 4]));
}

sv.views.sku = async function (args) {
  const f = {
    shopline_sku: field("sku-shopline", "Shopline SKU", el("input", {type: "text", autocomplete: "off", value: args[0] || ""})),
    item_code: field("sku-item", "Peoplevox item code", el("input", {type: "text", autocomplete: "off", maxlength: 50})),
  };
  const allow = el("input", {id: "sku-allow", type: "checkbox"});
  const general = el("p", {class: "error", role: "alert"});
  const status = el("p", {id: "sku-result", class: "result", role: "status"});
  const held = el("div", {id: "sku-held"});
  const mappings = el("div", {id: "sku-list"});
  const q = el("input", {id: "sku-q", type: "search"});
  const save = async () => {
    clearErrors(f);
    general.textContent = "";
    const sku = f.shopline_sku.input.value, code = f.item_code.input.value;
    const problems = skuProblems(sku, code);
    for (const [k, m] of Object.entries(problems)) setError(f[k], m);
    if (Object.keys(problems).length) return f[Object.keys(problems)[0]].input.focus();
    status.textContent = "Saving…";
    try {
      const r = await sv.api("POST", "/api/v1/sku-mappings", {shopline_sku: sku, item_code: code,
                                                               allow_unknown: allow.checked || undefined});
      status.textContent = "Saved: " + r.shopline_sku + " → " + r.item_code + " (item " + r.item_state + ")" +
        (r.previous_item_code ? ", was " + r.previous_item_code : "") + ". " +
        (r.warning ? r.warning + ". " : "") + r.held_orders_enqueued + " held order(s) re-checked.";
      f.shopline_sku.input.value = "";
      f.item_code.input.value = "";
      allow.checked = false;
      skuList(mappings, q.value);
      skuWatch(held, status, r.held_orders_enqueued);
    } catch (e) {
      status.textContent = "";
      if (e.body && e.body.error && e.body.error.code === "unknown_item") {
        setError(f.item_code, "'" + code + "' is not in the Peoplevox catalogue shopvox knows: check the code, " +
                 "or tick the box below if the item was just created in Peoplevox.");
        f.item_code.input.focus();
      } else {
        showServerErrors(e, f, general);
      }
    }
  };
  sv.render(
    el("h1", {}, "SKU mappings"),
    el("p", {class: "label"}, "A mapping tells shopvox which Peoplevox item a Shopline SKU is. " +
       "Saving one re-checks the orders held for it."),
    editForm("Add or change a mapping", save,
      el("div", {class: "row"}, f.shopline_sku.box, f.item_code.box),
      el("div", {class: "check"}, allow, el("label", {for: "sku-allow"},
         "The item is new in Peoplevox (not in shopvox's catalogue yet)")),
      el("button", {type: "submit"}, "Save mapping"), general, status),
    el("h2", {}, "Orders held for unknown SKUs"), held,
    el("h2", {}, "Mappings"),
    el("form", {class: "row", role: "search", onsubmit: (ev) => { ev.preventDefault(); skuList(mappings, q.value); }},
       el("div", {}, el("label", {for: "sku-q"}, "Search SKU or item code"), q),
       el("button", {type: "submit", class: "secondary"}, "Search")),
    mappings);
  skuHeld(held);
  skuList(mappings, "");
};

/* ---- routing rules ---- */

const KINDS = ["location", "country", "stock", "default"];
const takesMatch = (kind) => kind === "location" || kind === "country";

/* The rule language of rows (for the check of a draft). */
const rulesSpec = (rows) => rows.map((r) => r.kind + (takesMatch(r.kind) ? ":" + r.match : "") + "=" + r.site).join(";");

sv.views.routing = async function () {
  let now;
  try { now = await sv.api("GET", "/api/v1/routing-rules"); }
  catch (e) { return sv.render(el("h1", {}, "Routing rules"), sv.failure(e)); }
  let rows = now.rules.map((r) => ({kind: r.kind, match: r.match || "", site: r.site}));
  const list = el("ol", {class: "rules"});
  const general = el("p", {class: "error", role: "alert"});
  let fields = {};

  const draw = () => {
    fields = {};
    list.replaceChildren(...rows.map((r, i) => {
      const n = i + 1;
      const kind = field("rule-" + n + "-kind", "Kind", el("select", {onchange: (ev) => { r.kind = ev.target.value; draw(); }},
        KINDS.map((k) => el("option", {value: k, selected: k === r.kind}, k))));
      const match = field("rule-" + n + "-match", r.kind === "country" ? "Country (2 letters)" : "Shopline location id",
        el("input", {type: "text", value: r.match, disabled: !takesMatch(r.kind),
                     oninput: (ev) => { r.match = ev.target.value; }}));
      const site = field("rule-" + n + "-site", "Peoplevox site", el("input", {type: "text", value: r.site,
                                                                              oninput: (ev) => { r.site = ev.target.value; }}));
      const whole = el("p", {id: "rule-" + n + "-error", class: "field-error", role: "alert"});
      fields["rules/" + i + "/kind"] = kind;
      fields["rules/" + i + "/match"] = match;
      fields["rules/" + i + "/site"] = site;
      fields["rules/" + i] = {input: kind.input, error: whole};
      const remove = el("button", {type: "button", class: "secondary", "aria-label": "remove rule " + n,
                                   onclick: () => { rows.splice(i, 1); draw(); }}, "Remove");
      return el("li", {}, el("fieldset", {}, el("legend", {}, "Rule " + n),
        el("div", {class: "row"}, kind.box, takesMatch(r.kind) ? match.box : null, site.box, el("div", {}, remove)), whole));
    }));
    fields.rules = {input: list, error: general};
    if (!sv.canWrite()) for (const c of list.querySelectorAll("input, select, button")) c.disabled = true;
  };

  const check = (r) => {
    const p = {};
    if (!KINDS.includes(r.kind)) p.kind = "Choose a kind.";
    if (r.kind === "country" && !/^[A-Za-z]{2}$/.test(r.match)) p.match = "Two letters, e.g. GB.";
    if (r.kind === "location" && r.match.trim() === "") p.match = "Enter the Shopline location id.";
    if (takesMatch(r.kind) && /[;=\n]/.test(r.match)) p.match = "No ; = or line break.";
    if (r.site.trim() === "") p.site = "Enter a Peoplevox site.";
    else if (/[,;=]/.test(r.site) || CONTROL.test(r.site)) p.site = "No , ; = or control character.";
    return p;
  };

  const save = async () => {
    clearErrors(fields);
    general.textContent = "";
    let bad = null;
    rows.forEach((r, i) => {
      for (const [k, m] of Object.entries(check(r))) { setError(fields["rules/" + i + "/" + k], m); bad = bad || fields["rules/" + i + "/" + k]; }
    });
    if (!rows.length) { general.textContent = "Keep at least one rule (a default rule, e.g.)."; return; }
    if (bad) return bad.input.focus();
    try {
      const r = await sv.api("POST", "/api/v1/routing-rules", {rules: rows.map((x) => ({
        kind: x.kind, match: takesMatch(x.kind) ? x.match : null, site: x.site}))});
      rows = r.rules.map((x) => ({kind: x.kind, match: x.match || "", site: x.site}));
      draw();
      general.replaceChildren(el("span", {class: "ok"}, "Saved: " + r.spec));
      sv.toast("Routing rules saved");
    } catch (e) {
      showServerErrors(e, fields, general);
    }
  };

  const country = field("check-country", "Shipping country", el("input", {type: "text", maxlength: 2, placeholder: "GB"}));
  const location = field("check-location", "Shopline location id", el("input", {type: "text"}));
  const verdict = el("p", {id: "check-result", class: "result", role: "status"});
  const tryIt = async () => {
    const qs = new URLSearchParams();
    if (country.input.value) qs.set("country", country.input.value);
    if (location.input.value) qs.set("location_id", location.input.value);
    if (rows.length) qs.set("spec", rulesSpec(rows));
    try {
      const r = await sv.api("GET", "/api/v1/routing-rules/check?" + qs.toString());
      verdict.replaceChildren(r.routed ? el("strong", {}, "→ " + r.site) : el("strong", {class: "error"}, "Unroutable"),
                              " " + r.reason);
    } catch (e) { verdict.replaceChildren(el("span", {class: "error"}, e.message)); }
  };

  draw();
  const add = el("button", {type: "button", class: "secondary", onclick: () => {
    rows.push({kind: "country", match: "", site: ""});
    draw();
    document.getElementById("rule-" + rows.length + "-kind").focus();
  }}, "Add rule");
  if (!sv.canWrite()) add.disabled = true;
  sv.render(
    el("h1", {}, "Routing rules"),
    el("p", {class: "label"}, "Which Peoplevox site ships an order: its Shopline location's rule, else its " +
       "country's, else the first stock site with every line, else the default. Order matters only within a kind."),
    editForm("Routing rules", save, list, el("div", {class: "row"}, add, el("button", {type: "submit"}, "Save rules"),
      el("button", {type: "button", class: "secondary", onclick: () => sv.views.routing()}, "Revert")), general),
    el("h2", {}, "Where would an order go?"),
    el("form", {class: "card", "aria-label": "Check a sample order", onsubmit: (ev) => { ev.preventDefault(); tryIt(); }},
      el("p", {class: "label"}, "Under the rules above, saved or not. Stock rules are skipped: a sample has no lines."),
      el("div", {class: "row"}, country.box, location.box, el("div", {}, el("button", {type: "submit"}, "Check"))),
      verdict));
};

/* ---- carriers ---- */

sv.views.carriers = async function () {
  let list;
  try { list = await sv.api("GET", "/api/v1/carriers"); }
  catch (e) { return sv.render(el("h1", {}, "Carriers"), sv.failure(e)); }
  const f = {
    carrier: field("carrier-name", "Peoplevox carrier", el("input", {type: "text", required: true})),
    service: field("carrier-service", "Service (empty: any)", el("input", {type: "text"})),
    company: field("carrier-company", "Tracking company in Shopline", el("input", {type: "text", required: true})),
    template: field("carrier-url", "Tracking URL template", el("input", {type: "url", placeholder: "https://track.example/{tracking}"}),
                    "optional; {tracking} stands for the tracking number"),
  };
  const general = el("p", {class: "error", role: "alert"});
  const status = el("p", {id: "carrier-result", class: "result", role: "status"});
  const here = sv.onThisView();
  const fill = (c) => {
    f.carrier.input.value = c.carrier;
    f.service.input.value = c.service || "";
    f.company.input.value = c.tracking_company || "";
    f.template.input.value = c.tracking_url_template || "";
    f.carrier.input.focus();
  };
  const save = async () => {
    clearErrors(f);
    general.textContent = "";
    const v = (k) => f[k].input.value.trim();
    if (!v("carrier")) setError(f.carrier, "Enter the carrier as Peoplevox names it.");
    if (!v("company")) setError(f.company, "Enter the tracking company Shopline shows.");
    if (v("template") && !/^https?:\/\/[^{]+/.test(v("template"))) setError(f.template, "Start with https:// and a host.");
    const bad = Object.values(f).find((x) => x.error.textContent);
    if (bad) return bad.input.focus();
    try {
      const r = await sv.api("POST", "/api/v1/carriers", {carrier: v("carrier"), service: v("service"),
        tracking_company: v("company"), tracking_url_template: v("template") || null});
      sv.toast("Saved " + r.carrier + (r.service ? "/" + r.service : ""));
      await here(async () => {
        await sv.views.carriers();
        document.getElementById("carrier-result").textContent = "Saved " + r.carrier + (r.service ? "/" + r.service : "") +
          " → " + r.tracking_company + (r.example_url ? " (e.g. " + r.example_url + ")" : "") + ".";
      });
    } catch (e) {
      const m = /^invalid (carrier|company|URL template)|^a (carrier|tracking company) is required/.exec(e.message);
      const which = m ? {carrier: "carrier", company: "company", "URL template": "template", "tracking company": "company"}[m[1] || m[2]] : null;
      if (which) { setError(f[which], e.message); f[which].input.focus(); } else general.textContent = e.message;
    }
  };
  const remove = async (c, b) => {
    if (b.dataset.armed !== "1") { b.dataset.armed = "1"; b.textContent = "Confirm delete"; return; }
    try { await sv.api("POST", "/api/v1/carriers/delete", {carrier: c.carrier, service: c.service}); sv.toast("Deleted " + c.carrier); }
    catch (e) { sv.toast(e.message); }
    here(() => sv.views.carriers());
  };
  const name = (c) => c.carrier + (c.service ? "/" + c.service : "");
  sv.render(
    el("h1", {}, "Carriers"),
    el("p", {class: "label"}, "How a Peoplevox despatch's carrier shows in the Shopline fulfillment. " +
       "A change applies to the next fulfillment, never to those already sent."),
    table(["Carrier", "Service", "Tracking company", "Tracking URL", "Updated", ""], list.items.map((c) => {
      const del = sv.writeButton("Delete", (ev) => remove(c, ev.currentTarget), {class: "secondary", "aria-label": "delete carrier " + name(c)});
      return cells([c.carrier, c.service || "any", c.tracking_company, c.tracking_url_template || "—",
                    sv.time(c.updated_at) + (c.updated_by ? " · " + c.updated_by : ""),
                    el("span", {}, sv.writeButton("Edit", () => fill(c), {"aria-label": "edit carrier " + name(c)}), " ", del)], [3, 4]);
    }), [3, 4]),
    el("h2", {}, "Add or change a mapping"),
    editForm("Carrier mapping", save, el("div", {class: "row"}, f.carrier.box, f.service.box, f.company.box, f.template.box),
             el("button", {type: "submit"}, "Save carrier"), general, status));
};
