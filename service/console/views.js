/*
 * views.js - the views, one function each, registered in sv.views (the
 * router in console.js calls them with the hash's segments): home (the
 * dashboard), exceptions (the queue per team: suggested action, retry,
 * resolve, one and bulk, with a note), orders (search) and order/<id>
 * (timeline, lines, Sales Order, fulfillments, payloads), jobs (dead jobs
 * and their retry). Every write goes through sv.api, which carries the
 * session's CSRF token; a viewer's write buttons are disabled.
 */
"use strict";

const el = sv.el;
const TEAMS = ["ops", "ecommerce", "finance", "customer_service"];

function table(headers, rows, wide) {
  return el("div", {class: "table-wrap"},
    el("table", {},
      el("thead", {}, el("tr", {}, headers.map((h, i) =>
        el("th", {scope: "col", class: wide && wide.includes(i) ? "wide" : null}, h)))),
      el("tbody", {}, rows.length ? rows : el("tr", {}, el("td", {colspan: headers.length}, "None.")))));
}

function cells(values, wide) {
  return el("tr", {}, values.map((v, i) => el("td", {class: wide && wide.includes(i) ? "wide" : null}, v)));
}

/* A group of tab buttons: items are [key, text]; one press goes to base + key. */
function tabs(label, items, current, base) {
  return el("div", {class: "tabs", role: "group", "aria-label": label},
    items.map(([k, t]) => el("button", {type: "button", "aria-pressed": String(k === current),
                                        onclick: () => { location.hash = base + k; }}, t)));
}

function figure(label, value, extra) {
  return el("div", {class: "card"}, el("div", {class: "label"}, label),
            el("div", {class: "figure"}, value), extra || null);
}

/* ---- home ---- */

sv.views.home = async function () {
  let d;
  try { d = await sv.api("GET", "/api/v1/dashboard"); } catch (e) { return sv.render(el("h1", {}, "Home"), sv.failure(e)); }
  const o = d.orders;
  const teams = new Map(d.exceptions.map((t) => [t.team, t]));
  sv.render(
    el("h1", {}, "Last 24 hours"),
    el("div", {class: "grid"},
       figure("Orders received", o.received), figure("Posted to the warehouse", o.posted),
       figure("Despatched", o.despatched), figure("Fulfilled in the store", o.fulfilled)),
    el("h2", {}, "Open exceptions"),
    el("div", {class: "grid"}, TEAMS.map((t) => {
      const x = teams.get(t);
      return el("div", {class: "card"},
        el("div", {class: "label"}, t.replace("_", " ")),
        el("a", {href: "#/exceptions/" + t, class: "figure"}, x ? x.open : 0),
        el("div", {class: "label"}, x ? "oldest " + sv.age(x.oldest_age_s) : "none open"));
    })),
    el("h2", {}, "Budgets"),
    el("div", {class: "grid"}, d.buckets.length ? d.buckets.map((b) => {
      const pct = Math.max(0, Math.min(100, b.used_pct || 0));
      return figure(b.api === "peoplevox" ? "Peoplevox budget in use" : "Shopline budget in use",
                    pct + " %", el("div", {class: "bar bar-" + Math.round(pct / 10) * 10,
                                           role: "img", "aria-label": pct + " percent in use"}, el("span")));
    }) : el("p", {class: "label"}, "No call made yet.")),
    el("h2", {}, "Stock sync"),
    el("p", {}, d.stock_sync_age_s === null ? "No stock sync has succeeded yet."
                                            : "Last successful stock sync " + sv.age(d.stock_sync_age_s) + " ago."),
    el("h2", {}, "Schedulers"),
    table(["Task", "Last success", "Last run", "State"], d.schedules.map((s) => cells([
      s.task, sv.time(s.last_success_at), sv.time(s.last_run_at),
      s.failing ? el("span", {class: "badge bad", title: s.last_error || ""}, "failing")
                : el("span", {class: "badge good"}, "ok")]))),
    el("p", {class: "label"}, "Times in " + d.time_zone + "."));
};

/* ---- exceptions ---- */

async function exceptionAction(id, verb, note) {
  const r = await sv.api("POST", "/api/v1/exceptions/" + id + "/" + verb, verb === "resolve" ? {note} : {});
  return r.message || (verb === "resolve" ? "resolved" : "retried");
}

sv.views.exceptions = async function (args) {
  const team = TEAMS.includes(args[0]) ? args[0] : "";
  const note = el("input", {id: "exc-note", type: "text", maxlength: 2000, placeholder: "why (kept in the audit log)"});
  const teamTabs = tabs("Team", ["", ...TEAMS].map((t) => [t, t ? t.replace("_", " ") : "all teams"]),
                        team, "#/exceptions/");
  let list;
  try {
    list = await sv.api("GET", "/api/v1/exceptions?limit=200" + (team ? "&team=" + team : ""));
  } catch (e) { return sv.render(el("h1", {}, "Exceptions"), teamTabs, sv.failure(e)); }
  const boxes = [];
  const here = sv.onThisView();
  const act = async (ids, verb) => {
    const done = [];
    for (const id of ids) {
      try { done.push("#" + id + ": " + await exceptionAction(id, verb, note.value)); }
      catch (e) { done.push("#" + id + ": " + e.message); }
    }
    sv.toast(done.join("; "));
    here(() => sv.views.exceptions(args));
  };
  const rows = list.items.map((x) => {
    const box = el("input", {type: "checkbox", value: x.id, "aria-label": "select exception " + x.id});
    boxes.push(box);
    return cells([box, x.type, x.order_name ? el("a", {href: "#/order/" + x.order_id}, x.order_name) : x.subject,
                  x.detail, x.action || "—", sv.age(x.age_s),
                  el("span", {}, sv.writeButton("Retry", () => act([x.id], "retry"), {"aria-label": "retry exception " + x.id}),
                     " ", sv.writeButton("Resolve", () => act([x.id], "resolve"), {class: "secondary", "aria-label": "resolve exception " + x.id}))],
                 [3]);
  });
  const selected = () => boxes.filter((b) => b.checked).map((b) => b.value);
  const bulk = async () => {
    if (!team) return sv.toast("Choose a team first: the bulk resolve acts on one team's queue.");
    try {
      const r = await sv.api("POST", "/api/v1/exceptions/resolve", {team, note: note.value || undefined});
      sv.toast(r.results.length + " of " + r.matched + " handled");
    } catch (e) { sv.toast(e.message); }
    here(() => sv.views.exceptions(args));
  };
  sv.render(
    el("h1", {}, "Exceptions" + (team ? ": " + team.replace("_", " ") : "")), teamTabs,
    el("div", {class: "row"},
       el("div", {}, el("label", {for: "exc-note"}, "Note for resolve"), note),
       sv.writeButton("Retry selected", () => act(selected(), "retry")),
       sv.writeButton("Resolve selected", () => act(selected(), "resolve"), {class: "secondary"}),
       sv.writeButton("Resolve all of this team", bulk, {class: "secondary"})),
    table(["", "Type", "Subject", "Detail", "Suggested action", "Age", "Actions"], rows, [3]));
};

/* ---- orders ---- */

sv.views.orders = async function (args) {
  const q = el("input", {id: "order-q", type: "search", value: args[0] || "", placeholder: "#1001"});
  const form = el("form", {class: "row", role: "search", onsubmit: (ev) => {
    ev.preventDefault();
    location.hash = "#/orders/" + encodeURIComponent(q.value.trim());
  }}, el("div", {}, el("label", {for: "order-q"}, "Order name"), q), el("button", {type: "submit"}, "Search"));
  let list;
  try {
    list = await sv.api("GET", "/api/v1/orders?limit=50" + (args[0] ? "&name=" + encodeURIComponent(args[0]) : ""));
  } catch (e) { return sv.render(el("h1", {}, "Orders"), form, sv.failure(e)); }
  sv.render(el("h1", {}, "Orders"), form,
    table(["Order", "State", "Sales Order", "Site", "Received"], list.items.map((o) => cells([
      el("a", {href: "#/order/" + o.id}, o.name), o.state + (o.hold_reason ? " (" + o.hold_reason + ")" : ""),
      o.sales_order_number || "—", o.site || "—", sv.time(o.received_at)], [3])), [3]));
};

function pre(value) {
  return el("pre", {}, typeof value === "string" ? value : JSON.stringify(value, null, 2));
}

sv.views.order = async function (args) {
  let o;
  try { o = await sv.api("GET", "/api/v1/orders/" + encodeURIComponent(args[0] || "")); }
  catch (e) { return sv.render(el("h1", {}, "Order"), sv.failure(e)); }
  const order = o.order || o;
  sv.render(
    el("h1", {}, "Order " + order.name),
    el("div", {class: "grid"},
       figure("State", order.state), figure("Sales Order", order.sales_order_number || "—"),
       figure("Site", order.site || "—"), figure("Received", sv.time(order.received_at || order.created_at))),
    el("h2", {}, "Timeline"),
    el("ol", {class: "timeline"}, (o.history || []).map((h) => el("li", {},
      el("time", {datetime: h.at}, sv.time(h.at)), el("strong", {}, h.event), " ",
      h.to_state ? "→ " + h.to_state + " " : "", h.detail || ""))),
    el("h2", {}, "Lines"),
    table(["SKU", "Title", "Quantity"], (o.lines || []).map((l) => cells([l.sku, l.title || "", l.quantity]))),
    el("h2", {}, "Fulfillments"),
    table(["Despatch", "State", "Tracking", "Shopline fulfillment"], (o.despatches || []).map((d) => cells([
      d.despatch_number || d.id, d.state, d.tracking_number || "—", d.shopline_fulfillment_id || "—"]))),
    el("h2", {}, "Jobs"),
    table(["Kind", "State", "Attempts", "Last error"], (o.jobs || []).map((j) => cells([
      j.kind, j.state, j.attempts, j.last_error || ""]))),
    el("h2", {}, "Exceptions"),
    table(["Type", "State", "Detail"], (o.exceptions || []).map((x) => cells([x.type, x.state, x.detail]))),
    el("h2", {}, "Payloads"),
    el("div", {}, (o.webhooks || []).length ? (o.webhooks || []).map((w) => el("details", {},
      el("summary", {}, (w.topic || "webhook") + " · " + sv.time(w.received_at)),
      pre(w.payload !== undefined && w.payload !== null ? w.payload : (w.body_base64 || "deleted by retention"))))
      : el("p", {class: "label"}, "None kept.")));
};

/* ---- jobs ---- */

sv.views.jobs = async function (args) {
  const state = ["dead", "pending", "running", "done"].includes(args[0]) ? args[0] : "dead";
  let list;
  try { list = await sv.api("GET", "/api/v1/jobs?limit=100&state=" + state); }
  catch (e) { return sv.render(el("h1", {}, "Jobs"), sv.failure(e)); }
  const stateTabs = tabs("Job state", ["dead", "pending", "running", "done"].map((s) => [s, s]), state, "#/jobs/");
  const here = sv.onThisView();
  const retry = async (id) => {
    try { const r = await sv.api("POST", "/api/v1/jobs/" + id + "/retry", {}); sv.toast("job " + id + ": " + r.state); }
    catch (e) { sv.toast("job " + id + ": " + e.message); }
    here(() => sv.views.jobs(args));
  };
  sv.render(el("h1", {}, "Jobs: " + state), stateTabs,
    table(["Job", "Kind", "Attempts", "Last error", "Due", ""], list.items.map((j) => cells([
      "#" + j.id, j.kind, j.attempts, j.last_error || "", sv.time(j.run_at),
      state === "dead" ? sv.writeButton("Retry", () => retry(j.id), {"aria-label": "retry job " + j.id}) : ""], [3])), [3]));
};
