// The super admins' back office on admin.<base_domain> (being built).
"use strict";
(() => {
  const { el } = Admin;
  Admin.section({ id: "vendors", label: "Vendors", order: 10,
    render: async (view) => { view.append(el("p", { text: "This page is being built; its API is in the README." })); } });
})();
