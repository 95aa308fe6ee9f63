// The shop back office's Team and Audit trail sections (being built).
"use strict";
(() => {
  const { el } = Admin;
  const soon = async (view) => { view.append(el("p", { text: "This page is being built; its API is in the README." })); };
  Admin.section({ id: "team", label: "Team", perm: "team.invite", order: 60, render: soon });
  Admin.section({ id: "audit", label: "Audit trail", perm: "team.manage", order: 80, render: soon });
})();
