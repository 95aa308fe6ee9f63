package tenantdb

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/tenantdb/archive"
)

// MoveOptions say where a tenant goes.
type MoveOptions struct {
	To string // the cluster
	// KeepSource keeps the source schema, renamed moved_<hex> and read-only,
	// instead of dropping it once the move is verified.
	KeepSource bool
	// DrainTimeout bounds the wait, once writes are refused, for write
	// transactions already running to end (default 5 s); a move that cannot
	// drain them gives up and the shop writes again.
	DrainTimeout time.Duration
	// Grace is how long the source stays, read-only, after the switch
	// before it is dropped (default 5 s): an instance that resolved the shop
	// just before the switch, or hears of it late, still reads it whole
	// (its writes are refused and retried on the new cluster).
	Grace time.Duration
}

// MoveResult says what a move did and how long the shop could not write.
type MoveResult struct {
	Tenant     *Tenant
	From, To   string
	Tables     int
	Rows       int64
	Copied     time.Duration // the copy while serving
	Frozen     time.Duration // writes refused: from the freeze to the switch
	Total      time.Duration
	Recopied   []string // tables written during the copy, copied again frozen
	KeptSource string   // the renamed source schema (KeepSource)
}

// lockMove serialises moves of one tenant (second key: its vendor id), a
// session lock held for the whole move.
const lockMove = 0x627a6d76 // "bzmv"

// movePrefix names the schema (and role) a move fills on the target before
// it takes the tenant's names; movedPrefix a source kept by KeepSource.
const (
	movePrefix  = "move_"
	movedPrefix = "moved_"
)

// Move moves a tenant's schema to another cluster while its shop serves:
//
//  1. copy: a schema is made on the target at the tenant's revision and
//     filled from one snapshot of the source, table by table, COPY to COPY;
//     the shop reads and writes the source meanwhile;
//  2. freeze: the registry marks the tenant frozen (every instance then
//     answers its writes 503 with Retry-After; reads go on), its role loses
//     INSERT, UPDATE and DELETE on its tables (so an instance that has not
//     heard yet is refused by PostgreSQL), and the move waits for writes
//     already running to end;
//  3. the tables written since the snapshot — an insert or update leaves a
//     row version newer than the snapshot, a delete a lower count — are
//     copied again; every table's target rows are read back and their
//     checksums compared with the source's; the target schema takes the
//     tenant's names;
//  4. switch: the registry row names the target cluster and the freeze
//     ends, in one commit; every instance follows through the registry's
//     notifications;
//  5. the source schema is dropped (or kept, renamed and read-only).
//
// Run again after a crash, it finishes or starts over: a tenant left frozen
// is copied again from its (now unchanging) source; one whose target schema
// was complete switches after checking it; a source left behind after the
// switch is dropped. The tenant is never served half-moved: until the
// switch it is served from the source, whole, and after it from the
// verified target.
func (db *DB) Move(ctx context.Context, slug string, o MoveOptions) (*MoveResult, error) {
	start := time.Now()
	if o.DrainTimeout <= 0 {
		o.DrainTimeout = 5 * time.Second
	}
	if o.Grace <= 0 {
		o.Grace = 5 * time.Second
	}
	t, err := db.TenantBySlug(ctx, slug)
	if err != nil {
		return nil, err
	}
	dst, err := db.cluster(o.To)
	if err != nil {
		return nil, err
	}
	src, err := db.clusterOf(t)
	if err != nil {
		return nil, err
	}
	reg, err := db.openDBA(ctx, db.sessionURL(), "move")
	if err != nil {
		return nil, err
	}
	defer reg.Close()
	var mine bool
	if err := scanOne(ctx, reg, `SELECT pg_try_advisory_lock($1, $2)`, []any{lockMove, t.ID}, &mine); err != nil {
		return nil, err
	}
	if !mine {
		return nil, fault.New(fault.Conflict, "a move of %q is already running", slug)
	}
	// The lock is the session's: closing reg releases it.
	if t, err = db.TenantBySlug(ctx, slug); err != nil { // as it is now that no other move runs
		return nil, err
	}
	if src, err = db.clusterOf(t); err != nil {
		return nil, err
	}
	res := &MoveResult{From: src.name, To: dst.name}
	if src == dst {
		// Already there: a move that crashed after its switch may have left
		// the source behind; finish that.
		if err := db.dropLeftSources(ctx, t, o.KeepSource, res); err != nil {
			return nil, err
		}
		if res.KeptSource == "" && !t.Frozen() {
			return nil, fault.New(fault.Invalid, "%q is already on cluster %s", slug, dst.name)
		}
		res.Tenant = t
		return res, nil
	}
	m := &moving{db: db, t: t, src: src, dst: dst, reg: reg, o: o, res: res}
	defer m.close()
	if err := m.run(ctx); err != nil {
		return nil, err
	}
	res.Total = time.Since(start)
	if res.Tenant, err = db.TenantBySlug(ctx, slug); err != nil {
		return nil, err
	}
	db.log.InfoContext(ctx, "tenant moved", "tenant", slug, "from", src.name, "to", dst.name,
		"frozen_ms", res.Frozen.Milliseconds(), "total_ms", res.Total.Milliseconds(), "recopied", res.Recopied)
	return res, nil
}

// moving is one move in progress.
type moving struct {
	db       *DB
	t        *Tenant
	src, dst *cluster
	reg      *dbaConn // main cluster: the registry, and the move's session lock
	s, d     *dbaConn // source and target clusters
	o        MoveOptions
	res      *MoveResult

	work, workRole string // the target schema's names until it takes the tenant's
	revision       string
	tables         []archive.Table
	refs           map[string][]string
	copied         map[string]copyState
	threshold      string // the copy snapshot's xmin: rows with a newer xmin may be missing from the copy
}

// copyState is what the copy while serving wrote of a table.
type copyState struct {
	rows int64
	sum  string // SHA-256 of the COPY text
}

func (m *moving) close() {
	if m.s != nil {
		m.s.Close()
	}
	if m.d != nil {
		m.d.Close()
	}
}

func (m *moving) run(ctx context.Context) (err error) {
	db := m.db
	if m.s, err = db.openDBA(ctx, m.src.url, "move"); err != nil {
		return err
	}
	if m.d, err = db.openDBA(ctx, m.dst.url, "move"); err != nil {
		return err
	}
	// A move that crashed after its target took the tenant's names, before
	// the registry's switch: the target is complete; check it and switch.
	var done bool
	if err := scanOne(ctx, m.d, `SELECT to_regnamespace($1) IS NOT NULL`, []any{quoteIdent(m.t.Schema)}, &done); err != nil {
		return err
	}
	if done && !m.t.Frozen() {
		return fault.New(fault.Conflict, "cluster %s already has a schema %s, and the registry says %q lives on %s: "+
			"it is no move's (drop it by hand if it is a leftover)", m.dst.name, m.t.Schema, m.t.Slug, m.src.name)
	}
	if !done {
		if err := m.copyWhileServing(ctx); err != nil {
			m.dropWork(ctx)
			return fmt.Errorf("tenantdb: move %q: copy: %w", m.t.Slug, err)
		}
		m.fault("move:copied")
	}
	frozeAt := time.Now()
	if err := m.freeze(ctx); err != nil {
		m.dropWork(ctx)
		m.thaw(ctx)
		return fmt.Errorf("tenantdb: move %q: freeze: %w", m.t.Slug, err)
	}
	m.fault("move:frozen")
	if !done {
		if err := m.finishCopy(ctx); err != nil {
			m.dropWork(ctx)
			m.thaw(ctx)
			return fmt.Errorf("tenantdb: move %q: %w", m.t.Slug, err)
		}
		m.fault("move:target")
	} else if err := m.checkComplete(ctx); err != nil {
		// Not what the source holds: start over next time (the freeze stays
		// until then; the shop reads).
		return fmt.Errorf("tenantdb: move %q: the target left by an earlier run differs from the source (%w); "+
			"drop schema %s on cluster %s and run the move again", m.t.Slug, err, m.t.Schema, m.dst.name)
	}
	if err := m.switchRegistry(ctx); err != nil {
		return fmt.Errorf("tenantdb: move %q: switch: %w", m.t.Slug, err)
	}
	m.res.Frozen = time.Since(frozeAt)
	m.fault("move:switched")
	return m.retireSource(ctx)
}

// fault lets tests stop a move dead between its steps, as a crash would:
// the fault hook panics, and nothing of the move's own clean-up runs.
func (m *moving) fault(step string) {
	if m.db.faultHook != nil {
		if err := m.db.faultHook(step); err != nil {
			panic(err)
		}
	}
}

// copyWhileServing makes the target schema under work names and fills it
// from one snapshot of the source, then reads it back.
func (m *moving) copyWhileServing(ctx context.Context) error {
	db, s, d := m.db, m.s, m.d
	start := time.Now()
	if err := db.sweepMoves(ctx, d); err != nil {
		return err
	}
	w := workName()
	m.work, m.workRole = movePrefix+w, db.opts.RolePrefix+"_"+movePrefix+w
	// Hold the work schema's lock for the whole move, so that another
	// move's sweep leaves it alone.
	if _, err := d.ExecContext(ctx, `SELECT pg_advisory_lock($1, hashtext($2))`, lockMove, m.work); err != nil {
		return err
	}
	if _, err := s.ExecContext(ctx, `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`); err != nil {
		return err
	}
	defer s.rollback()
	done, err := readApplied(ctx, s, m.t.Schema)
	if err != nil {
		return fmt.Errorf("read the schema's revision: %w", err)
	}
	m.revision = done.newest()
	if m.tables, m.refs, err = tenantTables(ctx, s, m.t.Schema, m.revision == db.tenantSrc.Latest()); err != nil {
		return err
	}
	if err := scanOne(ctx, s, `SELECT (pg_snapshot_xmin(pg_current_snapshot())::text::bigint % 4294967296)::text`, nil, &m.threshold); err != nil {
		return err
	}
	if _, err := d.ExecContext(ctx, `BEGIN`); err != nil {
		return err
	}
	defer d.rollback() // no-op after COMMIT
	if err := db.emptySchema(ctx, d, m.work, m.workRole, m.revision, m.tables); err != nil {
		return err
	}
	if err := execAll(ctx, d, `SET LOCAL ROLE `+quoteIdent(m.workRole)); err != nil {
		return err
	}
	m.copied = map[string]copyState{}
	for _, tab := range m.tables {
		st, err := m.copyTable(ctx, tab)
		if err != nil {
			return err
		}
		m.copied[tab.Name] = st
		m.res.Rows += st.rows
	}
	if _, err := d.ExecContext(ctx, `COMMIT`); err != nil {
		return err
	}
	// Read every table back now, while the shop serves; the frozen phase
	// reads back only what it copies again.
	for _, tab := range m.tables {
		if err := m.checkTarget(ctx, tab, m.copied[tab.Name]); err != nil {
			return err
		}
	}
	m.res.Tables = len(m.tables)
	m.res.Copied = time.Since(start)
	return nil
}

// copyTable streams one table from the source's transaction into the
// target's, COPY TO into COPY FROM, summing the text on the way.
func (m *moving) copyTable(ctx context.Context, tab archive.Table) (copyState, error) {
	pr, pw := io.Pipe()
	h := sha256.New()
	type result struct {
		n   int64
		err error
	}
	out := make(chan result, 1)
	go func() {
		n, err := m.s.copyTo(ctx, io.MultiWriter(pw, h), copyStatement(m.t.Schema, tab, "TO STDOUT"))
		pw.CloseWithError(err)
		out <- result{n, err}
	}()
	n, err := m.d.copyFrom(ctx, pr, copyStatement(m.work, tab, "FROM STDIN"))
	pr.CloseWithError(errors.New("the target stopped reading"))
	r := <-out
	if r.err != nil {
		return copyState{}, fmt.Errorf("table %s: read the source: %w", tab.Name, r.err)
	}
	if err != nil {
		return copyState{}, fmt.Errorf("table %s: write the target: %w", tab.Name, err)
	}
	if n != r.n {
		return copyState{}, fmt.Errorf("table %s: %d rows read, %d written", tab.Name, r.n, n)
	}
	return copyState{rows: n, sum: hex.EncodeToString(h.Sum(nil))}, nil
}

// checkTarget reads a target table back and compares it with what was
// copied into it.
func (m *moving) checkTarget(ctx context.Context, tab archive.Table, want copyState) error {
	h := sha256.New()
	n, err := m.d.copyTo(ctx, h, copyStatement(m.work, tab, "TO STDOUT"))
	if err != nil {
		return fmt.Errorf("table %s: read the target back: %w", tab.Name, err)
	}
	if n != want.rows || hex.EncodeToString(h.Sum(nil)) != want.sum {
		return fmt.Errorf("table %s: the target holds %d rows that differ from the %d copied", tab.Name, n, want.rows)
	}
	return nil
}

// freeze stops the tenant's writes and waits for those running to end.
func (m *moving) freeze(ctx context.Context) error {
	if _, err := m.reg.ExecContext(ctx, `WITH u AS (UPDATE `+quoteIdent(PlatformSchema)+`.vendors
		SET frozen_at = coalesce(frozen_at, now()) WHERE id = $1 RETURNING slug)
		SELECT pg_notify($2, slug) FROM u`, m.t.ID, notifyChannel); err != nil {
		return err
	}
	if m.tables == nil { // a resumed move that found the target complete
		var err error
		if m.tables, m.refs, err = tenantTables(ctx, m.s, m.t.Schema, false); err != nil {
			return err
		}
	}
	names := m.qualified(m.t.Schema, m.tables)
	if err := execAll(ctx, m.s, `REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON `+names+` FROM `+quoteIdent(m.t.Role)); err != nil {
		return err
	}
	// Wait for the writes already running. SHARE conflicts with the ROW
	// EXCLUSIVE lock a write holds to its commit, so a SHARE lock granted on
	// a table means no write that began before the REVOKE is still open on
	// it, and none can begin after (each write statement checks its
	// privileges once it holds its lock, and sees the REVOKE). One table at
	// a time, each lock released at once: taking them all together would
	// deadlock with a write that holds one table and wants the next. Reads
	// (ACCESS SHARE) pass throughout.
	deadline := time.Now().Add(m.o.DrainTimeout)
	for _, tab := range m.tables {
		left := time.Until(deadline).Milliseconds()
		if left < 1 {
			left = 1
		}
		if _, err := m.s.ExecContext(ctx, fmt.Sprintf(`BEGIN; SET LOCAL lock_timeout = %d; LOCK TABLE %s.%s IN SHARE MODE; COMMIT`,
			left, quoteIdent(m.t.Schema), quoteIdent(tab.Name))); err != nil {
			m.s.rollback()
			if sqlState(err) == "55P03" {
				return fault.New(fault.Unavailable, "writes running on %q did not end within %s; the shop writes again, try the move later", m.t.Slug, m.o.DrainTimeout)
			}
			return err
		}
	}
	return nil
}

// thaw gives the tenant its writes back after a failed move.
func (m *moving) thaw(ctx context.Context) {
	ctx = context.WithoutCancel(ctx)
	if m.tables != nil {
		_ = execAll(ctx, m.s, `GRANT SELECT, INSERT, UPDATE, DELETE ON `+m.qualified(m.t.Schema, m.tables)+` TO `+quoteIdent(m.t.Role))
	}
	if _, err := m.reg.ExecContext(ctx, `WITH u AS (UPDATE `+quoteIdent(PlatformSchema)+`.vendors
		SET frozen_at = NULL WHERE id = $1 RETURNING slug) SELECT pg_notify($2, slug) FROM u`, m.t.ID, notifyChannel); err != nil {
		m.db.log.ErrorContext(ctx, "move: unfreezing after a failure failed; run the move again or clear vendors.frozen_at", "tenant", m.t.Slug, "err", err)
	}
}

// finishCopy copies again, frozen, the tables written since the snapshot
// (and those referencing them), checks them, and gives the target the
// tenant's names, in one transaction on the target.
func (m *moving) finishCopy(ctx context.Context) error {
	s, d := m.s, m.d
	if _, err := s.ExecContext(ctx, `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`); err != nil {
		return err
	}
	defer s.rollback()
	changed := map[string]bool{}
	for _, tab := range m.tables {
		var n, newer int64
		if err := scanOne(ctx, s, `SELECT count(*), count(*) FILTER (WHERE age(xmin) <= age($1::xid)) FROM `+
			quoteIdent(m.t.Schema)+`.`+quoteIdent(tab.Name), []any{m.threshold}, &n, &newer); err != nil {
			return err
		}
		if newer > 0 || n != m.copied[tab.Name].rows {
			changed[tab.Name] = true
		}
	}
	// A table referencing one that is emptied must be emptied with it.
	for grew := true; grew; {
		grew = false
		for from, tos := range m.refs {
			if changed[from] {
				continue
			}
			for _, to := range tos {
				if changed[to] {
					changed[from], grew = true, true
					break
				}
			}
		}
	}
	if _, err := d.ExecContext(ctx, `BEGIN`); err != nil {
		return err
	}
	defer d.rollback()
	var redo []archive.Table
	for _, tab := range m.tables {
		if changed[tab.Name] {
			redo = append(redo, tab)
			m.res.Recopied = append(m.res.Recopied, tab.Name)
		}
	}
	if len(redo) > 0 {
		if err := execAll(ctx, d, `TRUNCATE `+m.qualified(m.work, redo), `SET LOCAL ROLE `+quoteIdent(m.workRole)); err != nil {
			return err
		}
		for _, tab := range redo {
			st, err := m.copyTable(ctx, tab)
			if err != nil {
				return err
			}
			m.res.Rows += st.rows - m.copied[tab.Name].rows
			m.copied[tab.Name] = st
			if err := m.checkTarget(ctx, tab, st); err != nil {
				return err
			}
		}
		// TRUNCATE reports nothing: count the products again.
		if err := execAll(ctx, d, `RESET ROLE`); err != nil {
			return err
		}
		if _, err := d.ExecContext(ctx, `INSERT INTO `+quoteIdent(ReportsSchema)+`.vendor_figures AS f (db_role, products, updated_at)
			SELECT $1, count(*), now() FROM `+quoteIdent(m.work)+`.products
			ON CONFLICT (db_role) DO UPDATE SET products = EXCLUDED.products, updated_at = EXCLUDED.updated_at`, m.workRole); err != nil {
			return err
		}
	}
	rs := &restoring{db: m.db, c: d, schema: m.work}
	if err := rs.sequences(ctx); err != nil {
		return err
	}
	if err := execAll(ctx, d,
		`ALTER SCHEMA `+quoteIdent(m.work)+` RENAME TO `+quoteIdent(m.t.Schema),
		`ALTER ROLE `+quoteIdent(m.workRole)+` RENAME TO `+quoteIdent(m.t.Role)); err != nil {
		return err
	}
	// What this cluster holds under the tenant's role name is older than the
	// data just copied (kept from when it lived here, or forwarded): the
	// copy's summaries replace it.
	if err := deleteSummaries(ctx, d, m.t.Role); err != nil {
		return err
	}
	if err := renameReports(ctx, d, m.workRole, m.t.Role); err != nil {
		return err
	}
	if _, err := d.ExecContext(ctx, `COMMIT`); err != nil {
		return err
	}
	m.work = ""
	return nil
}

// checkComplete compares a target left complete by an earlier run with the
// (frozen) source, table by table.
func (m *moving) checkComplete(ctx context.Context) error {
	for _, tab := range m.tables {
		a, b := sha256.New(), sha256.New()
		na, err := m.s.copyTo(ctx, a, copyStatement(m.t.Schema, tab, "TO STDOUT"))
		if err != nil {
			return err
		}
		nb, err := m.d.copyTo(ctx, b, copyStatement(m.t.Schema, tab, "TO STDOUT"))
		if err != nil {
			return err
		}
		if na != nb || !sameSum(a, b) {
			return fmt.Errorf("table %s differs", tab.Name)
		}
	}
	return nil
}

func sameSum(a, b hash.Hash) bool { return string(a.Sum(nil)) == string(b.Sum(nil)) }

// switchRegistry points the registry at the target and ends the freeze, in
// one commit.
func (m *moving) switchRegistry(ctx context.Context) error {
	_, err := m.reg.ExecContext(ctx, `WITH u AS (UPDATE `+quoteIdent(PlatformSchema)+`.vendors
		SET cluster = $1, frozen_at = NULL, updated_at = now() WHERE id = $2 RETURNING slug)
		SELECT pg_notify($3, slug) FROM u`, m.dst.name, m.t.ID, notifyChannel)
	return err
}

// retireSource drops the source schema, or keeps it renamed, after the
// grace period.
func (m *moving) retireSource(ctx context.Context) error {
	select {
	case <-time.After(m.o.Grace):
	case <-ctx.Done():
		return fmt.Errorf("tenantdb: move %q: switched to %s; interrupted before its source on %s was dropped (run the move again to drop it): %w",
			m.t.Slug, m.dst.name, m.src.name, ctx.Err())
	}
	return m.db.retire(ctx, m.s, m.src, m.t, m.o.KeepSource, m.res)
}

// retire drops (or, keep, renames) t's schema on cluster c through x.
func (db *DB) retire(ctx context.Context, x *dbaConn, c *cluster, t *Tenant, keep bool, res *MoveResult) error {
	if c.name != DefaultCluster {
		// Mails the shop handed off there just before the freeze.
		if _, err := db.forwardFrom(ctx, c); err != nil {
			return err
		}
	}
	if _, err := x.ExecContext(ctx, `BEGIN`); err != nil {
		return err
	}
	defer x.rollback()
	if keep {
		w := workName()
		kept, keptRole := movedPrefix+w, db.opts.RolePrefix+"_"+movedPrefix+w
		if err := execAll(ctx, x, `ALTER SCHEMA `+quoteIdent(t.Schema)+` RENAME TO `+quoteIdent(kept),
			`ALTER ROLE `+quoteIdent(t.Role)+` RENAME TO `+quoteIdent(keptRole)); err != nil {
			return err
		}
		res.KeptSource = c.name + ":" + kept
	} else if err := dropSchemaAndRole(ctx, x, t.Schema, t.Role); err != nil {
		return err
	}
	// The reports rows are the role name's, which the tenant keeps: on the
	// main cluster they are the platform's view of it (the new cluster's
	// are forwarded over them), and its pending mails are sent from there;
	// on another cluster they were forwarded (just now, for the mails) and
	// go.
	if c.name != DefaultCluster {
		if err := deleteReports(ctx, x, t.Role); err != nil {
			return err
		}
	}
	_, err := x.ExecContext(ctx, `COMMIT`)
	return err
}

// dropLeftSources finishes a move that crashed after its switch: a schema
// of t's name on any other cluster is its old source.
func (db *DB) dropLeftSources(ctx context.Context, t *Tenant, keep bool, res *MoveResult) error {
	for _, name := range db.Clusters() {
		if name == t.Cluster {
			continue
		}
		c := db.clusters[name]
		x, err := db.openDBA(ctx, c.url, "move")
		if err != nil {
			return err
		}
		var left bool
		err = scanOne(ctx, x, `SELECT to_regnamespace($1) IS NOT NULL`, []any{quoteIdent(t.Schema)}, &left)
		if err == nil && left {
			db.log.WarnContext(ctx, "move: retiring the source an earlier run left", "tenant", t.Slug, "cluster", name)
			err = db.retire(ctx, x, c, t, keep, res)
			if !keep {
				res.KeptSource = "dropped " + name + ":" + t.Schema
			}
		}
		x.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// dropWork drops the target's work schema after a failure.
func (m *moving) dropWork(ctx context.Context) {
	if m.work == "" {
		return
	}
	ctx = context.WithoutCancel(ctx)
	m.d.rollback()
	if _, err := m.d.ExecContext(ctx, `BEGIN`); err == nil {
		if err := dropTenantObjects(ctx, m.d, m.work, m.workRole); err == nil {
			_, _ = m.d.ExecContext(ctx, `COMMIT`)
			return
		}
		m.d.rollback()
	}
	m.db.log.WarnContext(ctx, "move: could not drop its work schema; the next move to that cluster does", "schema", m.work)
}

// sweepMoves drops the work schemas of moves that crashed (those whose
// session lock nobody holds), on the target, each in its own transaction.
func (db *DB) sweepMoves(ctx context.Context, d *dbaConn) error {
	rows, err := d.QueryContext(ctx, `SELECT nspname FROM pg_catalog.pg_namespace WHERE starts_with(nspname, $1)`, movePrefix)
	if err != nil {
		return err
	}
	var names []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return err
		}
		names = append(names, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, name := range names {
		if _, err := d.ExecContext(ctx, `BEGIN`); err != nil {
			return err
		}
		var free bool
		if err := scanOne(ctx, d, `SELECT pg_try_advisory_xact_lock($1, hashtext($2))`, []any{lockMove, name}, &free); err != nil || !free {
			d.rollback()
			if err != nil {
				return err
			}
			continue
		}
		if err := dropTenantObjects(ctx, d, name, db.opts.RolePrefix+"_"+name); err != nil {
			d.rollback()
			return fmt.Errorf("drop the work schema %s of a crashed move: %w", name, err)
		}
		if _, err := d.ExecContext(ctx, `COMMIT`); err != nil {
			return err
		}
	}
	return nil
}

// qualified lists tables schema-qualified, for one statement.
func (m *moving) qualified(schema string, tables []archive.Table) string {
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = quoteIdent(schema) + "." + quoteIdent(t.Name)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}
