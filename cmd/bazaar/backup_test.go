package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// The DBA's round trip on the command line: back up, verify, restore as a
// copy and over the original, back up every tenant (resumable), and the
// refusals, each naming its problem.
func TestBackupRestoreCommands(t *testing.T) {
	c := newCLI(t)
	dir := t.TempDir()
	c.ok("demo")
	file := filepath.Join(dir, "atelier.bzbackup")
	contains(t, c.ok("tenant", "backup", "atelier-demo", "--out", file), "backed up atelier-demo to "+file, "rows")
	contains(t, c.ok("tenant", "verify", file), "backup of atelier-demo", "products", "ok: ", "every one matches the manifest",
		"this bazaar restores it as it is")
	c.fails("--force", "tenant", "restore", file)
	contains(t, c.ok("tenant", "restore", file, "--as", "atelier-copy", "--with-members"), "restored atelier-copy", "verified", "team: ")
	contains(t, c.ok("tenant", "list"), "atelier-copy")
	contains(t, c.ok("tenant", "restore", file, "--force"), "replaced the data of atelier-demo")
	c.fails("--with-members goes with --as", "tenant", "restore", file, "--with-members")
	c.fails("give a slug or --all", "tenant", "backup", "atelier-demo", "--all", "--dir", dir)
	c.fails("--all needs --dir", "tenant", "backup", "--all")

	// A damaged file: verify and restore both say so; nothing is restored.
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut.bzbackup")
	if err := os.WriteFile(cut, b[:len(b)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	c.fails("truncated", "tenant", "verify", cut)
	c.fails("truncated", "tenant", "restore", cut, "--as", "never-made")
	c.fails(`no vendor "never-made"`, "tenant", "suspend", "never-made")

	// Every tenant; a second run finds them all done.
	all := filepath.Join(dir, "all")
	contains(t, c.ok("tenant", "backup", "--all", "--dir", all, "--parallel", "3"), "backed up 3 tenants", "0 failed")
	entries, err := os.ReadDir(all)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "atelier-copy.bzbackup atelier-demo.bzbackup boutique-lux.bzbackup" {
		t.Fatalf("files: %v", names)
	}
	contains(t, c.ok("tenant", "backup", "--all", "--dir", all), "backed up 0 tenants", "3 already there")
}

// Several clusters on the command line: a shop moved to the second cluster
// is listed there, backed up and migrated there; the refusals name the
// clusters known.
func TestMoveCommand(t *testing.T) {
	d := tenanttest.NewDatabase(t)
	o := tenanttest.SecondCluster(t, d)
	c := newCLIOn(t, d)
	t.Setenv("BAZAAR_DATABASE_CLUSTERS", tenanttest.SecondClusterName+"="+o.Clusters[tenanttest.SecondClusterName])
	t.Setenv("BAZAAR_TENANT_PLACEMENT", "main")
	c.ok("demo")
	contains(t, c.ok("tenant", "clusters"), "main     2        all (tenant.placement)", tenanttest.SecondClusterName+"   0")
	c.fails(`no cluster "far-away"`, "tenant", "move", "atelier-demo", "--to", "far-away")
	c.fails("--to CLUSTER is required (clusters: main, second)", "tenant", "move", "atelier-demo")
	contains(t, c.ok("tenant", "move", "atelier-demo", "--to", tenanttest.SecondClusterName, "--grace", "10ms"),
		"moved atelier-demo from main to second", "verified", "writes refused for")
	contains(t, c.ok("tenant", "list"), "atelier-demo", tenanttest.SecondClusterName)
	contains(t, c.ok("tenant", "status"), "2 tenants, 0 behind")
	contains(t, c.ok("migrate"), "tenants: 2")
	file := filepath.Join(t.TempDir(), "far.bzbackup")
	contains(t, c.ok("tenant", "backup", "atelier-demo", "--out", file), "backed up atelier-demo")
	contains(t, c.ok("tenant", "verify", file), "from cluster second")
	contains(t, c.ok("tenant", "create", "far-shop", "--name", "Far", "--cluster", tenanttest.SecondClusterName), "on cluster second")
	contains(t, c.ok("tenant", "move", "atelier-demo", "--to", "main", "--grace", "10ms", "--keep-source"), "moved atelier-demo from second to main", "kept, read-only, as second:moved_")
	contains(t, c.ok("tenant", "delete", "far-shop", "--force"), "deleted far-shop")
}
