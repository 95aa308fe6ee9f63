// The shop back office's Customers section (being built).
"use strict";
(() => {
  const { el } = Admin;
  Admin.section({ id: "customers", label: "Customers", perm: "orders.view", order: 40,
    render: async (view) => { view.append(el("p", { text: "This page is being built; its API is in the README." })); } });
})();
