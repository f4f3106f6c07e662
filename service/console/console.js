/*
 * console.js - the page's core: the session (login, logout, the CSRF
 * token kept in memory only), the JSON API client, the DOM helpers every
 * view uses, and the hash router. Data is put into the page only as text
 * (textContent, never innerHTML), so nothing an order or an exception
 * carries can run as script; the Content-Security-Policy forbids inline
 * script and style besides.
 */
"use strict";

const sv = {
  session: null,   /* {name, role, csrf_token, time_zone} */
  views: {},       /* name -> function(args) filling #view (views.js) */
  navigation: 0,   /* sv.route's count: a read from an earlier view is dropped (sv.api) */
};

/* el("td", {class: "x"}, "text", child...): an element with attributes and text or children. */
sv.el = function (tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    e.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
  }
  return e;
};

sv.canWrite = () => sv.session && sv.session.role === "operator";

/* A button that writes: disabled, with the reason, for a viewer. */
sv.writeButton = function (text, onclick, attrs) {
  const b = sv.el("button", Object.assign({type: "button", onclick}, attrs || {}), text);
  if (!sv.canWrite()) {
    b.disabled = true;
    b.title = "read only: your token is a viewer's";
  }
  return b;
};

/* Times in the store's time zone (PEOPLEVOX_TIMEZONE). */
sv.time = function (iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  if (isNaN(d)) return iso;
  try {
    return new Intl.DateTimeFormat("en-GB", {timeZone: sv.session.time_zone, dateStyle: "medium",
                                             timeStyle: "short"}).format(d);
  } catch (e) {
    return d.toISOString();
  }
};

sv.age = function (s) {
  if (s === null || s === undefined) return "—";
  if (s < 60) return s + " s";
  if (s < 3600) return Math.floor(s / 60) + " min";
  if (s < 86400) return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
  return Math.floor(s / 86400) + " d " + Math.floor((s % 86400) / 3600) + " h";
};

sv.toast = function (text) {
  const t = document.getElementById("toast");
  t.textContent = text;
  t.classList.add("show");
  clearTimeout(sv.toastTimer);
  sv.toastTimer = setTimeout(() => t.classList.remove("show"), 4000);
};

/* The API: JSON in and out, the cookie sent, the CSRF token on every write.
   A read answered after the user moved to another view never settles, so a
   slow view cannot replace the one shown since (sv.route counts the moves). */
sv.api = async function (method, path, body) {
  const navigation = sv.navigation;
  const headers = {"Accept": "application/json"};
  if (method !== "GET") {
    headers["Content-Type"] = "application/json";
    headers["X-CSRF-Token"] = sv.session ? sv.session.csrf_token : "";
  }
  const r = await fetch(path, {method, headers, credentials: "same-origin",
                               body: body === undefined ? undefined : JSON.stringify(body)});
  let data = null;
  try { data = await r.json(); } catch (e) { data = null; }
  if (r.status === 401 && path.startsWith("/api/")) {
    sv.showLogin("Your session ended: log in again.");
  }
  if (!r.ok) {
    const msg = data && data.error && data.error.message ? data.error.message : "HTTP " + r.status;
    const err = new Error(msg);
    err.status = r.status;
    err.body = data; /* error.fields names the fields at fault (views_config.js) */
    if (method === "GET" && navigation !== sv.navigation) return new Promise(() => {});
    throw err;
  }
  if (method === "GET" && navigation !== sv.navigation) return new Promise(() => {});
  return data;
};

/* For a view's write actions: call when the view is shown, and refresh the
   view through the function it returns once a write is answered. A write
   answered after the user moved to another view leaves that view alone. */
sv.onThisView = function () {
  const navigation = sv.navigation;
  return (refresh) => (navigation === sv.navigation ? refresh() : undefined);
};

sv.render = function (...nodes) {
  const v = document.getElementById("view");
  v.replaceChildren(...nodes);
  const h = v.querySelector("h1");
  if (h) { h.tabIndex = -1; h.focus(); }
};

sv.failure = (e) => sv.el("p", {class: "error", role: "alert"}, "Could not load: " + e.message);

sv.showLogin = function (message) {
  sv.session = null;
  document.getElementById("login").hidden = false;
  document.getElementById("nav").hidden = true;
  document.getElementById("logout").hidden = true;
  document.getElementById("who").textContent = "";
  document.getElementById("view").replaceChildren();
  document.getElementById("login-error").textContent = message || "";
  document.getElementById("token").focus();
};

sv.started = function (session) {
  sv.session = session;
  document.getElementById("login").hidden = true;
  document.getElementById("nav").hidden = false;
  document.getElementById("logout").hidden = false;
  document.getElementById("who").textContent = session.name + " (" + session.role + ")";
  sv.route();
};

sv.route = function () {
  if (!sv.session) return;
  sv.navigation++;
  const hash = location.hash.replace(/^#\/?/, "");
  const [name, ...args] = hash.split("/");
  const view = sv.views[name || "home"] || sv.views.home;
  for (const a of document.querySelectorAll("#nav a")) {
    const target = a.getAttribute("href").replace(/^#\/?/, "");
    if (target === (name || "")) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  view(args.map(decodeURIComponent));
};

async function login(ev) {
  ev.preventDefault();
  const input = document.getElementById("token");
  const out = document.getElementById("login-error");
  out.textContent = "";
  try {
    const r = await fetch("/ops/login", {method: "POST", credentials: "same-origin",
                                         headers: {"Content-Type": "application/json"},
                                         body: JSON.stringify({token: input.value})});
    const data = await r.json().catch(() => null);
    if (!r.ok) {
      out.textContent = r.status === 429 ? "Too many tries: wait a minute."
                                         : r.status === 401 ? "Unknown token."
                                         : (data && data.error ? data.error.message : "HTTP " + r.status);
      return;
    }
    input.value = "";
    sv.started(data);
  } catch (e) {
    out.textContent = "Could not log in: " + e.message;
  }
}

async function logout() {
  try { await sv.api("POST", "/ops/logout"); } catch (e) { /* the cookie is cleared either way */ }
  sv.showLogin("Logged out.");
}

document.addEventListener("DOMContentLoaded", async () => {
  document.getElementById("login-form").addEventListener("submit", login);
  document.getElementById("logout").addEventListener("click", logout);
  window.addEventListener("hashchange", sv.route);
  const r = await fetch("/ops/session", {credentials: "same-origin"});
  if (r.ok) sv.started(await r.json());
  else sv.showLogin();
});
