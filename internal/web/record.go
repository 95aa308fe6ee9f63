package web

import (
	"encoding/json"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/bazaar/bazaar/internal/audit"
)

// record adds an event to the vendor's audit trail in the request's tenant
// transaction, so it commits (or not) with the change it describes. before
// and after are turned into JSON objects; nil leaves them out.
func (cl caller) record(c *fiber.Ctx, action, targetType string, targetID int, before, after any) error {
	a := cl.actor(c)
	e := audit.Event{
		ActorID: a.UserID, ActorEmail: a.Email, Action: action, TargetType: targetType,
		IP: a.IP, RequestID: a.RequestID, Before: asMap(before), After: asMap(after),
	}
	if targetID != 0 {
		e.TargetID = strconv.Itoa(targetID)
	}
	return audit.Vendor(c.UserContext(), e)
}

func asMap(v any) map[string]any {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return map[string]any{"value": json.RawMessage(b)}
	}
	return m
}
