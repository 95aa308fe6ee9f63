// The shop back office's Imports section (being built).
"use strict";
(() => {
  const { el } = Admin;
  Admin.section({ id: "imports", label: "Imports", perm: "imports.view", order: 50,
    render: async (view) => { view.append(el("p", { text: "This page is being built; its API is in the README." })); } });
})();
