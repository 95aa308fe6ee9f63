// The shop front's behaviour: the pages work for reading without it (they
// are rendered on the server); the cart, checkout and account talk to the
// shop's JSON API (/api/v1/shop/...) with fetch. The page's own data (its
// language, where the API is, the strings shown from here) comes in the
// #shop-data JSON block: no inline script, as the CSP demands.
"use strict";
(() => {
  const data = JSON.parse(document.getElementById("shop-data").textContent);
  const t = (key) => data.text[key] || key;
  const api = (path) => data.api + path + (path.includes("?") ? "&" : "?") + "lang=" + encodeURIComponent(data.lang);

  // call sends a JSON request to the shop's API and returns the parsed
  // answer; an error answer throws {status, error} with the API's error.
  async function call(method, path, body, headers) {
    let res;
    try {
      res = await fetch(api(path), {
        method, credentials: "same-origin",
        headers: Object.assign({ "Content-Type": "application/json", Accept: "application/json" }, headers || {}),
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (_) {
      throw { status: 0, error: { message: t("error.network") } };
    }
    const json = await res.json().catch(() => null);
    if (!res.ok) {
      throw { status: res.status, error: (json && json.error) || { message: t("error.generic") } };
    }
    return json;
  }

  const notice = document.querySelector("[data-notice]");
  function announce(text, link) {
    notice.textContent = text + " ";
    if (link) {
      notice.append(Object.assign(document.createElement("a"), { href: link.href, textContent: link.text }));
    }
    notice.hidden = false;
  }

  function setCount(units) {
    document.querySelectorAll("[data-cart-count]").forEach((el) => { el.textContent = String(units); });
  }

  // showErrors writes an API error into a form: each named field's message
  // beside its input (aria-invalid, and the first one focused), the
  // message itself in the form's alert.
  function showErrors(form, err) {
    clearErrors(form);
    const e = err.error || {};
    const box = form.querySelector("[data-form-error], .form-error");
    let first = null;
    for (const [field, msg] of Object.entries(e.fields || {})) {
      const slot = form.querySelector(`[data-error-for="${CSS.escape(field)}"]`);
      const input = form.querySelector(`[name="${CSS.escape(field)}"]`);
      if (slot) slot.textContent = msg;
      if (input) {
        input.setAttribute("aria-invalid", "true");
        first = first || input;
      }
    }
    if (box) {
      const named = Object.keys(e.fields || {}).filter((f) => !form.querySelector(`[data-error-for="${CSS.escape(f)}"]`));
      box.textContent = e.message + (named.length ? ": " + named.map((f) => f + " " + e.fields[f]).join("; ") : "");
      box.hidden = false;
    }
    const target = first || box;
    if (target === box) box.tabIndex = -1;
    if (target) target.focus();
  }

  function clearErrors(form) {
    form.querySelectorAll("[data-error-for]").forEach((el) => { el.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
    const box = form.querySelector("[data-form-error], .form-error");
    if (box) box.hidden = true;
  }

  // formJSON turns a form's named fields into a JSON document, reading
  // "a.b" and "a[0].b" names as nested objects and arrays; empty optional
  // fields are left out.
  function formJSON(form) {
    const out = {};
    for (const el of form.elements) {
      if (!el.name || el.disabled || el.type === "submit" || el.closest("[disabled]")) continue;
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) continue;
      const keys = el.name.match(/[^.[\]]+/g);
      let at = out;
      keys.forEach((k, i) => {
        const last = i === keys.length - 1;
        if (last) {
          at[k] = el.value;
          return;
        }
        if (at[k] === undefined) at[k] = /^\d+$/.test(keys[i + 1]) ? [] : {};
        at = at[k];
      });
    }
    return out;
  }

  async function busy(button, work) {
    if (button) button.disabled = true;
    try { await work(); } finally { if (button) button.disabled = false; }
  }

  // Add to cart, on the product page.
  document.querySelectorAll("[data-add-to-cart]").forEach((form) => {
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      busy(form.querySelector("button"), async () => {
        clearErrors(form);
        try {
          const cart = await call("POST", "/api/v1/shop/cart/lines",
            { product_id: Number(form.dataset.productId), quantity: Number(form.elements.quantity.value) });
          setCount(cart.units);
          announce(t("cart.added"), { href: data.base + "/cart", text: t("cart.view") });
        } catch (err) { showErrors(form, err); }
      });
    });
  });

  // The cart: a new quantity (0 removes the line) or a removal, then the
  // page is rendered again with the server's prices and totals.
  document.querySelectorAll("[data-cart-line]").forEach((form) => {
    const id = form.dataset.cartLine;
    const change = (method, body) => busy(form.querySelector("button"), async () => {
      try {
        await call(method, "/api/v1/shop/cart/lines/" + id, body);
        window.location.reload();
      } catch (err) { showErrors(form, err); }
    });
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const q = Number(form.elements.quantity.value);
      if (q === 0) change("DELETE"); else change("PUT", { quantity: q });
    });
    form.querySelector("[data-remove-line]").addEventListener("click", () => change("DELETE"));
  });

  // Forms of the account pages: sent as JSON to their data-action.
  document.querySelectorAll("[data-api-form]").forEach((form) => {
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      busy(form.querySelector("button[type=submit]"), async () => {
        clearErrors(form);
        try {
          await call(form.dataset.method || "POST", form.dataset.action, formJSON(form));
        } catch (err) { showErrors(form, err); return; }
        if (form.dataset.done === "reload") { window.location.reload(); return; }
        if (form.dataset.done === "account") { window.location.assign(data.base + "/account"); return; }
        const msg = form.dataset.doneMessage || t("done");
        if (form.hasAttribute("data-keep")) { announce(msg); return; }
        form.replaceWith(Object.assign(document.createElement("p"), { textContent: msg, role: "status" }));
      });
    });
  });

  const checkout = document.querySelector("[data-checkout]");
  if (checkout) setUpCheckout(checkout);

  function setUpCheckout(form) {
    const other = form.elements.ship_other;
    const shipFields = form.querySelector("[data-shipping-fields]");
    const total = document.querySelector("[data-order-total]");
    const sync = () => {
      const m = form.querySelector("input[name=shipping_method]:checked");
      const pickup = m && m.dataset.pickup === "true";
      other.closest("p").hidden = pickup;
      shipFields.hidden = pickup || !other.checked;
      shipFields.disabled = shipFields.hidden;
      if (m) total.textContent = m.dataset.total;
    };
    form.addEventListener("change", sync);
    sync();
    const key = crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random();
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      busy(form.querySelector("button[type=submit]"), async () => {
        clearErrors(form);
        const body = formJSON(form);
        delete body.ship_other;
        const m = form.querySelector("input[name=shipping_method]:checked");
        if (m) body.expected_total_cents = Number(m.dataset.totalCents);
        body.language = data.lang;
        let placed;
        try {
          placed = await call("POST", "/api/v1/shop/checkout", body, { "Idempotency-Key": key });
        } catch (err) { showErrors(form, err); return; }
        const receipt = data.base + "/orders/" + placed.order.number + "?placed=1";
        setCount(0);
        if (placed.payment && placed.payment.client_secret) {
          await payByCard(form, placed.payment, receipt);
          return;
        }
        window.location.assign(receipt);
      });
    });
  }

  // payByCard confirms a card payment with Stripe.js (loaded from Stripe,
  // as Stripe requires; the checkout page's CSP names its hosts when the
  // shop takes cards). The order is placed already: whatever happens here,
  // the receipt page tells the shopper where it stands.
  async function payByCard(form, payment, receipt) {
    const box = form.querySelector("[data-card-element]");
    try {
      await new Promise((resolve, reject) => {
        const s = Object.assign(document.createElement("script"), { src: "https://js.stripe.com/v3/", onload: resolve, onerror: reject });
        document.head.append(s);
      });
      const stripe = window.Stripe(payment.publishable_key);
      const elements = stripe.elements({ clientSecret: payment.client_secret });
      box.hidden = false;
      elements.create("payment").mount(box);
      const pay = Object.assign(document.createElement("button"), { type: "button", className: "button", textContent: t("checkout.pay") });
      box.after(pay);
      pay.addEventListener("click", async () => {
        const { error } = await stripe.confirmPayment({ elements, confirmParams: { return_url: new URL(receipt, location.href).href } });
        if (error) showErrors(form, { error: { message: error.message } });
      });
    } catch (_) {
      window.location.assign(receipt);
    }
  }
})();
