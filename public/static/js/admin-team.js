// The shop back office's Team and Audit trail sections. Team (#team) lists
// the members and the pending invitations and invites someone; its Roles
// tab (#team/roles, #team/roles/new, #team/roles/<id>) shows every role and
// edits the custom ones, a checkbox per permission string. The Audit trail
// (#audit/<query>) reads the shop's trail a page at a time. Each control is
// shown only to a user holding the permission its route needs (the server
// refuses the rest anyway).
"use strict";
(() => {
  const { el, api, can, scroll, table, field, errorBox, submit, announce, when, go } = Admin;

  // permissionGroups are every permission string a role may hold
  // (internal/authz/permission.go), grouped by area and said for people;
  // TestBackOfficeListsFollowTheServer holds the two together.
  const permissionGroups = [
    ["Team", [["team.view", "See the team and its roles"], ["team.invite", "Invite people"],
      ["team.manage", "Change roles, edit roles, read the audit trail"], ["team.remove", "Remove members"]]],
    ["Products", [["products.view", "See products"], ["products.create", "Create products"],
      ["products.edit", "Edit products"], ["products.delete", "Delete products"]]],
    ["Orders and customers", [["orders.view", "See orders and customers"], ["orders.create", "Create orders"],
      ["orders.edit", "Change orders and correct customers"]]],
    ["Imports", [["imports.view", "See imports"], ["imports.trigger", "Start imports and publish"],
      ["imports.configure", "Configure feeds"]]],
    ["Settings", [["settings.edit", "Edit the shop's settings"]]],
    ["Analytics", [["analytics.view", "See sales figures"]]],
  ];

  const fullName = (m) => [m.first_name, m.last_name].filter(Boolean).join(" ") || m.email;
  const myPerms = () => ((Admin.me() || {}).vendor || {}).permissions || [];
  // handsOut: the user holds every permission of role r, so the server lets
  // them invite to it or assign it (no escalation).
  const handsOut = (r) => (r.permissions || []).every((p) => myPerms().includes(p));

  // all reads every page of a team list (the lists are short: a team, its
  // roles, its pending invitations).
  async function all(path) {
    const items = [];
    let cursor = "";
    do {
      const pg = await api("GET", path + "?limit=100" + (cursor ? "&cursor=" + encodeURIComponent(cursor) : ""));
      items.push(...pg.items);
      cursor = pg.next_cursor || "";
    } while (cursor);
    return items;
  }

  // tabs: the Team page's two views, the current one marked.
  function tabs(current) {
    const tab = (href, text, id) => el("li", {}, el("a", { href, text, "aria-current": current === id ? "page" : null }));
    return el("nav", { class: "tabs", "aria-label": "Team" }, el("ul", {},
      tab("#team", "Members and invitations", "members"),
      can("team.view", "team.manage") ? tab("#team/roles", "Roles", "roles") : null));
  }

  // team routes #team, #team/roles and #team/roles/<id|new>.
  async function team(view, args) {
    const [tab, id] = args.map(decodeURIComponent);
    view.append(tabs(tab === "roles" ? "roles" : "members"));
    if (tab === "roles") return id ? roleEditor(view, id) : roles(view);
    const roleList = can("team.view", "team.manage") ? await all("/api/v1/teams/roles") : [];
    if (can("team.view", "team.manage")) await members(view, roleList);
    if (can("team.invite")) {
      view.append(inviteForm(view, roleList));
      await invitations(view);
    }
  }

  // members: the team, with a role change for team.manage and removal for
  // team.remove — never on the user's own row, which the server refuses.
  async function members(view, roleList) {
    const list = await all("/api/v1/teams/members");
    const self = Admin.me().user.id;
    const manage = can("team.manage"), remove = can("team.remove");
    const box = el("p", { class: "form-error", role: "alert", hidden: "" });
    const rows = list.map((m) => [fullName(m), m.email, m.role.name + (m.active ? "" : " (inactive)"), when(m.created_at).slice(0, 10),
      m.user_id === self ? el("span", { class: "muted", text: "you" }) : memberActions(view, m, roleList, manage, remove, box)]);
    view.append(el("h2", { id: "members-heading", text: "Members" }),
      scroll(table({ "data-members": "", "aria-labelledby": "members-heading" }, ["Name", "E-mail", "Role", "Since", "Change"], rows,
        (i) => ({ "data-member": list[i].email })), "Members"), box);
  }

  function memberActions(view, m, roleList, manage, remove, box) {
    const out = el("div", { class: "row-actions" });
    const fail = (err) => { box.textContent = m.email + ": " + err.error.message; box.hidden = false; };
    if (manage && m.role.name !== "Owner") {
      const id = "m-role-" + m.id;
      const pick = el("select", { id, name: "role" }, ...roleList.filter(handsOut).map((r) =>
        el("option", { value: r.id, selected: r.id === m.role.id, text: r.name })));
      const save = el("button", { type: "button", "data-change-role": m.email, text: "Change role" });
      save.addEventListener("click", async () => {
        try {
          await api("PUT", "/api/v1/teams/members/" + m.id, { role_id: Number(pick.value) });
          await Admin.redraw(m.email + " is now " + pick.selectedOptions[0].text + ".");
        } catch (err) { fail(err); }
      });
      out.append(el("label", { for: id, class: "visually-hidden", text: "Role of " + m.email }), pick, " ", save);
    }
    if (remove) out.append(" ", Admin.confirmButton("Remove", "Remove " + m.email + " from the team", async () => {
      try {
        await api("DELETE", "/api/v1/teams/members/" + m.id);
        await Admin.redraw(m.email + " was removed from the team.");
      } catch (err) { fail(err); }
    }));
    return out;
  }


  // inviteForm invites an e-mail with a role the user may hand out.
  function inviteForm(view, roleList) {
    const offered = roleList.filter(handsOut);
    const role = offered.length
      ? field("i-role", "Role", { tag: "select", name: "role", options: offered.map((r) => [r.id, r.name]), value: (offered.find((r) => r.name === "Viewer") || offered[0]).id })
      : field("i-role", "Role name", { name: "role", required: true, maxlength: "50" });
    const form = el("form", { class: "card", "data-invite": "", novalidate: "", "aria-labelledby": "invite-heading" },
      el("h2", { id: "invite-heading", text: "Invite someone" }),
      field("i-email", "E-mail", { name: "email", type: "email", required: true, maxlength: "254", autocomplete: "off" }),
      role, errorBox(), el("p", {}, el("button", { type: "submit", text: "Send the invitation" })));
    return submit(form, async () => {
      const r = form.elements.role.value;
      const inv = await api("POST", "/api/v1/teams/invite", offered.length ? { email: form.elements.email.value, role_id: Number(r) } : { email: form.elements.email.value, role: r });
      await Admin.redraw("Invitation sent to " + inv.email + ".");
    });
  }

  // invitations: the pending ones, each resent or revoked.
  async function invitations(view) {
    const list = await all("/api/v1/teams/invitations");
    view.append(el("h2", { id: "inv-heading", text: "Pending invitations" }));
    if (!list.length) { view.append(el("p", { "data-invitations": "", text: "No invitation is pending." })); return; }
    const box = el("p", { class: "form-error", role: "alert", hidden: "" });
    const act = (inv, method, path, notice) => async () => {
      try {
        await api(method, path);
        await Admin.redraw(notice);
      } catch (err) { box.textContent = inv.email + ": " + err.error.message; box.hidden = false; }
    };
    view.append(scroll(table({ "data-invitations": "", "aria-labelledby": "inv-heading" }, ["E-mail", "Role", "Expires", "Sent", "Change"],
      list.map((inv) => {
        const resend = el("button", { type: "button", class: "quiet", text: "Resend" });
        resend.addEventListener("click", act(inv, "POST", `/api/v1/teams/invitations/${inv.id}/resend`, "A new link was sent to " + inv.email + "."));
        return [inv.email, inv.role.name, inv.expired ? el("span", { class: "badge warn", text: "expired" }) : when(inv.expires_at), String(inv.send_count),
          el("div", { class: "row-actions" }, resend, " ", Admin.confirmButton("Revoke", "Revoke the invitation of " + inv.email,
            act(inv, "DELETE", "/api/v1/teams/invitations/" + inv.id, "The invitation of " + inv.email + " was revoked.")))];
      }), (i) => ({ "data-invitation": list[i].email })), "Pending invitations"), box);
  }

  // roles: every role with its permissions; custom ones open in the
  // editor for team.manage.
  async function roles(view) {
    const list = await all("/api/v1/teams/roles");
    if (can("team.manage")) view.append(el("p", {}, el("a", { href: "#team/roles/new", class: "button", "data-new-role": "", text: "New role" })));
    view.append(scroll(table({ "data-roles": "" }, ["Role", "Kind", "Permissions", { text: "Members", num: true }],
      list.map((r) => [
        can("team.manage") && !r.system ? el("a", { href: "#team/roles/" + r.id, text: r.name }) : r.name,
        r.system ? "built-in" : "custom",
        el("span", {}, ...r.permissions.map((p) => el("span", { class: "badge", text: p }))),
        { text: String(r.members), num: true },
      ]), (i) => ({ "data-role": list[i].name })), "Roles"));
  }

  // roleEditor creates (id "new") or edits a custom role: its name,
  // description and a checkbox per permission, grouped by area; those the
  // user does not hold are shown but cannot be ticked (the server refuses
  // them).
  async function roleEditor(view, id) {
    if (!can("team.manage")) { view.append(el("p", { text: "Editing roles needs the team.manage permission." })); return; }
    const creating = id === "new";
    const r = creating ? { name: "", description: "", permissions: [] } : (await all("/api/v1/teams/roles")).find((x) => String(x.id) === id);
    if (!r) { view.append(el("p", { role: "alert", text: "No such role." })); return; }
    if (r.system) { view.append(el("p", { text: r.name + " is a built-in role: it cannot be edited here." })); return; }
    const groups = permissionGroups.map(([area, perms], g) => el("fieldset", { class: "perm-group" }, el("legend", { text: area }),
      ...perms.map(([p, label], i) => {
        // field's value is a checkbox's checked state: the permission goes
        // in as the input's value afterwards.
        const f = field(`r-p${g}-${i}`, label, { type: "checkbox", name: "perm", "data-perm": p,
          disabled: !myPerms().includes(p), hint: p, value: r.permissions.includes(p) });
        f.querySelector("input").value = p;
        return f;
      })));
    const form = el("form", { class: "card", "data-role-form": "", novalidate: "" },
      el("h2", { text: creating ? "New role" : "Edit " + r.name }),
      field("r-name", "Name", { name: "name", required: true, maxlength: "50", value: r.name }),
      field("r-description", "Description", { tag: "textarea", name: "description", maxlength: "300", rows: "2", value: r.description }),
      el("fieldset", { id: "r-perms", name: "permissions", class: "perms" },
        el("legend", { text: "Permissions" }), ...groups, el("span", { class: "field-error", id: "r-perms-error", hidden: "" })),
      errorBox(), el("p", {}, el("button", { type: "submit", text: creating ? "Create the role" : "Save the role" }), " ",
        el("a", { href: "#team/roles", text: "Back to the roles" })));
    submit(form, async () => {
      const body = { name: form.elements.name.value, description: form.elements.description.value,
        permissions: [...form.querySelectorAll("input[name=perm]:checked")].map((x) => x.value) };
      const saved = await api(creating ? "POST" : "PUT", "/api/v1/teams/roles" + (creating ? "" : "/" + r.id), body);
      go("team/roles", (creating ? "Role " : "Changes to ") + saved.name + (creating ? " created." : " saved."));
    });
    view.append(form);
    if (!creating) view.append(deleteRole(r));
  }

  // deleteRole removes a custom role nobody holds and no invitation offers
  // (the server says so otherwise).
  function deleteRole(r) {
    const box = el("p", { class: "form-error", role: "alert", hidden: "" });
    return el("div", { class: "actions", "data-delete-role": "" }, el("h2", { text: "Delete" }),
      r.members ? el("p", { class: "muted", text: `${r.members} member(s) hold this role: give them another before deleting it.` }) : null,
      Admin.confirmButton("Delete the role", "Delete " + r.name + " for good", async () => {
        try {
          await api("DELETE", "/api/v1/teams/roles/" + r.id);
          go("team/roles", "Role " + r.name + " deleted.");
        } catch (err) { box.textContent = err.error.message; box.hidden = false; }
      }), box);
  }

  // The trail's kinds of action: a family ends with a dot.
  const auditActions = [["", "Any"], ["team.", "Team: every change"], ["team.invite", "Invitations sent"],
    ["team.invite_accepted", "Invitations accepted"], ["team.member_updated", "Members' roles changed"],
    ["team.member_removed", "Members removed"], ["team.role_created", "Roles created"], ["team.role_updated", "Roles changed"],
    ["team.role_deleted", "Roles deleted"], ["order.", "Orders"], ["customer.", "Customers"], ["imports.", "Imports"],
    ["product.", "Products"], ["shop.", "Shop settings"], ["payment.", "Payment settings"], ["auth.", "Sign-in and passwords"]];

  // audit: the shop's trail, newest first, filtered by action
  // (#audit/action=…&cursor=…), a page at a time.
  async function audit(view, args) {
    const q = new URLSearchParams(decodeURIComponent(args[0] || ""));
    const filter = el("form", { class: "filters", "data-audit-filter": "" },
      el("span", {}, el("label", { for: "a-action", text: "Action" }),
        el("select", { id: "a-action", name: "action" }, ...auditActions.map(([v, l]) => el("option", { value: v, selected: (q.get("action") || "") === v, text: l })))),
      el("button", { type: "submit", text: "Show" }));
    Admin.filterTo(filter, (next) => { location.hash = "audit/" + encodeURIComponent(next.toString()); });
    view.append(filter);
    const call = new URLSearchParams(q);
    call.set("limit", "50");
    const pg = await api("GET", "/api/v1/teams/audit?" + call);
    if (!pg.items.length) { view.append(el("p", { "data-audit": "", text: "Nothing recorded." })); return; }
    view.append(scroll(table({ "data-audit": "" }, ["When", "Who", "Action", "Target", "Details"],
      pg.items.map((e) => [when(e.at), e.actor_email || "the platform", e.action,
        [e.target_type, e.target_id].filter(Boolean).join(" #"), changes(e)]), (i) => ({ "data-event": pg.items[i].action })), "Audit trail"));
    if (pg.next_cursor) {
      const next = new URLSearchParams(q);
      next.set("cursor", pg.next_cursor);
      view.append(el("p", {}, el("a", { href: "#audit/" + encodeURIComponent(next.toString()), text: "Older events" })));
    }
  }

  // changes writes an event's before and after as one line per field that
  // changed ("role: Viewer → Editor"; a field recorded on one side only as
  // it is), and where the change came from.
  function changes(e) {
    const show = (v) => (typeof v === "object" && v !== null ? JSON.stringify(v) : String(v));
    const before = e.before || {}, after = e.after || {};
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])]
      .filter((k) => !(k in before && k in after && show(before[k]) === show(after[k])));
    return el("ul", { class: "changes" }, ...keys.map((k) => el("li", { text: k + ": " +
      (k in before && k in after ? show(before[k]) + " → " + show(after[k]) : show(k in after ? after[k] : before[k]) + (k in after ? "" : " (before)")) })),
    e.ip ? el("li", { class: "muted", text: "from " + e.ip }) : null);
  }

  Admin.section({ id: "team", label: "Team", perm: "team.invite", order: 60, render: team });
  Admin.section({ id: "audit", label: "Audit trail", perm: "team.manage", order: 80, render: audit });
})();
