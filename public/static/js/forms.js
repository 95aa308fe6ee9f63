// Submits forms marked data-json-form as JSON to their data-action and shows
// the API's error message (and the bad fields) inline.
"use strict";
document.querySelectorAll("form[data-json-form]").forEach((form) => {
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const out = form.querySelector(".form-error");
    out.hidden = true;
    const body = Object.fromEntries(new FormData(form).entries());
    const res = await fetch(form.dataset.action, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: "same-origin",
      body: JSON.stringify(body),
    });
    if (res.ok) {
      if (form.dataset.done) {
        window.location.assign(form.dataset.done);
      } else {
        form.replaceWith(Object.assign(document.createElement("p"), { textContent: form.dataset.doneMessage || "Done." }));
      }
      return;
    }
    let msg = "Something went wrong.";
    try {
      const e = (await res.json()).error;
      msg = e.message + (e.fields ? ": " + Object.entries(e.fields).map(([k, v]) => k + " " + v).join("; ") : "");
    } catch (_) { /* not JSON */ }
    out.textContent = msg;
    out.hidden = false;
  });
});
