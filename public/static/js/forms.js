// Submits forms marked data-json-form as JSON to their data-action and shows
// the API's error inline: each field's error beside its input when the
// form has a place for it (an element with the input's id + "-error"),
// the rest in the form's .form-error.
"use strict";
document.querySelectorAll("form[data-json-form]").forEach((form) => {
  const out = form.querySelector(".form-error");

  // clear hides the errors of the previous attempt.
  const clear = () => {
    out.hidden = true;
    form.querySelectorAll(".field-error").forEach((s) => { s.hidden = true; s.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach((i) => {
      i.removeAttribute("aria-invalid");
      const rest = (i.getAttribute("aria-describedby") || "").split(" ").filter((x) => x && x !== i.id + "-error");
      if (rest.length) i.setAttribute("aria-describedby", rest.join(" ")); else i.removeAttribute("aria-describedby");
    });
  };

  // beside puts msg beside the input named name; false when the form has
  // no place for it.
  const beside = (name, msg) => {
    const input = form.elements.namedItem(name);
    const slot = input && input.id && document.getElementById(input.id + "-error");
    if (!slot) return false;
    slot.textContent = msg;
    slot.hidden = false;
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", ((input.getAttribute("aria-describedby") || "") + " " + slot.id).trim());
    return input;
  };

  const show = (e) => {
    let first = null;
    const rest = [];
    for (const [k, v] of Object.entries(e.fields || {})) {
      const input = beside(k, v);
      if (input) first = first || input; else rest.push(k + " " + v);
    }
    out.textContent = e.message + (rest.length ? ": " + rest.join("; ") : "");
    out.hidden = false;
    if (first) first.focus();
  };

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clear();
    const button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    try {
      const res = await fetch(form.dataset.action, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        credentials: "same-origin",
        body: JSON.stringify(Object.fromEntries(new FormData(form).entries())),
      });
      if (res.ok) {
        if (form.dataset.done) {
          window.location.assign(form.dataset.done);
        } else {
          form.replaceWith(Object.assign(document.createElement("p"), { textContent: form.dataset.doneMessage || "Done." }));
        }
        return;
      }
      const e = await res.json().then((j) => j.error).catch(() => null);
      show(e || { message: "Something went wrong." });
    } catch (_) {
      show({ message: "The server could not be reached." });
    } finally {
      if (button) button.disabled = false;
    }
  });
});
