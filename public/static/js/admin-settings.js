// The shop back office's Settings section (settings.edit, the Owner's by
// the seed), four pages under #settings/<page>: the shop's details and
// languages (/api/v1/settings), its theme with a live preview
// (/api/v1/settings/theme/preview), how it is paid and ships
// (/api/v1/settings/payments, /api/v1/settings/shipping) and its custom
// domains (/api/v1/settings/domains). Every form shows the server's errors
// beside their fields.
"use strict";
(() => {
  const { el, api, field, errorBox, submit, announce, formError, clearErrors, scroll, table, money, cents, amount } = Admin;

  const pages = [["", "Shop details"], ["theme", "Theme"], ["payments", "Payments and shipping"], ["domains", "Domains"]];

  // subnav links the section's pages, the one shown marked as current.
  const subnav = (current) => el("nav", { class: "subnav", "aria-label": "Settings pages" },
    el("ul", {}, ...pages.map(([id, label]) => el("li", {}, el("a", {
      href: "#settings" + (id ? "/" + id : ""), "aria-current": id === current ? "page" : null, text: label })))));

  // showError is formError with the API's field names renamed to the
  // form's (the API names a list's items by index: enabled_languages[2]
  // belongs to the languages' group).
  function showError(form, err, rename) {
    const e = (err && err.error) || { message: String(err) };
    const fields = {};
    for (const [k, v] of Object.entries(e.fields || {})) fields[rename ? rename(k) : k] = v;
    formError(form, { error: { ...e, fields } });
  }

  // markFields shows an API error's field messages beside their fields
  // while the user types: no focus moves, nothing is announced until the
  // form is sent.
  function markFields(form, err) {
    for (const [name, msg] of Object.entries((err && err.error && err.error.fields) || {})) {
      const input = form.elements.namedItem(name);
      const slot = input && input.id && document.getElementById(input.id + "-error");
      if (!slot) continue;
      slot.textContent = msg;
      slot.hidden = false;
      input.setAttribute("aria-invalid", "true");
    }
  }

  // saving wires form to work, showing its errors renamed by rename.
  function saving(form, work, rename) {
    submit(form, async (f, by) => {
      try { await work(f, by); } catch (err) { showError(f, err, rename); }
    });
    return form;
  }

  async function settings(view, args) {
    const page = decodeURIComponent(args[0] || "");
    view.append(subnav(page));
    const render = { "": details, theme, payments, domains }[page] || details;
    await render(view);
  }

  // ---- Shop details and languages ----

  const detailFields = [
    ["name", "Shop name", { maxlength: "200", required: true }],
    ["business_email", "Business e-mail", { type: "email", autocomplete: "email", maxlength: "254" }],
    ["business_phone", "Phone", { type: "tel", autocomplete: "tel", maxlength: "50" }],
    ["business_address", "Address", { autocomplete: "street-address", maxlength: "300" }],
    ["business_city", "City", { maxlength: "100" }],
    ["business_postal_code", "Postal code", { autocomplete: "postal-code", maxlength: "20" }],
    ["business_country", "Country", { hint: "Its ISO code in capitals, such as LU", maxlength: "2", autocomplete: "country" }],
    ["currency", "Currency", { hint: "Its ISO 4217 code, such as EUR", maxlength: "3" }],
  ];

  async function details(view) {
    const s = await api("GET", "/api/v1/settings");
    const form = el("form", { class: "card", "data-settings-form": "", novalidate: true },
      el("h2", { text: "Shop details" }),
      ...detailFields.map(([name, label, opts]) => field("s-" + name, label, { name, value: s[name], ...opts })),
      errorBox(), el("button", { type: "submit", text: "Save shop details" }));
    saving(form, async () => {
      const body = {};
      for (const [name] of detailFields) body[name] = form.elements[name].value.trim();
      const saved = await api("PUT", "/api/v1/settings", body);
      // The page's header names the shop: it follows a new name at once.
      const brand = Admin.$(".brand");
      if (brand) brand.textContent = saved.name;
      announce("Shop details saved.");
    });
    view.append(form, languages(s));
  }

  // Languages offered beside the shop's own; any ISO 639-1 code is taken
  // by the API, these are the likely ones for a shop in Luxembourg.
  const commonLanguages = ["en", "fr", "de", "lb", "nl", "it", "es", "pt", "da", "sv", "pl", "cs"];
  const languageName = (code) => {
    try { return new Intl.DisplayNames(["en"], { type: "language" }).of(code) || code; } catch (_) { return code; }
  };

  // languages: the shop's enabled languages (in the order of its
  // language switch) and its default one.
  function languages(s) {
    const codes = [...s.enabled_languages, ...commonLanguages.filter((c) => !s.enabled_languages.includes(c))];
    const group = el("fieldset", { id: "s-langs", name: "enabled_languages", "aria-describedby": "s-langs-hint" },
      el("legend", { text: "Languages the shop offers" }),
      el("p", { id: "s-langs-hint", class: "muted", text: "Each has its own pages; the default one's are at the shop's root." }),
      el("div", { class: "lang-grid" }, ...codes.map((c) => el("p", { class: "check" },
        el("input", { type: "checkbox", id: "s-lang-" + c, name: "lang", value: c, checked: s.enabled_languages.includes(c) }),
        el("label", { for: "s-lang-" + c, text: `${languageName(c)} (${c})` })))),
      el("span", { class: "field-error", id: "s-langs-error", hidden: "" }));
    const form = el("form", { class: "card", "data-languages-form": "", novalidate: true },
      el("h2", { text: "Languages" }), group,
      field("s-default-language", "Default language", { tag: "select", name: "default_language", value: s.default_language,
        options: codes.map((c) => [c, `${languageName(c)} (${c})`]) }),
      errorBox(), el("button", { type: "submit", text: "Save languages" }));
    return saving(form, async () => {
      const enabled = [...form.querySelectorAll("input[name=lang]:checked")].map((i) => i.value);
      await api("PUT", "/api/v1/settings", { enabled_languages: enabled, default_language: form.elements.default_language.value });
      announce("Languages saved.");
    }, (k) => (k.startsWith("enabled_languages") ? "enabled_languages" : k));
  }

  // ---- Theme, with a live preview ----

  const colourKeys = [["primary", "Primary colour", "buttons, links, the header"], ["secondary", "Secondary colour", "secondary buttons"],
    ["accent", "Accent colour", "badges, sale prices"], ["background", "Background colour", "the page"], ["text", "Text colour", "body text"]];
  // Which CSS variable of the shop front shows each picked colour.
  const colourVar = { primary: "--primary", secondary: "--secondary", accent: "--accent", background: "--bg", text: "--fg" };
  // The fonts of vendor.Fonts (internal/vendor/theme.go): system stacks,
  // nothing downloaded. The preview gets each stack from the server;
  // TestBackOfficeListsFollowTheServer holds the two lists together.
  const fonts = [["system", "System (the device's own)"], ["humanist", "Humanist sans-serif"], ["geometric", "Geometric sans-serif"],
    ["rounded", "Rounded sans-serif"], ["serif", "Old-style serif"], ["transitional", "Transitional serif"], ["monospace", "Monospace"]];
  const hex = /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i;
  const longHex = (v) => (v.length === 4 ? "#" + [...v.slice(1)].map((c) => c + c).join("") : v).toLowerCase();

  async function theme(view) {
    const s = await api("GET", "/api/v1/settings");
    const th = s.theme_config || {};
    const colours = th.colors || {};
    const pickers = {};
    const rows = colourKeys.map(([k, label, hint]) => {
      const p = field("t-" + k, label, { name: "theme_config.colors." + k, value: colours[k] || "", hint: hint + "; empty for the default",
        maxlength: "7", spellcheck: "false", placeholder: "#rrggbb" });
      pickers[k] = el("input", { type: "color", id: "t-" + k + "-pick", "aria-label": "Pick the " + label.toLowerCase() });
      p.querySelector("#t-" + k).after(pickers[k]);
      p.classList.add("colour-row");
      return p;
    });
    const form = el("form", { class: "card", "data-theme-form": "", novalidate: true },
      el("h2", { text: "Colours, font and logo" }), ...rows,
      field("t-font", "Font", { tag: "select", name: "theme_config.font", value: th.font || "", options: [["", "The default (system)"], ...fonts] }),
      field("t-logo", "Logo address", { type: "url", name: "theme_config.logo_url", value: th.logo_url || "", maxlength: "2048",
        hint: "An https address of a picture; it is the header's logo and the favicon" }),
      errorBox(), el("button", { type: "submit", text: "Save theme" }));
    const pv = preview(s);
    view.append(el("div", { class: "settings-theme" }, form, pv.box));

    const themeOfForm = () => {
      const t = {};
      const picked = {};
      for (const [k] of colourKeys) {
        const v = form.elements["theme_config.colors." + k].value.trim();
        if (v) picked[k] = v;
      }
      if (Object.keys(picked).length) t.colors = picked;
      const logo = form.elements["theme_config.logo_url"].value.trim();
      if (logo) t.logo_url = logo;
      if (form.elements["theme_config.font"].value) t.font = form.elements["theme_config.font"].value;
      return t;
    };
    // update shows the theme as typed at once (the picked colours), then
    // as shoppers will see it (the server's, adjusted for contrast), or the
    // theme's errors beside their fields. An older answer never overwrites
    // a newer one.
    let seq = 0;
    let timer = null;
    const update = () => {
      const t = themeOfForm();
      pv.raw(t);
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const mine = ++seq;
        try {
          const r = await api("POST", "/api/v1/settings/theme/preview", { theme_config: t });
          if (mine !== seq) return;
          clearErrors(form);
          pv.shown(r.vars, t);
          for (const [k] of colourKeys) if (!(t.colors && t.colors[k])) pickers[k].value = longHex(r.vars[colourVar[k]]);
        } catch (err) {
          if (mine !== seq) return;
          clearErrors(form);
          markFields(form, err);
        }
      }, 200);
    };
    for (const [k] of colourKeys) {
      const text = form.elements["theme_config.colors." + k];
      if (hex.test(text.value)) pickers[k].value = longHex(text.value);
      pickers[k].addEventListener("input", () => { text.value = pickers[k].value; update(); });
      text.addEventListener("input", () => { if (hex.test(text.value.trim())) pickers[k].value = longHex(text.value.trim()); update(); });
    }
    form.elements["theme_config.font"].addEventListener("change", update);
    form.elements["theme_config.logo_url"].addEventListener("input", update);
    update();
    saving(form, async () => {
      clearTimeout(timer);
      seq++; // a preview still on its way must not clear the save's errors
      await api("PUT", "/api/v1/settings", { theme_config: themeOfForm() });
      announce("Theme saved: the shop shows it on its next page.");
    });
  }

  // preview is a miniature of the shop front — header, a product card, a
  // button — styled by the shop's own CSS variables, which are set on it
  // through the CSSOM (the page's CSP admits no style attribute).
  function preview(s) {
    const logo = el("img", { alt: "", hidden: "" });
    const pane = el("div", { class: "theme-preview", "data-theme-preview": "" },
      el("div", { class: "pv-header" }, logo, el("span", { "data-preview-name": "", text: s.name })),
      el("div", { class: "pv-body" },
        el("div", { class: "pv-card" },
          el("p", { class: "pv-title", text: "Linen apron" }),
          el("p", { class: "pv-muted", text: "Hand-woven in Luxembourg" }),
          el("p", {}, el("s", { class: "pv-muted", text: money(3200, s.currency) }), " ", el("span", { class: "pv-price", text: money(2490, s.currency) })),
          el("p", {}, el("span", { class: "pv-link", text: "Product details" })),
          el("span", { class: "pv-button", "data-preview-button": "", text: "Add to cart" }), " ",
          el("span", { class: "pv-button secondary", text: "Save for later" }))));
    const seen = el("dl", { class: "pv-seen", "data-preview-seen": "" });
    const box = el("figure", { class: "preview-box" }, pane,
      el("figcaption", {}, "Preview of the shop front, before saving. ",
        "The shop keeps text readable (WCAG AA): a colour too faint where it is written is moved toward the text colour, ",
        "and text on a coloured button or header is black or white."), seen);
    const set = (vars) => { for (const [k, v] of Object.entries(vars)) if (v) pane.style.setProperty(k, v); };
    return {
      box,
      // raw: the colours as picked, at once.
      raw(t) {
        const c = t.colors || {};
        const v = {};
        for (const [k, name] of Object.entries(colourVar)) if (hex.test(c[k] || "")) v[name] = c[k];
        if (v["--primary"]) v["--link"] = v["--primary"];
        set(v);
        const ok = /^https:\/\/[^\s\\]+$/.test(t.logo_url || "");
        logo.hidden = !ok;
        if (ok && logo.getAttribute("src") !== t.logo_url) logo.src = t.logo_url;
      },
      // shown: the colours as shoppers will see them, and which were moved.
      shown(vars, t) {
        set(vars);
        const c = t.colors || {};
        const item = (label, v, picked) => el("div", {}, el("dt", { text: label }), el("dd", {},
          el("span", { class: "swatch", "data-swatch": v }), " " + v + (picked && longHex(picked) !== v ? ` (moved from ${longHex(picked)} to read well)` : "")));
        seen.replaceChildren(
          item("Header and buttons", vars["--primary"], null), item("Their text", vars["--on-primary"], null),
          item("Links", vars["--link"], c.primary), item("Sale prices, badges", vars["--accent"], c.accent),
          item("Text", vars["--fg"], c.text), item("Background", vars["--bg"], null));
        seen.querySelectorAll("[data-swatch]").forEach((sw) => sw.style.setProperty("--swatch", sw.dataset.swatch));
      },
    };
  }

  // ---- Payments and shipping ----

  async function payments(view) {
    const [acct, ship, s] = await Promise.all([api("GET", "/api/v1/settings/payments"), api("GET", "/api/v1/settings/shipping"), api("GET", "/api/v1/settings")]);
    view.append(bank(s), stripe(view, acct), shipping(view, ship.methods, s));
  }

  // bank: the account shoppers who pay by bank transfer pay, shown with
  // their order (its page and confirmation mail) with the order's number
  // as the reference.
  function bank(s) {
    const iban = s.bank_iban.replace(/(.{4})(?=.)/g, "$1 ");
    const form = el("form", { class: "card", "data-bank-form": "", "aria-labelledby": "pay-bank", novalidate: true },
      el("h2", { id: "pay-bank", text: "Bank transfer" }),
      el("p", { class: "muted", text: "Always offered. An order paid by bank transfer waits until you mark it paid; the shopper is shown this account and asked to quote the order's number." }),
      s.bank_iban ? null : el("p", { class: "form-error", "data-bank-missing": "", text: "No account yet: shoppers who choose a bank transfer are told you will send your bank details." }),
      field("b-holder", "Account holder", { name: "bank_account_holder", value: s.bank_account_holder, maxlength: "140", autocomplete: "organization" }),
      field("b-iban", "IBAN", { name: "bank_iban", value: iban, maxlength: "42", spellcheck: "false", hint: "Such as LU28 0019 4006 4475 0000; spaces are fine" }),
      field("b-bic", "BIC (optional)", { name: "bank_bic", value: s.bank_bic, maxlength: "11", spellcheck: "false", hint: "Such as BCEELULL" }),
      errorBox(), el("button", { type: "submit", text: "Save the bank account" }));
    return saving(form, async () => {
      const f = form.elements;
      await api("PUT", "/api/v1/settings", { bank_account_holder: f.bank_account_holder.value, bank_iban: f.bank_iban.value, bank_bic: f.bank_bic.value });
      await Admin.redraw("Bank account saved.");
    });
  }

  // stripe: the shop's own Stripe account. Secrets are never shown back:
  // the API says whether each is set (and the secret key's last four
  // characters); a secret is replaced only when typed anew.
  function stripe(view, acct) {
    const secretHint = acct.secret_key_hint ? `Set, ending in …${acct.secret_key_hint}. Type a new key to replace it.` : "Not set.";
    const hookHint = acct.webhook_configured ? "Set. Type a new secret to replace it." : "Not set.";
    const form = el("form", { class: "card", "data-stripe-form": "", novalidate: true },
      el("h2", { text: "Cards, through Stripe" }),
      el("p", { class: "muted", text: "Your own Stripe account: its keys, its dashboard, its payouts. Offering cards needs all three keys." }),
      field("p-enabled", "Offer card payments", { type: "checkbox", name: "enabled", value: acct.enabled }),
      field("p-publishable", "Publishable key", { name: "publishable_key", value: acct.publishable_key, placeholder: "pk_live_…", autocomplete: "off", spellcheck: "false" }),
      field("p-secret", "Secret key", { type: "password", name: "secret_key", autocomplete: "new-password", placeholder: acct.secret_key_hint ? "•••• " + acct.secret_key_hint : "sk_live_…", hint: secretHint }),
      acct.secret_key_hint ? field("p-secret-remove", "Remove the secret key", { type: "checkbox", name: "remove_secret_key" }) : null,
      field("p-webhook", "Webhook signing secret", { type: "password", name: "webhook_secret", autocomplete: "new-password", placeholder: acct.webhook_configured ? "••••" : "whsec_…", hint: hookHint }),
      acct.webhook_configured ? field("p-webhook-remove", "Remove the webhook secret", { type: "checkbox", name: "remove_webhook_secret" }) : null,
      errorBox(), el("button", { type: "submit", text: "Save card payments" }));
    form.querySelector("#p-secret-hint")?.setAttribute("data-secret-hint", "");
    return saving(form, async () => {
      const f = form.elements;
      const body = { enabled: f.enabled.checked, publishable_key: f.publishable_key.value.trim() };
      const secret = (name, remove) => {
        if (f[name].value.trim()) body[name] = f[name].value.trim();
        else if (f[remove] && f[remove].checked) body[name] = "";
      };
      secret("secret_key", "remove_secret_key");
      secret("webhook_secret", "remove_webhook_secret");
      await api("PUT", "/api/v1/settings/payments", body);
      await Admin.redraw("Card payments saved.");
    });
  }

  const kinds = [["flat", "Flat price"], ["free_above", "Free above an amount"], ["pickup", "Pickup"]];

  // shipping: the shop's delivery methods, in the order shoppers see them,
  // each with its name in the shop's languages; saved as a whole list.
  function shipping(view, methods, s) {
    const list = el("div", {});
    const group = el("fieldset", { id: "sh-methods", name: "methods", class: "plain" }, el("legend", { class: "visually-hidden", text: "Delivery methods" }),
      list, el("span", { class: "field-error", id: "sh-methods-error", hidden: "" }));
    const add = el("button", { type: "button", class: "ghost", text: "Add a delivery method" });
    const form = el("form", { class: "card", "data-shipping-form": "", novalidate: true },
      el("h2", { text: "Delivery" }), group, el("p", {}, add), errorBox(), el("button", { type: "submit", text: "Save delivery" }));
    let items = methods.map((m) => ({ ...m }));
    const langsOf = (m) => [...new Set([...s.enabled_languages, ...Object.keys(m.name || {})])];
    // read takes the methods as the form holds them (amounts as typed).
    const read = () => [...list.children].map((fs, i) => {
      const f = (n) => form.elements[`methods[${i}].${n}`];
      const m = { code: f("code").value.trim(), kind: f("kind").value, active: f("active").checked, name: {},
        price: f("price_cents").value, free: f("free_above_cents").value };
      for (const lang of JSON.parse(fs.dataset.langs)) {
        const v = f("name." + lang).value.trim();
        if (v) m.name[lang] = v;
      }
      return m;
    });
    const draw = () => {
      list.replaceChildren(...items.map((m, i) => {
        const at = `methods[${i}].`;
        const id = (n) => `sh-${i}-${n}`;
        const free = field(id("free"), `Free from (${s.currency})`, { name: at + "free_above_cents", inputmode: "decimal", value: m.free ?? amount(m.free_above_cents) });
        const kind = field(id("kind"), "Kind", { tag: "select", name: at + "kind", value: m.kind, options: kinds });
        const showFree = () => { free.hidden = kind.querySelector("select").value !== "free_above"; };
        kind.querySelector("select").addEventListener("change", showFree);
        const remove = el("button", { type: "button", class: "ghost", text: "Remove this method" });
        remove.addEventListener("click", () => { items = read(); items.splice(i, 1); draw(); });
        const langs = langsOf(m);
        const fs = el("fieldset", { class: "method", "data-method": m.code || "", "data-langs": JSON.stringify(langs) },
          el("legend", { text: `Method ${i + 1}` + (m.code ? ": " + m.code : "") }),
          field(id("code"), "Code", { name: at + "code", value: m.code, maxlength: "50", spellcheck: "false", hint: "Lower-case letters, digits, - or _; orders keep it" }),
          kind,
          el("fieldset", { id: id("names"), name: at + "name", class: "plain" }, el("legend", { text: "Name shoppers see" }),
            ...langs.map((l) => field(id("name-" + l), `In ${languageName(l)}`, { name: at + "name." + l, value: (m.name || {})[l] || "", maxlength: "100" })),
            el("span", { class: "field-error", id: id("names") + "-error", hidden: "" })),
          field(id("price"), `Price (${s.currency})`, { name: at + "price_cents", inputmode: "decimal", value: m.price ?? amount(m.price_cents) }),
          free,
          field(id("active"), "Offered to shoppers", { type: "checkbox", name: at + "active", value: m.active }),
          remove);
        showFree();
        return fs;
      }));
    };
    add.addEventListener("click", () => {
      items = read();
      items.push({ code: "", kind: "flat", name: {}, price: "", free: "", active: true });
      draw();
      list.lastElementChild.querySelector("input").focus();
    });
    draw();
    return saving(form, async () => {
      const bad = {};
      const body = read().map((m, i) => {
        const price = cents(m.kind === "pickup" && m.price === "" ? "0" : m.price);
        if (price === null || Number.isNaN(price)) bad[`methods[${i}].price_cents`] = "must be an amount such as 4.90";
        let freeAbove = null;
        if (m.kind === "free_above") {
          freeAbove = cents(m.free);
          if (freeAbove === null || Number.isNaN(freeAbove)) bad[`methods[${i}].free_above_cents`] = "must be an amount such as 75.00";
        }
        return { code: m.code, kind: m.kind, name: m.name, price_cents: price, free_above_cents: freeAbove, active: m.active };
      });
      if (Object.keys(bad).length) throw { error: { message: "Some amounts are not amounts.", fields: bad } };
      const saved = await api("PUT", "/api/v1/settings/shipping", { methods: body });
      items = saved.methods.map((m) => ({ ...m }));
      draw();
      announce("Delivery saved.");
    });
  }

  // ---- Custom domains ----

  // domains: the shop's own domains. One is added, its TXT record
  // published at the user's DNS host, then checked; until then it does not
  // serve.
  async function domains(view) {
    const { items } = await api("GET", "/api/v1/settings/domains");
    const form = el("form", { class: "card", "data-domain-form": "", novalidate: true },
      el("h2", { text: "Add a domain" }),
      el("p", { class: "muted", text: "Serve the shop on a domain of yours. Point it at the platform, then prove it is yours with a DNS TXT record." }),
      field("d-host", "Domain", { name: "host", placeholder: "shop.example.lu", maxlength: "253", spellcheck: "false", autocomplete: "off" }),
      errorBox(), el("button", { type: "submit", text: "Add domain" }));
    saving(form, async () => {
      const d = await api("POST", "/api/v1/settings/domains", { host: form.elements.host.value.trim() });
      await Admin.redraw(`${d.host} added: publish its TXT record, then check it.`);
    });
    view.append(form, el("h2", { text: "Your domains" }));
    if (!items.length) { view.append(el("p", { "data-domains-empty": "", text: "No domain of your own yet: the shop answers on its platform address." })); return; }
    const box = el("p", { class: "form-error", role: "alert", hidden: "" });
    const act = async (d, method, path, notice) => {
      box.hidden = true;
      try {
        await api(method, path);
        await Admin.redraw(notice);
      } catch (err) { box.textContent = err.error.message; box.hidden = false; }
    };
    const enc = (h) => encodeURIComponent(h);
    view.append(box, scroll(table({ "data-domains": "" }, ["Domain", "Status", "TXT record name", "TXT record value", "Actions"],
      items.map((d) => {
        const verify = d.verified ? null : el("button", { type: "button", "data-verify": d.host, text: "Check DNS" });
        verify?.addEventListener("click", () => act(d, "POST", `/api/v1/settings/domains/${enc(d.host)}/verify`, `${d.host} is verified: the shop answers on it.`));
        const remove = Admin.confirmButton("Remove", `Stop serving the shop on ${d.host}`,
          () => act(d, "DELETE", `/api/v1/settings/domains/${enc(d.host)}`, `${d.host} removed.`));
        remove.setAttribute("data-remove", d.host);
        return [d.host, { text: d.verified ? "verified, serving" : "waiting for the DNS record", attrs: { "data-domain-status": "" } },
          { node: el("code", { text: d.record_name }), attrs: { "data-record-name": "" } },
          { node: el("code", { text: d.token }), attrs: { "data-record-value": "" } },
          el("span", { class: "row-actions" }, verify, remove)];
      }), (i) => ({ "data-domain": items[i].host })), "Your domains"));
    view.append(el("p", { class: "muted", text: "Publish the TXT record at your DNS host, exactly as shown, then choose Check DNS. DNS changes can take a while to spread." }));
  }

  Admin.section({ id: "settings", label: "Settings", perm: "settings.edit", order: 70, render: settings });
})();
