package tenantdb

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql/driver"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/bazaar/bazaar/ent/platform"
	"github.com/bazaar/bazaar/ent/platform/membership"
	"github.com/bazaar/bazaar/ent/platform/user"
	"github.com/bazaar/bazaar/ent/platform/vendor"
	"github.com/bazaar/bazaar/ent/platform/vendordomain"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/tenantdb/archive"
)

// RestoreOptions say where a backup goes.
type RestoreOptions struct {
	// As restores the backup as a new, independent vendor with this slug
	// (its own schema and role; no custom domains; its team only with
	// WithMembers). Empty: the backup's own slug.
	As          string
	WithMembers bool
	// Force restores over an existing vendor of that slug: its data, its
	// settings and its team become the backup's, in one switch.
	Force bool
	// Cluster names the cluster of a new vendor's schema ("": placement as
	// for a new vendor). A vendor restored over stays where it is.
	Cluster string
}

// RestoreResult says what a restore did.
type RestoreResult struct {
	Tenant   *Tenant
	Header   archive.Header
	Manifest *archive.Manifest
	// Replaced is true when an existing vendor's data was replaced (Force).
	Replaced bool
	// Migrated counts the migrations applied after the data, when the
	// backup was older than this binary.
	Migrated int
	// Members restored; the e-mails of members without an account on this
	// platform (their memberships could not be restored); custom domains
	// not restored because another vendor has them.
	Members        int
	MissingMembers []string
	TakenDomains   []string
	// PaymentsCleared is true when the shop's payment keys could not come
	// along (sealed to another vendor id) and were cleared.
	PaymentsCleared bool
}

// Restore reads a backup and makes its vendor live, in one transaction on
// a connection of its own: a failure anywhere — a damaged file, a
// checksum, a crash — leaves the database as it was.
//
// The schema is made at the backup's revision (a spare schema when that is
// this binary's newest; otherwise by the migrations up to it), filled by
// COPY as the tenant role (so its triggers report the rows to
// tenant_reports as they would any others), read back and checked against
// the manifest's counts and checksums, its sequences set past the restored
// ids, and migrated forward. Then the registry: a new vendor's row, or —
// with Force — the existing schema and role are renamed away and the new
// ones take their names in the same transaction, so a request sees either
// the old shop or the restored one. The old schema is dropped after the
// commit.
//
// A backup from a newer binary (a revision this one does not know) is
// refused before anything is done.
func (db *DB) Restore(ctx context.Context, src io.Reader, o RestoreOptions, also ...Also) (*RestoreResult, error) {
	r, err := archive.NewReader(src)
	if err != nil {
		return nil, fileError(err)
	}
	defer r.Close()
	h := r.Header()
	if err := db.restorable(h); err != nil {
		return nil, err
	}
	slug := h.Slug
	if o.As != "" {
		slug = o.As
	}
	if err := ValidateSlug(slug); err != nil {
		return nil, err
	}
	existing, err := db.TenantBySlug(ctx, slug)
	switch {
	case err == nil && !o.Force:
		return nil, fault.New(fault.Conflict, "vendor %q exists: restore over it with --force (its data, settings and team become the backup's), or as a copy with --as NEW_SLUG", slug)
	case err != nil && !errors.Is(err, fault.ErrNotFound):
		return nil, err
	case err != nil:
		existing = nil
	}
	var cl *cluster
	if existing != nil {
		if cl, err = db.clusterOf(existing); err != nil {
			return nil, err
		}
		if o.Cluster != "" && o.Cluster != cl.name {
			return nil, fault.New(fault.Invalid, "vendor %q lives on cluster %s: restore it there, then move it (bazaar tenant move)", slug, cl.name)
		}
	} else if cl, err = db.placement(ctx, o.Cluster); err != nil {
		return nil, err
	}
	reg, err := db.openDBA(ctx, db.sessionURL(), "restore")
	if err != nil {
		return nil, err
	}
	defer reg.Close()
	c := reg
	if cl.name != DefaultCluster {
		if c, err = db.openDBA(ctx, cl.url, "restore"); err != nil {
			return nil, err
		}
		defer c.Close()
	}
	res := &RestoreResult{Header: h}
	rs := &restoring{db: db, c: c, reg: reg, cl: cl, r: r, h: h, o: o, slug: slug, existing: existing, res: res}
	trash, err := rs.run(ctx, also)
	if err != nil {
		return nil, err
	}
	if trash != "" {
		// Committed: the old schema is unreachable by name. Dropping it in the
		// restore's transaction would have made requests still running on it
		// fail; a failure here leaves it for the next restore's sweep.
		if err := db.dropTrash(ctx, c, trash); err != nil {
			db.log.WarnContext(ctx, "restore: dropping the replaced schema failed; the next restore retries", "schema", trash, "err", err)
		}
	}
	if res.Tenant, err = db.TenantBySlug(ctx, slug); err != nil {
		return nil, err
	}
	db.log.InfoContext(ctx, "tenant restored", "tenant", slug, "from", h.Slug, "revision", h.Revision, "replaced", res.Replaced, "rows", res.Manifest.Rows())
	return res, nil
}

// restorable refuses a backup this binary cannot restore.
func (db *DB) restorable(h archive.Header) error {
	latest := db.tenantSrc.Latest()
	switch {
	case h.Revision > latest:
		return fault.New(fault.Invalid, "the backup is from a newer Bazaar: its schema is at migration %s, this binary knows up to %s; restore it with a newer bazaar", h.Revision, latest)
	case !db.tenantSrc.Has(h.Revision):
		return fault.New(fault.Invalid, "the backup's schema is at migration %s, which this binary does not have", h.Revision)
	case len(h.Tables) == 0:
		return fault.New(fault.Invalid, "the backup lists no tables")
	}
	return nil
}

// restoring is one restore's transaction, step by step.
type restoring struct {
	db       *DB
	c        *dbaConn // on the tenant's cluster: the schema's transaction
	reg      *dbaConn // on the main cluster: the registry's (c itself when the tenant is there)
	cl       *cluster
	r        *archive.Reader
	h        archive.Header
	o        RestoreOptions
	slug     string
	existing *Tenant // the vendor replaced (Force), or nil
	res      *RestoreResult

	schema, role string // where the data goes (final names, or work names when replacing)
}

// run does the whole restore in one transaction and returns the schema to
// drop after the commit ("" when none).
func (rs *restoring) run(ctx context.Context, also []Also) (trash string, err error) {
	c, reg := rs.c, rs.reg
	split := c != reg
	if _, err := reg.ExecContext(ctx, `BEGIN`); err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			reg.rollback()
		}
	}()
	if split {
		if _, err := c.ExecContext(ctx, `BEGIN`); err != nil {
			return "", err
		}
		defer func() {
			if err != nil {
				c.rollback()
			}
		}()
	}
	if _, err := reg.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, lockProvision, rs.slug); err != nil {
		return "", err
	}
	if rs.existing != nil {
		// The replaced tenant's migrations wait for the restore, and the
		// restore for them.
		if _, err := c.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, lockMigrate, rs.existing.ID); err != nil {
			return "", err
		}
	} else if split {
		// A restore or provisioning that crashed between its two commits
		// may have left this slug's schema there, named by no registry row.
		p := &provisioning{db: rs.db, x: c, c: rs.cl, schema: SchemaName(rs.slug), role: RoleName(rs.db.opts.RolePrefix, rs.slug)}
		if err := p.dropOrphan(ctx); err != nil {
			return "", err
		}
	}
	if err := rs.db.sweepTrash(ctx, c); err != nil {
		return "", err
	}
	steps := []struct {
		name string
		run  func(context.Context) error
	}{
		{"schema", rs.makeSchema},
		{"data", rs.copyIn},
		{"verify", rs.verify},
		{"sequences", rs.sequences},
		{"migrate", rs.migrate},
		{"registry", func(ctx context.Context) error { return rs.register(ctx, also) }},
	}
	for _, s := range steps {
		if err := s.run(ctx); err != nil {
			return "", restoreError(rs.slug, s.name, err)
		}
		if rs.db.faultHook != nil {
			if err := rs.db.faultHook("restore:" + s.name); err != nil {
				return "", err
			}
		}
	}
	if rs.existing != nil {
		if trash, err = rs.swap(ctx); err != nil {
			return "", restoreError(rs.slug, "swap", err)
		}
	}
	// The schema's cluster commits first: a crash before the registry's
	// commit leaves a schema that no registry row names (dropped by the next
	// restore or provisioning of the slug), never a registry row naming a
	// schema that is not there.
	if split {
		if _, err := c.ExecContext(ctx, `COMMIT`); err != nil {
			return "", restoreError(rs.slug, "commit on cluster "+rs.cl.name, err)
		}
	}
	if _, err := reg.ExecContext(ctx, `COMMIT`); err != nil {
		return "", restoreError(rs.slug, "commit", err)
	}
	return trash, nil
}

func restoreError(slug, step string, err error) error {
	if _, ok := fault.As(err); ok {
		return err
	}
	var ae *archive.Error
	if errors.As(err, &ae) {
		return fileError(ae)
	}
	return provisionError(slug, "restore: "+step, err)
}

// fileError is a problem of the backup file, as the error the operator sees:
// its message says it all (which table, what is wrong).
func fileError(err error) error {
	var ae *archive.Error
	if !errors.As(err, &ae) {
		return err // reading the file failed (a disk error): not the file's content
	}
	return &fault.Error{Kind: fault.Invalid, Message: ae.Error()}
}

// makeSchema makes an empty schema at the backup's revision: a spare when
// the revision is this binary's newest, else by running the migrations up
// to it. When replacing a vendor it gets work names, swapped in at the end.
func (rs *restoring) makeSchema(ctx context.Context) error {
	db := rs.db
	if rs.existing != nil {
		w := workName()
		rs.schema, rs.role = restorePrefix+w, db.opts.RolePrefix+"_"+restorePrefix+w
	} else {
		rs.schema, rs.role = SchemaName(rs.slug), RoleName(db.opts.RolePrefix, rs.slug)
	}
	return db.emptySchema(ctx, rs.c, rs.schema, rs.role, rs.h.Revision, rs.h.Tables)
}

// emptySchema makes, in x's transaction, a tenant schema and role at
// revision with no rows: a spare renamed when revision is this binary's
// newest, else made by the migrations up to it, then emptied of the rows
// the migrations seed (the system roles, the order counter, the shipping
// methods). It checks that the schema has exactly the tables and columns
// of want: the same revision made both, so anything else is a damaged
// header or a hand-altered source schema. The search_path is left on it.
func (db *DB) emptySchema(ctx context.Context, x execQuerier, schema, role, revision string, want []archive.Table) error {
	qs, qr := quoteIdent(schema), quoteIdent(role)
	current := revision == db.tenantSrc.Latest()
	claimed := false
	if current {
		var err error
		if claimed, err = db.claimSpare(ctx, x, schema, role); err != nil {
			return err
		}
	}
	if claimed {
		if err := execAll(ctx, x, `SET LOCAL search_path TO `+qs); err != nil {
			return err
		}
	} else {
		stmts := append(schemaStatements(qs), roleStatements(qr)...)
		if err := execAll(ctx, x, append(stmts, grantStatements(qs, qr)...)...); err != nil {
			return err
		}
		if _, err := db.tenantSrc.applyThrough(ctx, x, revision); err != nil {
			return err
		}
	}
	tables, _, err := tenantTables(ctx, x, schema, current)
	if err != nil {
		return err
	}
	if err := sameTables(want, tables); err != nil {
		return err
	}
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = qs + "." + quoteIdent(t.Name)
	}
	return execAll(ctx, x, `TRUNCATE `+strings.Join(names, ", "))
}

// sameTables compares the backup's tables with the schema's, by name and
// columns.
func sameTables(backup, schema []archive.Table) error {
	byName := map[string]archive.Table{}
	for _, t := range schema {
		byName[t.Name] = t
	}
	for _, t := range backup {
		s, ok := byName[t.Name]
		switch {
		case !ok:
			return fault.New(fault.Invalid, "the backup has table %s, which a schema at its revision does not", t.Name)
		case !slices.Equal(s.Columns, t.Columns):
			return fault.New(fault.Invalid, "the backup's table %s has columns (%s); at its revision it has (%s)",
				t.Name, strings.Join(t.Columns, ", "), strings.Join(s.Columns, ", "))
		}
		delete(byName, t.Name)
	}
	for name := range byName {
		return fault.New(fault.Invalid, "the backup lacks table %s of its revision", name)
	}
	return nil
}

// copyIn fills the tables from the file, as the tenant role, and reads the
// manifest, which checks every table's rows and SHA-256 as read.
func (rs *restoring) copyIn(ctx context.Context) error {
	if err := execAll(ctx, rs.c, `SET LOCAL ROLE `+quoteIdent(rs.role)); err != nil {
		return err
	}
	for {
		t, err := rs.r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		in := &readErr{r: t}
		if _, err := rs.c.copyFrom(ctx, in, copyStatement(rs.schema, t.Table, "FROM STDIN")); err != nil {
			// A problem of the file reaches the server as the COPY's failure
			// message; report it as it was.
			if in.err != nil {
				return in.err
			}
			// Rows PostgreSQL refuses are a damaged file, or data this
			// revision cannot hold: read on to the manifest to tell which.
			if err := rs.r.Finish(); err != nil {
				return err
			}
			if s := sqlState(err); strings.HasPrefix(s, "22") || strings.HasPrefix(s, "23") {
				return fault.Wrap(err, fault.Invalid, "table %s: the backup's rows do not load (%s)", t.Name, pgMessage(err))
			}
			return fmt.Errorf("table %s: %w", t.Name, err)
		}
	}
	rs.res.Manifest = rs.r.Manifest()
	return nil
}

// pgMessage is the server's message of a PostgreSQL error in err's chain.
func pgMessage(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Message
	}
	return err.Error()
}

// readErr remembers the error its reader returned, other than io.EOF.
type readErr struct {
	r   io.Reader
	err error
}

func (e *readErr) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		e.err = err
	}
	return n, err
}

// verify reads every restored table back and compares it with the
// manifest: the rows PostgreSQL now holds are the rows that were backed up.
func (rs *restoring) verify(ctx context.Context) error {
	for _, t := range rs.h.Tables {
		want, _ := rs.res.Manifest.Table(t.Name)
		h := sha256.New()
		n, err := rs.c.copyTo(ctx, h, copyStatement(rs.schema, t, "TO STDOUT"))
		if err != nil {
			return fmt.Errorf("table %s: read back: %w", t.Name, err)
		}
		if n != want.Rows || hex.EncodeToString(h.Sum(nil)) != want.SHA256 {
			return fault.New(fault.Invalid, "table %s: the restored rows differ from the backup's (%d rows, %d in the manifest)", t.Name, n, want.Rows)
		}
	}
	return execAll(ctx, rs.c, `RESET ROLE`)
}

// sequences moves every identity sequence past the largest restored id, so
// the next row gets a new one.
func (rs *restoring) sequences(ctx context.Context) error {
	rows, err := rs.c.QueryContext(ctx, `SELECT c.relname, a.attname FROM pg_catalog.pg_attribute a
		JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
		WHERE c.relnamespace = to_regnamespace($1) AND c.relkind = 'r' AND a.attidentity <> '' AND NOT a.attisdropped`, quoteIdent(rs.schema))
	if err != nil {
		return err
	}
	type col struct{ table, column string }
	var cols []col
	for rows.Next() {
		var x col
		if err := rows.Scan(&x.table, &x.column); err != nil {
			rows.Close()
			return err
		}
		cols = append(cols, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, x := range cols {
		table := quoteIdent(rs.schema) + "." + quoteIdent(x.table)
		if _, err := rs.c.ExecContext(ctx, `SELECT pg_catalog.setval(pg_catalog.pg_get_serial_sequence($1, $2), coalesce(max(`+quoteIdent(x.column)+`), 0) + 1, false) FROM `+table,
			table, x.column); err != nil {
			return fmt.Errorf("sequence of %s.%s: %w", x.table, x.column, err)
		}
	}
	return nil
}

// migrate applies the migrations newer than the backup.
func (rs *restoring) migrate(ctx context.Context) error {
	n, err := rs.db.tenantSrc.apply(ctx, rs.c)
	rs.res.Migrated = n
	return err
}

// platformTx is an ent platform transaction over the restore's connection,
// whose explicit transaction it joins (its Commit and Rollback are the
// restore's, not ent's).
func (rs *restoring) platformTx(ctx context.Context) (*platform.Tx, error) {
	tx := &entsql.Tx{Conn: entsql.Conn{ExecQuerier: rs.reg}, Tx: joined{}}
	return platform.NewClient(platform.Driver(begun{rs.db.drv, tx}), platform.AlternateSchema(PlatformSchemaConfig())).BeginTx(ctx, nil)
}

// joined is the driver.Tx of a transaction someone else ends.
type joined struct{}

func (joined) Commit() error { return errors.New("tenantdb: the restore commits this transaction") }
func (joined) Rollback() error {
	return errors.New("tenantdb: the restore rolls this transaction back")
}

var _ driver.Tx = joined{}

// register writes the platform rows: a new vendor's registry row, custom
// domains and team, or the replaced vendor's settings and team.
func (rs *restoring) register(ctx context.Context, also []Also) error {
	tx, err := rs.platformTx(ctx)
	if err != nil {
		return err
	}
	p := rs.r.Platform()
	var saved platform.Vendor
	if err := json.Unmarshal(p.Vendor, &saved); err != nil {
		return fault.New(fault.Invalid, "the backup's registry row is unreadable: %v", err)
	}
	var before, after *platform.Vendor
	if rs.existing != nil {
		if before, err = tx.Vendor.Get(ctx, rs.existing.ID); err != nil {
			return err
		}
		// Its data is replaced; its status (an operator may have suspended it
		// for the restore) and its domains (verified in DNS now) stay.
		after, err = settings(before.Update(), &saved).
			SetSchemaVersion(rs.db.tenantSrc.Latest()).SetMigrationError("").
			AddPolicyVersion(1). // the team changes: cached permissions go
			Save(ctx)
		if err != nil {
			return err
		}
		if _, err := tx.Membership.Delete().Where(membership.VendorID(after.ID)).Exec(ctx); err != nil {
			return err
		}
	} else {
		create := tx.Vendor.Create().
			SetSlug(rs.slug).SetName(saved.Name).SetBusinessEmail(saved.BusinessEmail).
			SetBusinessPhone(saved.BusinessPhone).SetBusinessAddress(saved.BusinessAddress).
			SetBusinessCity(saved.BusinessCity).SetBusinessPostalCode(saved.BusinessPostalCode).
			SetBusinessCountry(saved.BusinessCountry).SetDefaultLanguage(saved.DefaultLanguage).
			SetBankAccountHolder(saved.BankAccountHolder).SetBankIban(saved.BankIban).SetBankBic(saved.BankBic).
			SetEnabledLanguages(saved.EnabledLanguages).SetCurrency(saved.Currency).
			SetThemeConfig(saved.ThemeConfig).
			SetStatus(saved.Status).SetSuspendedReason(saved.SuspendedReason).SetNillableStatusChangedAt(saved.StatusChangedAt).
			SetNillableNextImportAt(saved.NextImportAt).
			SetDbSchema(rs.schema).SetDbRole(rs.role).SetCluster(rs.cl.name).SetSchemaVersion(rs.db.tenantSrc.Latest())
		if rs.o.As == "" {
			create.SetCreatedAt(saved.CreatedAt)
		}
		if after, err = create.Save(ctx); err != nil {
			return err
		}
		if rs.o.As == "" && rs.h.VendorID > 0 {
			// The vendor comes back under its old id when no other vendor has
			// it: ids travel in audit records and bind its sealed payment
			// keys. (The id sequence is past it: the id was handed out once.)
			taken, err := tx.Vendor.Query().Where(vendor.ID(rs.h.VendorID)).Exist(ctx)
			if err != nil {
				return err
			}
			if !taken {
				if _, err := tx.ExecContext(ctx, `UPDATE `+quoteIdent(PlatformSchema)+`.vendors SET id = $1 WHERE id = $2`, rs.h.VendorID, after.ID); err != nil {
					return err
				}
				if after, err = tx.Vendor.Get(ctx, rs.h.VendorID); err != nil {
					return err
				}
			}
		}
		if rs.o.As == "" {
			if err := rs.domains(ctx, tx, after.ID, p.Domains); err != nil {
				return err
			}
		}
	}
	if after.ID != rs.h.VendorID {
		if err := rs.unsealable(ctx); err != nil {
			return err
		}
	}
	if rs.o.As == "" || rs.o.WithMembers {
		if err := rs.members(ctx, tx, after.ID, p.Memberships); err != nil {
			return err
		}
	}
	if err := NotifyChanged(ctx, rs.reg, rs.slug); err != nil {
		return err
	}
	return runAlso(ctx, tx, also, before, after)
}

// unsealable switches off the restored shop's card payments and clears
// their keys: they were sealed to the backup's vendor id (internal/payment
// binds each sealed secret to its vendor), which this vendor does not have,
// so they would not open — and a copy should not take the original's
// payment account anyway.
func (rs *restoring) unsealable(ctx context.Context) error {
	r, err := rs.c.ExecContext(ctx, `UPDATE `+quoteIdent(rs.schema)+`.payment_accounts
		SET enabled = false, secret_key_sealed = NULL, webhook_secret_sealed = NULL, secret_key_hint = '', updated_at = now()
		WHERE secret_key_sealed IS NOT NULL OR webhook_secret_sealed IS NOT NULL`)
	if err != nil {
		return err
	}
	n, _ := r.RowsAffected()
	rs.res.PaymentsCleared = n > 0
	return nil
}

// settings copies a vendor's settings from the backup onto an update.
func settings(u *platform.VendorUpdateOne, v *platform.Vendor) *platform.VendorUpdateOne {
	return u.SetName(v.Name).SetBusinessEmail(v.BusinessEmail).SetBusinessPhone(v.BusinessPhone).
		SetBusinessAddress(v.BusinessAddress).SetBusinessCity(v.BusinessCity).SetBusinessPostalCode(v.BusinessPostalCode).
		SetBusinessCountry(v.BusinessCountry).SetDefaultLanguage(v.DefaultLanguage).SetEnabledLanguages(v.EnabledLanguages).
		SetBankAccountHolder(v.BankAccountHolder).SetBankIban(v.BankIban).SetBankBic(v.BankBic).
		SetCurrency(v.Currency).SetThemeConfig(v.ThemeConfig).ClearNextImportAt().SetNillableNextImportAt(v.NextImportAt)
}

// domains restores the custom domains no other vendor has taken meanwhile.
func (rs *restoring) domains(ctx context.Context, tx *platform.Tx, vendorID int, saved []json.RawMessage) error {
	for _, raw := range saved {
		var d platform.VendorDomain
		if err := json.Unmarshal(raw, &d); err != nil {
			return fault.New(fault.Invalid, "a custom domain in the backup is unreadable: %v", err)
		}
		taken, err := tx.VendorDomain.Query().Where(vendordomain.Host(d.Host)).Exist(ctx)
		if err != nil {
			return err
		}
		if taken {
			rs.res.TakenDomains = append(rs.res.TakenDomains, d.Host)
			continue
		}
		if err := tx.VendorDomain.Create().SetVendorID(vendorID).SetHost(d.Host).SetVerificationToken(d.VerificationToken).
			SetNillableVerifiedAt(d.VerifiedAt).SetCreatedAt(d.CreatedAt).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// members restores the team: each membership whose user has an account
// here (found by e-mail), with its role (an id in the restored schema).
func (rs *restoring) members(ctx context.Context, tx *platform.Tx, vendorID int, saved []archive.Member) error {
	for _, m := range saved {
		var ms platform.Membership
		if err := json.Unmarshal(m.Membership, &ms); err != nil {
			return fault.New(fault.Invalid, "a membership in the backup is unreadable: %v", err)
		}
		u, err := tx.User.Query().Where(user.Email(m.Email)).Only(ctx)
		if platform.IsNotFound(err) {
			rs.res.MissingMembers = append(rs.res.MissingMembers, m.Email)
			continue
		}
		if err != nil {
			return err
		}
		if err := tx.Membership.Create().SetUserID(u.ID).SetVendorID(vendorID).SetRoleID(ms.RoleID).
			SetActive(ms.Active).SetCreatedAt(ms.CreatedAt).Exec(ctx); err != nil {
			return err
		}
		rs.res.Members++
	}
	return nil
}

// swap puts the restored schema and role in the place of the replaced
// vendor's, in the restore's transaction, and returns the name the old
// schema now has. Names, not objects, are what a request binds to: once
// this commits, every new transaction of the vendor reaches the restored
// schema; one already running finishes on the old.
func (rs *restoring) swap(ctx context.Context) (string, error) {
	old := rs.existing
	w := workName()
	trash, trashRole := trashPrefix+w, rs.db.opts.RolePrefix+"_"+trashPrefix+w
	if err := execAll(ctx, rs.c,
		`ALTER SCHEMA `+quoteIdent(old.Schema)+` RENAME TO `+quoteIdent(trash),
		`ALTER ROLE `+quoteIdent(old.Role)+` RENAME TO `+quoteIdent(trashRole),
		`ALTER SCHEMA `+quoteIdent(rs.schema)+` RENAME TO `+quoteIdent(old.Schema),
		`ALTER ROLE `+quoteIdent(rs.role)+` RENAME TO `+quoteIdent(old.Role),
	); err != nil {
		return "", err
	}
	// The reports are keyed by role name: the old shop's summaries go (its
	// pending mails stay to be sent), the restored shop's take the name.
	if err := deleteSummaries(ctx, rs.c, old.Role); err != nil {
		return "", err
	}
	if err := renameReports(ctx, rs.c, rs.role, old.Role); err != nil {
		return "", err
	}
	_, err := rs.reg.ExecContext(ctx, `UPDATE `+quoteIdent(PlatformSchema)+`.vendors SET db_schema = $1, db_role = $2 WHERE id = $3`,
		old.Schema, old.Role, old.ID)
	rs.res.Replaced = true
	return trash, err
}

// Work and trash names: a restore over an existing vendor fills a schema
// named restore_<hex> and renames the replaced one to trash_<hex>, each
// with a role of the same name under the role prefix. A slug never starts
// with an underscore, so neither collides with a vendor's; neither starts
// with spare_, so the spare pool never takes them.
const (
	restorePrefix = "restore_"
	trashPrefix   = "trash_"
)

func workName() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// dropTrash drops a replaced schema and its role.
func (db *DB) dropTrash(ctx context.Context, c *dbaConn, schema string) error {
	if !strings.HasPrefix(schema, trashPrefix) {
		return fmt.Errorf("tenantdb: %s is not a replaced schema", schema)
	}
	role := quoteIdent(db.opts.RolePrefix + "_" + schema)
	if _, err := c.ExecContext(ctx, `BEGIN`); err != nil {
		return err
	}
	if err := execAll(ctx, c, `DROP SCHEMA IF EXISTS `+quoteIdent(schema)+` CASCADE`,
		`SET LOCAL ROLE `+role, `DROP OWNED BY `+role, `RESET ROLE`, `DROP ROLE `+role); err != nil {
		c.rollback()
		return err
	}
	_, err := c.ExecContext(ctx, `COMMIT`)
	return err
}

// sweepTrash drops, inside the caller's transaction, the replaced schemas a
// restore could not drop after its commit (it crashed, or the drop failed).
func (db *DB) sweepTrash(ctx context.Context, c *dbaConn) error {
	rows, err := c.QueryContext(ctx, `SELECT n.nspname FROM pg_catalog.pg_namespace n
		WHERE starts_with(n.nspname, $1) AND EXISTS (SELECT FROM pg_catalog.pg_roles r WHERE r.rolname = $2 || n.nspname)`,
		trashPrefix, db.opts.RolePrefix+"_")
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
	for _, s := range names {
		role := quoteIdent(db.opts.RolePrefix + "_" + s)
		if err := execAll(ctx, c, `DROP SCHEMA `+quoteIdent(s)+` CASCADE`,
			`SET LOCAL ROLE `+role, `DROP OWNED BY `+role, `RESET ROLE`, `DROP ROLE `+role); err != nil {
			return fmt.Errorf("drop the replaced schema %s: %w", s, err)
		}
	}
	return nil
}
