// The shop back office's Customers section: accounts and guests searched by
// e-mail or name a page at a time (#customers/q=…&cursor=…), and one
// customer (#customer/<id>): the profile, addresses and orders, with a
// correction form for a user holding orders.edit, the permission the
// server asks for (internal/web/customers.go).
"use strict";
(() => {
  const { el, api, can, scroll, table, field, errorBox, submit, announce, when, money, statusText } = Admin;

  const nameOf = (c) => [c.first_name, c.last_name].filter(Boolean).join(" ");

  async function customers(view, args) {
    const q = new URLSearchParams(decodeURIComponent(args[0] || ""));
    const filter = el("form", { class: "filters", role: "search", "data-customers-filter": "" },
      el("span", {}, el("label", { for: "c-q", text: "E-mail or name" }),
        el("input", { id: "c-q", name: "q", type: "search", value: q.get("q") || "", maxlength: "200" })),
      el("button", { type: "submit", text: "Search" }));
    Admin.filterTo(filter, (next) => { location.hash = "customers/" + encodeURIComponent(next.toString()); });
    view.append(filter);
    const call = new URLSearchParams(q);
    call.set("limit", "25");
    const pg = await api("GET", "/api/v1/customers?" + call);
    if (!pg.items.length) { view.append(el("p", { "data-customers": "", text: "No customer matches." })); return; }
    view.append(scroll(table({ "data-customers": "" }, ["E-mail", "Name", "Kind", "Since"],
      pg.items.map((c) => [el("a", { href: "#customer/" + c.id, text: c.email }), nameOf(c), c.has_account ? "account" : "guest", when(c.created_at).slice(0, 10)]),
      (i) => ({ "data-customer": pg.items[i].email })), "Customers"));
    if (pg.next_cursor) {
      const next = new URLSearchParams(q);
      next.set("cursor", pg.next_cursor);
      view.append(el("p", {}, el("a", { href: "#customers/" + encodeURIComponent(next.toString()), text: "Next page" })));
    }
  }

  // customer: one customer's profile, addresses and orders (each linking to
  // its page), and the correction form for orders.edit.
  async function customer(view, args) {
    const c = await api("GET", "/api/v1/customers/" + encodeURIComponent(decodeURIComponent(args[0] || "")));
    view.replaceChildren(el("h1", { text: nameOf(c) || c.email }));
    view.append(el("dl", { class: "figures", "data-customer-profile": "" },
      el("div", {}, el("dt", { text: "E-mail" }), el("dd", { class: "small", text: c.email })),
      el("div", {}, el("dt", { text: "Kind" }), el("dd", { class: "small", text: c.has_account ? "account" : "guest" })),
      el("div", {}, el("dt", { text: "Phone" }), el("dd", { class: "small", text: c.phone || "—" })),
      el("div", {}, el("dt", { text: "Customer since" }), el("dd", { class: "small", text: when(c.created_at).slice(0, 10) })),
      c.has_account ? el("div", {}, el("dt", { text: "Last sign-in" }), el("dd", { class: "small", text: when(c.last_login_at) || "never" })) : null,
      c.locked_until ? el("div", {}, el("dt", { text: "Locked until" }), el("dd", { class: "small", text: when(c.locked_until) })) : null));
    view.append(el("h2", { text: "Addresses" }), (c.addresses || []).length
      ? el("ul", { class: "addresses" }, ...c.addresses.map((a) => el("li", {}, el("address", {},
        ...[a.name, a.company, a.line1, a.line2, [a.postal_code, a.city].join(" "), a.country, a.phone].filter(Boolean).map((l) => el("span", { text: l }))))))
      : el("p", { class: "muted", text: "No address saved." }));
    const orders = (c.orders && c.orders.items) || [];
    view.append(el("h2", { id: "c-orders", text: "Orders" }), orders.length
      ? scroll(table({ "data-customer-orders": "", "aria-labelledby": "c-orders" }, ["Order", "Placed", "Status", { text: "Total", num: true }],
        orders.map((o) => [el("a", { href: "#order/" + o.id, text: "#" + o.number }), when(o.created_at).slice(0, 10), statusText(o.status),
          { text: money(o.total_cents, o.currency), num: true }])), "Orders")
      : el("p", { class: "muted", text: "No orders." }));
    if (c.orders && c.orders.next_cursor) view.append(el("p", { class: "muted", text: "Only the latest orders are shown." }));
    if (can("orders.edit")) view.append(correction(view, c, args));
  }

  // addressFields are one address's inputs, named as the API names their
  // errors (addresses[1].country) so each shows beside its input.
  const addressParts = [["name", "Name", true], ["company", "Company"], ["line1", "Street and number", true], ["line2", "Address, line 2"],
    ["postal_code", "Postal code", true], ["city", "City", true], ["country", "Country (two letters, such as LU)", true], ["phone", "Phone"]];

  function addressFields(i, a, fresh) {
    return el("fieldset", { class: "address", "data-address": String(i) },
      el("legend", { text: fresh ? "A new address" : "Address " + (i + 1) }),
      ...addressParts.map(([k, label, needed]) => field(`c-a${i}-${k}`, label, { name: `addresses[${i}].${k}`, value: a[k] || "",
        maxlength: k === "country" ? "2" : "200", autocomplete: "off", required: needed && !fresh })),
      fresh ? el("p", { class: "muted", text: "Leave empty to add none." })
        : field(`c-a${i}-drop`, "Remove this address", { type: "checkbox", name: `drop-${i}` }));
  }

  // correction corrects the names, phone and addresses (never the e-mail
  // or password: the customer's own).
  function correction(view, c, args) {
    const list = c.addresses || [];
    const form = el("form", { class: "card", "data-customer-form": "", novalidate: "", "aria-labelledby": "c-edit" },
      el("h2", { id: "c-edit", text: "Correct the details" }),
      field("c-first", "First name", { name: "first_name", value: c.first_name, maxlength: "100", autocomplete: "off" }),
      field("c-last", "Last name", { name: "last_name", value: c.last_name, maxlength: "100", autocomplete: "off" }),
      field("c-phone", "Phone", { name: "phone", type: "tel", value: c.phone, maxlength: "30", autocomplete: "off" }),
      ...list.map((a, i) => addressFields(i, a, false)), addressFields(list.length, {}, true),
      errorBox(), el("p", {}, el("button", { type: "submit", text: "Save the corrections" })));
    submit(form, async () => {
      const read = (i) => Object.fromEntries(addressParts.map(([k]) => [k, form.elements[`addresses[${i}].${k}`].value.trim()]));
      const addresses = list.map((_, i) => i).filter((i) => !form.elements[`drop-${i}`].checked).map(read);
      const extra = read(list.length);
      if (Object.values(extra).some(Boolean)) addresses.push(extra);
      await api("PUT", "/api/v1/customers/" + c.id, { first_name: form.elements.first_name.value.trim(),
        last_name: form.elements.last_name.value.trim(), phone: form.elements.phone.value.trim(), addresses });
      await customer(view, args);
      announce("The details of " + c.email + " were saved.");
      Admin.$("#main").focus({ preventScroll: true }); // the form it was in is gone
    });
    return form;
  }

  Admin.section({ id: "customers", label: "Customers", perm: "orders.view", order: 40, render: customers });
  Admin.detail("customer", "customers", customer);
})();
