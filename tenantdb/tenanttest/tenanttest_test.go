package tenanttest

import (
	"context"
	"database/sql"
	"testing"

	"github.com/lib/pq"
)

func TestMain(m *testing.M) { Main(m) }

// A database left by a process that has gone is swept; one a live process
// holds is not.
func TestSweepDropsOnlyOrphans(t *testing.T) {
	ctx := context.Background()
	server, err := serverURL()
	if err != nil {
		t.Fatal(err)
	}
	admin, err := sql.Open("postgres", server)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	orphan := "bazaar_test_orphan_" + randomHex()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(orphan)); err != nil {
		t.Fatal(err)
	}
	live := NewDatabase(t) // claimed by this process
	if err := sweep(ctx, server); err != nil {
		t.Fatal(err)
	}
	exists := func(name string) bool {
		var n int
		if err := admin.QueryRowContext(ctx, `SELECT count(*) FROM pg_database WHERE datname = $1`, name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n == 1
	}
	if exists(orphan) {
		t.Errorf("the orphan %s survived the sweep", orphan)
		admin.ExecContext(ctx, "DROP DATABASE "+pq.QuoteIdentifier(orphan))
	}
	if !exists(live.Name) {
		t.Errorf("the sweep dropped %s, which this process holds", live.Name)
	}
}
