package tenantdb

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/bazaar/bazaar/ent/tenant/migrate"
	"github.com/bazaar/bazaar/tenantdb/archive"
)

// dbaRollbackTimeout bounds the ROLLBACK of a failed DBA transaction.
const dbaRollbackTimeout = 10 * time.Second

// Backup writes one tenant — every table of its schema and its platform
// rows — to w as a backup file (package archive), from one consistent
// snapshot: a read-only repeatable-read transaction on a connection of its
// own. It takes no lock stronger than ACCESS SHARE, so the shop serves and
// imports throughout; what commits after the snapshot is not in the file.
//
// pg_dump -n does the same job but reads the catalogue of the whole
// database to find one schema's objects (35–43 s with 1,000 tenants on the
// development machine); Bazaar knows a tenant's tables from its migrations
// and looks each one up by name.
func (db *DB) Backup(ctx context.Context, slug string, w io.Writer) (*archive.Header, *archive.Manifest, error) {
	t, err := db.TenantBySlug(ctx, slug)
	if err != nil {
		return nil, nil, err
	}
	cl, err := db.clusterOf(t)
	if err != nil {
		return nil, nil, err
	}
	c, err := db.openDBA(ctx, cl.url, "backup")
	if err != nil {
		return nil, nil, err
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`); err != nil {
		return nil, nil, fmt.Errorf("tenantdb: backup %q: %w", slug, err)
	}
	defer c.rollback() // read-only: nothing to commit
	// The platform rows come from the same snapshot when the tenant is on the
	// main cluster; from another, they are read just after it is taken.
	reg := c
	if cl.name != DefaultCluster {
		if reg, err = db.openDBA(ctx, db.sessionURL(), "backup"); err != nil {
			return nil, nil, err
		}
		defer reg.Close()
	}
	h, p, err := db.backupHeader(ctx, c, reg, t, cl.name)
	if err != nil {
		return nil, nil, fmt.Errorf("tenantdb: backup %q: %w", slug, err)
	}
	aw, err := archive.NewWriter(w)
	if err != nil {
		return nil, nil, err
	}
	if err := aw.Begin(*h, *p); err != nil {
		return nil, nil, fmt.Errorf("tenantdb: backup %q: write: %w", slug, err)
	}
	// The tables are read as the tenant role: a backup can read nothing but
	// its tenant's schema, whatever a bug in it asked for.
	if err := execAll(ctx, c, `SET LOCAL ROLE `+quoteIdent(t.Role)); err != nil {
		return nil, nil, fmt.Errorf("tenantdb: backup %q: %w", slug, err)
	}
	for _, tab := range h.Tables {
		tw, err := aw.Table(tab.Name)
		if err != nil {
			return nil, nil, err
		}
		if _, err := c.copyTo(ctx, tw, copyStatement(t.Schema, tab, "TO STDOUT")); err != nil {
			return nil, nil, fmt.Errorf("tenantdb: backup %q: table %s: %w", slug, tab.Name, err)
		}
		if err := tw.Close(); err != nil {
			return nil, nil, fmt.Errorf("tenantdb: backup %q: write: %w", slug, err)
		}
	}
	m, err := aw.Close()
	if err != nil {
		return nil, nil, fmt.Errorf("tenantdb: backup %q: write: %w", slug, err)
	}
	return h, m, nil
}

// copyStatement is the COPY of a table's listed columns, schema-qualified.
func copyStatement(schema string, t archive.Table, direction string) string {
	cols := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = pq.QuoteIdentifier(c)
	}
	return `COPY ` + quoteIdent(schema) + `.` + pq.QuoteIdentifier(t.Name) + ` (` + strings.Join(cols, ", ") + `) ` + direction
}

// backupHeader reads, in the backup's snapshot, what the file's header and
// platform record hold.
func (db *DB) backupHeader(ctx context.Context, c, reg *dbaConn, t *Tenant, cluster string) (*archive.Header, *archive.Platform, error) {
	done, err := readApplied(ctx, c, t.Schema)
	if err != nil {
		return nil, nil, fmt.Errorf("read the schema's revision: %w", err)
	}
	h := &archive.Header{Slug: t.Slug, VendorID: t.ID, Revision: done.newest(), Created: time.Now().UTC(),
		Source: archive.Source{Cluster: cluster, Schema: t.Schema}}
	var addr, port, dbname *string
	if err := scanOne(ctx, c, `SELECT current_setting('server_version'), inet_server_addr()::text, inet_server_port()::text, current_database()`,
		nil, &h.Source.ServerVersion, &addr, &port, &dbname); err != nil {
		return nil, nil, err
	}
	h.Source.Server = serverAddress(db.clusters[cluster].url, addr, port)
	if dbname != nil {
		h.Source.Database = *dbname
	}
	if h.Tables, _, err = tenantTables(ctx, c, t.Schema, done.newest() == db.tenantSrc.Latest()); err != nil {
		return nil, nil, err
	}
	p, err := platformRows(ctx, reg, t)
	return h, p, err
}

// serverAddress names the server a connection reached, for the manifest:
// the address the server reports, else the URL's host; never credentials.
func serverAddress(dsn string, addr, port *string) string {
	if addr != nil && port != nil {
		return strings.TrimSuffix(*addr, "/32") + ":" + *port
	}
	if u, err := url.Parse(dsn); err == nil {
		return u.Host
	}
	return ""
}

// tenantTables lists a tenant schema's tables in restore order (referenced
// before referencing), each with its columns in order, and for each table
// the tables it references. The schema's revision table is not among them:
// a restore makes its own.
//
// A schema at this binary's newest migration has exactly the tables of the
// ent schema (TestBackupSeesEveryTable holds the two together), looked up
// by name through pg_class's index; one at another revision is listed from
// the catalogue, a scan of pg_class that grows with the whole database.
func tenantTables(ctx context.Context, q execQuerier, schema string, current bool) ([]archive.Table, map[string][]string, error) {
	var rows interface {
		Next() bool
		Scan(...any) error
		Close() error
		Err() error
	}
	var err error
	if current {
		names := make([]string, len(migrate.Tables))
		for i, t := range migrate.Tables {
			names[i] = t.Name
		}
		rows, err = q.QueryContext(ctx, `SELECT c.oid, c.relname FROM pg_catalog.pg_class c
			WHERE c.relname = ANY($1::text[]) AND c.relnamespace = to_regnamespace($2) AND c.relkind IN ('r', 'p')`,
			names, quoteIdent(schema))
	} else {
		rows, err = q.QueryContext(ctx, `SELECT c.oid, c.relname FROM pg_catalog.pg_class c
			WHERE c.relnamespace = to_regnamespace($1) AND c.relkind IN ('r', 'p') AND c.relname <> $2`,
			quoteIdent(schema), revisionTable)
	}
	if err != nil {
		return nil, nil, err
	}
	byOID := map[int64]*archive.Table{}
	var oids []int64
	for rows.Next() {
		var oid int64
		var name string
		if err := rows.Scan(&oid, &name); err != nil {
			rows.Close()
			return nil, nil, err
		}
		byOID[oid] = &archive.Table{Name: name}
		oids = append(oids, oid)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	if len(oids) == 0 {
		return nil, nil, fmt.Errorf("schema %s has no tables", schema)
	}
	cols, err := q.QueryContext(ctx, `SELECT attrelid::bigint, attname FROM pg_catalog.pg_attribute
		WHERE attrelid = ANY($1::bigint[]::oid[]) AND attnum > 0 AND NOT attisdropped AND attgenerated = ''
		ORDER BY attrelid, attnum`, oids)
	if err != nil {
		return nil, nil, err
	}
	for cols.Next() {
		var oid int64
		var name string
		if err := cols.Scan(&oid, &name); err != nil {
			cols.Close()
			return nil, nil, err
		}
		byOID[oid].Columns = append(byOID[oid].Columns, name)
	}
	cols.Close()
	if err := cols.Err(); err != nil {
		return nil, nil, err
	}
	fks, err := q.QueryContext(ctx, `SELECT conrelid::bigint, confrelid::bigint FROM pg_catalog.pg_constraint
		WHERE conrelid = ANY($1::bigint[]::oid[]) AND contype = 'f' AND confrelid <> conrelid`, oids)
	if err != nil {
		return nil, nil, err
	}
	refs := map[int64][]int64{}
	for fks.Next() {
		var from, to int64
		if err := fks.Scan(&from, &to); err != nil {
			fks.Close()
			return nil, nil, err
		}
		if _, ours := byOID[to]; !ours {
			fks.Close()
			return nil, nil, fmt.Errorf("table %s references a table outside its schema", byOID[from].Name)
		}
		refs[from] = append(refs[from], to)
	}
	fks.Close()
	if err := fks.Err(); err != nil {
		return nil, nil, err
	}
	ordered, err := restoreOrder(byOID, oids, refs)
	if err != nil {
		return nil, nil, err
	}
	byName := map[string][]string{}
	for from, tos := range refs {
		for _, to := range tos {
			byName[byOID[from].Name] = append(byName[byOID[from].Name], byOID[to].Name)
		}
	}
	return ordered, byName, nil
}

// restoreOrder sorts tables so each comes after those it references (a
// depth-first topological sort; ties in name order, so the order is stable).
func restoreOrder(byOID map[int64]*archive.Table, oids []int64, refs map[int64][]int64) ([]archive.Table, error) {
	slices.SortFunc(oids, func(a, b int64) int { return strings.Compare(byOID[a].Name, byOID[b].Name) })
	const (
		unseen = iota
		visiting
		done
	)
	state := map[int64]int{}
	out := make([]archive.Table, 0, len(oids))
	var visit func(oid int64) error
	visit = func(oid int64) error {
		switch state[oid] {
		case done:
			return nil
		case visiting:
			return fmt.Errorf("foreign keys of table %s form a cycle", byOID[oid].Name)
		}
		state[oid] = visiting
		deps := refs[oid]
		slices.SortFunc(deps, func(a, b int64) int { return strings.Compare(byOID[a].Name, byOID[b].Name) })
		for _, d := range deps {
			if err := visit(d); err != nil {
				return err
			}
		}
		state[oid] = done
		out = append(out, *byOID[oid])
		return nil
	}
	for _, oid := range oids {
		if err := visit(oid); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// platformRows reads a tenant's rows outside its schema, as JSON objects.
func platformRows(ctx context.Context, q execQuerier, t *Tenant) (*archive.Platform, error) {
	ps := quoteIdent(PlatformSchema)
	p := &archive.Platform{Reports: map[string][]json.RawMessage{}}
	var vendor, domains, members []byte
	if err := scanOne(ctx, q, `SELECT row_to_json(v)::text FROM `+ps+`.vendors v WHERE v.id = $1`, []any{t.ID}, &vendor); err != nil {
		return nil, fmt.Errorf("read the registry row: %w", err)
	}
	p.Vendor = vendor
	if err := scanOne(ctx, q, `SELECT coalesce(json_agg(d ORDER BY d.id), '[]')::text FROM `+ps+`.vendor_domains d WHERE d.vendor_id = $1`,
		[]any{t.ID}, &domains); err != nil {
		return nil, fmt.Errorf("read the domains: %w", err)
	}
	if err := json.Unmarshal(domains, &p.Domains); err != nil {
		return nil, err
	}
	if err := scanOne(ctx, q, `SELECT coalesce(json_agg(json_build_object('email', u.email, 'membership', m) ORDER BY m.id), '[]')::text
		FROM `+ps+`.memberships m JOIN `+ps+`.users u ON u.id = m.user_id WHERE m.vendor_id = $1`, []any{t.ID}, &members); err != nil {
		return nil, fmt.Errorf("read the team: %w", err)
	}
	if err := json.Unmarshal(members, &p.Memberships); err != nil {
		return nil, err
	}
	// What the shop reported about its imports and products. A restore does
	// not write these back: its tenant's triggers report the restored rows
	// afresh. They are here for the record (and for tools reading a file).
	for _, table := range []string{"import_jobs", "vendor_figures"} {
		var rows []byte
		if err := scanOne(ctx, q, `SELECT coalesce(json_agg(r), '[]')::text FROM `+quoteIdent(ReportsSchema)+`.`+table+` r WHERE r.db_role = $1`,
			[]any{t.Role}, &rows); err != nil {
			return nil, fmt.Errorf("read %s.%s: %w", ReportsSchema, table, err)
		}
		var list []json.RawMessage
		if err := json.Unmarshal(rows, &list); err != nil {
			return nil, err
		}
		p.Reports[table] = list
	}
	return p, nil
}
