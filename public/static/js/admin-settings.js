// The shop back office's Settings section (being built).
"use strict";
(() => {
  const { el } = Admin;
  Admin.section({ id: "settings", label: "Settings", perm: "settings.edit", order: 70,
    render: async (view) => { view.append(el("p", { text: "This page is being built; its API is in the README." })); } });
})();
