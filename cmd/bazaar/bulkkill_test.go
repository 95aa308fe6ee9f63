package main

import (
	"context"
	"fmt"
	"log/slog"
	"os/exec"
	"testing"
	"time"

	"github.com/bazaar/bazaar/ent/platform/outboxmail"
	"github.com/bazaar/bazaar/ent/platform/vendorimportrow"
	"github.com/bazaar/bazaar/internal/vendor"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// TestBulkImportSurvivesAKilledServer kills the server (SIGKILL) while a
// bulk vendor import is under way, starts a new one, and checks that every
// row ends created — none twice, none missed, one Owner invitation each.
func TestBulkImportSurvivesAKilledServer(t *testing.T) {
	const n = 120
	d := tenanttest.NewDatabase(t)
	c := newCLIOn(t, d)
	c.ok("migrate")
	ctx := context.Background()
	db := tenanttest.OpenDatabase(t, d)

	// Recorded here, run by the servers: the import is found by their resume
	// check, as a killed server's is.
	rows := make([]vendor.BulkRow, n)
	for i := range rows {
		rows[i] = vendor.BulkRow{Line: i + 2, VendorName: fmt.Sprintf("Killed Shop %d", i), Subdomain: fmt.Sprintf("killed-%03d", i),
			OwnerName: fmt.Sprintf("Owner %d", i), OwnerEmail: fmt.Sprintf("owner%d@killed.test", i), Country: "LU"}
	}
	svc := vendor.New(db, vendor.Options{}, slog.New(slog.DiscardHandler))
	imp, err := svc.StartBulk(ctx, vendor.Actor{Email: "cli:test"}, "killed.csv", [32]byte{}, rows)
	if err != nil {
		t.Fatal(err)
	}
	progress := func() vendor.BulkImport {
		b, err := svc.Bulk(ctx, imp.ID)
		if err != nil {
			t.Fatal(err)
		}
		return *b
	}
	server := func() *exec.Cmd { return serveChild(t, d, "BAZAAR_ONBOARDING_RESUME_CHECK=250ms") }

	first := server()
	deadline := time.Now().Add(90 * time.Second)
	for p := progress(); p.RowsDone < n/4; p = progress() {
		if time.Now().After(deadline) {
			t.Fatalf("the bulk import did not get going: %+v", p)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := first.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	first.Wait()
	interrupted := progress()
	if interrupted.RowsDone >= n {
		t.Fatalf("the import ended before it could be interrupted: %+v", interrupted)
	}

	server()
	deadline = time.Now().Add(3 * time.Minute)
	done := progress()
	for ; done.Status == "queued" || done.Status == "running"; done = progress() {
		if time.Now().After(deadline) {
			t.Fatalf("the bulk import did not finish after the restart: %+v", done)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("interrupted at %d of %d rows", interrupted.RowsDone, n)
	if done.Status != "succeeded" || done.Created != n || done.Unchanged != 0 || done.Failed != 0 || done.RowsDone != n {
		t.Errorf("after the restart: %+v (interrupted at %d rows)", done, interrupted.RowsDone)
	}
	withVendor, err := db.Platform().VendorImportRow.Query().
		Where(vendorimportrow.ImportID(imp.ID), vendorimportrow.OutcomeEQ(vendorimportrow.OutcomeCreated), vendorimportrow.VendorIDNotNil()).Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	vendors, err := db.Tenants(ctx)
	if err != nil {
		t.Fatal(err)
	}
	invitations, err := db.Platform().OutboxMail.Query().Where(outboxmail.Kind("owner_invitation")).Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if withVendor != n || len(vendors) != n || invitations != n {
		t.Errorf("%d rows created with their vendor, %d vendors, %d Owner invitations; want %d each", withVendor, len(vendors), invitations, n)
	}
}
