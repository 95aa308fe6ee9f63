package web

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/bazaar/bazaar/internal/audit"
	"github.com/bazaar/bazaar/internal/authz"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/internal/page"
	"github.com/bazaar/bazaar/internal/team"
)

// teamHandlers manage a shop's team: members, invitations, roles and the
// shop's audit trail. They live here rather than in internal/team because
// they need the caller's identity and access, which the web layer owns.
type teamHandlers struct {
	caller
	team *team.Service
}

func (h *teamHandlers) routes() []route {
	return []route{
		{"GET", "/api/v1/teams/members", Permission(authz.TeamView), readTx, h.listMembers},
		{"PUT", "/api/v1/teams/members/:id", Permission(authz.TeamManage), writeTx, h.updateMember},
		{"DELETE", "/api/v1/teams/members/:id", Permission(authz.TeamRemove), writeTx, h.removeMember},
		{"POST", "/api/v1/teams/invite", Permission(authz.TeamInvite), writeTx, h.invite},
		{"GET", "/api/v1/teams/invitations", Permission(authz.TeamInvite), readTx, h.listInvitations},
		{"POST", "/api/v1/teams/invitations/:id/resend", Permission(authz.TeamInvite), writeTx, h.resendInvitation},
		{"DELETE", "/api/v1/teams/invitations/:id", Permission(authz.TeamInvite), writeTx, h.revokeInvitation},
		{"GET", "/api/v1/teams/roles", Permission(authz.TeamView), readTx, h.listRoles},
		{"POST", "/api/v1/teams/roles", Permission(authz.TeamManage), writeTx, h.createRole},
		{"PUT", "/api/v1/teams/roles/:id", Permission(authz.TeamManage), writeTx, h.updateRole},
		{"DELETE", "/api/v1/teams/roles/:id", Permission(authz.TeamManage), writeTx, h.deleteRole},
		{"GET", "/api/v1/teams/audit", Permission(authz.TeamManage), readTx, h.teamAudit},
	}
}

// inviteLink is where an invitation mail leads: this shop's accept page.
func inviteLink(c *fiber.Ctx) team.Link {
	return func(token string) string { return siteURL(c, "/accept-invite?token="+url.QueryEscape(token)) }
}

// teamPage reads the paging of a team list (members, invitations, roles).
func teamPage(c *fiber.Ctx) (page.Request, error) {
	bad := map[string]string{}
	r := pageRequest(c, team.ListLimits, bad)
	return r, fault.Fields("invalid listing parameters", bad)
}

func (h *teamHandlers) listMembers(c *fiber.Ctx) error {
	r, err := teamPage(c)
	if err != nil {
		return err
	}
	pg, err := h.team.Members(c.UserContext(), r)
	if err != nil {
		return err
	}
	return c.JSON(pg)
}

func (h *teamHandlers) updateMember(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	var in team.MemberUpdate
	if err := bind(c, &in); err != nil {
		return err
	}
	m, err := h.team.UpdateMember(c.UserContext(), h.actor(c), id, in)
	if err != nil {
		return err
	}
	return c.JSON(m)
}

func (h *teamHandlers) removeMember(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	if err := h.team.RemoveMember(c.UserContext(), h.actor(c), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *teamHandlers) invite(c *fiber.Ctx) error {
	var in team.InviteInput
	if err := bind(c, &in); err != nil {
		return err
	}
	inv, err := h.team.Invite(c.UserContext(), h.actor(c), in, inviteLink(c))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(inv)
}

func (h *teamHandlers) listInvitations(c *fiber.Ctx) error {
	r, err := teamPage(c)
	if err != nil {
		return err
	}
	pg, err := h.team.Invitations(c.UserContext(), r)
	if err != nil {
		return err
	}
	return c.JSON(pg)
}

func (h *teamHandlers) resendInvitation(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	inv, err := h.team.ResendInvitation(c.UserContext(), h.actor(c), id, inviteLink(c))
	if err != nil {
		return err
	}
	return c.JSON(inv)
}

func (h *teamHandlers) revokeInvitation(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	if err := h.team.RevokeInvitation(c.UserContext(), h.actor(c), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *teamHandlers) listRoles(c *fiber.Ctx) error {
	r, err := teamPage(c)
	if err != nil {
		return err
	}
	pg, err := h.team.Roles(c.UserContext(), r)
	if err != nil {
		return err
	}
	return c.JSON(pg)
}

func (h *teamHandlers) createRole(c *fiber.Ctx) error {
	var in team.RoleInput
	if err := bind(c, &in); err != nil {
		return err
	}
	r, err := h.team.CreateRole(c.UserContext(), h.actor(c), in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(r)
}

func (h *teamHandlers) updateRole(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	var in team.RoleInput
	if err := bind(c, &in); err != nil {
		return err
	}
	r, err := h.team.UpdateRole(c.UserContext(), h.actor(c), id, in)
	if err != nil {
		return err
	}
	return c.JSON(r)
}

func (h *teamHandlers) deleteRole(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	if err := h.team.DeleteRole(c.UserContext(), h.actor(c), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// teamAudit answers GET /api/v1/teams/audit?action=: the vendor's trail,
// newest first, of one action or a family of them (ending in ".").
func (h *teamHandlers) teamAudit(c *fiber.Ctx) error {
	bad := map[string]string{}
	r := pageRequest(c, audit.Limits, bad, "before")
	if err := fault.Fields("invalid listing parameters", bad); err != nil {
		return err
	}
	pg, err := h.team.Audit(c.UserContext(), strings.Clone(c.Query("action")), r)
	if err != nil {
		return err
	}
	return c.JSON(pg)
}
