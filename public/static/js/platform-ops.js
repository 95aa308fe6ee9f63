// The super admins' operations sections (being built).
"use strict";
(() => {
  const { el } = Admin;
  Admin.section({ id: "health", label: "Health", order: 50,
    render: async (view) => { view.append(el("p", { text: "This page is being built; its API is in the README." })); } });
})();
