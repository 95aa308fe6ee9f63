package tenantdb_test

import (
	"os"
	"testing"

	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

func TestMain(m *testing.M) {
	// The rollout test runs `migrate` in a child process (this test binary
	// re-executed) so that it can kill it midway.
	if os.Getenv(migrateChildEnv) != "" {
		os.Exit(migrateChild())
	}
	tenanttest.Main(m)
}
