// The shop back office's own sections: the dashboard, products and orders
// (the other sections are in admin-imports.js, admin-team.js and
// admin-settings.js). Each registers itself with the core (admin.js).
"use strict";
(() => {
  const { el, api, can, money, scroll, table, announce, data, titleOf, statusText, cents, amount } = Admin;

  // dashboard: the last 30 days' sales, day by day (analytics.view), and
  // the latest orders (orders.view).
  async function dashboard(view) {
    if (can("analytics.view")) await sales(view);
    if (can("orders.view")) await latestOrders(view);
    if (can("imports.view")) await importStatus(view);
  }

  // importStatus: the latest marketplace imports, how each went.
  async function importStatus(view) {
    const jobs = await api("GET", "/api/v1/marketplace/imports?limit=3");
    view.append(el("h2", { "data-import-status": "", text: "Imports" }), jobs.items.length
      ? table({}, ["Import", "Started", "Status", { text: "Products read", num: true }, { text: "Failed rows", num: true }], jobs.items.map((j) => [
        el("a", { href: "#imports", text: (j.dry_run ? "Dry run #" : "#") + j.id }), Admin.when(j.started_at || j.created_at),
        statusText(j.status) + (j.error ? " — " + j.error : ""), { text: String(j.counts.rows || 0), num: true }, { text: String(j.counts.failed || 0), num: true }]))
      : el("p", {}, "No import yet. ", el("a", { href: "#imports", text: "Set up the marketplace feed" }), "."));
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
      choice("p-sort", "sort", "Order", [["", "Oldest first"], ["-created", "Newest first"], ["sku", "SKU"], ["price", "Price, lowest first"],
        ["-price", "Price, highest first"], ["-updated", "Changed lately"]]),
      el("span", { class: "check" }, el("input", { id: "p-drift", name: "drift", type: "checkbox", value: "true", checked: !!q.get("drift") }),
        el("label", { for: "p-drift", text: "Changed in the feed under an override" })),
      el("button", { type: "submit", text: "Show" }));
    Admin.filterTo(filter, "products/");
    if (can("products.create")) view.append(el("p", {}, el("a", { href: "#product/new", class: "button", text: "New product" })));
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

  // The synced fields' names in overrides and drift reports, and the form
  // field (the API's) each is edited in.
  const inputOf = (f) => ({ price: "price_cents", sale_price: "sale_price_cents", vat_rate: "vat_rate_bp" })[f] || f;
  const fieldText = (f) => {
    const [kind, lang] = f.split(".");
    const names = { price: "Price", sale_price: "Sale price", stock: "Stock", vat_rate: "VAT rate", brand: "Brand", gtin: "GTIN",
      images: "Pictures", item_group_id: "Item group", title: "Title", description: "Description" };
    return (names[kind] || kind) + (lang ? " (" + lang.toUpperCase() + ")" : "");
  };

  // valueText writes a synced field's JSON value (as the API keeps it in
  // drift reports) for people.
  function valueText(field, v, currency) {
    if (v === null || v === undefined) return field === "stock" ? "not tracked" : "none";
    if (field === "price" || field === "sale_price") return money(v.cents, v.currency || currency);
    if (field === "vat_rate") return (v / 100).toFixed(2).replace(/\.?0+$/, "") + " %";
    if (Array.isArray(v)) return v.join(", ");
    return String(v);
  }

  // product: one product (#product/<id>, #product/new). With products.edit
  // a form of every field and every shop language's title and description,
  // each synced field the vendor overrode marked, with a way back to the
  // feed's value, and the feed's changes under an override to accept or
  // keep; without it, the same facts read-only.
  async function product(view, args) {
    const isNew = args[0] === "new";
    const p = isNew ? null : await api("GET", "/api/v1/products/" + encodeURIComponent(args[0]));
    view.replaceChildren(el("h1", { text: isNew ? "New product" : titleOf(p.title) || p.sku }),
      el("p", {}, el("a", { href: "#products", text: "← Products" })));
    if (p) {
      view.append(el("p", { class: "muted", "data-product-sku": "", text: `SKU ${p.sku} · ${p.status}` + (p.staged_product_id ? " · from the marketplace feed" : " · made here") },
        ...(p.overridden || []).map((f) => el("span", { class: "badge", text: fieldText(f) + " overridden" })),
        p.source_missing ? el("span", { class: "badge warn", text: "gone from the feed" }) : null));
    }
    if (p && can("products.view") && p.staged_product_id) await drift(view, p, args);
    if (can(isNew ? "products.create" : "products.edit")) view.append(productForm(p, args));
    else view.append(productFacts(p));
    if (p && can("products.delete")) view.append(deleteProduct(p));
  }

  // drift lists the feed's changes to fields this product overrides, each
  // to accept (take the feed's value, follow the feed again) or keep.
  async function drift(view, p, args) {
    const d = await api("GET", "/api/v1/products/drift?product_id=" + p.id);
    if (!d.items.length) return;
    const box = Admin.errorBox();
    const act = async (field, action) => {
      try {
        await api("POST", `/api/v1/products/${p.id}/drift`, { field, action });
        await product(view, args);
        announce(action === "accept" ? fieldText(field) + " follows the feed again." : "Your " + fieldText(field).toLowerCase() + " is kept.");
      } catch (err) { box.textContent = err.error.message; box.hidden = false; }
    };
    const button = (field, action, text) => {
      const b = el("button", { type: "button", class: "small", "data-drift-action": action, "data-field": field, text });
      b.addEventListener("click", () => act(field, action));
      return b;
    };
    view.append(el("section", { class: "card", "data-drift": "", "aria-labelledby": "drift-h" },
      el("h2", { id: "drift-h", text: "Changed in the feed" }),
      el("p", { text: "The feed changed these fields since you overrode them. Take the feed's value, or keep yours." }),
      scroll(table({}, ["Field", "Feed before", "Feed now", "Yours", "Action"], d.items.map((r) => [
        fieldText(r.field), valueText(r.field, r.source_before, p.currency), valueText(r.field, r.source_now, p.currency),
        valueText(r.field, r.override, p.currency),
        can("products.edit") ? el("span", { class: "buttons" }, button(r.field, "accept", "Take the feed's"), " ", button(r.field, "keep", "Keep mine")) : "",
      ]), (i) => ({ "data-drift-field": d.items[i].field }))), box));
  }

  // productFacts is a product read-only (a Viewer's page).
  function productFacts(p) {
    const row = (k, v) => el("div", {}, el("dt", { text: k }), el("dd", { text: v }));
    return el("dl", { class: "facts", "data-product-facts": "" },
      row("Price", money(p.price_cents, p.currency)),
      row("Sale price", p.sale_price_cents === null ? "none" : money(p.sale_price_cents, p.currency)),
      row("Stock", p.stock === null ? "not tracked" : String(p.stock)), row("Status", p.status),
      row("Brand", p.brand || "none"), row("GTIN", p.gtin || "none"),
      ...Object.entries(p.title).map(([l, t]) => row("Title (" + l.toUpperCase() + ")", t)));
  }

  // productForm edits a product (or makes one). Only the fields changed
  // are sent: a synced field sent unchanged would not change, but the
  // audit trail stays to what the user did.
  function productForm(p, args) {
    const langs = [...new Set([...(data.languages || []), ...Object.keys((p && p.title) || {})])];
    const over = new Set((p && p.overridden) || []);
    const feed = !!(p && p.staged_product_id);
    const labelled = (f, label) => (over.has(f) ? label + " (overridden)" : label);
    const form = el("form", { class: "card product-form", "data-product-form": "", novalidate: true });
    const reset = (f) => {
      if (!feed || !over.has(f)) return null;
      const b = el("button", { type: "button", class: "small quiet", "data-reset": f, text: "Back to the feed's " + fieldText(f).toLowerCase() });
      b.addEventListener("click", async () => {
        try {
          await api("POST", `/api/v1/products/${p.id}/reset`, { fields: [f] });
          await product(form.closest("[data-page]"), args);
          announce(fieldText(f) + " follows the feed again.");
        } catch (err) { Admin.formError(form, err); }
      });
      return b;
    };
    const v = (x) => (p ? x : undefined);
    form.append(
      el("fieldset", {}, el("legend", { text: "Selling" }),
        isNewSku(p),
        Admin.field("price_cents", labelled("price", "Price"), { value: v(amount(p && p.price_cents)), inputmode: "decimal", required: true, hint: "In " + ((p && p.currency) || data.currency) + ", VAT included" }), reset("price"),
        Admin.field("sale_price_cents", labelled("sale_price", "Sale price"), { value: v(amount(p && p.sale_price_cents)), inputmode: "decimal", hint: "Empty: no sale" }), reset("sale_price"),
        Admin.field("vat_rate_bp", labelled("vat_rate", "VAT rate (%)"), { value: v(p && p.vat_rate_bp !== null ? String(p.vat_rate_bp / 100) : ""), inputmode: "decimal", hint: "Empty: the shop's default" }), reset("vat_rate"),
        Admin.field("stock", labelled("stock", "Stock"), { value: v(p && p.stock !== null ? String(p.stock) : ""), inputmode: "numeric", hint: "Empty: not tracked" }), reset("stock"),
        Admin.field("status", "Status", { tag: "select", value: p ? p.status : "draft", options: [["draft", "Draft"], ["active", "Active"], ["archived", "Archived"]] })),
      el("fieldset", {}, el("legend", { text: "Details" }),
        Admin.field("brand", labelled("brand", "Brand"), { value: v(p && p.brand), maxlength: "100" }), reset("brand"),
        Admin.field("gtin", labelled("gtin", "GTIN"), { value: v(p && p.gtin), maxlength: "14", inputmode: "numeric" }), reset("gtin"),
        Admin.field("item_group_id", labelled("item_group_id", "Item group (variants)"), { value: v(p && p.item_group_id), maxlength: "50" }), reset("item_group_id"),
        Admin.field("images", labelled("images", "Pictures"), { tag: "textarea", rows: "3", value: p ? (p.images || []).join("\n") : "", hint: "One address per line; the first is the main picture" }), reset("images")),
      ...langs.map((l) => el("fieldset", { "data-language": l }, el("legend", { text: "Text in " + languageName(l) }),
        Admin.field("title." + l, labelled("title." + l, "Title"), { value: p ? p.title[l] || "" : "", maxlength: "150", lang: l }), reset("title." + l),
        Admin.field("description." + l, labelled("description." + l, "Description"), { tag: "textarea", rows: "4", value: p ? p.description[l] || "" : "", lang: l }),
        reset("description." + l))),
      Admin.errorBox(),
      el("p", {}, el("button", { type: "submit", text: p ? "Save changes" : "Create product" })));
    Admin.submit(form, async () => {
      const body = productChanges(form, p, langs);
      if (!Object.keys(body).length) { announce("Nothing changed."); return; }
      const saved = await api(p ? "PUT" : "POST", p ? "/api/v1/products/" + p.id : "/api/v1/products", body);
      if (p) await product(form.closest("[data-page]"), args);
      else location.hash = "product/" + saved.id;
      announce((p ? "Saved " : "Created ") + (titleOf(saved.title) || saved.sku) + ".");
    });
    return form;
  }

  // isNewSku is the SKU field of a product being made (a product's SKU does
  // not change once it exists: orders and the feed name it).
  const isNewSku = (p) => (p ? null : Admin.field("sku", "SKU", { required: true, maxlength: "50" }));

  const languageName = (l) => {
    try { return new Intl.DisplayNames(["en"], { type: "language" }).of(l); } catch (_) { return l; }
  };

  // productChanges reads the form into the API's body: the fields whose
  // value differs from the product's (every filled one for a new product).
  // A bad amount is refused here with the API's vocabulary of field errors.
  function productChanges(form, p, langs) {
    const f = form.elements;
    const body = {};
    const bad = {};
    const amountOf = (name, required) => {
      const c = cents(f[name].value);
      if (Number.isNaN(c) || (required && c === null)) bad[name] = "an amount such as 24.90";
      return c;
    };
    const price = amountOf("price_cents", true);
    const sale = amountOf("sale_price_cents", false);
    const vatText = f.vat_rate_bp.value.trim().replace(",", ".");
    const vat = vatText === "" ? null : Math.round(Number(vatText) * 100);
    if (Number.isNaN(vat)) bad.vat_rate_bp = "a percentage such as 17";
    const stockText = f.stock.value.trim();
    const stock = stockText === "" ? null : Number(stockText);
    if (stock !== null && !Number.isInteger(stock)) bad.stock = "a whole number, or empty";
    if (Object.keys(bad).length) throw { error: { message: "Some fields need another value.", fields: bad } };
    const set = (key, value, was) => { if (!p || JSON.stringify(value) !== JSON.stringify(was)) body[key] = value; };
    if (!p) body.sku = f.sku.value.trim();
    set("price_cents", price, p && p.price_cents);
    if (!p ? sale !== null : sale !== p.sale_price_cents) body.sale_price_cents = sale;
    if (!p ? vat !== null : vat !== p.vat_rate_bp) body.vat_rate_bp = vat;
    if (!p ? stock !== null : stock !== p.stock) body.stock = stock;
    set("status", f.status.value, p && p.status);
    for (const k of ["brand", "gtin", "item_group_id"]) if (!p ? f[k].value.trim() : f[k].value.trim() !== (p[k] || "")) body[k] = f[k].value.trim();
    const images = f.images.value.split("\n").map((x) => x.trim()).filter(Boolean);
    set("images", images, p && (p.images || []));
    for (const kind of ["title", "description"]) {
      const texts = {};
      for (const l of langs) {
        const now = f[kind + "." + l].value.trim();
        const was = p ? p[kind][l] || "" : "";
        if (now !== was) texts[l] = now === "" ? null : now;
      }
      if (Object.keys(texts).length) body[kind] = texts;
    }
    if (!p) body.currency = data.currency;
    return body;
  }

  // deleteProduct removes a product after the user confirms (orders keep
  // their lines: an order holds its own copy).
  function deleteProduct(p) {
    const form = el("form", { class: "card", "data-delete-product": "" }, el("h2", { text: "Delete" }),
      Admin.field("confirm-delete", "Type the SKU " + p.sku + " to delete this product", { name: "confirm", autocomplete: "off" }),
      Admin.errorBox(), el("p", {}, el("button", { type: "submit", class: "danger", text: "Delete product" })));
    Admin.submit(form, async () => {
      if (form.elements.confirm.value.trim() !== p.sku) throw { error: { message: "The SKU typed does not match.", fields: { confirm: "type " + p.sku } } };
      await api("DELETE", "/api/v1/products/" + p.id);
      location.hash = "products";
      announce("Deleted " + p.sku + ".");
    });
    return form;
  }

  const statuses = ["pending_payment", "paid", "fulfilled", "completed", "cancelled", "refunded"];

  // orders: the shop's orders, newest first, a page at a time: by status,
  // searched by number, e-mail or billing name, between two dates — the
  // filters kept in the address (#orders/status=paid&q=…&from=…&to=…);
  // an order's detail at #order/<id>.
  async function orders(view, args) {
    const q = new URLSearchParams(args[0] || "");
    const filter = el("form", { class: "filters", "data-orders-filter": "" },
      el("span", {}, el("label", { for: "o-q", text: "Search" }),
        el("input", { id: "o-q", name: "q", type: "search", value: q.get("q") || "", maxlength: "200", "aria-describedby": "o-q-hint" }),
        el("span", { id: "o-q-hint", class: "muted hint", text: "Number, e-mail or name" })),
      el("span", {}, el("label", { for: "o-status", text: "Status" }),
        el("select", { id: "o-status", name: "status" }, el("option", { value: "", text: "Any" }),
          ...statuses.map((x) => el("option", { value: x, selected: x === (q.get("status") || ""), text: statusText(x) })))),
      el("span", {}, el("label", { for: "o-from", text: "From" }), el("input", { id: "o-from", name: "from", type: "date", value: q.get("from") || "" })),
      el("span", {}, el("label", { for: "o-to", text: "To" }), el("input", { id: "o-to", name: "to", type: "date", value: q.get("to") || "" })),
      el("button", { type: "submit", text: "Show" }));
    Admin.filterTo(filter, "orders/");
    view.append(filter);
    const call = new URLSearchParams(q);
    call.set("limit", "20");
    const pg = await api("GET", "/api/v1/orders?" + call);
    if (!pg.items.length) { view.append(el("p", { text: "No orders match." })); return; }
    view.append(scroll(table({ "data-orders": "" }, ["Order", "Placed", "Customer", "Status", { text: "Total", num: true }],
      pg.items.map((o) => [el("a", { href: "#order/" + o.id, text: "#" + o.number }), o.created_at.slice(0, 10), o.name || o.email,
        { text: statusText(o.status), attrs: { "data-status": "" } }, { text: money(o.total_cents, o.currency), num: true }]))));
    if (pg.next_cursor) {
      const next = new URLSearchParams(q);
      next.set("cursor", pg.next_cursor);
      view.append(el("p", {}, el("a", { href: "#orders/" + next, text: "Next page" })));
    }
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
      el("div", {}, el("dt", { text: "Payment" }), el("dd", { text: statusText(o.payment_method) })),
      o.refunded_cents ? el("div", {}, el("dt", { text: "Refunded" }), el("dd", { "data-order-refunded": "", text: money(o.refunded_cents, o.currency) })) : null));
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
      if (["paid", "fulfilled", "completed"].includes(o.status) && o.refunded_cents < o.total_cents) view.append(refundForm(view, args, o));
    }
    view.append(el("h2", { text: "History" }), el("ol", { class: "history" }, ...(o.history || []).map((e) =>
      el("li", { text: `${Admin.when(e.at)} · ${e.kind}${e.to_status ? " → " + statusText(e.to_status) : ""} · ${e.actor}${e.note ? " · " + e.note : ""}` }))));
  }

  // refundForm gives money back, all or part: the rest by default; a card
  // payment goes back through the provider, a bank transfer is recorded
  // (the team pays it back). The order becomes refunded when nothing is
  // left.
  function refundForm(view, args, o) {
    const left = o.total_cents - o.refunded_cents;
    const form = el("form", { class: "actions", "data-refund": "" }, el("h2", { text: "Refund" }),
      el("p", { class: "muted", text: `Up to ${money(left, o.currency)} is left to refund` + (o.payment_method === "card" ? "; it goes back to the card." : "; pay it back by bank transfer, then record it here.") }),
      Admin.field("refund_cents", "Amount", { value: amount(left), inputmode: "decimal", required: true }),
      Admin.field("restock", "Put the items back in stock", { type: "checkbox", value: false }),
      Admin.field("note", "Note for the order's history", { maxlength: "500" }),
      Admin.errorBox(), el("p", {}, el("button", { type: "submit", text: "Refund" })));
    Admin.submit(form, async () => {
      const c = cents(form.elements.refund_cents.value);
      if (!c || Number.isNaN(c)) throw { error: { message: "Give the amount to refund.", fields: { refund_cents: "an amount such as 24.90" } } };
      const body = { refund_cents: c, restock: form.elements.restock.checked };
      if (form.elements.note.value.trim()) body.note = form.elements.note.value.trim();
      await api("PUT", "/api/v1/orders/" + o.id, body);
      await order(view, args);
      announce(`Refunded ${money(c, o.currency)} on order #${o.number}.`);
    });
    return form;
  }

  Admin.section({ id: "dashboard", label: "Dashboard", perm: ["analytics.view", "orders.view"], order: 10, render: dashboard });
  Admin.section({ id: "products", label: "Products", perm: "products.view", order: 20, render: products });
  Admin.section({ id: "orders", label: "Orders", perm: "orders.view", order: 30, render: orders });
  Admin.detail("order", "orders", order);
  Admin.detail("product", "products", product);
})();
