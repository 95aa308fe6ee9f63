package marketplace

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// The methods that take a tenant because they open transactions of their
// own refuse a context bound to another tenant before doing anything for
// it: RunJob neither waits for nor takes the other vendor's import lock, the
// CSV download writes nothing.
func TestExplicitTenantMustMatchTheBinding(t *testing.T) {
	db := tenanttest.Open(t)
	ctx := context.Background()
	a := tenanttest.Tenant(t, db, "bound")
	b := tenanttest.Tenant(t, db, "other")
	s := New(db, Options{}, nil, nil)
	// B's import runs elsewhere: its lock is held.
	held, err := db.LockSession(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	if _, err := held.ExecContext(ctx, `SELECT pg_advisory_lock($1, $2)`, lockImport, b.ID); err != nil {
		t.Fatal(err)
	}
	err = db.ReadTx(ctx, a, func(ctx context.Context) error {
		if err := s.RunJob(ctx, b, 1); !errors.Is(err, tenantdb.ErrOtherTenant) {
			t.Errorf("RunJob of B's import in A's transaction: %v, want ErrOtherTenant", err)
		}
		var csv bytes.Buffer
		if err := s.WriteRowErrorsCSV(ctx, b, 1, &csv); !errors.Is(err, tenantdb.ErrOtherTenant) || csv.Len() > 0 {
			t.Errorf("B's row errors in A's transaction: %v, %q written; want ErrOtherTenant and nothing", err, csv.String())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
