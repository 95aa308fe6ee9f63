package tenantdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"time"

	"ariga.io/atlas/sql/migrate"
)

// revisionTable records, inside each schema, which migration files have been
// applied to it. It lives beside the data it describes, so a schema moved,
// backed up or restored carries its own history.
const revisionTable = "bazaar_schema_revisions"

const createRevisionTable = `CREATE TABLE IF NOT EXISTS ` + revisionTable + ` (
	version      text PRIMARY KEY,
	description  text NOT NULL,
	checksum     text NOT NULL,
	applied_at   timestamptz NOT NULL DEFAULT now(),
	execution_ms integer NOT NULL
)`

// Source is a validated migration directory in Atlas format: files named
// <version>_<description>.sql, and atlas.sum guarding their integrity.
type Source struct {
	files []sourceFile
}

type sourceFile struct {
	version     string
	description string
	sql         string
	checksum    string
}

// LoadSource reads and validates a migration directory. An edited, added or
// removed file that atlas.sum does not account for is refused, so what runs in
// production is exactly what was reviewed.
func LoadSource(fsys fs.FS) (*Source, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	files := make([]migrate.File, 0, len(names))
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		files = append(files, migrate.NewLocalFile(path.Base(n), b))
	}
	sumText, err := fs.ReadFile(fsys, migrate.HashFileName)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", migrate.HashFileName, err)
	}
	var want migrate.HashFile
	if err := want.UnmarshalText(sumText); err != nil {
		return nil, fmt.Errorf("parse %s: %w", migrate.HashFileName, err)
	}
	got, err := migrate.NewHashFile(files)
	if err != nil {
		return nil, err
	}
	if got.Sum() != want.Sum() {
		return nil, fmt.Errorf("%s does not match the migration files: regenerate with cmd/schemadiff, never edit applied migrations", migrate.HashFileName)
	}
	s := &Source{files: make([]sourceFile, len(files))}
	for i, f := range files {
		sum, err := got.SumByName(f.Name())
		if err != nil {
			return nil, err
		}
		if f.Version() == "" || i > 0 && f.Version() <= s.files[i-1].version {
			return nil, fmt.Errorf("migration %s: versions must be unique and increasing", f.Name())
		}
		s.files[i] = sourceFile{version: f.Version(), description: f.Desc(), sql: string(f.Bytes()), checksum: sum}
	}
	return s, nil
}

// Latest is the newest version in the source ("" when empty).
func (s *Source) Latest() string {
	if len(s.files) == 0 {
		return ""
	}
	return s.files[len(s.files)-1].version
}

// Has reports whether version is one of the source's migrations.
func (s *Source) Has(version string) bool {
	return slices.ContainsFunc(s.files, func(f sourceFile) bool { return f.version == version })
}

// applied maps each version recorded in a schema's revision table to its checksum.
type applied map[string]string

// pending returns the files of s not yet applied to a schema, or an error when
// the schema's history contradicts s: a file changed after it was applied, or
// a new file older than one already applied. Versions applied that s does not
// know (a newer binary migrated this schema) are fine.
func (s *Source) pending(done applied) ([]sourceFile, error) {
	newest := done.newest()
	var out []sourceFile
	for _, f := range s.files {
		sum, ok := done[f.version]
		switch {
		case ok && sum != f.checksum:
			return nil, fmt.Errorf("migration %s_%s was changed after it was applied", f.version, f.description)
		case ok:
		case f.version < newest:
			return nil, fmt.Errorf("migration %s_%s is older than the applied %s: give it a newer version", f.version, f.description, newest)
		default:
			out = append(out, f)
		}
	}
	return out, nil
}

// apply brings the schema that tx's search_path points at up to date. The
// caller holds the schema's advisory lock and owns the transaction: either
// every pending file is applied and recorded, or nothing is.
func (s *Source) apply(ctx context.Context, tx execQuerier) (int, error) {
	return s.applyThrough(ctx, tx, "")
}

// applyThrough is apply stopping after version upto ("" for every file): a
// restore makes a schema at its backup's revision, fills it, then applies
// the rest.
func (s *Source) applyThrough(ctx context.Context, tx execQuerier, upto string) (int, error) {
	if _, err := tx.ExecContext(ctx, createRevisionTable); err != nil {
		return 0, fmt.Errorf("create %s: %w", revisionTable, err)
	}
	done, err := readApplied(ctx, tx, "")
	if err != nil {
		return 0, err
	}
	todo, err := s.pending(done)
	if err != nil {
		return 0, err
	}
	if upto != "" {
		todo = slices.DeleteFunc(todo, func(f sourceFile) bool { return f.version > upto })
	}
	for _, f := range todo {
		start := time.Now()
		// One file, one round trip: its statements go as a single simple
		// query inside the caller's transaction.
		if _, err := tx.ExecContext(ctx, f.sql); err != nil {
			return 0, fmt.Errorf("migration %s_%s: %w", f.version, f.description, err)
		}
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO `+revisionTable+` (version, description, checksum, execution_ms) VALUES ($1, $2, $3, $4)`,
			f.version, f.description, f.checksum, time.Since(start).Milliseconds()); err != nil {
			return 0, err
		}
	}
	return len(todo), nil
}

// readApplied reads a schema's revision table: schema-qualified when schema is
// given (a cheap read as the application role, outside any transaction), else
// through the search_path of q.
func readApplied(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, schema string) (applied, error) {
	table := revisionTable
	if schema != "" {
		table = quoteIdent(schema) + "." + revisionTable
	}
	rows, err := q.QueryContext(ctx, `SELECT version, checksum FROM `+table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	done := applied{}
	for rows.Next() {
		var v, sum string
		if err := rows.Scan(&v, &sum); err != nil {
			return nil, err
		}
		done[v] = sum
	}
	return done, rows.Err()
}

// newest is the latest applied version ("" for none).
func (a applied) newest() string {
	var n string
	for v := range a {
		n = max(n, v)
	}
	return n
}

// sqlState is the SQLSTATE of a PostgreSQL error in err's chain, or "".
func sqlState(err error) string {
	var pe interface{ SQLState() string }
	if errors.As(err, &pe) {
		return pe.SQLState()
	}
	return ""
}

// isUndefined reports a missing relation (42P01) or schema (3F000).
func isUndefined(err error) bool {
	s := sqlState(err)
	return s == "42P01" || s == "3F000"
}
