package platform

import (
	"embed"
	"io/fs"
)

//go:embed migrations/*.sql migrations/atlas.sum
var migrationFiles embed.FS

// Migrations is the versioned migration directory (Atlas format, written by
// cmd/schemadiff from ./schema) that tenantdb applies to the platform schema.
var Migrations fs.FS = mustSub(migrationFiles, "migrations")

func mustSub(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic(err) // unreachable: dir is a literal that go:embed has checked
	}
	return sub
}
