package web

import (
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/internal/team"
)

// Team handlers live here rather than in internal/team because they need the
// caller's identity and access, which the web layer owns.

func (s *server) inviteLink(c *fiber.Ctx) team.Link {
	return func(token string) string { return siteURL(c, "/accept-invite?token="+url.QueryEscape(token)) }
}

func (s *server) listMembers(c *fiber.Ctx) error {
	m, err := s.team.Members(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"members": m})
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
	inv, err := s.team.Invitations(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"invitations": inv})
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
	r, err := s.team.Roles(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"roles": r})
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

func (s *server) teamAudit(c *fiber.Ctx) error {
	bad := map[string]string{}
	before := queryInt(c, "before", bad)
	if err := fault.Fields("invalid listing parameters", bad); err != nil {
		return err
	}
	ev, err := s.team.Audit(c.UserContext(), before, 100)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"events": ev})
}
