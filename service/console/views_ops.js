/*
 * views_ops.js - the operations views beside views.js's (it loads after
 * it and reuses its helpers: el, table, cells, figure, pre): returns
 * (list by state with cursor paging: #/returns/<state>/<cursor>; one
 * return's lines, authorisation, receipt and refund figures and history,
 * with customer service's authorise / reject while it is requested:
 * #/return/<id>), reports (#/reports/daily/<date>: the figures of
 * `shopvox report daily`, in the same rows; #/reports/inventory: the latest
 * stock drift report; #/reports/reconcile: the sweeps' latest runs) and
 * schedules (each periodic task's last run, success and next due, and the
 * Peoplevox and Shopline budgets in use). Times go through sv.time (the
 * store's zone); data is put in as text only.
 */
"use strict";

const RETURN_STATES = ["requested", "authorised", "awaiting_receipt", "received", "inspected",
                       "returned_to_stock", "written_off", "rejected", "cancelled"];

/* A labelled <select> (id, label, [value, text] pairs, current, onchange(value)). */
function choice(id, label, options, current, onchange) {
  const s = el("select", {id, onchange: () => onchange(s.value)},
    options.map(([v, t]) => el("option", {value: v, selected: v === current}, t)));
  return el("div", {}, el("label", {for: id}, label), s);
}

function badge(text, good) {
  return el("span", {class: "badge" + (good === true ? " good" : good === false ? " bad" : "")}, text);
}

function num(v) {
  return v === null || v === undefined ? "—" : String(v);
}

/* ---- returns ---- */

sv.views.returns = async function (args) {
  const state = RETURN_STATES.includes(args[0]) ? args[0] : "";
  const cursor = args[1] || "";
  const filter = el("div", {class: "row"},
    choice("return-state", "State", [["", "all states"], ...RETURN_STATES.map((s) => [s, s.replace(/_/g, " ")])],
           state, (v) => { location.hash = "#/returns/" + v; }));
  let list;
  try {
    list = await sv.api("GET", "/api/v1/returns?limit=50" + (state ? "&state=" + state : "") +
                               (cursor ? "&cursor=" + encodeURIComponent(cursor) : ""));
  } catch (e) { return sv.render(el("h1", {}, "Returns"), filter, sv.failure(e)); }
  const paging = el("div", {class: "row"},
    cursor ? el("a", {href: "#/returns/" + state}, "First page") : null,
    list.next_cursor ? el("a", {href: "#/returns/" + state + "/" + encodeURIComponent(list.next_cursor)}, "Older returns")
                     : el("span", {class: "label"}, "No older returns."));
  sv.render(el("h1", {}, "Returns" + (state ? ": " + state.replace(/_/g, " ") : "")), filter,
    table(["Return", "Order", "State", "Mode", "Lines", "Units", "Reason", "Created", "Changed"],
      list.items.map((x) => cells([
        el("a", {href: "#/return/" + x.id}, "#" + x.id),
        x.order_name ? el("a", {href: "#/orders/" + encodeURIComponent(x.order_name)}, x.order_name) : x.shopline_order_id || "—",
        badge(x.state.replace(/_/g, " "), x.state === "rejected" || x.state === "cancelled" ? false : undefined),
        x.mode || "—", num(x.lines), num(x.quantity), x.reason || "—", sv.time(x.created_at),
        sv.time(x.state_changed_at)], [6, 8])), [6, 8]),
    paging);
};

function lineSum(lines, key) {
  return lines.reduce((n, l) => n + (Number(l[key]) || 0), 0);
}

sv.views.return = async function (args) {
  const id = args[0] || "";
  let x;
  try { x = await sv.api("GET", "/api/v1/returns/" + encodeURIComponent(id)); }
  catch (e) { return sv.render(el("h1", {}, "Return"), sv.failure(e)); }
  const lines = x.lines || [];
  const asked = lineSum(lines, "quantity");
  const here = sv.onThisView();
  const decide = async (verb, body) => {
    try {
      const r = await sv.api("POST", "/api/v1/returns/" + x.id + "/" + verb, body);
      sv.toast("return #" + x.id + ": " + r.state.replace(/_/g, " "));
    } catch (e) { sv.toast("return #" + x.id + ": " + e.message); }
    here(() => sv.views.return(args));
  };
  let actions = el("p", {class: "label"}, "No decision to take: only a requested return is authorised or rejected.");
  if (x.state === "requested") {
    const reason = el("input", {id: "return-reason", type: "text", maxlength: 2000, placeholder: "kept in the audit log"});
    actions = el("div", {class: "row"},
      sv.writeButton("Authorise", () => decide("authorise", {}), {"aria-label": "authorise return " + x.id}),
      el("div", {}, el("label", {for: "return-reason"}, "Reason for rejecting"), reason),
      sv.writeButton("Reject", () => decide("reject", {reason: reason.value || undefined}),
                     {class: "secondary", "aria-label": "reject return " + x.id}));
  }
  sv.render(
    el("h1", {}, "Return #" + x.id + (x.order_name ? " of order " + x.order_name : "")),
    el("div", {class: "grid"},
       figure("State", x.state.replace(/_/g, " ")), figure("Mode", x.mode || "—"),
       figure("Received", lineSum(lines, "received_qty") + " of " + asked),
       figure("Refunded", lineSum(lines, "refunded_qty") + " of " + asked),
       figure("Restocked / written off", lineSum(lines, "restocked_qty") + " / " + lineSum(lines, "written_off_qty")),
       figure("Sales Order", x.sales_order_number || "—"),
       figure("Return reference", x.return_reference || "—"),
       figure("Created", sv.time(x.created_at))),
    el("h2", {}, "Authorisation"), actions,
    el("h2", {}, "Lines"),
    table(["Line", "Item code", "Asked", "Price", "Reason", "Received", "Restocked", "Written off", "Refunded"],
      lines.map((l) => cells([l.line_item_id, l.item_code || "—", num(l.quantity),
        l.unit_price ? l.unit_price + (x.currency ? " " + x.currency : "") : "—", l.reason || "—",
        num(l.received_qty), num(l.restocked_qty), num(l.written_off_qty), num(l.refunded_qty)], [0, 4])), [0, 4]),
    el("h2", {}, "History"),
    (x.history || []).length === 0 ? el("p", {class: "label"}, "No change recorded yet.") :
    el("ol", {class: "timeline"}, x.history.map((h) => el("li", {},
      el("time", {datetime: h.at}, sv.time(h.at)), el("strong", {}, (h.from_state || "new") + " → " + h.to_state),
      " ", h.cause || "", h.detail ? " · " + h.detail : ""))));
};

/* ---- reports ---- */

const REPORTS = [["daily", "Daily"], ["inventory", "Stock drift"], ["reconcile", "Reconciliation"]];

function reportTabs(current) {
  return tabs("Report", REPORTS, current, "#/reports/");
}

/* A delay in words, as `shopvox report daily`: "-", "42s", "12m 5s", "3h 2m". */
function delayText(s) {
  if (s === null || s === undefined) return "-";
  s = Math.round(s);
  if (s < 60) return s + "s";
  if (s < 3600) return Math.floor(s / 60) + "m " + (s % 60) + "s";
  return Math.floor(s / 3600) + "h " + Math.floor((s % 3600) / 60) + "m";
}

/* Headings and label/value rows, the same rows as the CLI's text report. */
function reportTable(caption, sections) {
  const rows = [];
  for (const [head, pairs] of sections) {
    rows.push(el("tr", {}, el("th", {colspan: 2, scope: "colgroup", class: "section"}, head)));
    for (const [label, value] of pairs) rows.push(el("tr", {}, el("th", {scope: "row"}, label), el("td", {class: "num"}, value)));
  }
  return el("div", {class: "table-wrap"}, el("table", {class: "report"}, el("caption", {}, caption), el("tbody", {}, rows)));
}

function delayRow(d, what) {
  return delayText(d.median) + " / " + delayText(d.p95) + " (" + d.count + " " + what + ")";
}

function driftText(d) {
  if (!d) return "no drift report that day";
  return d.checked + " levels checked, " + d.drifted + " drifted (" + d.drifted_pct + "%), variance " +
         d.variance_pct + "%" + (d.over_threshold ? ", over the threshold" : "");
}

async function dailyReport(args) {
  const date = /^\d{4}-\d{2}-\d{2}$/.test(args[1] || "") ? args[1] : "";
  const input = el("input", {id: "report-date", type: "date", value: date});
  const form = el("form", {class: "row", onsubmit: (ev) => {
    ev.preventDefault();
    location.hash = "#/reports/daily/" + input.value;
  }}, el("div", {}, el("label", {for: "report-date"}, "Store day"), input), el("button", {type: "submit"}, "Show"));
  let r;
  try { r = await sv.api("GET", "/api/v1/reports/daily" + (date ? "?date=" + date : "")); }
  catch (e) { return sv.render(el("h1", {}, "Daily report"), reportTabs("daily"), form, sv.failure(e)); }
  input.value = r.date;
  const o = r.orders, d = r.delays, s = r.sweeps;
  sv.render(el("h1", {}, "Daily report for " + r.date), reportTabs("daily"), form,
    reportTable("Store day " + r.date + " in " + r.time_zone + " (" + sv.time(r.from) + " to " + sv.time(r.to) + ")", [
      ["Orders", [["received", o.received], ["posted to Peoplevox", o.posted], ["despatched", o.despatched],
                  ["fulfilled in Shopline", o.fulfilled]]],
      ["Delays (median / p95)", [["paid to Sales Order", delayRow(d.paid_to_sales_order_s, "orders")],
                                 ["despatch to fulfillment", delayRow(d.despatch_to_fulfillment_s, "despatches")]]],
      ["Exceptions (opened / closed / open at the end)",
       r.exceptions.map((t) => [t.team, t.opened + " / " + t.closed + " / " + t.open])],
      ["Stock and sweeps", [["stock drift", driftText(r.stock_drift)],
        ["sweeps", s.runs + " runs (" + s.failed + " failed): " + s.orders_recovered + " orders recovered, " +
                   s.despatches_requeued + " despatches re-enqueued, " + s.warehouse_missing + " Sales Orders missing"]]],
    ]));
}

/* A list of objects (the drift report's top_items: sku, location_id, wanted, ...) as a table. */
function objectsTable(items) {
  const list = Array.isArray(items) ? items : [];
  if (!list.length || typeof list[0] !== "object") return el("p", {class: "label"}, list.length ? list.join(", ") : "None.");
  const keys = Object.keys(list[0]);
  return table(keys.map((k) => k.replace(/_/g, " ")), list.map((x) => cells(keys.map((k) => num(x[k])))));
}

/* The SKUs on one side only: {"count": n, "first": [codes]}. */
function oneSide(side) {
  const first = side && Array.isArray(side.first) ? side.first : [];
  if (!side || !side.count) return el("p", {class: "label"}, "None.");
  return el("p", {}, side.count + (side.count === 1 ? " SKU" : " SKUs") +
            (first.length ? (first.length < side.count ? ", the first " + first.length + ": " : ": ") + first.join(", ") : ""));
}

async function inventoryReport() {
  let r;
  try { r = await sv.api("GET", "/api/v1/reports/inventory"); }
  catch (e) {
    return sv.render(el("h1", {}, "Stock drift"), reportTabs("inventory"),
                     e.status === 404 ? el("p", {}, e.message) : sv.failure(e));
  }
  sv.render(el("h1", {}, "Stock drift"), reportTabs("inventory"),
    el("p", {}, "Report #" + r.id + ", finished " + sv.time(r.finished_at) + ". ",
       r.over_threshold ? badge("over the threshold", false) : badge("within the threshold", true)),
    el("div", {class: "grid"},
       figure("Levels checked", r.checked), figure("Drifted", r.drifted + " (" + r.drifted_pct + " %)"),
       figure("Corrected", r.corrected), figure("Pending push", r.pending), figure("Unread", r.unread),
       figure("Variance", r.variance_units + " units (" + r.variance_pct + " %)")),
    el("h2", {}, "Largest drifts"), objectsTable(r.top_items),
    el("h2", {}, "Only in Peoplevox"), oneSide(r.peoplevox_only),
    el("h2", {}, "Only in Shopline"), oneSide(r.shopline_only));
}

async function reconcileReport() {
  let r;
  try { r = await sv.api("GET", "/api/v1/reports/reconcile"); }
  catch (e) { return sv.render(el("h1", {}, "Reconciliation"), reportTabs("reconcile"), sv.failure(e)); }
  sv.render(el("h1", {}, "Reconciliation"), reportTabs("reconcile"),
    el("p", {class: "label"}, "The latest run of each sweep."),
    table(["Sweep", "State", "Started", "Finished", "Listed", "Recovered", "Missing", "Different", "Unknown", "Re-enqueued", "Error"],
      r.sweeps.map((w) => cells([w.sweep, badge(w.state, w.state === "failed" ? false : w.state === "done" ? true : undefined),
        sv.time(w.started_at), sv.time(w.finished_at), num(w.listed), num(w.recovered), num(w.missing),
        num(w.different), num(w.unknown), num(w.requeued), w.error || ""], [2, 10])), [2, 10]));
}

sv.views.reports = function (args) {
  if (args[0] === "inventory") return inventoryReport();
  if (args[0] === "reconcile") return reconcileReport();
  return dailyReport(args);
};

/* ---- schedules and limiter ---- */

sv.views.schedules = async function () {
  let s, l;
  try {
    [s, l] = await Promise.all([sv.api("GET", "/api/v1/schedules"), sv.api("GET", "/api/v1/limiter")]);
  } catch (e) { return sv.render(el("h1", {}, "Schedules and budgets"), sv.failure(e)); }
  const every = (n) => !n ? "off here" : n % 86400 === 0 ? n / 86400 + " d" : n % 3600 === 0 ? n / 3600 + " h"
                                      : n % 60 === 0 ? n / 60 + " min" : n + " s";
  sv.render(el("h1", {}, "Schedules and budgets"),
    el("p", {class: l.paused ? "error" : "label", role: l.paused ? "alert" : null},
       l.paused ? "The shop's outbound calls are paused (the app is uninstalled)." : "Outbound calls are running."),
    el("h2", {}, "Budgets"),
    el("div", {class: "grid"}, l.buckets.map((b) => {
      const pct = Math.max(0, Math.min(100, Math.round(b.used_pct || 0)));
      return figure(b.api === "peoplevox" ? "Peoplevox budget in use" : "Shopline budget in use", pct + " %",
        el("div", {},
           el("div", {class: "bar bar-" + Math.round(pct / 10) * 10, role: "img", "aria-label": pct + " percent in use"}, el("span")),
           el("div", {class: "label"}, b.rate_per_s + "/s, burst " + b.burst + ", " +
              (b.tokens === null ? "never used" : Math.floor(b.tokens) + " left")),
           b.slow_until ? el("div", {class: "label warn"}, "half rate until " + sv.time(b.slow_until)) : null,
           b.held_until ? el("div", {class: "label warn"}, "held until " + sv.time(b.held_until)) : null));
    })),
    el("h2", {}, "Schedulers"),
    table(["Task", "Every", "Last run", "Last success", "Next due", "State", "Runs / failures", "Last error"],
      s.tasks.map((t) => cells([t.task, every(t.interval_s), sv.time(t.last_run_at), sv.time(t.last_success_at),
        t.interval_s ? sv.time(t.next_due_at) : "—",
        t.failing ? badge("failing", false) : t.last_run_at ? badge("ok", true) : badge("not run yet"),
        num(t.runs) + " / " + num(t.failures), t.last_error ? t.last_error + " (" + sv.time(t.last_error_at) + ")" : ""], [1, 6, 7])), [1, 6, 7]),
    el("p", {class: "label"}, "Leader: " + (s.leader || "none") + ". Times in " + sv.session.time_zone + "."));
};
