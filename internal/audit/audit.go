// Package audit records security and team events — vendor events in the
// vendor's own schema (through the bound tenant transaction, so they commit
// or vanish with the change they describe), platform events in the platform
// schema — and lists them back.
package audit

import (
	"context"
	"fmt"
	"time"

	"github.com/bazaar/bazaar/ent/platform"
	"github.com/bazaar/bazaar/tenantdb"
)

// Event is one audited action: what Vendor and Platform record, and what the
// listings return. ID and At are the database's (recording ignores them).
// The JSON field names are those of the stored event.
type Event struct {
	ID         int            `json:"id,omitempty"`
	At         time.Time      `json:"at"`
	ActorID    int            `json:"actor_id,omitempty"` // 0: anonymous
	ActorEmail string         `json:"actor_email,omitempty"`
	Action     string         `json:"action,omitempty"`      // e.g. "team.invite", "auth.login_failed"
	TargetType string         `json:"target_type,omitempty"` // e.g. "user", "invitation", "role"
	TargetID   string         `json:"target_id,omitempty"`
	VendorID   int            `json:"vendor_id,omitempty"` // platform events: the vendor host it happened on, if any
	Before     map[string]any `json:"before,omitempty"`
	After      map[string]any `json:"after,omitempty"`
	IP         string         `json:"ip,omitempty"`
	RequestID  string         `json:"request_id,omitempty"`
}

// Vendor records e in the tenant transaction bound to ctx.
func Vendor(ctx context.Context, e Event) error {
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return err
	}
	q := c.AuditEvent.Create()
	fill(q.Mutation(), e)
	if err := q.Exec(ctx); err != nil {
		return fmt.Errorf("audit: record %s: %w", e.Action, err)
	}
	return nil
}

// Platform records e with c: the platform client, or a platform
// transaction's client so the event commits with the change.
func Platform(ctx context.Context, c *platform.Client, e Event) error {
	q := c.AuditEvent.Create()
	fill(q.Mutation(), e)
	if e.VendorID != 0 {
		q.SetVendorID(e.VendorID)
	}
	if err := q.Exec(ctx); err != nil {
		return fmt.Errorf("audit: record %s: %w", e.Action, err)
	}
	return nil
}

// mutation is what the two graphs' audit event mutations have in common.
type mutation interface {
	SetActorID(int)
	SetActorEmail(string)
	SetAction(string)
	SetTargetType(string)
	SetTargetID(string)
	SetBefore(map[string]any)
	SetAfter(map[string]any)
	SetIP(string)
	SetRequestID(string)
}

func fill(m mutation, e Event) {
	m.SetActorEmail(e.ActorEmail)
	m.SetAction(e.Action)
	m.SetTargetType(e.TargetType)
	m.SetTargetID(e.TargetID)
	m.SetIP(clip(e.IP, 64))
	m.SetRequestID(clip(e.RequestID, 64))
	if e.ActorID != 0 {
		m.SetActorID(e.ActorID)
	}
	if e.Before != nil {
		m.SetBefore(e.Before)
	}
	if e.After != nil {
		m.SetAfter(e.After)
	}
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
