// The super admins' back office on admin.<base_domain>: vendors (a list
// searched and filtered, a new vendor with its Owner, a vendor's page with
// its details, edit, suspend/resume, Owner, members and delete) and bulk
// onboarding (a CSV checked by a dry run, then run on the queue with its
// progress, each line's outcome and the report). The API is the README's
// "Super admin and onboarding"; the server checks the super admin on every
// call.
"use strict";
(() => {
  const { el, api, field, errorBox, submit, announce, scroll, table, when, statusText, go, facts } = Admin;
  const vendorsAPI = "/api/v1/admin/vendors";
  const bulkAPI = vendorsAPI + "/bulk-imports/";

  const choice = (id, name, label, options, value) => el("span", {}, el("label", { for: id, text: label }),
    el("select", { id, name }, ...options.map(([v, l]) => el("option", { value: v, selected: value === v, text: l }))));

  const statusBadge = (s) => el("span", { class: s === "active" ? "badge" : "badge warn", "data-vendor-status": s, text: statusText(s) });

  // ---- Vendors ----

  const sorts = [["-created", "Newest first"], ["created", "Oldest first"], ["name", "Name"], ["slug", "Subdomain"]];

  // vendors: the list, searched (name, subdomain, business or member
  // e-mail), by status, in an order, a page at a time; the filters and the
  // page's cursor in the address (#vendors/q=…&status=…&cursor=…).
  async function vendors(view, args) {
    const q = new URLSearchParams(args[0] || "");
    view.append(el("p", { class: "toolbar" }, el("a", { href: "#vendor-new", class: "button", "data-new-vendor": "", text: "New vendor" }),
      el("a", { href: "#onboarding", text: "Onboard vendors from a CSV file" })));
    const filter = el("form", { class: "filters", role: "search", "aria-label": "Vendors", "data-vendors-filter": "" },
      el("span", {}, el("label", { for: "v-q", text: "Search" }),
        el("input", { id: "v-q", name: "q", type: "search", value: q.get("q") || "", maxlength: "200", placeholder: "Name, subdomain or e-mail",
          "aria-describedby": "v-q-hint" }),
        el("span", { id: "v-q-hint", class: "visually-hidden", text: "Searches the name, subdomain, business e-mail and members' e-mails." })),
      choice("v-status", "status", "Status", [["", "Any"], ["active", "Active"], ["suspended", "Suspended"]], q.get("status") || ""),
      choice("v-sort", "sort", "Order", sorts, q.get("sort") || "-created"),
      el("button", { type: "submit", text: "Show" }));
    Admin.filterTo(filter, "vendors/");
    view.append(filter);
    const call = new URLSearchParams(q);
    call.set("limit", "25");
    if (!call.get("sort")) call.set("sort", "-created");
    const pg = await api("GET", vendorsAPI + "?" + call);
    if (!pg.items.length) { view.append(el("p", { "data-no-vendors": "", text: "No vendor matches." })); return; }
    view.append(scroll(table({ "data-vendors": "" },
      ["Vendor", "Subdomain", "Status", { text: "Members", num: true }, { text: "Products", num: true }, "Last import", "Created"],
      pg.items.map((v) => [el("a", { href: "#vendor/" + v.id, text: v.name }), v.slug, statusBadge(v.status),
        { text: v.figures.members, num: true }, { text: v.figures.products, num: true },
        v.figures.last_import ? statusText(v.figures.last_import.status) + " · " + when(v.figures.last_import.created_at) : "none",
        v.created_at.slice(0, 10)]),
      (i) => ({ "data-vendor": pg.items[i].slug })), "Vendors"));
    const nav = el("p", { class: "toolbar" });
    if (q.get("cursor")) {
      const first = new URLSearchParams(q);
      first.delete("cursor");
      nav.append(el("a", { href: "#vendors/" + first, text: "First page" }));
    }
    if (pg.next_cursor) {
      const next = new URLSearchParams(q);
      next.set("cursor", pg.next_cursor);
      nav.append(el("a", { href: "#vendors/" + next, text: "Next page" }));
    }
    if (nav.childNodes.length) view.append(nav);
  }

  // businessFields are a vendor's business details as fields named for
  // the API (prefix keeps the ids of two forms apart).
  const businessFields = (prefix, v) => [
    field(prefix + "-email", "Business e-mail", { name: "business_email", type: "email", maxlength: "254", value: v.business_email }),
    field(prefix + "-phone", "Business phone", { name: "business_phone", type: "tel", maxlength: "50", value: v.business_phone }),
    field(prefix + "-address", "Address", { name: "business_address", maxlength: "500", value: v.business_address }),
    field(prefix + "-city", "City", { name: "business_city", maxlength: "100", value: v.business_city }),
    field(prefix + "-postal", "Postal code", { name: "business_postal_code", maxlength: "20", value: v.business_postal_code }),
    field(prefix + "-country", "Country", { name: "business_country", maxlength: "2", value: v.business_country, hint: "Two letters (ISO 3166-1), e.g. LU" }),
  ];
  const businessNames = ["business_email", "business_phone", "business_address", "business_city", "business_postal_code", "business_country"];

  // ownerFields name the Owner for the API (owner.email… in a new
  // vendor's body, email… on its own).
  const ownerFields = (prefix, nested) => {
    const n = (k) => (nested ? "owner." + k : k);
    return [
      field(prefix + "-email", "Owner's e-mail", { name: n("email"), type: "email", maxlength: "254", autocomplete: "off",
        hint: "An existing account becomes Owner at once; a new e-mail gets an invitation." }),
      field(prefix + "-first", "First name", { name: n("first_name"), maxlength: "100", autocomplete: "off" }),
      field(prefix + "-last", "Last name", { name: n("last_name"), maxlength: "100", autocomplete: "off" }),
    ];
  };

  // ownerWord says what giving an Owner came to.
  const ownerWord = (o) => (!o ? "" : { member: `${o.email} is its Owner.`, invited: `An invitation went to ${o.email}.`,
    unchanged: `${o.email} was already its Owner.` }[o.outcome] || "");

  // newVendor: a vendor with its business details, its Owner and a feed;
  // every problem the API names shows beside its field.
  async function newVendor(view) {
    view.replaceChildren(el("h1", { text: "New vendor" }));
    const form = el("form", { class: "card", novalidate: "", "data-new-vendor-form": "" },
      field("nv-name", "Name", { name: "name", required: true, maxlength: "200" }),
      field("nv-slug", "Subdomain", { name: "subdomain", required: true, maxlength: "63", autocomplete: "off",
        hint: "Lower-case letters, digits and hyphens: the shop's address. It never changes." }),
      ...businessFields("nv", {}),
      el("fieldset", {}, el("legend", { text: "Owner" }), ...ownerFields("nv-owner", true)),
      el("fieldset", {}, el("legend", { text: "Catalogue feed (optional)" }),
        field("nv-feed-lang", "Language", { name: "feed_language", maxlength: "2", value: "fr", hint: "Two letters, e.g. fr" }),
        field("nv-feed-url", "Feed URL", { name: "feed_url", type: "url", maxlength: "2000" })),
      el("p", {}, el("button", { type: "submit", text: "Create the vendor" })), errorBox());
    submit(form, async () => {
      const f = Object.fromEntries(new FormData(form));
      const body = { name: f.name, subdomain: f.subdomain };
      for (const k of businessNames) if (f[k]) body[k] = f[k];
      if (f["owner.email"]) body.owner = { email: f["owner.email"], first_name: f["owner.first_name"], last_name: f["owner.last_name"] };
      if (f.feed_url) body.feeds = { [f.feed_language]: f.feed_url };
      let out;
      try {
        out = await api("POST", vendorsAPI, body);
      } catch (err) {
        throw feedErrors(err);
      }
      go("vendor/" + out.vendor.id, `${out.vendor.name} created. ${ownerWord(out.owner)}`.trim());
    });
    view.append(el("p", {}, el("a", { href: "#vendors", text: "All vendors" })), form);
  }

  // feedErrors puts the API's word about a feed (feeds.<language>) beside
  // the one feed field.
  function feedErrors(err) {
    const fields = err && err.error && err.error.fields;
    if (!fields) return err;
    for (const k of Object.keys(fields)) {
      if (k.startsWith("feeds.")) { fields.feed_url = fields.feed_url || fields[k]; delete fields[k]; }
    }
    return err;
  }

  // vendorPage: one vendor — its figures and details, links to its shop
  // and its back office, forms to edit it, suspend or resume it, give it
  // an Owner, its team, and deleting it with its subdomain typed back.
  async function vendorPage(view, args) {
    const id = decodeURIComponent(args[0] || "");
    const v = await api("GET", vendorsAPI + "/" + encodeURIComponent(id));
    const again = async (notice) => { await vendorPage(view, args); announce(notice); };
    view.replaceChildren(el("h1", { text: v.name }),
      el("p", { class: "toolbar" }, el("a", { href: "#vendors", text: "All vendors" }),
        el("a", { href: v.url, "data-shop-link": "", text: "Open the shop" }),
        el("a", { href: v.url + "admin/", "data-admin-link": "", text: "Open its back office" })),
      facts("figures", [["Status", statusText(v.status), { "data-vendor-status": v.status }], ["Members", v.figures.members],
        ["Products", v.figures.products], ["Last import", v.figures.last_import ? statusText(v.figures.last_import.status) : "none"]]),
      facts("facts", [["Subdomain", v.slug], ["Business e-mail", v.business_email], ["Phone", v.business_phone],
        ["Address", [v.business_address, [v.business_postal_code, v.business_city].filter(Boolean).join(" "), v.business_country].filter(Boolean).join(", ")],
        ["Languages", (v.enabled_languages || []).join(", ")], ["Currency", v.currency], ["Created", when(v.created_at)],
        ["Suspended because", v.status === "suspended" ? v.suspended_reason : ""], ["Status changed", when(v.status_changed_at)],
        ["Database", `${v.cluster} · schema ${v.schema_version}`], ["Migration error", v.migration_error]]),
      await members(v), el("div", { class: "forms" }, editForm(v, again), statusForm(v, again), ownerForm(v, again)), deleteForm(v));
  }

  function editForm(v, again) {
    const form = el("form", { class: "card", novalidate: "", "data-edit-vendor": "" }, el("h2", { text: "Details" }),
      field("ve-name", "Name", { name: "name", required: true, maxlength: "200", value: v.name }),
      ...businessFields("ve", v), el("p", {}, el("button", { type: "submit", text: "Save the details" })), errorBox());
    submit(form, async () => {
      const f = Object.fromEntries(new FormData(form));
      await api("PUT", vendorsAPI + "/" + v.id, f);
      await again("Details saved.");
    });
    return form;
  }

  // statusForm suspends an active vendor (a reason is required: it goes to
  // the audit trail) or resumes a suspended one.
  function statusForm(v, again) {
    const suspended = v.status === "suspended";
    const form = el("form", { class: "card", novalidate: "", "data-status-form": "" },
      el("h2", { text: suspended ? "Resume" : "Suspend" }),
      el("p", { class: "muted", text: suspended ? "The shop serves again; its data was kept." : "The shop stops: its addresses answer that it is suspended. Its data is kept." }),
      field("vs-reason", suspended ? "Reason (optional)" : "Reason", { tag: "textarea", name: "reason", rows: "2", maxlength: "500", required: !suspended }),
      el("p", {}, el("button", { type: "submit", class: suspended ? null : "danger", "data-status-action": suspended ? "resume" : "suspend",
        text: suspended ? "Resume the shop" : "Suspend the shop" })), errorBox());
    submit(form, async () => {
      const reason = form.elements.reason.value;
      await api("POST", `${vendorsAPI}/${v.id}/${suspended ? "resume" : "suspend"}`, reason || !suspended ? { reason } : undefined);
      await again(suspended ? `${v.name} serves again.` : `${v.name} is suspended.`);
    });
    return form;
  }

  // ownerForm gives the vendor an Owner: one created without, or whose
  // Owner left.
  function ownerForm(v, again) {
    const form = el("form", { novalidate: "", "data-owner-form": "" },
      ...ownerFields("vo", false), el("p", {}, el("button", { type: "submit", text: "Give the Owner role" })), errorBox());
    submit(form, async () => {
      const out = await api("POST", `${vendorsAPI}/${v.id}/owner`, Object.fromEntries(new FormData(form)));
      await again(ownerWord(out));
    });
    // Folded: most vendors have their Owner.
    return el("details", { class: "card" }, el("summary", { text: "Give it an Owner" }), form);
  }

  // members: the vendor's team as its Owner sees it, active members first,
  // a page at a time.
  async function members(v) {
    const box = el("section", { class: "card", "aria-labelledby": "vm-heading", "data-members": "" }, el("h2", { id: "vm-heading", text: "Team" }));
    const more = async (cursor) => {
      const q = new URLSearchParams({ limit: "50" });
      if (cursor) q.set("cursor", cursor);
      const pg = await api("GET", `${vendorsAPI}/${v.id}/members?${q}`);
      box.querySelector("[data-more-members]")?.remove();
      if (!pg.items.length && !cursor) { box.append(el("p", { text: "No member yet (an invited Owner joins when they accept)." })); return; }
      box.append(scroll(table({}, ["E-mail", "Name", "Role", "Since"], pg.items.map((m) => [m.email,
        [m.first_name, m.last_name].filter(Boolean).join(" "), m.role.name + (m.active ? "" : " (left)"), m.created_at.slice(0, 10)]),
      (i) => ({ "data-member": pg.items[i].email })), "Team"));
      if (pg.next_cursor) {
        const b = el("button", { type: "button", class: "quiet", "data-more-members": "", text: "More members" });
        b.addEventListener("click", () => more(pg.next_cursor));
        box.append(b);
      }
    };
    await more("");
    return box;
  }

  // deleteForm drops the vendor and all its data, once its subdomain is
  // typed back (the API refuses otherwise).
  function deleteForm(v) {
    const form = el("form", { class: "card danger-zone", novalidate: "", "data-delete-form": "" }, el("h2", { text: "Delete" }),
      el("p", { text: "Deleting the vendor drops its shop and all its data: products, orders, customers, team. It cannot be undone." }),
      field("vd-confirm", `Type its subdomain, ${v.slug}, to confirm`, { name: "confirm", autocomplete: "off", maxlength: "63" }),
      el("p", {}, el("button", { type: "submit", class: "danger", text: "Delete the vendor" })), errorBox());
    submit(form, async () => {
      await api("DELETE", `${vendorsAPI}/${v.id}?confirm=${encodeURIComponent(form.elements.confirm.value)}`);
      go("vendors", `${v.name} deleted.`);
    });
    return form;
  }

  // ---- Bulk onboarding ----

  const columns = ["vendor_name", "subdomain", "owner_name", "owner_email", "owner_phone", "business_address", "business_city",
    "business_postal_code", "business_country", "letzshop_csv_url", "initial_password"];
  const running = (s) => s === "queued" || s === "running";

  // onboarding: a CSV checked by a dry run (#onboarding), then the import
  // it started (#onboarding/<id>), so a reload finds it again.
  async function onboarding(view, args) {
    if (args[0]) { await watch(view, decodeURIComponent(args[0])); return; }
    const report = el("div", { "data-dry-report": "" });
    const form = el("form", { class: "card", novalidate: "", "data-bulk-form": "" },
      el("p", { text: "One vendor a line, with a header naming these columns (any order; commas or semicolons):" }),
      el("p", {}, el("code", { class: "columns", text: columns.join(", ") })),
      el("p", { class: "muted", text: "An empty initial_password gets the owner an invitation by e-mail. Check the file first: the dry run writes nothing." }),
      field("bulk-file", "CSV file", { name: "file", type: "file", accept: ".csv,text/csv", required: true }),
      el("p", {}, el("button", { type: "submit", "data-dry-run": "", text: "Check the file (dry run)" })), errorBox());
    // Another file makes the report about the old one meaningless.
    form.elements.file.addEventListener("change", () => report.replaceChildren());
    submit(form, async () => {
      report.replaceChildren();
      const file = form.elements.file.files[0];
      if (!file) throw { error: { message: "Choose a CSV file.", fields: { file: "choose a file" } } };
      const r = await api("POST", vendorsAPI + "/bulk-import?dry_run=true", fileBody(file));
      drawReport(report, r, file);
      report.querySelector("h2").focus();
    });
    view.append(form, report);
  }

  const fileBody = (file) => {
    const fd = new FormData();
    fd.append("file", file, file.name);
    return fd;
  };

  // drawReport shows a dry run: the counts, every line's outcome and its
  // problems by column, and the button that runs the file for real.
  function drawReport(box, r, file) {
    box.append(el("h2", { tabindex: "-1", text: `Dry run of ${file.name}` }),
      facts("figures", [["Lines", r.rows], ["To create", r.create, { "data-count": "create" }],
        ["Unchanged", r.unchanged, { "data-count": "unchanged" }], ["Invalid", r.invalid, { "data-count": "invalid" }]]),
      scroll(table({ "data-dry-lines": "" }, ["Line", "Subdomain", "Outcome", "Problems"], r.lines.map((l) => [String(l.line), l.subdomain,
        el("span", { class: "badge " + outcomeClass(l.outcome), text: statusText(l.outcome) }),
        problems(l.problems)]), (i) => ({ "data-line": r.lines[i].line, "data-outcome": r.lines[i].outcome })), "Dry run"));
    if (!r.create) {
      box.append(el("p", { text: r.invalid ? "Nothing to create: correct the invalid lines and check the file again." : "Nothing to create: every vendor exists." }));
      return;
    }
    const run = el("form", { class: "card", "data-run-form": "" },
      el("p", { text: r.invalid ? `The ${r.invalid} invalid line(s) will be recorded as failed; the others are onboarded.` : "Every line is valid." }),
      el("p", {}, el("button", { type: "submit", "data-run": "", text: `Onboard ${r.create} vendor${r.create === 1 ? "" : "s"}` })), errorBox());
    submit(run, async () => {
      const imp = await api("POST", vendorsAPI + "/bulk-import", fileBody(file));
      go("onboarding/" + imp.id, `The import of ${file.name} started.`);
    });
    box.append(run);
  }

  const outcomeClass = (o) => (o === "invalid" || o === "failed" ? "warn" : o === "create" || o === "created" ? "ok" : "");

  // problems lists a line's problems, each named by its column.
  const problems = (p) => {
    const keys = Object.keys(p || {}).sort();
    if (!keys.length) return "";
    return el("ul", { class: "problems" }, ...keys.map((k) => el("li", { "data-column": k }, el("code", { text: k }), ": " + p[k])));
  };

  // watch follows a bulk import: its progress while it runs (polled), then
  // each line's outcome and the report to download.
  async function watch(view, id) {
    let imp = await api("GET", bulkAPI + encodeURIComponent(id));
    const bar = el("progress", { id: "bulk-progress", max: String(Math.max(imp.rows, 1)), value: "0" });
    const state = el("p", { "data-bulk-status": "" });
    const counts = el("div");
    const lines = el("section", { "aria-labelledby": "bl-heading", "data-bulk-lines": "" });
    view.append(el("p", { class: "toolbar" }, el("a", { href: "#onboarding", text: "Check another file" }), el("a", { href: "#vendors", text: "All vendors" })),
      el("h2", { text: `Import #${imp.id} · ${imp.file_name}` }),
      el("div", { class: "card" }, el("label", { for: "bulk-progress", text: "Progress" }), bar, state, counts), lines);
    const show = () => {
      bar.value = imp.rows_done;
      state.textContent = `${statusText(imp.status)} · ${imp.rows_done} of ${imp.rows} lines done` + (imp.finished_at ? " · finished " + when(imp.finished_at) : "");
      state.dataset.bulkStatus = imp.status;
      counts.replaceChildren(facts("figures", [["Created", imp.created, { "data-count": "created" }],
        ["Unchanged", imp.unchanged, { "data-count": "unchanged" }], ["Failed", imp.failed, { "data-count": "failed" }]]));
    };
    show();
    if (!running(imp.status)) { await outcomes(lines, imp); return; }
    Admin.poll(view, 1000, async () => {
      imp = await api("GET", bulkAPI + imp.id);
      show();
      if (running(imp.status)) return true;
      await outcomes(lines, imp);
      announce(`The import finished: ${imp.created} created, ${imp.unchanged} unchanged, ${imp.failed} failed.`);
      return false;
    });
  }

  // outcomes lists a finished import's lines (all, or one outcome) a page
  // at a time, with the report as a CSV.
  async function outcomes(box, imp) {
    const dl = el("button", { type: "button", class: "quiet", "data-report": "", text: "Download the report (CSV)" });
    const err = errorBox();
    dl.addEventListener("click", async () => {
      err.hidden = true;
      try { await Admin.download(`${bulkAPI}${imp.id}/report.csv`, `vendor-import-${imp.id}.csv`); } catch (e) { err.textContent = e.error.message; err.hidden = false; }
    });
    const filter = el("form", { class: "filters" },
      choice("bl-outcome", "outcome", "Show", [["", "Every line"], ["created", "Created"], ["unchanged", "Unchanged"], ["failed", "Failed"]], ""),
      el("button", { type: "submit", text: "Show" }));
    const list = el("div");
    const load = async (outcome, cursor) => {
      const q = new URLSearchParams({ limit: "200" });
      if (outcome) q.set("outcome", outcome);
      if (cursor) q.set("cursor", cursor);
      const pg = await api("GET", `${bulkAPI}${imp.id}/lines?${q}`);
      if (!cursor) list.replaceChildren();
      list.querySelector("[data-more-lines]")?.remove();
      if (!pg.items.length && !cursor) { list.append(el("p", { text: "No line." })); return; }
      list.append(scroll(table({ "data-lines": "" }, ["Line", "Subdomain", "Vendor", "Owner's e-mail", "Outcome", "Reason"], pg.items.map((l) => [
        String(l.line), l.subdomain, l.vendor_id ? el("a", { href: "#vendor/" + l.vendor_id, text: l.vendor_name }) : l.vendor_name, l.owner_email,
        el("span", { class: "badge " + outcomeClass(l.outcome), text: statusText(l.outcome) }), l.reason || ""]),
      (i) => ({ "data-line": pg.items[i].line, "data-outcome": pg.items[i].outcome })), "Lines"));
      if (pg.next_cursor) {
        const b = el("button", { type: "button", class: "quiet", "data-more-lines": "", text: "More lines" });
        b.addEventListener("click", () => load(outcome, pg.next_cursor));
        list.append(b);
      }
    };
    filter.addEventListener("submit", (ev) => { ev.preventDefault(); load(filter.elements.outcome.value, ""); });
    box.replaceChildren(el("h2", { id: "bl-heading", text: "Lines" }), el("p", {}, dl), err, filter, list);
    await load("", "");
  }

  Admin.section({ id: "vendors", label: "Vendors", order: 10, render: vendors });
  Admin.section({ id: "onboarding", label: "Bulk onboarding", order: 20, render: onboarding });
  Admin.detail("vendor", "vendors", vendorPage);
  Admin.detail("vendor-new", "vendors", newVendor);
})();
