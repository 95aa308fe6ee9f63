package web

import (
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/bazaar/bazaar/internal/audit"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/internal/page"
	"github.com/bazaar/bazaar/internal/team"
)

// Team handlers live here rather than in internal/team because they need the
// caller's identity and access, which the web layer owns.

func (s *server) inviteLink(c *fiber.Ctx) team.Link {
	return func(token string) string { return siteURL(c, "/accept-invite?token="+url.QueryEscape(token)) }
}

// teamPage reads the paging of a team list (members, invitations, roles).
func teamPage(c *fiber.Ctx) (page.Request, error) {
	bad := map[string]string{}
	r := pageRequest(c, team.ListLimits, bad)
	return r, fault.Fields("invalid listing parameters", bad)
}

func (s *server) listMembers(c *fiber.Ctx) error {
	r, err := teamPage(c)
	if err != nil {
		return err
	}
	pg, err := s.team.Members(c.UserContext(), r)
	if err != nil {
		return err
	}
	return c.JSON(pg)
}

func (s *server) updateMember(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	var in team.MemberUpdate
	if err := bind(c, &in); err != nil {
		return err
	}
	m, err := s.team.UpdateMember(c.UserContext(), s.actor(c), id, in)
	if err != nil {
		return err
	}
	return c.JSON(m)
}

func (s *server) removeMember(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	if err := s.team.RemoveMember(c.UserContext(), s.actor(c), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *server) invite(c *fiber.Ctx) error {
	var in team.InviteInput
	if err := bind(c, &in); err != nil {
		return err
	}
	inv, err := s.team.Invite(c.UserContext(), s.actor(c), in, s.inviteLink(c))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(inv)
}

func (s *server) listInvitations(c *fiber.Ctx) error {
	r, err := teamPage(c)
	if err != nil {
		return err
	}
	pg, err := s.team.Invitations(c.UserContext(), r)
	if err != nil {
		return err
	}
	return c.JSON(pg)
}

func (s *server) resendInvitation(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	inv, err := s.team.ResendInvitation(c.UserContext(), s.actor(c), id, s.inviteLink(c))
	if err != nil {
		return err
	}
	return c.JSON(inv)
}

func (s *server) revokeInvitation(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	if err := s.team.RevokeInvitation(c.UserContext(), s.actor(c), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *server) listRoles(c *fiber.Ctx) error {
	r, err := teamPage(c)
	if err != nil {
		return err
	}
	pg, err := s.team.Roles(c.UserContext(), r)
	if err != nil {
		return err
	}
	return c.JSON(pg)
}

func (s *server) createRole(c *fiber.Ctx) error {
	var in team.RoleInput
	if err := bind(c, &in); err != nil {
		return err
	}
	r, err := s.team.CreateRole(c.UserContext(), s.actor(c), in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(r)
}

func (s *server) updateRole(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	var in team.RoleInput
	if err := bind(c, &in); err != nil {
		return err
	}
	r, err := s.team.UpdateRole(c.UserContext(), s.actor(c), id, in)
	if err != nil {
		return err
	}
	return c.JSON(r)
}

func (s *server) deleteRole(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	if err := s.team.DeleteRole(c.UserContext(), s.actor(c), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// teamAudit answers GET /api/v1/teams/audit: the vendor's trail, newest
// first.
func (s *server) teamAudit(c *fiber.Ctx) error {
	bad := map[string]string{}
	r := pageRequest(c, audit.Limits, bad, "before")
	if err := fault.Fields("invalid listing parameters", bad); err != nil {
		return err
	}
	pg, err := s.team.Audit(c.UserContext(), r)
	if err != nil {
		return err
	}
	return c.JSON(pg)
}
