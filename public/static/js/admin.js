// The back offices' core: one page (/admin/ on a shop's host for its team,
// / on admin.<base_domain> for super admins) that signs the user in and
// talks to the JSON API. The access token lives in this page's memory only;
// the refresh token is the HttpOnly cookie the sign-in set, spent with the
// CSRF double submit (the readable bazaar_csrf cookie echoed in
// X-CSRF-Token) to get a new access token on load and on expiry.
//
// This file holds what every page shares — sign-in, the API call, DOM and
// form helpers, the router — and exposes it as window.Admin. The sections
// live in their own files (admin-*.js, platform.js), loaded after this one,
// each registering itself with Admin.section (and Admin.detail for a page
// under a section). What the user may not do is not shown; the server
// refuses it anyway.
"use strict";
window.Admin = (() => {
  const data = JSON.parse(document.getElementById("admin-data").textContent);
  const platform = data.realm === "platform";
  const $ = (sel, root) => (root || document).querySelector(sel);
  let token = null;
  let me = null;

  const csrf = () => (document.cookie.split("; ").find((c) => c.startsWith("bazaar_csrf=")) || "").slice("bazaar_csrf=".length);

  // refresh spends the refresh cookie for a new access token; false when
  // there is no session (or it ended).
  async function refresh() {
    if (!csrf()) return false; // no session in this browser: nothing to spend
    const res = await fetch(data.base + "/api/v1/auth/refresh", {
      method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrf(), Accept: "application/json" },
    }).catch(() => null);
    if (!res || !res.ok) return false;
    token = (await res.json()).access_token;
    return true;
  }

  // request sends one API call with the access token, refreshing it once
  // when it has expired; the Response, whatever its status. body is JSON
  // unless it is a string, Blob or FormData (sent as it is, with
  // opts.type as its Content-Type).
  async function request(method, path, body, opts, retried) {
    opts = opts || {};
    const headers = { Accept: opts.accept || "application/json", ...(opts.headers || {}) };
    if (token) headers.Authorization = "Bearer " + token;
    let payload = body;
    if (body !== undefined && !(typeof body === "string" || body instanceof Blob || body instanceof FormData)) {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    } else if (opts.type) headers["Content-Type"] = opts.type;
    let res;
    try {
      res = await fetch(data.base + path, { method, headers, credentials: "same-origin", body: payload });
    } catch (_) {
      throw { status: 0, error: { message: "The server could not be reached." } };
    }
    if (res.status === 401 && !retried && (await refresh())) return request(method, path, body, opts, true);
    return res;
  }

  // api calls the JSON API: the answer's JSON (null for 204); an error
  // answer throws {status, error: {code, message, fields}}.
  async function api(method, path, body, opts) {
    const res = await request(method, path, body, opts);
    const json = res.status === 204 ? null : await res.json().catch(() => null);
    if (!res.ok) throw { status: res.status, error: (json && json.error) || { message: "Something went wrong." } };
    return json;
  }

  // download fetches path with the user's token and hands it to the
  // browser as a file named name (a CSV export, a row-error report).
  async function download(path, name) {
    const res = await request("GET", path, undefined, { accept: "*/*" });
    if (!res.ok) {
      const json = await res.json().catch(() => null);
      throw { status: res.status, error: (json && json.error) || { message: "Something went wrong." } };
    }
    const url = URL.createObjectURL(await res.blob());
    const a = el("a", { href: url, download: name, hidden: "" });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  }

  // el builds an element: attrs are attributes (text sets textContent; a
  // false, null or undefined value leaves the attribute out), children are
  // nodes or strings (null skipped). Text always goes in as text, never as
  // markup.
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === false || v === null || v === undefined) continue;
      if (k === "text") e.textContent = v; else e.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) e.append(c);
    return e;
  }

  // can: the signed-in user holds one of perms in this shop. On the
  // platform's page every section is a super admin's.
  const can = (...perms) => {
    if (!me) return false;
    if (platform) return !!me.user.super_admin;
    return !!me.vendor && perms.some((p) => (me.vendor.permissions || []).includes(p));
  };

  function money(cents, currency) {
    return new Intl.NumberFormat(document.documentElement.lang || "en", { style: "currency", currency: currency || data.currency || "EUR" }).format(cents / 100);
  }
  // statusText writes a status word for people (pending_payment → pending payment).
  const statusText = (s) => String(s || "").replaceAll("_", " ");
  // titleOf picks a translated text ({en: …, fr: …}) in the page's
  // language, else English, else the first it has.
  const titleOf = (t) => (t && (t[document.documentElement.lang] || t.en || Object.values(t)[0])) || "";
  // cents reads an amount typed by a person ("24.90", "24,9") as cents:
  // null when empty, NaN when it is not an amount.
  function cents(text) {
    const t = String(text ?? "").trim();
    if (t === "") return null;
    const m = /^(\d{1,9})(?:[.,](\d{1,2}))?$/.exec(t);
    return m ? Number(m[1]) * 100 + Number((m[2] || "0").padEnd(2, "0")) : NaN;
  }
  // amount writes cents for an input ("24.90"; empty for none).
  const amount = (c) => (c === null || c === undefined ? "" : (c / 100).toFixed(2));
  const when = (iso) => (iso ? iso.slice(0, 16).replace("T", " ") : "");

  // scroll lets a wide table scroll sideways on a phone instead of
  // widening the page.
  const scroll = (table, label) => el("div", { class: "scroll", tabindex: "0", role: "region", "aria-label": label || "Table" }, table);

  // table: a data table with column headers (a string, or {text, num});
  // each row is an array of cells — a string, a node, or {text|node, num,
  // attrs} — whose first is the row's header; rowAttrs(i) gives row i's
  // attributes.
  function table(attrs, headers, rows, rowAttrs) {
    const spec = (c) => (c !== null && typeof c === "object" && !(c instanceof Node) ? c : { node: c });
    const cell = (c, i) => {
      const s = spec(c);
      const tag = i === 0 ? "th" : "td";
      return el(tag, { ...(s.attrs || {}), class: s.num ? "num" : null, scope: i === 0 ? "row" : null,
        text: s.text !== undefined ? String(s.text) : null }, s.node);
    };
    return el("table", { class: "table", ...attrs },
      el("thead", {}, el("tr", {}, ...headers.map((h) => {
        const s = typeof h === "string" ? { text: h } : h;
        return el("th", { scope: "col", class: s.num ? "num" : null, text: s.text });
      }))),
      el("tbody", {}, ...rows.map((r, n) => el("tr", rowAttrs ? rowAttrs(n) : {}, ...r.map(cell)))));
  }

  // field: a labelled input (or select/textarea with opts.tag; options as
  // [value, label] pairs) with a place for its error, named for the API
  // field it carries so formError can put the server's word beside it.
  function field(id, label, opts) {
    opts = opts || {};
    const { tag = "input", options, hint, value, ...attrs } = opts;
    const input = el(tag, { id, name: attrs.name || id, ...attrs, "aria-describedby": hint ? id + "-hint" : null });
    if (options) input.append(...options.map(([v, l]) => el("option", { value: v, selected: String(value ?? "") === String(v), text: l })));
    else if (tag === "textarea") input.value = value ?? "";
    else if (value !== undefined && value !== null && attrs.type !== "checkbox") input.value = value;
    if (attrs.type === "checkbox") {
      input.checked = !!value;
      return el("p", { class: "check" }, input, el("label", { for: id, text: label }),
        hint ? el("span", { id: id + "-hint", class: "muted", text: hint }) : null, el("span", { class: "field-error", id: id + "-error", hidden: "" }));
    }
    return el("p", {}, el("label", { for: id, text: label }), input,
      hint ? el("span", { id: id + "-hint", class: "muted hint", text: hint }) : null, el("span", { class: "field-error", id: id + "-error", hidden: "" }));
  }

  // errorBox is a form's place for an error that belongs to no field.
  const errorBox = () => el("p", { class: "form-error", role: "alert", "data-form-error": "", hidden: "" });

  // clearErrors hides a form's errors before it is sent again.
  function clearErrors(form) {
    form.querySelectorAll(".field-error").forEach((e) => { e.hidden = true; e.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach((e) => {
      e.removeAttribute("aria-invalid");
      e.setAttribute("aria-describedby", (e.getAttribute("aria-describedby") || "").split(" ").filter((x) => !x.endsWith("-error")).join(" ") || "");
    });
    form.querySelectorAll("[data-form-error]").forEach((e) => { e.hidden = true; });
  }

  // formError shows an API error on form: each field error beside its
  // input (found by name), the message in the form's error box; focus goes
  // to the first field in error, or stays where it is.
  function formError(form, err) {
    const e = (err && err.error) || { message: String(err) };
    let first = null;
    for (const [name, msg] of Object.entries(e.fields || {})) {
      const input = form.elements.namedItem(name) || form.querySelector(`[name="${CSS.escape(name)}"]`);
      const slot = input && input.id && document.getElementById(input.id + "-error");
      if (!slot) continue;
      slot.textContent = msg;
      slot.hidden = false;
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", ((input.getAttribute("aria-describedby") || "") + " " + input.id + "-error").trim());
      first = first || input;
    }
    const box = form.querySelector("[data-form-error]");
    if (box) { box.textContent = e.message; box.hidden = false; }
    if (first) first.focus();
  }

  // submit wires a form to work(form): errors cleared first, the button
  // disabled while it runs, an error shown by formError.
  function submit(form, work) {
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      const buttons = form.querySelectorAll("button[type=submit]");
      buttons.forEach((b) => { b.disabled = true; });
      try {
        await work(form, ev.submitter);
      } catch (err) {
        formError(form, err);
      } finally {
        buttons.forEach((b) => { b.disabled = false; });
      }
    });
    return form;
  }

  // announce says something in the page's live region (a change saved).
  function announce(text) {
    const n = $("[data-notice]");
    n.textContent = text;
    n.hidden = false;
  }

  // filterTo makes a list's filter form keep its non-empty values in the
  // address when sent: at #<to><query> when to is a string, else to(query)
  // says where. The page drawn then reads them back from its argument.
  function filterTo(form, to) {
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const next = new URLSearchParams();
      for (const [k, v] of new FormData(form)) if (String(v).trim()) next.set(k, String(v).trim());
      if (typeof to === "function") to(next); else location.hash = to + next;
    });
    return form;
  }

  // go opens another page of the back office and says notice there: the
  // router hides the notice when it draws a page, so the word waits for
  // the page.
  function go(hash, notice) {
    if (notice) window.addEventListener("hashchange", () => announce(notice), { once: true });
    location.hash = hash;
  }

  // facts: a list of [term, value, attrs] as a description list (an empty
  // value is left out).
  const facts = (cls, pairs) => el("dl", { class: cls }, ...pairs.filter((p) => p[1] !== "" && p[1] !== null && p[1] !== undefined)
    .map(([k, v, attrs]) => el("div", {}, el("dt", { text: k }), el("dd", { ...(attrs || {}), text: String(v) }))));

  // confirmButton asks once more before work that cannot be undone: the
  // first press turns it into a confirmation and a way back.
  function confirmButton(text, really, work) {
    const box = el("span", {});
    const ask = el("button", { type: "button", class: "quiet", text });
    const yes = el("button", { type: "button", class: "danger", text: really });
    const no = el("button", { type: "button", class: "quiet", text: "Keep" });
    const show = (confirming) => {
      box.replaceChildren(...(confirming ? [yes, " ", no] : [ask]));
      (confirming ? yes : ask).focus();
    };
    ask.addEventListener("click", () => show(true));
    no.addEventListener("click", () => show(false));
    yes.addEventListener("click", async () => {
      yes.disabled = true;
      try { await work(); } finally { if (yes.isConnected) show(false); yes.disabled = false; }
    });
    box.append(ask);
    return box;
  }

  // poll calls step every ms while view is still on the page and step
  // returns true; long work (an import, a bulk onboarding) shows its
  // progress this way, and a reload finds it again from the address.
  function poll(view, ms, step) {
    const tick = async () => {
      if (!view.isConnected) return;
      let again = false;
      try { again = await step(); } catch (_) { again = true; }
      if (again && view.isConnected) setTimeout(tick, ms);
    };
    setTimeout(tick, ms);
  }

  // chart draws values as bars (SVG built with the DOM: no inline style)
  // with a text alternative; points are [{label, value}], fmt writes a
  // value.
  function chart(points, caption, fmt) {
    const ns = "http://www.w3.org/2000/svg";
    const max = Math.max(1, ...points.map((b) => b.value));
    const w = 600, h = 160, bw = w / Math.max(points.length, 1);
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", `0 0 ${w} ${h}`);
    svg.setAttribute("class", "chart");
    svg.setAttribute("role", "img");
    const total = points.reduce((n, b) => n + b.value, 0);
    svg.setAttribute("aria-label", `${caption}: ${fmt(total)} over ${points.length} points`);
    points.forEach((b, i) => {
      const r = document.createElementNS(ns, "rect");
      const bh = Math.round((b.value / max) * (h - 10));
      r.setAttribute("x", String(i * bw + 1));
      r.setAttribute("y", String(h - bh));
      r.setAttribute("width", String(Math.max(bw - 2, 1)));
      r.setAttribute("height", String(bh));
      const tip = document.createElementNS(ns, "title");
      tip.textContent = b.label + ": " + fmt(b.value);
      r.append(tip);
      svg.append(r);
    });
    return el("figure", {}, svg, el("figcaption", { text: caption }));
  }

  // The sections, registered by the section files: {id, label, perm (one
  // permission or a list; ignored on the platform's page), order, render}.
  // details are pages under a section (#order/<id> under Orders).
  const sections = [];
  const details = {};
  const section = (s) => { sections.push(s); sections.sort((a, b) => a.order - b.order); };
  const detail = (name, sectionId, render) => { details[name] = { section: sectionId, render }; };
  const visible = () => sections.filter((s) => can(...[].concat(s.perm || [])));

  function showSignIn(message) {
    $("[data-nav]").hidden = true;
    $("[data-who]").hidden = true;
    $("[data-view]").replaceChildren();
    $("[data-signin]").hidden = false;
    const box = $("[data-signin] [data-form-error]");
    box.hidden = !message;
    if (message) box.textContent = message;
  }

  async function start() {
    if (!(await refresh())) { showSignIn(); return; }
    await signedIn();
  }

  async function signedIn() {
    try {
      me = await api("GET", "/api/v1/auth/me");
    } catch (err) { showSignIn(err.error.message); return; }
    $("[data-signin]").hidden = true;
    if (platform ? !me.user.super_admin : !me.vendor || !me.vendor.member) {
      showSignIn(platform ? "This area is for the platform's super admins." : "Your account is not a member of this shop's team.");
      return;
    }
    $("[data-who-name]").textContent = me.user.email + (platform ? " · super admin" : " · " + (me.vendor.role ? me.vendor.role.name : ""));
    $("[data-who]").hidden = false;
    const sw = $("[data-shop-switch]");
    const shops = platform ? [] : me.vendors || [];
    sw.replaceChildren(...shops.map((v) => el("option", { value: v.url, selected: v.slug === me.vendor.slug, text: v.name })));
    $("[data-shop-switch-box]").hidden = shops.length < 2;
    const list = $("[data-nav-list]");
    list.replaceChildren(...visible().map((s) => el("li", {}, el("a", { href: "#" + s.id, "data-section": s.id, text: s.label }))));
    $("[data-nav]").hidden = false;
    route();
  }

  // route draws the page the address names: #<section>/<args…> or
  // #<detail>/<args…>. Segments stay encoded: each view decodes what it
  // reads.
  function route() {
    if (!me) return Promise.resolve();
    const shown = visible();
    const [want, ...args] = location.hash.slice(1).split("/");
    const d = details[want];
    const s = shown.find((x) => x.id === (d ? d.section : want)) || shown[0];
    document.querySelectorAll("[data-section]").forEach((a) => {
      if (a.dataset.section === (s && s.id)) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
    });
    const view = el("div", { "data-page": s ? (d && d.section === s.id ? want : s.id) : "none" });
    $("[data-view]").replaceChildren(view);
    $("[data-notice]").hidden = true;
    const name = platform ? "Bazaar" : me.vendor.name;
    if (!s) {
      view.append(el("h1", { text: name }), el("p", { text: "Your role gives you no page here yet." }));
      return Promise.resolve();
    }
    document.title = s.label + " · " + name;
    view.append(el("h1", { text: s.label }));
    const render = d && d.section === s.id ? d.render : s.render;
    // data-ready marks a page drawn (or its error shown): what tests and
    // assistive tools can wait for.
    return render(view, args).catch((err) => {
      if (view.isConnected) view.append(el("p", { class: "form-error", role: "alert", "data-page-error": "", text: err && err.error ? err.error.message : String(err) }));
    }).finally(() => view.setAttribute("data-ready", ""));
  }

  // redraw draws the page in the address again after a change, then says
  // what changed — when the notice shows, the page already shows the new
  // state — and gives the focus, whose control was replaced, back to the
  // page's content.
  async function redraw(notice) {
    await route();
    if (notice) announce(notice);
    $("#main").focus({ preventScroll: true });
  }

  $("[data-signin-form]").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const form = ev.target;
    const box = $("[data-form-error]", form);
    box.hidden = true;
    form.querySelector("button").disabled = true;
    try {
      const s = await api("POST", "/api/v1/auth/login", { email: form.elements.email.value, password: form.elements.password.value });
      token = s.access_token;
      form.reset();
      await signedIn();
    } catch (err) {
      box.textContent = err.error.message;
      box.hidden = false;
    } finally {
      form.querySelector("button").disabled = false;
    }
  });
  $("[data-sign-out]").addEventListener("click", async () => {
    await fetch(data.base + "/api/v1/auth/logout", { method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrf() } }).catch(() => null);
    token = null;
    me = null;
    showSignIn();
  });
  $("[data-shop-switch]").addEventListener("change", (ev) => { window.location.assign(ev.target.value); });
  // A new page from the menu or a link: the focus goes to the page's
  // content, as it would on a page load, so the next Tab is in it and a
  // screen reader reads it.
  window.addEventListener("hashchange", () => {
    route();
    if (me) $("#main").focus({ preventScroll: false });
  });
  // The section files load after this one (deferred, in order): start once
  // every one has registered.
  document.addEventListener("DOMContentLoaded", start);

  return {
    data, $, el, api, request, download, can, money, when, statusText, titleOf, scroll, table, field, errorBox, clearErrors, formError, submit,
    announce, go, filterTo, facts, redraw, confirmButton, cents, amount, poll, chart, section, detail, route,
    me: () => me,
  };
})();
