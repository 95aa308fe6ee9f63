package tenantdb

import "database/sql"

// SetFaultHook makes Provision call f after each step; an error from f aborts
// provisioning there, as a crash would.
func SetFaultHook(db *DB, f func(step string) error) { db.faultHook = f }

// ProvisionSteps are the step names Provision passes to the fault hook.
var ProvisionSteps = []string{"lock", "register", "schema", "role", "grants", "migrate", "notify"}

// Pool exposes the shared pool, to inspect connections after use.
func Pool(db *DB) *sql.DB { return db.pool }
