// The back office: one page (/admin/ on a shop's host) that signs the user
// in and talks to the JSON API. The access token lives in this page's
// memory only; the refresh token is the HttpOnly cookie the sign-in set,
// spent with the CSRF double submit (the readable bazaar_csrf cookie echoed
// in X-CSRF-Token) to get a new access token on load and on expiry. What
// the user may not do is not shown; the server refuses it anyway.
"use strict";
(() => {
  const data = JSON.parse(document.getElementById("admin-data").textContent);
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

  // api calls the JSON API with the access token, refreshing it once when
  // it has expired; an error answer throws {status, error}.
  async function api(method, path, body, retried) {
    const headers = { Accept: "application/json" };
    if (token) headers.Authorization = "Bearer " + token;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let res;
    try {
      res = await fetch(data.base + path, { method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (_) {
      throw { status: 0, error: { message: "The server could not be reached." } };
    }
    if (res.status === 401 && !retried && (await refresh())) return api(method, path, body, true);
    const json = res.status === 204 ? null : await res.json().catch(() => null);
    if (!res.ok) throw { status: res.status, error: (json && json.error) || { message: "Something went wrong." } };
    return json;
  }

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === false || v === null || v === undefined) continue;
      if (k === "text") e.textContent = v; else e.setAttribute(k, v);
    }
    for (const c of children) if (c !== null && c !== undefined) e.append(c);
    return e;
  }

  const can = (...perms) => !!me && !!me.vendor && perms.some((p) => (me.vendor.permissions || []).includes(p));

  // sections are the back office's pages: each shown only to a user who
  // holds its permission.
  const sections = [
    { id: "dashboard", label: "Dashboard", perm: ["analytics.view", "orders.view"], render: dashboard },
    { id: "products", label: "Products", perm: "products.view", render: products },
    { id: "orders", label: "Orders", perm: "orders.view", render: orders },
    { id: "customers", label: "Customers", perm: "orders.view" },
    { id: "imports", label: "Imports", perm: "imports.view" },
    { id: "team", label: "Team", perm: "team.invite" },
    { id: "settings", label: "Settings", perm: "settings.edit" },
    { id: "audit", label: "Audit trail", perm: "team.manage" },
  ];
  const visible = () => sections.filter((s) => can(...[].concat(s.perm)));

  function money(cents, currency) {
    return new Intl.NumberFormat(document.documentElement.lang || "en", { style: "currency", currency: currency || "EUR" }).format(cents / 100);
  }

  function showSignIn(message) {
    $("[data-nav]").hidden = true;
    $("[data-who]").hidden = true;
    $("[data-view]").replaceChildren();
    $("[data-signin]").hidden = false;
    if (message) {
      const box = $("[data-signin] [data-form-error]");
      box.textContent = message;
      box.hidden = false;
    }
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
    if (!me.vendor || !me.vendor.member) {
      showSignIn("Your account is not a member of this shop's team.");
      return;
    }
    $("[data-who-name]").textContent = me.user.email + " · " + (me.vendor.role ? me.vendor.role.name : "");
    $("[data-who]").hidden = false;
    const sw = $("[data-shop-switch]");
    sw.replaceChildren(...(me.vendors || []).map((v) => el("option", { value: v.url, selected: v.slug === me.vendor.slug ? "" : null, text: v.name })));
    sw.hidden = (me.vendors || []).length < 2;
    const list = $("[data-nav-list]");
    list.replaceChildren(...visible().map((s) => el("li", {}, el("a", { href: "#" + s.id, "data-section": s.id, text: s.label }))));
    $("[data-nav]").hidden = false;
    route();
  }

  function route() {
    if (!me) return;
    const shown = visible();
    // Segments stay encoded: each view decodes what it reads.
    const [want, ...args] = location.hash.slice(1).split("/");
    const detail = { order: ["orders", order] }[want];
    const s = shown.find((x) => x.id === (detail ? detail[0] : want)) || shown[0];
    document.querySelectorAll("[data-section]").forEach((a) => {
      if (a.dataset.section === (s && s.id)) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
    });
    const view = $("[data-view]");
    if (!s) {
      view.replaceChildren(el("h1", { text: me.vendor.name }), el("p", { text: "Your role gives you no page here yet." }));
      return;
    }
    document.title = s.label + " · " + me.vendor.name;
    view.replaceChildren(el("h1", { text: s.label }));
    $("[data-notice]").hidden = true;
    const render = detail && s.id === detail[0] ? detail[1] : s.render || comingSoon;
    render(view, args).catch((err) => view.append(el("p", { class: "form-error", role: "alert", text: err.error ? err.error.message : String(err) })));
  }

  async function comingSoon(view) {
    view.append(el("p", { text: "This page is being built; its API is in the README." }));
  }

  // dashboard: the last 30 days' sales, day by day (analytics.view), and
  // the latest orders (orders.view).
  async function dashboard(view) {
    if (can("analytics.view")) await sales(view);
    if (can("orders.view")) await latestOrders(view);
  }

  async function sales(view) {
    const to = new Date();
    const from = new Date(to.getTime() - 29 * 86400000);
    const day = (d) => d.toISOString().slice(0, 10);
    const a = await api("GET", `/api/v1/analytics?from=${day(from)}&to=${day(to)}&interval=day`);
    const cur = data.currency || "EUR";
    const figures = el("dl", { class: "figures" },
      el("div", {}, el("dt", { text: "Revenue, 30 days" }), el("dd", { "data-figure": "revenue", text: money(a.totals.revenue_cents, cur) })),
      el("div", {}, el("dt", { text: "Orders" }), el("dd", { "data-figure": "orders", text: String(a.totals.orders) })),
      el("div", {}, el("dt", { text: "Average order" }), el("dd", { text: money(a.totals.average_order_value_cents, cur) })),
      el("div", {}, el("dt", { text: "Conversion" }), el("dd", { text: (a.totals.conversion * 100).toFixed(1) + " %" })));
    view.append(figures, chart(a.series, cur));
  }

  async function latestOrders(view) {
    const orders = await api("GET", "/api/v1/orders?limit=5");
    const rows = orders.items.map((o) => el("tr", {},
      el("th", { scope: "row", text: "#" + o.number }), el("td", { text: o.name || o.email }), el("td", { text: o.status.replace("_", " ") }),
      el("td", { class: "num", text: money(o.total_cents, o.currency) })));
    view.append(el("h2", { "data-latest-orders": "", text: "Latest orders" }), rows.length
      ? el("table", { class: "table" }, el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "Order" }), el("th", { scope: "col", text: "Customer" }),
          el("th", { scope: "col", text: "Status" }), el("th", { scope: "col", class: "num", text: "Total" }))), el("tbody", {}, ...rows))
      : el("p", { text: "No orders yet." }));
  }

  // products: the catalogue as a table — search (SKU, brand, GTIN, a title
  // in any language), status, overridden and drift filters, a page at a
  // time; a badge per field that no longer follows the feed.
  // #products/<query string> keeps the filters in the address.
  async function products(view, args) {
    const q = new URLSearchParams(args[0] || "");
    const filter = el("form", { class: "filters", "data-products-filter": "" },
      el("span", {}, el("label", { for: "p-q", text: "Search" }), el("input", { id: "p-q", name: "q", type: "search", value: q.get("q") || "", maxlength: "200" })),
      el("span", {}, el("label", { for: "p-status", text: "Status" }),
        el("select", { id: "p-status", name: "status" }, ...[["", "Any"], ["active", "Active"], ["draft", "Draft"], ["archived", "Archived"]]
          .map(([v, l]) => el("option", { value: v, selected: (q.get("status") || "") === v ? "" : null, text: l })))),
      el("span", {}, el("label", { for: "p-over", text: "Overridden" }),
        el("select", { id: "p-over", name: "overridden" }, ...[["", "Any"], ["true", "Yes"], ["false", "No"]]
          .map(([v, l]) => el("option", { value: v, selected: (q.get("overridden") || "") === v ? "" : null, text: l })))),
      el("span", { class: "check" }, el("input", { id: "p-drift", name: "drift", type: "checkbox", value: "true", checked: q.get("drift") ? "" : null }),
        el("label", { for: "p-drift", text: "Changed in the feed under an override" })),
      el("button", { type: "submit", text: "Show" }));
    filter.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const next = new URLSearchParams();
      for (const [k, v] of new FormData(filter)) if (v) next.set(k, v);
      location.hash = "products/" + next;
    });
    view.append(filter);
    const call = new URLSearchParams(q);
    call.set("limit", "25");
    const pg = await api("GET", "/api/v1/products?" + call);
    if (!pg.items.length) { view.append(el("p", { text: "No product matches." })); return; }
    const title = (t) => t[document.documentElement.lang] || t.en || t.fr || t.de || Object.values(t)[0] || "";
    view.append(scroll(el("table", { class: "table", "data-products": "" },
      el("thead", {}, el("tr", {}, ...["SKU", "Title", "Status", "Stock", "Feed"].map((h) => el("th", { scope: "col", text: h })),
        el("th", { scope: "col", class: "num", text: "Price" }))),
      el("tbody", {}, ...pg.items.map((p) => el("tr", { "data-product": p.sku },
        el("th", { scope: "row", text: p.sku }), el("td", { text: title(p.title) }), el("td", { text: p.status }),
        el("td", { text: p.stock === null ? "not tracked" : String(p.stock) }),
        el("td", {}, ...(p.overridden || []).map((f) => el("span", { class: "badge", text: f + " overridden" })),
          p.source_missing ? el("span", { class: "badge warn", text: "gone from the feed" }) : null,
          p.staged_product_id ? null : el("span", { class: "muted", text: "made here" })),
        el("td", { class: "num" }, p.sale_price_cents !== null ? el("s", { text: money(p.price_cents, p.currency) }) : null,
          " " + money(p.sale_price_cents !== null ? p.sale_price_cents : p.price_cents, p.currency))))))));
    if (pg.next_cursor) {
      const next = new URLSearchParams(q);
      next.set("cursor", pg.next_cursor);
      view.append(el("p", {}, el("a", { href: "#products/" + next, text: "Next page" })));
    }
  }

  // scroll lets a wide table scroll sideways on a phone instead of
  // widening the page.
  const scroll = (table) => el("div", { class: "scroll", tabindex: "0", role: "region", "aria-label": "Table" }, table);

  const statuses = ["pending_payment", "paid", "fulfilled", "completed", "cancelled", "refunded"];
  const statusText = (s) => s.replace("_", " ");

  // orders: the shop's orders, newest first, by status, a page at a time
  // (#orders, #orders/<status>, #orders/<status>/<cursor>); an order's
  // detail at #order/<id>.
  async function orders(view, args) {
    const [status = "", cursor = ""] = args.map(decodeURIComponent);
    const filter = el("form", { class: "filters", "data-orders-filter": "" },
      el("label", { for: "o-status", text: "Status" }),
      el("select", { id: "o-status", name: "status" }, el("option", { value: "", text: "Any" }),
        ...statuses.map((x) => el("option", { value: x, selected: x === status ? "" : null, text: statusText(x) }))),
      el("button", { type: "submit", text: "Show" }));
    filter.addEventListener("submit", (ev) => { ev.preventDefault(); location.hash = "orders/" + filter.elements.status.value; });
    view.append(filter);
    const q = new URLSearchParams({ limit: "20" });
    if (status) q.set("status", status);
    if (cursor) q.set("cursor", cursor);
    const pg = await api("GET", "/api/v1/orders?" + q);
    if (!pg.items.length) { view.append(el("p", { text: "No orders." })); return; }
    view.append(scroll(el("table", { class: "table", "data-orders": "" },
      el("thead", {}, el("tr", {}, ...["Order", "Placed", "Customer", "Status"].map((h) => el("th", { scope: "col", text: h })),
        el("th", { scope: "col", class: "num", text: "Total" }))),
      el("tbody", {}, ...pg.items.map((o) => el("tr", {},
        el("th", { scope: "row" }, el("a", { href: "#order/" + o.id, text: "#" + o.number })),
        el("td", { text: o.created_at.slice(0, 10) }), el("td", { text: o.name || o.email }),
        el("td", { "data-status": "", text: statusText(o.status) }), el("td", { class: "num", text: money(o.total_cents, o.currency) })))))));
    if (pg.next_cursor) view.append(el("p", {}, el("a", { href: `#orders/${status}/${encodeURIComponent(pg.next_cursor)}`, text: "Next page" })));
  }

  // order: one order, its lines and history; the status changes it allows
  // and the tracking number and notes for a user with orders.edit.
  async function order(view, args) {
    const o = await api("GET", "/api/v1/orders/" + encodeURIComponent(args[0]));
    view.replaceChildren(el("h1", { text: "Order #" + o.number }));
    view.append(el("dl", { class: "figures" },
      el("div", {}, el("dt", { text: "Status" }), el("dd", { "data-order-status": "", text: statusText(o.status) })),
      el("div", {}, el("dt", { text: "Total" }), el("dd", { text: money(o.total_cents, o.currency) })),
      el("div", {}, el("dt", { text: "Customer" }), el("dd", { text: o.email })),
      el("div", {}, el("dt", { text: "Payment" }), el("dd", { text: statusText(o.payment_method) }))));
    view.append(el("table", { class: "table" }, el("caption", { text: "Lines" }),
      el("tbody", {}, ...(o.lines || []).map((l) => el("tr", {}, el("th", { scope: "row", text: l.title }),
        el("td", { class: "num", text: "× " + l.quantity }), el("td", { class: "num", text: money(l.total_cents, o.currency) }))))));
    if (can("orders.edit")) {
      const box = el("p", { class: "form-error", role: "alert", hidden: "" });
      const change = async (body) => {
        box.hidden = true;
        try {
          await api("PUT", "/api/v1/orders/" + o.id, body);
          // The order again, then the word that it changed: when the notice
          // shows, the page already shows the new state.
          await order(view, args);
          announce("Order #" + o.number + " updated.");
        } catch (err) { box.textContent = err.error.message; box.hidden = false; }
      };
      const actions = el("div", { class: "actions" }, el("h2", { text: "Change" }));
      for (const next of o.allowed_transitions || []) {
        const b = el("button", { type: "button", "data-transition": next, text: "Mark " + statusText(next) });
        b.addEventListener("click", () => change({ status: next }));
        actions.append(b, " ");
      }
      const tracking = el("form", {}, el("label", { for: "o-tracking", text: "Tracking number" }),
        el("input", { id: "o-tracking", name: "tracking", value: o.tracking_number || "", maxlength: "100" }), " ",
        el("button", { type: "submit", text: "Save tracking number" }));
      tracking.addEventListener("submit", (ev) => { ev.preventDefault(); change({ tracking_number: tracking.elements.tracking.value }); });
      actions.append(tracking, box);
      view.append(actions);
    }
    view.append(el("h2", { text: "History" }), el("ol", { class: "history" }, ...(o.history || []).map((e) =>
      el("li", { text: `${e.at.slice(0, 16).replace("T", " ")} · ${e.kind}${e.to_status ? " → " + statusText(e.to_status) : ""} · ${e.actor}${e.note ? " · " + e.note : ""}` }))));
  }

  function announce(text) {
    const n = $("[data-notice]");
    n.textContent = text;
    n.hidden = false;
  }

  // chart draws the daily revenue as bars (SVG built with the DOM: no
  // inline style), with a text alternative.
  function chart(series, cur) {
    const ns = "http://www.w3.org/2000/svg";
    const max = Math.max(1, ...series.map((b) => b.revenue_cents));
    const w = 600, h = 160, bw = w / Math.max(series.length, 1);
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", `0 0 ${w} ${h}`);
    svg.setAttribute("class", "chart");
    svg.setAttribute("role", "img");
    const total = series.reduce((n, b) => n + b.revenue_cents, 0);
    svg.setAttribute("aria-label", `Revenue per day over ${series.length} days, ${money(total, cur)} in all`);
    series.forEach((b, i) => {
      const r = document.createElementNS(ns, "rect");
      const bh = Math.round((b.revenue_cents / max) * (h - 10));
      r.setAttribute("x", String(i * bw + 1));
      r.setAttribute("y", String(h - bh));
      r.setAttribute("width", String(Math.max(bw - 2, 1)));
      r.setAttribute("height", String(bh));
      const tip = document.createElementNS(ns, "title");
      tip.textContent = b.start + ": " + money(b.revenue_cents, cur);
      r.append(tip);
      svg.append(r);
    });
    return el("figure", {}, svg, el("figcaption", { text: "Revenue per day, last 30 days" }));
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
  window.addEventListener("hashchange", route);
  start();
})();
