// The shop back office's own sections: the dashboard, products and orders
// (the other sections are in admin-imports.js, admin-team.js and
// admin-settings.js). Each registers itself with the core (admin.js).
"use strict";
(() => {
  const { el, api, can, money, scroll, table, announce, data, titleOf, statusText } = Admin;

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
    view.append(figures, Admin.chart(a.series.map((b) => ({ label: b.start, value: b.revenue_cents })), "Revenue per day, last 30 days", (v) => money(v, cur)));
  }

  async function latestOrders(view) {
    const orders = await api("GET", "/api/v1/orders?limit=5");
    view.append(el("h2", { "data-latest-orders": "", text: "Latest orders" }), orders.items.length
      ? table({}, ["Order", "Customer", "Status", { text: "Total", num: true }], orders.items.map((o) =>
        ["#" + o.number, o.name || o.email, statusText(o.status), { text: money(o.total_cents, o.currency), num: true }]))
      : el("p", { text: "No orders yet." }));
  }

  // products: the catalogue as a table — search (SKU, brand, GTIN, a title
  // in any language), status, overridden and drift filters, a page at a
  // time; a badge per field that no longer follows the feed.
  // #products/<query string> keeps the filters in the address.
  async function products(view, args) {
    const q = new URLSearchParams(args[0] || "");
    const choice = (id, name, label, options) => el("span", {}, el("label", { for: id, text: label }),
      el("select", { id, name }, ...options.map(([v, l]) => el("option", { value: v, selected: (q.get(name) || "") === v, text: l }))));
    const filter = el("form", { class: "filters", "data-products-filter": "" },
      el("span", {}, el("label", { for: "p-q", text: "Search" }), el("input", { id: "p-q", name: "q", type: "search", value: q.get("q") || "", maxlength: "200" })),
      choice("p-status", "status", "Status", [["", "Any"], ["active", "Active"], ["draft", "Draft"], ["archived", "Archived"]]),
      choice("p-over", "overridden", "Overridden", [["", "Any"], ["true", "Yes"], ["false", "No"]]),
      el("span", { class: "check" }, el("input", { id: "p-drift", name: "drift", type: "checkbox", value: "true", checked: !!q.get("drift") }),
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
    view.append(scroll(table({ "data-products": "" }, ["SKU", "Title", "Status", "Stock", "Feed", { text: "Price", num: true }],
      pg.items.map((p) => [
        el("a", { href: "#product/" + p.id, text: p.sku }), titleOf(p.title), p.status, p.stock === null ? "not tracked" : String(p.stock),
        el("span", {}, ...(p.overridden || []).map((f) => el("span", { class: "badge", text: f + " overridden" })),
          p.source_missing ? el("span", { class: "badge warn", text: "gone from the feed" }) : null,
          p.staged_product_id ? null : el("span", { class: "muted", text: "made here" })),
        { num: true, node: el("span", {}, p.sale_price_cents !== null ? el("s", { text: money(p.price_cents, p.currency) }) : null,
          " " + money(p.sale_price_cents !== null ? p.sale_price_cents : p.price_cents, p.currency)) },
      ]), (i) => ({ "data-product": pg.items[i].sku }))));
    if (pg.next_cursor) {
      const next = new URLSearchParams(q);
      next.set("cursor", pg.next_cursor);
      view.append(el("p", {}, el("a", { href: "#products/" + next, text: "Next page" })));
    }
  }

  const statuses = ["pending_payment", "paid", "fulfilled", "completed", "cancelled", "refunded"];

  // orders: the shop's orders, newest first, by status, a page at a time
  // (#orders, #orders/<status>, #orders/<status>/<cursor>); an order's
  // detail at #order/<id>.
  async function orders(view, args) {
    const [status = "", cursor = ""] = args.map(decodeURIComponent);
    const filter = el("form", { class: "filters", "data-orders-filter": "" },
      el("label", { for: "o-status", text: "Status" }),
      el("select", { id: "o-status", name: "status" }, el("option", { value: "", text: "Any" }),
        ...statuses.map((x) => el("option", { value: x, selected: x === status, text: statusText(x) }))),
      el("button", { type: "submit", text: "Show" }));
    filter.addEventListener("submit", (ev) => { ev.preventDefault(); location.hash = "orders/" + filter.elements.status.value; });
    view.append(filter);
    const q = new URLSearchParams({ limit: "20" });
    if (status) q.set("status", status);
    if (cursor) q.set("cursor", cursor);
    const pg = await api("GET", "/api/v1/orders?" + q);
    if (!pg.items.length) { view.append(el("p", { text: "No orders." })); return; }
    view.append(scroll(table({ "data-orders": "" }, ["Order", "Placed", "Customer", "Status", { text: "Total", num: true }],
      pg.items.map((o) => [el("a", { href: "#order/" + o.id, text: "#" + o.number }), o.created_at.slice(0, 10), o.name || o.email,
        { text: statusText(o.status), attrs: { "data-status": "" } }, { text: money(o.total_cents, o.currency), num: true }]))));
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
      el("li", { text: `${Admin.when(e.at)} · ${e.kind}${e.to_status ? " → " + statusText(e.to_status) : ""} · ${e.actor}${e.note ? " · " + e.note : ""}` }))));
  }

  Admin.section({ id: "dashboard", label: "Dashboard", perm: ["analytics.view", "orders.view"], order: 10, render: dashboard });
  Admin.section({ id: "products", label: "Products", perm: "products.view", order: 20, render: products });
  Admin.section({ id: "orders", label: "Orders", perm: "orders.view", order: 30, render: orders });
  Admin.detail("order", "orders", order);
})();
