// Command schemadiff writes a new versioned migration for each ent graph whose
// schema (ent/<graph>/schema) has changed since its migration directory.
//
//	go run ./cmd/schemadiff [-allow-drop] <name>
//
// It creates a throwaway database on the server named by BAZAAR_DATABASE_URL,
// replays each migration directory into a fresh schema there, diffs it against
// the ent schema, and writes the difference as ent/<graph>/migrations/
// <version>_<name>.sql (Atlas format) with an updated atlas.sum. The statements
// it writes are unqualified: the platform migrator and the tenant migrator bind
// the search_path to the target schema before applying them.
//
//	go run ./cmd/schemadiff -rehash
//
// rewrites each atlas.sum after a migration was edited by hand (data seeded by
// a migration, say); a migration that has been applied anywhere must never be
// edited.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"

	"ariga.io/atlas/sql/migrate"
	_ "ariga.io/atlas/sql/postgres" // registers the postgres Atlas driver
	"entgo.io/ent/dialect"
	entschema "entgo.io/ent/dialect/sql/schema"
	"github.com/lib/pq"

	platformmigrate "github.com/bazaar/bazaar/ent/platform/migrate"
	tenantmigrate "github.com/bazaar/bazaar/ent/tenant/migrate"
)

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,60}$`)

func main() {
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "schemadiff:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	allowDrop := flag.Bool("allow-drop", false, "also write DROP COLUMN / DROP INDEX statements")
	rehash := flag.Bool("rehash", false, "only rewrite atlas.sum of every migration directory")
	flag.Parse()
	if *rehash {
		return rehashAll()
	}
	if flag.NArg() != 1 || !nameRE.MatchString(flag.Arg(0)) {
		return errors.New("usage: schemadiff [-allow-drop] <name>   (name: lower_snake_case)")
	}
	name := flag.Arg(0)
	server := os.Getenv("BAZAAR_DATABASE_URL")
	if server == "" {
		return errors.New("BAZAAR_DATABASE_URL is not set (run through scripts/with-db)")
	}
	adminURL, err := url.Parse(server)
	if err != nil {
		return fmt.Errorf("BAZAAR_DATABASE_URL: %w", err)
	}
	q := adminURL.Query()
	q.Set("application_name", "bazaar schemadiff")
	adminURL.RawQuery = q.Encode()
	admin, err := sql.Open("postgres", adminURL.String())
	if err != nil {
		return err
	}
	defer admin.Close()
	devDB := fmt.Sprintf("bazaar_schemadiff_%d", os.Getpid())
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(devDB)); err != nil {
		return fmt.Errorf("create dev database: %w", err)
	}
	defer admin.ExecContext(context.WithoutCancel(ctx), "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(devDB))

	graphs := []struct {
		name   string
		tables []*entschema.Table
	}{
		{"platform", platformmigrate.Tables},
		{"tenant", tenantmigrate.Tables},
	}
	for _, g := range graphs {
		devURL, err := schemaURL(server, devDB, "dev_"+g.name)
		if err != nil {
			return err
		}
		if err := createSchema(ctx, server, devDB, "dev_"+g.name); err != nil {
			return err
		}
		dir, err := migrate.NewLocalDir(filepath.Join("ent", g.name, "migrations"))
		if err != nil {
			return fmt.Errorf("%s: %w (run from the repository root)", g.name, err)
		}
		err = entschema.Diff(ctx, devURL, name, g.tables,
			entschema.WithDir(dir),
			entschema.WithMigrationMode(entschema.ModeReplay),
			entschema.WithDialect(dialect.Postgres),
			entschema.WithFormatter(migrate.DefaultFormatter),
			entschema.WithDropColumn(*allowDrop),
			entschema.WithDropIndex(*allowDrop),
			entschema.WithErrNoPlan(true),
		)
		switch {
		case errors.Is(err, migrate.ErrNoPlan):
			fmt.Printf("%s: no changes\n", g.name)
		case err != nil:
			return fmt.Errorf("%s: %w", g.name, err)
		default:
			fmt.Printf("%s: wrote a new migration in ent/%s/migrations\n", g.name, g.name)
		}
	}
	return nil
}

func rehashAll() error {
	for _, g := range []string{"platform", "tenant"} {
		dir, err := migrate.NewLocalDir(filepath.Join("ent", g, "migrations"))
		if err != nil {
			return fmt.Errorf("%s: %w (run from the repository root)", g, err)
		}
		sum, err := dir.Checksum()
		if err != nil {
			return fmt.Errorf("%s: %w", g, err)
		}
		if err := migrate.WriteSumFile(dir, sum); err != nil {
			return fmt.Errorf("%s: %w", g, err)
		}
	}
	return nil
}

// schemaURL points at one schema of the dev database. Scoping Atlas to a schema
// (search_path) makes it emit unqualified DDL.
func schemaURL(server, db, schema string) (string, error) {
	u, err := url.Parse(server)
	if err != nil {
		return "", fmt.Errorf("BAZAAR_DATABASE_URL: %w", err)
	}
	u.Path = "/" + db
	q := u.Query()
	q.Set("search_path", schema)
	q.Set("application_name", "bazaar schemadiff")
	u.RawQuery = q.Encode()
	return u.String(), nil
}

func createSchema(ctx context.Context, server, db, schema string) error {
	u, err := schemaURL(server, db, "public")
	if err != nil {
		return err
	}
	conn, err := sql.Open("postgres", u)
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = conn.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS "+pq.QuoteIdentifier(schema))
	return err
}
