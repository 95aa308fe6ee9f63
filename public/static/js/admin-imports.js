// The shop back office's Imports section: the Letzshop feed's configuration,
// import runs (trigger, dry-run preview, live progress, history, row
// errors and their CSV), and the staging area products are selected from
// and published with overrides. Pages, all under #imports:
//   #imports[/history/<cursor>]  runs: start one, the history a page at a time
//   #imports/run/<id>            one run; watched while it runs, so a reload
//                                finds it again and goes on watching
//   #imports/config              the feeds, schedule and switch
//   #imports/staging/<query>     staged products, filtered, selected
//   #imports/publish/<id>        publish one staged product with overrides
// What the user may not do is not shown; the server refuses it anyway.
"use strict";
(() => {
  const { el, api, can, money, when, statusText, scroll, table, field, errorBox, submit, announce, poll } = Admin;
  const base = "/api/v1/marketplace";
  const enc = encodeURIComponent;
  const dec = (s) => decodeURIComponent(s || "");
  const finished = (j) => j.status !== "queued" && j.status !== "running";

  // pages: the sub-pages, by the address's first argument.
  const pages = { "": runs, history: runs, run, config, staging, publish };

  async function render(view, args) {
    const [page = "", ...rest] = args;
    const draw = pages[page] || runs;
    view.append(subnav(page === "history" || !pages[page] ? "" : page));
    await draw(view, rest);
  }

  // subnav links the section's pages; the one shown is aria-current.
  function subnav(current) {
    const tabs = [["", "Runs"], ["staging", "Staged products"], ["config", "Feed configuration"]];
    return el("nav", { class: "subnav", "aria-label": "Imports pages" }, el("ul", {}, ...tabs.map(([k, label]) =>
      el("li", {}, el("a", { href: "#imports" + (k ? "/" + k : ""), "aria-current": k === current ? "page" : null, text: label })))));
  }

  // --- Runs -------------------------------------------------------------

  async function runs(view, args) {
    const cursor = dec(args[0]);
    view.append(el("h2", { text: "Import runs" }));
    if (can("imports.trigger")) view.append(triggerBox());
    const q = new URLSearchParams({ limit: "20" });
    if (cursor) q.set("cursor", cursor);
    const pg = await api("GET", `${base}/imports?${q}`);
    const live = !cursor && pg.items.find((j) => !finished(j));
    if (live) {
      view.append(el("p", { class: "card", "data-running": "" }, `Import #${live.id} is ${statusText(live.status)}. `,
        el("a", { href: "#imports/run/" + live.id, text: "Watch its progress" })));
    }
    if (!pg.items.length) { view.append(el("p", { text: cursor ? "No more runs." : "No import has run yet." })); return; }
    view.append(scroll(historyTable(pg.items), "Import runs"));
    if (pg.next_cursor) view.append(el("p", {}, el("a", { href: "#imports/history/" + enc(pg.next_cursor), text: "Older runs" })));
  }

  // triggerBox starts an import or a dry run, then shows it at
  // #imports/run/<id> (where its progress is watched).
  function triggerBox() {
    const box = errorBox();
    const go = async (dryRun, button) => {
      box.hidden = true;
      button.disabled = true;
      try {
        const j = await api("POST", `${base}/import${dryRun ? "?dry_run=true" : ""}`);
        location.hash = "imports/run/" + j.id;
      } catch (err) {
        box.textContent = err.error.message;
        box.hidden = false;
      } finally { button.disabled = false; }
    };
    const now = el("button", { type: "button", "data-trigger": "import", text: "Import now" });
    const dry = el("button", { type: "button", class: "plain", "data-trigger": "dry-run", text: "Preview (dry run)" });
    now.addEventListener("click", () => go(false, now));
    dry.addEventListener("click", () => go(true, dry));
    return el("div", { class: "card" },
      el("p", { class: "muted", text: "An import reads every configured feed into the staged products; a preview does the same work and keeps only its report." }),
      el("p", { class: "buttons" }, now, " ", dry), box);
  }

  function historyTable(items) {
    return table({ "data-runs": "" }, ["Run", "Kind", "Status", { text: "Rows", num: true }, { text: "New", num: true },
      { text: "Updated", num: true }, { text: "Refused", num: true }, "Started", "Took"], items.map((j) => [
      el("a", { href: "#imports/run/" + j.id, text: "#" + j.id }), kind(j), { text: statusText(j.status), attrs: { "data-status": "" } },
      { text: j.counts.rows, num: true }, { text: j.counts.created, num: true }, { text: j.counts.updated, num: true },
      { text: j.counts.failed, num: true }, when(j.started_at || j.created_at), took(j)]), (i) => ({ "data-run": items[i].id }));
  }

  const kind = (j) => (j.dry_run ? "preview" : "import") + (j.trigger && j.trigger !== "manual" ? " · " + j.trigger : "");
  const took = (j) => (j.duration_ms === null || j.duration_ms === undefined ? "" : (j.duration_ms / 1000).toFixed(1) + " s");

  // --- One run ----------------------------------------------------------

  // run shows one import: its state redrawn every second while it is
  // queued or running, then its outcome and reports. The address names
  // it, so a reload comes back here and goes on watching.
  async function run(view, args) {
    const id = Number(dec(args[0]));
    let j = await api("GET", `${base}/imports/${enc(id)}`);
    view.append(el("h2", { "data-run-heading": "", text: `${j.dry_run ? "Preview" : "Import"} #${j.id}` }));
    const state = el("div", { "data-run-state": "" });
    const controls = el("div", {});
    const reports = el("div", { "data-run-reports": "" });
    view.append(controls, state, reports);
    const draw = () => state.replaceChildren(...runState(j));
    draw();
    if (finished(j)) { await runReports(reports, j); return; }
    if (can("imports.trigger")) controls.append(cancelBox(j));
    poll(view, 1000, async () => {
      j = await api("GET", `${base}/imports/${enc(id)}`);
      draw();
      if (!finished(j)) return true;
      controls.replaceChildren();
      await runReports(reports, j);
      announce(`${j.dry_run ? "Preview" : "Import"} #${j.id} ${statusText(j.status)}.`);
      return false;
    });
  }

  function cancelBox(j) {
    const box = errorBox();
    const b = el("button", { type: "button", class: "plain", "data-cancel": "", text: "Cancel this run" });
    b.addEventListener("click", async () => {
      box.hidden = true;
      try {
        await api("POST", `${base}/imports/${j.id}/cancel`);
        announce("Cancelling import #" + j.id + "…");
      } catch (err) { box.textContent = err.error.message; box.hidden = false; }
    });
    return el("p", {}, b, box);
  }

  // runState: status, progress (files read of the configured ones, rows
  // so far), retries, counts and each language file's outcome.
  function runState(j) {
    const files = j.languages || [];
    const done = files.filter((f) => !["pending", "running"].includes(f.status)).length;
    const out = [el("dl", { class: "figures" },
      fig("Status", statusText(j.status) + (j.cancel_requested && !finished(j) ? " (cancelling)" : ""), "status"),
      fig("Queued", when(j.created_at)), fig("Finished", finished(j) ? when(j.finished_at) || "—" : "not yet"),
      fig("Attempts", `${j.attempts} of ${j.max_attempts}`))];
    if (!finished(j)) {
      out.push(el("p", {}, el("label", { for: "run-progress", text: "Progress" }),
        el("progress", { id: "run-progress", class: "progress", "data-run-progress": "", max: String(Math.max(files.length, 1)), value: String(done) }),
        el("span", { class: "muted", "data-run-rows": "", text: ` ${done} of ${files.length} files read, ${j.progress.rows_done} rows so far` })));
    }
    if (j.last_error && !finished(j)) {
      out.push(el("p", { class: "form-error", text: `The last attempt failed: ${j.last_error}` +
        (j.next_attempt_at ? `. Next attempt at ${when(j.next_attempt_at)}.` : "") }));
    }
    if (j.error) out.push(el("p", { class: "form-error", "data-run-error": "", text: j.error }));
    out.push(countsOf(j), scroll(languagesTable(files), "Files"));
    return out;
  }

  const fig = (label, value, name) => el("div", {}, el("dt", { text: label }), el("dd", { "data-run-figure": name || null, text: String(value) }));

  function countsOf(j) {
    const c = j.counts;
    const names = [["rows", "Rows read"], ["created", j.dry_run ? "Would be new" : "New"], ["updated", j.dry_run ? "Would change" : "Changed"],
      ["unchanged", "Unchanged"], ["missing", "Gone from the feed"], ["failed", "Rows refused"], ["drifted", "Published products drifted"],
      ["disagreements", "Languages disagree"]];
    return el("dl", { class: "figures counts", "data-run-counts": "" }, ...names.map(([k, label]) =>
      el("div", {}, el("dt", { text: label }), el("dd", { "data-count": k, text: String(c[k]) }))));
  }

  function languagesTable(files) {
    return table({ "data-run-files": "" }, ["Language", "Status", { text: "Rows", num: true }, { text: "New", num: true },
      { text: "Merged", num: true }, { text: "Updated", num: true }, { text: "Refused", num: true }, "Problem"], files.map((f) => [
      f.language, statusText(f.status), { text: f.rows, num: true }, { text: f.created, num: true }, { text: f.merged, num: true },
      { text: f.updated, num: true }, { text: f.failed, num: true }, f.error || ""]));
  }

  // runReports: once a run is over, its refused rows (a page at a time,
  // and every one as CSV) and, for a preview, what the import would do.
  async function runReports(box, j) {
    box.replaceChildren();
    await rowErrors(box, j, "");
    if (j.dry_run) await changes(box, j);
  }

  async function rowErrors(box, j, cursor) {
    const q = new URLSearchParams({ limit: "50" });
    if (cursor) q.set("cursor", cursor);
    const pg = await api("GET", `${base}/imports/${j.id}/errors?${q}`);
    if (!cursor) {
      box.append(el("h3", { text: "Refused rows" }));
      if (!pg.items.length) { box.append(el("p", { "data-no-errors": "", text: "No row was refused." })); return; }
      box.append(csvButton(j));
    }
    box.append(scroll(table({ "data-row-errors": "" }, ["Line", "Language", { text: "Column", num: true }, "Field", "Message", "Raw line"],
      pg.items.map((e) => [String(e.line), e.language, { text: e.column, num: true }, e.field, e.reason,
        el("code", { text: e.raw.length > 120 ? e.raw.slice(0, 120) + "…" : e.raw })])), "Refused rows"));
    if (pg.next_cursor) {
      const more = el("button", { type: "button", class: "plain", text: "More refused rows" });
      more.addEventListener("click", () => { more.remove(); rowErrors(box, j, pg.next_cursor); });
      box.append(el("p", {}, more));
    }
  }

  function csvButton(j) {
    const box = errorBox();
    const b = el("button", { type: "button", class: "plain", "data-errors-csv": "", text: "Download every refused row (CSV)" });
    b.addEventListener("click", async () => {
      box.hidden = true;
      try { await Admin.download(`${base}/imports/${j.id}/errors.csv`, `import-${j.id}-errors.csv`); }
      catch (err) { box.textContent = err.error.message; box.hidden = false; }
    });
    return el("p", {}, b, box);
  }

  // changes: what a preview found, product by product (first page).
  async function changes(box, j) {
    const pg = await api("GET", `${base}/imports/${j.id}/changes?limit=50`);
    box.append(el("h3", { text: "What the import would do" }));
    if (!pg.items.length) { box.append(el("p", { text: "Nothing would change." })); return; }
    box.append(scroll(table({ "data-changes": "" }, ["Feed id", "Language", "Line", "Would", "Fields"], pg.items.map((c) =>
      [c.feed_id, c.language, String(c.line), c.action, (c.fields || []).join(", ")])), "What the import would do"));
    if (pg.next_cursor) box.append(el("p", { class: "muted", text: "The first 50 are shown." }));
  }

  // --- Configuration ----------------------------------------------------

  async function config(view) {
    const cfg = await api("GET", `${base}/config`);
    view.append(el("h2", { text: "Feed configuration" }));
    if (!can("imports.configure")) { view.append(configText(cfg)); return; }
    view.append(configForm(cfg));
  }

  // configText: the configuration for who may only read it.
  function configText(cfg) {
    return el("div", { class: "card", "data-config": "" },
      cfg.feeds.length ? scroll(table({}, ["Language", "CSV file"], cfg.feeds.map((f, i) => [f.language + (i === 0 ? " (primary)" : ""), f.url])), "Feeds")
        : el("p", { text: "No feed is configured." }),
      el("p", { text: `Schedule: ${cfg.schedule === "daily" ? "every day" : "by hand only"} · imports ${cfg.active ? "on" : "off"}` +
        (cfg.updated_at ? ` · changed ${when(cfg.updated_at)}` : "") }));
  }

  // configForm edits the feeds (one CSV URL per language, the first the
  // primary), the schedule and the switch; the server's word on a field
  // shows beside it (feeds[i].url, feeds[i].language, schedule).
  function configForm(cfg) {
    let feeds = cfg.feeds.length ? cfg.feeds.map((f) => ({ ...f })) : [{ language: "", url: "" }];
    const list = el("div", { "data-feeds": "" });
    const read = () => { feeds = [...list.querySelectorAll("fieldset")].map((fs) => ({
      language: fs.querySelector("[data-lang]").value.trim().toLowerCase(), url: fs.querySelector("[data-url]").value.trim() })); };
    const draw = () => list.replaceChildren(...feeds.map((f, i) => feedRow(f, i, () => { read(); feeds.splice(i, 1); draw(); })));
    draw();
    const add = el("button", { type: "button", class: "plain", id: "cfg-feeds", name: "feeds", "data-add-feed": "", text: "Add a language" });
    add.addEventListener("click", () => { read(); feeds.push({ language: "", url: "" }); draw(); list.querySelector("fieldset:last-child [data-lang]").focus(); });
    const form = el("form", { class: "card", "data-config-form": "", novalidate: "" }, list,
      el("p", {}, add, el("span", { class: "field-error", id: "cfg-feeds-error", hidden: "" })),
      field("cfg-schedule", "Schedule", { tag: "select", name: "schedule", value: cfg.schedule, options: [["off", "By hand only"], ["daily", "Every day"]] }),
      field("cfg-active", "Imports are on", { type: "checkbox", name: "active", value: cfg.active }),
      el("p", {}, el("button", { type: "submit", text: "Save configuration" })), errorBox());
    return submit(form, async () => {
      read();
      const saved = await api("PUT", `${base}/config`, { feeds, schedule: form.elements.schedule.value, active: form.elements.active.checked });
      feeds = saved.feeds.map((f) => ({ ...f }));
      draw();
      announce("Feed configuration saved.");
    });
  }

  function feedRow(f, i, remove) {
    const rm = el("button", { type: "button", class: "plain", text: "Remove" });
    rm.addEventListener("click", remove);
    return el("fieldset", { class: "feed" }, el("legend", { text: `Feed ${i + 1}${i === 0 ? " (primary language)" : ""}` }),
      field(`cfg-lang-${i}`, "Language (two letters)", { name: `feeds[${i}].language`, value: f.language, maxlength: "2", size: "3",
        autocomplete: "off", "data-lang": "" }),
      field(`cfg-url-${i}`, "CSV file URL", { name: `feeds[${i}].url`, value: f.url, type: "url", maxlength: "2000", class: "wide", "data-url": "" }),
      el("p", {}, rm));
  }

  // --- Staging ----------------------------------------------------------

  // staging lists the staged products matching the filters in the
  // address, a page at a time; who may create products selects them and
  // publishes one (with overrides) or the whole selection.
  async function staging(view, args) {
    const q = new URLSearchParams(dec(args[0]));
    view.append(el("h2", { text: "Staged products" }), stagingFilters(q));
    const call = new URLSearchParams(q);
    call.set("limit", "25");
    const pg = await api("GET", `${base}/products?${call}`);
    if (can("products.create")) view.append(selectionBox(q));
    if (!pg.items.length) { view.append(el("p", { text: "No staged product matches." })); return; }
    const problem = errorBox();
    view.append(problem, scroll(stagedTable(pg.items, problem), "Staged products"));
    if (pg.next_cursor) {
      const next = new URLSearchParams(q);
      next.set("cursor", pg.next_cursor);
      view.append(el("p", {}, el("a", { href: "#imports/staging/" + enc(String(next)), text: "Next page" })));
    }
  }

  const filterNames = ["q", "availability", "brand", "category", "published", "selected", "missing", "changed"];

  function stagingFilters(q) {
    const choice = (name, label, options) => el("span", {}, el("label", { for: "s-" + name, text: label }),
      el("select", { id: "s-" + name, name }, ...options.map(([v, l]) => el("option", { value: v, selected: (q.get(name) || "") === v, text: l }))));
    const yesNo = [["", "Any"], ["true", "Yes"], ["false", "No"]];
    const text = (name, label, type) => el("span", {}, el("label", { for: "s-" + name, text: label }),
      el("input", { id: "s-" + name, name, type: type || "text", value: q.get(name) || "", maxlength: "200" }));
    const form = el("form", { class: "filters", "data-staging-filter": "" },
      text("q", "Search (id, GTIN, brand, title)", "search"), text("brand", "Brand"), text("category", "Category"),
      choice("availability", "Availability", [["", "Any"], ["in_stock", "In stock"], ["out_of_stock", "Out of stock"], ["preorder", "Pre-order"], ["backorder", "Back-order"]]),
      choice("published", "Published", yesNo), choice("selected", "Selected", yesNo), choice("missing", "Gone from the feed", yesNo),
      el("span", { class: "check" }, el("input", { id: "s-changed", name: "changed", type: "checkbox", value: "true", checked: q.get("changed") === "true" }),
        el("label", { for: "s-changed", text: "Changed by the last import" })),
      el("button", { type: "submit", text: "Show" }));
    return Admin.filterTo(form, (next) => { location.hash = "imports/staging/" + enc(String(next)); });
  }

  // selectionBox selects or unselects every product the filters match,
  // and publishes the whole selection.
  function selectionBox(q) {
    const box = errorBox();
    const result = el("div", { "data-publish-result": "" });
    const filter = {};
    for (const k of filterNames) {
      const v = q.get(k);
      if (!v || k === "selected") continue;
      filter[k] = k === "published" || k === "missing" || k === "changed" ? v === "true" : v;
    }
    const act = async (work) => {
      box.hidden = true;
      try { await work(); } catch (err) { box.textContent = err.error.message; box.hidden = false; }
    };
    const pick = (selected) => act(async () => {
      const r = await api("POST", `${base}/products/select`, { filter, selected });
      Admin.route();
      announce(`${r.changed} product${r.changed === 1 ? "" : "s"} ${selected ? "selected" : "unselected"}.`);
    });
    const all = el("button", { type: "button", class: "plain", text: "Select every match" });
    const none = el("button", { type: "button", class: "plain", text: "Unselect every match" });
    const pub = el("button", { type: "button", "data-publish-selection": "", text: "Publish the selection" });
    all.addEventListener("click", () => pick(true));
    none.addEventListener("click", () => pick(false));
    pub.addEventListener("click", () => act(async () => {
      const r = await api("POST", "/api/v1/products/from-import");
      result.replaceChildren(el("p", { text: `${r.published} published.` }), r.skipped.length
        ? el("ul", {}, ...r.skipped.map((s) => el("li", { text: `${s.feed_id}: ${s.reason}` }))) : null);
      announce(`${r.published} product${r.published === 1 ? "" : "s"} published${r.skipped.length ? `, ${r.skipped.length} skipped` : ""}.`);
    }));
    return el("div", { class: "card" }, el("p", { class: "buttons" }, all, " ", none, " ", pub), box, result);
  }

  // stagedTable: a row per staged product; problem is where a refused
  // selection is said.
  function stagedTable(items, problem) {
    const edit = can("products.create");
    return table({ "data-staged": "" }, ["Feed id", "Title", "Brand", "Availability", { text: "Price", num: true }, "Languages", "Selected", "In the shop"],
      items.map((s) => [s.feed_id, s.title, s.brand, statusText(s.availability),
        { text: s.price_cents === null ? "none" : money(s.price_cents, s.currency), num: true }, (s.languages || []).join(", "),
        edit ? selectBox(s, problem) : s.selected ? "yes" : "no", published(s, edit)]),
      (i) => ({ "data-staged-row": items[i].feed_id }));
  }

  // selectBox selects one product for publishing the moment it is ticked.
  function selectBox(s, problem) {
    const id = "sel-" + s.id;
    const cb = el("input", { type: "checkbox", id, checked: s.selected, "data-select": s.id });
    cb.addEventListener("change", async () => {
      problem.hidden = true;
      try {
        await api("POST", `${base}/products/select`, { ids: [s.id], selected: cb.checked });
        announce(`${s.feed_id} ${cb.checked ? "selected" : "unselected"}.`);
      } catch (err) {
        cb.checked = !cb.checked;
        problem.textContent = `${s.feed_id}: ${err.error.message}`;
        problem.hidden = false;
      }
    });
    return el("span", { class: "check" }, cb, el("label", { for: id, class: "visually-hidden", text: "Select " + s.feed_id }));
  }

  function published(s, edit) {
    if (s.product_id) {
      return el("span", {}, el("span", { class: "badge", "data-published": "", text: "published" }), " ",
        el("a", { href: "#products/" + new URLSearchParams({ q: s.feed_id }), text: "product #" + s.product_id }));
    }
    if (!edit) return el("span", { class: "muted", text: "not published" });
    return el("a", { href: "#imports/publish/" + s.id, "data-publish": s.id, text: "Publish " + s.feed_id + "…" });
  }

  // --- Publish one ------------------------------------------------------

  // publish shows a staged product's feed values and publishes it; a field
  // changed from the feed's value is sent as an override (and keeps the
  // vendor's value when the feed moves).
  async function publish(view, args) {
    const s = await api("GET", `${base}/products/${enc(dec(args[0]))}`);
    view.append(el("h2", { text: `Publish ${s.feed_id}` }));
    if (s.product_id) {
      view.append(el("p", {}, "Already published as ", el("a", { href: "#products/" + new URLSearchParams({ q: s.feed_id }), text: "product #" + s.product_id }), "."));
      return;
    }
    if (!can("products.create")) { view.append(el("p", { text: "Your role cannot publish products." })); return; }
    const out = el("div", { "data-published-box": "" });
    view.append(el("p", { class: "muted", text: "The form shows the feed's values. What you change is kept as yours: later imports leave it and report when the feed's value moves." }),
      publishForm(s, out), out);
  }

  // feedValues: the values a published product would take from the feed
  // (the primary language's for shared fields, the first language listed
  // otherwise).
  function feedValues(s) {
    const langs = s.languages || [];
    const first = (s.items || {})[langs.includes(primary(s)) ? primary(s) : langs[0]] || {};
    const cents = (m) => (m ? (m.cents / 100).toFixed(2) : "");
    const v = { price_cents: cents(first.price), sale_price_cents: cents(first.sale_price), stock: first.quantity ?? "", brand: first.brand || "",
      status: "active", currency: (first.price && first.price.currency) || s.currency || "EUR" };
    for (const l of langs) {
      v["title." + l] = s.items[l].title || "";
      v["description." + l] = s.items[l].description || "";
    }
    return v;
  }

  // primary: the staged product's searchable title is the primary
  // language's; its language is the one whose item has that title.
  const primary = (s) => (s.languages || []).find((l) => s.items[l] && s.items[l].title === s.title) || (s.languages || [])[0];

  function publishForm(s, out) {
    const v = feedValues(s);
    const first = primary(s);
    const langs = [first, ...(s.languages || []).filter((l) => l !== first)].filter(Boolean);
    const form = el("form", { class: "card", "data-publish-form": "", novalidate: "" },
      field("pub-price", `Price (${v.currency}, VAT included)`, { name: "price_cents", value: v.price_cents, inputmode: "decimal", autocomplete: "off" }),
      field("pub-sale", `Sale price (${v.currency}; empty: none)`, { name: "sale_price_cents", value: v.sale_price_cents, inputmode: "decimal", autocomplete: "off" }),
      field("pub-stock", "Stock (empty: not tracked)", { name: "stock", value: v.stock, inputmode: "numeric", autocomplete: "off" }),
      field("pub-brand", "Brand", { name: "brand", value: v.brand, maxlength: "150" }),
      field("pub-status", "Status", { tag: "select", name: "status", value: "active", options: [["active", "Active (in the shop)"], ["draft", "Draft"], ["archived", "Archived"]] }),
      ...langs.flatMap((l) => [
        field(`pub-title-${l}`, `Title (${l})`, { name: "title." + l, value: v["title." + l], maxlength: "150", class: "wide" }),
        field(`pub-desc-${l}`, `Description (${l})`, { tag: "textarea", name: "description." + l, value: v["description." + l], rows: "3" })]),
      el("p", {}, el("button", { type: "submit", text: "Publish" })), errorBox());
    return submit(form, async () => {
      const body = overrides(form, v, langs);
      const p = await api("POST", `/api/v1/products/from-import/${s.id}`, body);
      form.remove();
      out.replaceChildren(publishedText(p));
      announce(`${p.sku} published at ${money(p.price_cents, p.currency)}.`);
    });
  }

  // overrides: the fields whose value differs from the feed's, in the
  // from-import API's words; a price that is not a number is refused here
  // beside its field.
  function overrides(form, v, langs) {
    const val = (n) => form.elements.namedItem(n).value.trim();
    const body = {};
    const bad = {};
    const money2 = (n, nullable) => {
      if (val(n) === v[n]) return;
      if (val(n) === "" && nullable) { body[n] = null; return; }
      const m = /^(\d{1,9})(?:[.,](\d{1,2}))?$/.exec(val(n));
      if (!m) { bad[n] = "must be an amount such as 19.99"; return; }
      body[n] = Number(m[1]) * 100 + Number((m[2] || "0").padEnd(2, "0"));
    };
    money2("price_cents", false);
    money2("sale_price_cents", true);
    if (val("stock") !== String(v.stock)) {
      if (val("stock") === "") body.stock = null;
      else if (/^\d{1,10}$/.test(val("stock"))) body.stock = Number(val("stock"));
      else bad.stock = "must be a whole number";
    }
    if (val("brand") !== v.brand) body.brand = val("brand");
    if (val("status") !== v.status) body.status = val("status");
    for (const kind of ["title", "description"]) {
      for (const l of langs) {
        if (val(`${kind}.${l}`) === v[`${kind}.${l}`]) continue;
        body[kind] = body[kind] || {};
        body[kind][l] = val(`${kind}.${l}`) || null;
      }
    }
    if (Object.keys(bad).length) throw { status: 400, error: { message: "Some values are not valid.", fields: bad } };
    return body;
  }

  function publishedText(p) {
    return el("div", { class: "card", "data-published-product": p.id },
      el("p", { text: `${p.sku} is in the catalogue as product #${p.id}, ${statusText(p.status)}, at ${money(p.price_cents, p.currency)}.` }),
      p.overridden && p.overridden.length ? el("p", {}, "Yours, not the feed's: ", ...p.overridden.map((f) => el("span", { class: "badge", text: f }))) : null,
      el("ul", {},
        el("li", {}, el("a", { href: "#imports/staging/" + enc(String(new URLSearchParams({ q: p.sku }))), text: "Back to the staged products" })),
        el("li", {}, el("a", { href: "#products/" + new URLSearchParams({ q: p.sku }), text: "See it among the products" })),
        p.status === "active" ? el("li", {}, el("a", { href: "/products/" + p.id, "data-shop-link": "", text: "See it in the shop" })) : null));
  }

  Admin.section({ id: "imports", label: "Imports", perm: "imports.view", order: 50, render });
})();
