// The super admins' operations on admin.<base_domain>: accounts and mass
// password resets, imports across vendors, the platform's health, its
// figures over days and its audit trail. Each section registers with the
// core (admin.js); the API each calls is in README.md ("Accounts and mass
// password resets", "Platform health and analytics", the monitoring
// paragraph of "Catalogue and marketplace import"). Filters and running
// work live in the address, so a reload shows the same page and a reset
// under way is followed again.
"use strict";
(() => {
  const { el, api, scroll, table, field, errorBox, submit, formError, announce, statusText, when } = Admin;

  // ---- What the sections share ----------------------------------------

  // show puts a list's filters in the address (#<section>/<query>); the
  // router draws the list again (also when nothing changed: "Show" then
  // reloads).
  function show(section, params) {
    const next = section + "/" + params;
    if (location.hash.slice(1) === next) Admin.route(); else location.hash = next;
  }

  // filters is a list's filter form: sending it keeps its non-empty values
  // in the address. Its fields are named as the API's parameters, so an
  // API error lands beside the field it names.
  function filters(name, section, ...fields) {
    const form = el("form", { class: "filters ops-filters", ["data-" + name + "-filter"]: "", novalidate: true }, ...fields,
      el("p", {}, el("button", { type: "submit", text: "Show" })), errorBox());
    return Admin.filterTo(form, (next) => show(section, next));
  }

  // load reads a list for form's filters; a refusal (a bad vendor slug, a
  // time) is shown beside its field instead of replacing the page: null.
  async function load(form, path) {
    try {
      return await api("GET", path);
    } catch (err) {
      formError(form, err);
      return null;
    }
  }

  // pager links to the first page and the next one, keeping the filters.
  function pager(section, q, next) {
    const links = el("p", { class: "ops-pager" });
    if (q.get("cursor")) {
      const first = new URLSearchParams(q);
      first.delete("cursor");
      links.append(el("a", { href: `#${section}/${first}`, text: "First page" }), " ");
    }
    if (next) {
      const n = new URLSearchParams(q);
      n.set("cursor", next);
      links.append(el("a", { href: `#${section}/${n}`, "data-next-page": "", text: "Next page" }));
    }
    return links;
  }

  // ask puts a question in box before work that cannot be taken back (a
  // mass reset, imports for many vendors): the work runs only on "yes";
  // its error goes to form.
  function ask(form, box, question, yesText, work) {
    const yes = el("button", { type: "button", "data-confirm": "", text: yesText });
    const no = el("button", { type: "button", class: "ops-cancel", text: "Cancel" });
    box.replaceChildren(el("p", { role: "alert", text: question }), yes, " ", no);
    box.hidden = false;
    yes.focus();
    const close = () => { box.replaceChildren(); box.hidden = true; };
    no.addEventListener("click", () => { close(); form.querySelector("button[type=submit]").focus(); });
    yes.addEventListener("click", async () => {
      yes.disabled = true;
      no.disabled = true;
      try {
        await work();
        close();
      } catch (err) {
        close();
        formError(form, err);
      }
    });
  }

  // fact is one figure of a <dl class="figures">.
  const fact = (label, value, attrs) => el("div", {}, el("dt", { text: label }), el("dd", { ...(attrs || {}), text: String(value) }));

  // nameOf is an account as people read it.
  const nameOf = (u) => [u.first_name, u.last_name].filter(Boolean).join(" ") || u.email;

  // vendors are the platform's vendors by name (the first 200: the
  // pickers of the import and reset forms).
  async function vendors() {
    const pg = await api("GET", "/api/v1/admin/vendors?sort=name&limit=200");
    return { items: pg.items, more: !!pg.next_cursor };
  }
  const vendorLabel = (v) => `${v.name} (${v.slug})${v.status === "suspended" ? " · suspended" : ""}`;

  // choice is a radio button with its label.
  const choice = (id, name, value, label, checked) => el("p", { class: "check" },
    el("input", { id, name, value, type: "radio", checked: !!checked }), el("label", { for: id, text: label }));

  // ---- Users ----------------------------------------------------------

  // users: every account, searched by e-mail or names and by state, a page
  // at a time (#users/<query>); ticked accounts, a vendor's team or
  // everyone can have their passwords reset (#users/reset/<job> follows
  // one).
  async function users(view, args) {
    if (args[0] === "reset" && args[1]) return resetProgress(view, decodeURIComponent(args[1]));
    const q = new URLSearchParams(args[0] || "");
    const form = filters("users", "users",
      field("u-q", "Search", { name: "q", type: "search", value: q.get("q") || "", maxlength: "200" }),
      field("u-status", "State", { name: "status", tag: "select", value: q.get("status") || "",
        options: [["", "Any"], ["active", "Active"], ["inactive", "Deactivated"]] }));
    view.append(form);
    const call = new URLSearchParams(q);
    call.set("limit", "25");
    const [pg, vs] = await Promise.all([load(form, "/api/v1/admin/users?" + call), vendors()]);
    if (!pg) return;
    if (!pg.items.length) view.append(el("p", { text: "No account matches." }));
    else {
      view.append(scroll(table({ "data-users": "" }, ["Account", "Name", "State", { text: "Shops", num: true }, "Last sign-in", "Reset"],
        pg.items.map((u) => [
          el("a", { href: "#user/" + u.id, text: u.email }), nameOf(u) === u.email ? "" : nameOf(u), userState(u),
          { text: String(u.memberships), num: true }, u.last_login_at ? when(u.last_login_at) : "never",
          el("span", { class: "check ops-pick" }, el("input", { type: "checkbox", id: "u-pick-" + u.id, name: "user_ids", value: String(u.id), form: "reset-form" }),
            el("label", { for: "u-pick-" + u.id, class: "visually-hidden", text: "Tick " + u.email + " for a password reset" })),
        ]), (i) => ({ "data-user": pg.items[i].email })), "Accounts"));
      view.append(pager("users", q, pg.next_cursor));
    }
    view.append(resetForm(pg.items, vs));
  }

  // userState says an account's state in words.
  const userState = (u) => el("span", {}, el("span", { "data-user-state": "", text: u.active ? "active" : "deactivated" }),
    u.super_admin ? el("span", { class: "badge", text: "super admin" }) : null,
    u.must_change_password ? el("span", { class: "badge warn", text: "must choose a new password" }) : null);

  // everyone is the phrase the API wants with a reset of every account.
  const everyone = "reset every password";

  // resetForm asks whose passwords to reset — the accounts ticked in the
  // list above (the API's user_ids), a vendor's team or everyone (with the
  // phrase the API asks for) — and, once confirmed, follows the job.
  function resetForm(listed, vs) {
    const box = el("div", { class: "ops-confirm", hidden: "" });
    const form = el("form", { id: "reset-form", class: "card", "data-reset-form": "", novalidate: true },
      el("h2", { text: "Reset passwords" }),
      el("p", { class: "muted", text: "Each account is signed out at once and must choose a new password; a reset link is mailed to it. The passwords themselves are not changed." }),
      el("fieldset", {}, el("legend", { text: "Whose passwords" }),
        choice("r-users", "scope", "users", "The accounts ticked in the list", true),
        choice("r-vendor", "scope", "vendor", "A vendor's team"),
        choice("r-all", "scope", "all", "Every active account")),
      field("r-vendor-id", "Vendor", { name: "vendor_id", tag: "select", options: [["", "Choose a vendor"], ...vs.items.map((v) => [String(v.id), vendorLabel(v)])] }),
      field("r-confirm", `To reset every account, type: ${everyone}`, { name: "confirm", autocomplete: "off", maxlength: "100" }),
      el("p", {}, el("button", { type: "submit", text: "Reset passwords…" })), box, errorBox());
    // Only the field the chosen scope needs is shown.
    const scoped = () => {
      const scope = form.elements.scope.value;
      form.elements.vendor_id.closest("p").hidden = scope !== "vendor";
      form.elements.confirm.closest("p").hidden = scope !== "all";
    };
    form.addEventListener("change", (ev) => { if (ev.target.name === "scope") scoped(); });
    scoped();
    submit(form, async () => {
      const scope = form.elements.scope.value;
      let body, question;
      if (scope === "users") {
        const ids = [...form.elements].filter((e) => e.name === "user_ids" && e.checked).map((e) => Number(e.value));
        if (!ids.length) throw { error: { message: "Tick at least one account in the list first." } };
        const emails = listed.filter((u) => ids.includes(u.id)).map((u) => u.email);
        body = { user_ids: ids };
        question = `Reset the password of ${ids.length === 1 ? "1 account" : ids.length + " accounts"}: ${emails.join(", ")}?`;
      } else if (scope === "vendor") {
        const v = vs.items.find((x) => String(x.id) === form.elements.vendor_id.value);
        if (!v) throw { error: { message: "Choose the vendor whose team's passwords to reset.", fields: { vendor_id: "is required" } } };
        body = { vendor_id: v.id };
        question = `Reset the password of every active member of ${v.name}'s team (your own account aside)?`;
      } else {
        // Asked before the question; the API refuses any other phrase too.
        if (form.elements.confirm.value.trim() !== everyone) throw { error: { message: "Type the phrase to reset every account.", fields: { confirm: `must be "${everyone}"` } } };
        body = { all: true, confirm: everyone };
        question = "Reset the password of EVERY active account of the platform (your own aside)? Everyone is signed out.";
      }
      ask(form, box, question, "Yes, reset", async () => {
        const job = await api("POST", "/api/v1/admin/users/password-reset", body);
        location.hash = "users/reset/" + job.id;
      });
    });
    return form;
  }

  // resetProgress follows a mass reset until it has finished (polling; the
  // job is in the address, so a reload follows it again).
  async function resetProgress(view, id) {
    view.replaceChildren(el("h1", { text: "Password reset #" + id }));
    const status = el("p", { "data-reset-status": "" });
    const bar = el("progress", { id: "reset-bar", class: "progress", max: "1", value: "0" });
    const counts = el("p", { "data-reset-counts": "" });
    view.append(status, el("label", { for: "reset-bar", text: "Accounts done" }), bar, counts,
      el("p", {}, el("a", { href: "#users", text: "Back to the accounts" })));
    const step = async () => {
      const j = await api("GET", "/api/v1/admin/users/password-resets/" + encodeURIComponent(id));
      const scope = { users: "the accounts listed", vendor: "vendor " + j.vendor_id + "'s team", all: "every active account" }[j.scope] || j.scope;
      status.textContent = `${statusText(j.status)} · ${scope} · asked by ${j.actor_email || "#" + j.actor_id} at ${when(j.created_at)}`;
      bar.max = Math.max(j.users, 1);
      bar.value = j.done;
      counts.textContent = `${j.done} of ${j.users} done: ${j.reset} reset, ${j.skipped} skipped` +
        (j.finished_at ? ` · finished at ${when(j.finished_at)}` : "");
      if (j.status === "succeeded") {
        view.dataset.resetDone = "";
        announce(`Password reset #${j.id} finished: ${j.reset} reset, ${j.skipped} skipped.`);
        return false;
      }
      return true;
    };
    if (await step()) Admin.poll(view, 1000, step);
  }

  // user: one account (#user/<id>) — its state, its place in each shop's
  // team, its live sessions — and deactivating (with a reason) or
  // reactivating it. A super admin's own account shows no deactivation:
  // the server refuses it (own_account).
  async function user(view, args) {
    const u = await api("GET", "/api/v1/admin/users/" + encodeURIComponent(args[0]));
    drawUser(view, u);
  }

  function drawUser(view, u) {
    view.replaceChildren(el("h1", { text: u.email }), el("p", {}, el("a", { href: "#users", text: "All accounts" })));
    view.append(el("dl", { class: "figures ops-account" },
      fact("Name", nameOf(u)),
      fact("State", u.active ? "active" : "deactivated", { "data-user-state": "" }),
      fact("Platform role", u.super_admin ? "super admin" : "none"),
      fact("Password", u.must_change_password ? "must choose a new one" : "set"),
      fact("Live sessions", u.sessions),
      fact("Last sign-in", u.last_login_at ? when(u.last_login_at) : "never"),
      fact("Created", when(u.created_at))));
    view.append(el("h2", { text: "Shops" }), u.memberships.length
      ? scroll(table({ "data-memberships": "" }, ["Shop", "Role", "Membership", "Since"], u.memberships.map((m) => [
        `${m.vendor.name} (${m.vendor.slug})${m.vendor.status === "active" ? "" : " · " + statusText(m.vendor.status)}`,
        m.role.name || "unknown (the shop could not be read)", m.active ? "active" : "ended", when(m.created_at)])), "Shops")
      : el("p", { text: "No shop's team." }));
    const me = Admin.me();
    if (me && me.user.id === u.id) {
      view.append(el("p", { class: "card", text: "This is your own account: another super admin can deactivate it." }));
      return;
    }
    view.append(u.active ? stateForm(view, u, "deactivate", "Deactivate account", "Reason (kept in the audit trail)", true)
      : stateForm(view, u, "reactivate", "Reactivate account", "Reason (optional)", false));
  }

  // stateForm deactivates or reactivates the account with a reason, then
  // draws it again and says so.
  function stateForm(view, u, action, label, reasonLabel, required) {
    const form = el("form", { class: "actions", ["data-" + action + "-form"]: "", novalidate: true },
      el("h2", { text: label }),
      action === "deactivate" ? el("p", { class: "muted", text: "The account can no longer sign in; its sessions end at once. Its places in shops' teams are kept." }) : null,
      field("u-reason", reasonLabel, { name: "reason", tag: "textarea", rows: "2", maxlength: "500", required }),
      el("p", {}, el("button", { type: "submit", text: label })), errorBox());
    submit(form, async () => {
      const reason = form.elements.reason.value.trim();
      // Said at once rather than after a round trip; the server refuses it too.
      if (required && !reason) throw { error: { message: "Say why the account is deactivated.", fields: { reason: "is required" } } };
      await api("POST", `/api/v1/admin/users/${u.id}/${action}`, reason || required ? { reason } : undefined);
      drawUser(view, await api("GET", "/api/v1/admin/users/" + u.id));
      announce(action === "deactivate" ? `${u.email} is deactivated.` : `${u.email} can sign in again.`);
    });
    return form;
  }

  // ---- Imports --------------------------------------------------------

  const jobStatuses = ["queued", "running", "succeeded", "partially_failed", "failed", "cancelled"];

  // imports: every vendor's import jobs, newest first, by status and
  // vendor, a page at a time (#imports/<query>), failures with their
  // error; and starting imports for the vendors ticked, or every vendor.
  async function imports(view, args) {
    const q = new URLSearchParams(args[0] || "");
    const vs = await vendors();
    const form = filters("imports", "imports",
      field("i-status", "Status", { name: "status", tag: "select", value: q.get("status") || "",
        options: [["", "Any"], ...jobStatuses.map((s) => [s, statusText(s)])] }),
      field("i-vendor", "Vendor", { name: "vendor", tag: "select", value: q.get("vendor") || "",
        options: [["", "Every vendor"], ...vs.items.map((v) => [String(v.id), vendorLabel(v)])] }));
    const list = el("div", { "data-jobs": "" });
    view.append(form, list, triggerForm(vs, () => drawJobs(list, form, q)));
    await drawJobs(list, form, q);
  }

  async function drawJobs(list, form, q) {
    const call = new URLSearchParams(q);
    call.set("limit", "25");
    const pg = await load(form, "/api/v1/admin/marketplace/import-jobs?" + call);
    if (!pg) return;
    if (!pg.items.length) { list.replaceChildren(el("p", { text: "No import matches." })); return; }
    list.replaceChildren(scroll(table({ "data-jobs-table": "" },
      ["Vendor", "Job", "Status", "Started by", "Rows", "Result", "Started", "Finished", "Error"],
      pg.items.map((j) => [
        `${j.vendor.name} (${j.vendor.slug})`, "#" + j.id,
        el("span", {}, jobMark(j.status), j.dry_run ? el("span", { class: "badge", text: "dry run" }) : null),
        j.trigger, `${j.rows_done} of ${j.counts.rows}`,
        `${j.counts.created} new, ${j.counts.updated} changed, ${j.counts.unchanged} unchanged, ${j.counts.failed} refused`,
        j.started_at ? when(j.started_at) : "not yet", j.finished_at ? when(j.finished_at) : "",
        { text: j.error || "", attrs: { class: "ops-error" } },
      ]), (i) => ({ "data-job": pg.items[i].vendor.slug + "#" + pg.items[i].id, "data-status": pg.items[i].status })), "Import jobs"),
    pager("imports", q, pg.next_cursor));
  }

  // jobMark is a job's status in words, with a sign for the ones that need
  // a look (not colour alone).
  function jobMark(s) {
    const bad = s === "failed" || s === "partially_failed";
    return el("span", { class: bad ? "ops-status ops-fail" : "" }, bad ? el("span", { "aria-hidden": "true", text: "✕ " }) : null, statusText(s));
  }

  const skipWords = {
    already_running: "one is already running", no_feeds: "no feed configured", switched_off: "imports switched off",
    suspended: "the shop is suspended", upgrading: "the shop is being upgraded",
  };

  // triggerForm starts imports for the vendors ticked, or for every vendor,
  // once confirmed, and shows what became of each.
  function triggerForm(vs, after) {
    const box = el("div", { class: "ops-confirm", hidden: "" });
    const report = el("div", { "data-trigger-report": "" });
    const form = el("form", { class: "card", "data-trigger-form": "", novalidate: true },
      el("h2", { text: "Start imports now" }),
      el("fieldset", {}, el("legend", { text: "For" }),
        choice("t-some", "scope", "some", "The vendors ticked below", true),
        choice("t-all", "scope", "all", "Every vendor")),
      el("fieldset", { class: "ops-picks" }, el("legend", { text: "Vendors" }),
        ...vs.items.map((v) => el("p", { class: "check" },
          el("input", { type: "checkbox", id: "t-v-" + v.id, name: "vendor_ids", value: String(v.id) }),
          el("label", { for: "t-v-" + v.id, text: vendorLabel(v) }))),
        vs.more ? el("p", { class: "muted", text: "The first 200 vendors by name; every vendor is one choice above." }) : null),
      el("p", {}, el("button", { type: "submit", text: "Start imports…" })), box, errorBox(), report);
    submit(form, async () => {
      let body, question;
      if (form.elements.scope.value === "all") {
        body = { all: true };
        question = "Start an import for every vendor of the platform?";
      } else {
        const ids = [...form.elements].filter((e) => e.name === "vendor_ids" && e.checked).map((e) => Number(e.value));
        if (!ids.length) throw { error: { message: "Tick at least one vendor first." } };
        body = { vendor_ids: ids };
        question = "Start an import for " + vs.items.filter((v) => ids.includes(v.id)).map((v) => v.name).join(", ") + "?";
      }
      ask(form, box, question, "Yes, start", async () => {
        const rep = await api("POST", "/api/v1/admin/marketplace/trigger-imports", body);
        drawReport(report, rep, vs);
        announce(`Imports: ${rep.started} started, ${rep.skipped} skipped, ${rep.not_found} not found, ${rep.failed} failed.`);
        await after();
      });
    });
    return form;
  }

  function drawReport(report, rep, vs) {
    const named = (id, slug) => { const v = vs.items.find((x) => x.id === id); return v ? vendorLabel(v) : slug || "vendor " + id; };
    const why = (o) => {
      if (o.outcome === "started") return "job #" + o.job_id;
      if (o.outcome === "skipped") return (skipWords[o.reason] || statusText(o.reason)) + (o.job_id ? " (job #" + o.job_id + ")" : "");
      return o.message || "";
    };
    report.replaceChildren(el("h3", { text: "What became of each vendor" }),
      scroll(table({}, ["Vendor", "Outcome", "Details"], rep.vendors.map((o) => [named(o.vendor_id, o.slug),
        { text: statusText(o.outcome), attrs: { "data-outcome": o.outcome } }, why(o)]),
      (i) => ({ "data-outcome-vendor": String(rep.vendors[i].vendor_id) })), "Outcome"));
  }

  // ---- Health ---------------------------------------------------------

  // A status in words with a sign, so that it does not rest on colour.
  const marks = { ok: ["✓", "OK"], warn: ["!", "Warning"], fail: ["✕", "Failing"] };
  function statusMark(s) {
    const [sign, word] = marks[s] || ["?", statusText(s)];
    return el("span", { class: "ops-status ops-" + s, "data-health-status": s }, el("span", { "aria-hidden": "true", text: sign + " " }), word);
  }

  const healthSections = ["database", "queue", "tenants", "spares", "mail", "imports", "version"];

  // health: the platform's health section by section — its status in
  // words and why — checked again on demand.
  async function health(view) {
    const again = el("button", { type: "button", "data-health-refresh": "", text: "Check again" });
    const body = el("div", { "data-health": "" });
    view.append(el("p", {}, again), body);
    const draw = async () => {
      again.disabled = true;
      try {
        drawHealth(body, await api("GET", "/api/v1/admin/system/health"));
      } finally {
        again.disabled = false;
      }
    };
    again.addEventListener("click", async () => {
      try {
        await draw();
        announce("Health checked again.");
      } catch (err) { announce(err.error ? err.error.message : String(err)); }
    });
    await draw();
  }

  function drawHealth(body, h) {
    body.replaceChildren(
      el("div", { class: "card", "data-health-overall": h.status },
        el("h2", {}, "Overall: ", statusMark(h.status)), el("p", { text: h.reason || "Every section is OK." }),
        el("p", { class: "muted", text: "Checked at " + when(h.checked_at) + " UTC" })),
      el("div", { class: "ops-health" }, ...healthSections.map((name) => healthCard(name, h[name] || {}))));
  }

  function healthCard(name, s) {
    const { status, reason, ...rest } = s;
    return el("section", { class: "card", "data-health-section": name, "aria-labelledby": "h-" + name },
      el("h2", { id: "h-" + name }, statusText(name[0].toUpperCase() + name.slice(1)), " ", statusMark(status)),
      el("p", { text: reason || "Nothing to report." }),
      // A section that is not OK shows its figures: they say what to look at.
      el("details", { open: status !== "ok" }, el("summary", { text: "Figures" }), el("dl", { class: "ops-facts" },
        ...facts(rest, "").flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })]))));
  }

  // facts flattens a section's figures into [label, text] pairs: nested
  // objects by their path, lists as one line each item.
  function facts(o, prefix) {
    const out = [];
    for (const [k, v] of Object.entries(o)) {
      const label = (prefix + " " + statusText(k)).trim();
      if (v === null || v === undefined || v === "") out.push([label, "none"]);
      else if (Array.isArray(v)) out.push([label, v.length ? v.map(line).join("; ") : "none"]);
      else if (typeof v === "object") out.push(...facts(v, label));
      else out.push([label, String(v)]);
    }
    return out;
  }
  const line = (v) => (v && typeof v === "object"
    ? Object.entries(v).map(([k, x]) => statusText(k) + " " + (x && typeof x === "object" ? JSON.stringify(x) : x)).join(", ") : String(v));

  // ---- Analytics ------------------------------------------------------

  const day = (d) => d.toISOString().slice(0, 10);

  // analytics: the platform's figures per UTC day over a range
  // (#analytics/<from>/<to>; the last 30 days by default) as charts and as
  // a table.
  async function analytics(view, args) {
    const to = args[1] ? decodeURIComponent(args[1]) : day(new Date());
    const end = Date.parse(to + "T00:00:00Z");
    // A "to" that is no date is the API's to refuse, beside its field.
    const from = args[0] ? decodeURIComponent(args[0]) : Number.isNaN(end) ? "" : day(new Date(end - 29 * 86400000));
    const form = el("form", { class: "filters ops-filters", "data-analytics-filter": "", novalidate: true },
      field("a-from", "From (UTC day)", { name: "from", type: "date", value: from, required: true }),
      field("a-to", "To (included)", { name: "to", type: "date", value: to, required: true }),
      el("p", {}, el("button", { type: "submit", text: "Show" })), errorBox());
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      show("analytics", form.elements.from.value + "/" + form.elements.to.value);
    });
    view.append(form);
    const a = await load(form, `/api/v1/admin/system/analytics?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
    if (!a) return;
    const last = [...a.days].reverse().find((d) => d.products !== null);
    view.append(el("dl", { class: "figures", "data-analytics-figures": "" },
      fact("Vendors now", a.vendors.total, { "data-figure": "vendors" }),
      fact("Of them suspended", a.vendors.by_status.suspended || 0),
      fact("Signups", a.totals.signups, { "data-figure": "signups" }),
      fact("New vendors", a.totals.new_vendors, { "data-figure": "new_vendors" }),
      fact("Imports started", a.totals.imports.started),
      fact("Imports failed", a.totals.imports.failed),
      fact("Products", last ? last.products : "not counted yet")));
    const n = (v) => String(v);
    const series = (f) => a.days.map((d) => ({ label: d.date, value: f(d) }));
    view.append(el("div", { class: "ops-charts", "data-analytics-charts": "" },
      Admin.chart(series((d) => d.signups), `Signups per day, ${a.from} to ${a.to}`, n),
      Admin.chart(series((d) => d.imports.started), `Imports started per day, ${a.from} to ${a.to}`, n),
      Admin.chart(series((d) => d.products || 0), `Products on the platform per day (days not counted show 0), ${a.from} to ${a.to}`, n)));
    const num = (v) => ({ text: v === null ? "—" : String(v), num: true });
    view.append(el("h2", { text: "Day by day" }), scroll(table({ "data-analytics-table": "" },
      ["Day", { text: "Signups", num: true }, { text: "New vendors", num: true }, { text: "Imports started", num: true },
        { text: "Succeeded", num: true }, { text: "Partly failed", num: true }, { text: "Failed", num: true },
        { text: "Cancelled", num: true }, { text: "Products", num: true }],
      a.days.map((d) => [d.date + (d.recorded ? "" : " (not recorded)"), num(d.signups), num(d.new_vendors), num(d.imports.started),
        num(d.imports.succeeded), num(d.imports.partially_failed), num(d.imports.failed), num(d.imports.cancelled), num(d.products)]),
      (i) => ({ "data-day": a.days[i].date })), "Figures per day"),
    el("p", { class: "muted", text: `Times are UTC. The figures are counted every hour; last counted ${a.last_rollup ? when(a.last_rollup) : "never"}.` }));
  }

  // ---- Audit ----------------------------------------------------------

  // auditQuery is the API's filters for the form's: days become RFC 3339
  // times (the "to" day included: until is exclusive).
  function auditQuery(q) {
    const out = new URLSearchParams();
    for (const k of ["action", "actor", "vendor"]) if (q.get(k)) out.set(k, q.get(k));
    if (q.get("since")) out.set("since", q.get("since") + "T00:00:00Z");
    if (q.get("until")) {
      const t = Date.parse(q.get("until") + "T00:00:00Z");
      out.set("until", Number.isNaN(t) ? q.get("until") : new Date(t + 86400000).toISOString());
    }
    return out;
  }

  // audit: the platform's trail, newest first, by action, actor, vendor and
  // days, a page at a time (#audit/<query>), and its export as CSV with the
  // same filters.
  async function audit(view, args) {
    const q = new URLSearchParams(args[0] || "");
    const form = filters("audit", "audit",
      field("au-action", "Action", { name: "action", value: q.get("action") || "", maxlength: "100", hint: "e.g. user.deactivate, or user. for a family" }),
      field("au-actor", "Actor", { name: "actor", value: q.get("actor") || "", maxlength: "254", hint: "an e-mail or a user id" }),
      field("au-vendor", "Vendor", { name: "vendor", value: q.get("vendor") || "", maxlength: "100", hint: "a slug or an id" }),
      field("au-since", "From (UTC day)", { name: "since", type: "date", value: q.get("since") || "" }),
      field("au-until", "To (included)", { name: "until", type: "date", value: q.get("until") || "" }));
    const exporter = el("button", { type: "button", "data-audit-export": "", text: "Export CSV" });
    exporter.addEventListener("click", async () => {
      exporter.disabled = true;
      try {
        await Admin.download("/api/v1/admin/audit/export?" + auditQuery(q), `bazaar-audit-${day(new Date())}.csv`);
        announce("The export is downloaded.");
      } catch (err) {
        formError(form, err);
      } finally {
        exporter.disabled = false;
      }
    });
    view.append(form, el("p", {}, exporter, " ", el("span", { class: "muted", text: "every event these filters select, as CSV" })));
    const call = auditQuery(q);
    call.set("limit", "50");
    if (q.get("cursor")) call.set("cursor", q.get("cursor"));
    const pg = await load(form, "/api/v1/admin/audit?" + call);
    if (!pg) return;
    if (!pg.items.length) { view.append(el("p", { text: "No event matches." })); return; }
    view.append(scroll(table({ "data-audit": "" }, ["When (UTC)", "Action", "Actor", "Target", "Vendor", "Change", "Address"],
      pg.items.map((e) => [when(e.at), e.action, e.actor_email || (e.actor_id ? "#" + e.actor_id : "anonymous"),
        target(e), e.vendor_id ? String(e.vendor_id) : "",
        { text: change(e.before, e.after), attrs: { class: "ops-change" } }, e.ip || ""]),
      (i) => ({ "data-event": pg.items[i].action })), "Audit trail"), pager("audit", q, pg.next_cursor));
  }

  // target names what an event touched; an account links to its page.
  function target(e) {
    if (!e.target_type) return "";
    const text = `${e.target_type} ${e.target_id || ""}`.trim();
    return e.target_type === "user" && /^\d+$/.test(e.target_id || "") ? el("a", { href: "#user/" + e.target_id, text }) : text;
  }

  // change says what an event changed: each key, before → after, cut short.
  function change(before, after) {
    const b = before || {}, a = after || {};
    const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])];
    const v = (x) => (x === undefined ? "—" : typeof x === "object" ? JSON.stringify(x) : String(x));
    const text = keys.map((k) => (k in b && k in a ? `${k}: ${v(b[k])} → ${v(a[k])}` : `${k}: ${v(k in a ? a[k] : b[k])}`)).join("; ");
    return text.length > 300 ? text.slice(0, 299) + "…" : text;
  }

  Admin.section({ id: "users", label: "Users", order: 30, render: users });
  Admin.detail("user", "users", user);
  Admin.section({ id: "imports", label: "Imports", order: 40, render: imports });
  Admin.section({ id: "health", label: "Health", order: 50, render: health });
  Admin.section({ id: "analytics", label: "Analytics", order: 60, render: analytics });
  Admin.section({ id: "audit", label: "Audit", order: 70, render: audit });
})();
