package marketplace

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/lib/pq"

	"github.com/bazaar/bazaar/internal/letzshop"
	"github.com/bazaar/bazaar/tenantdb"
)

// fileCounts are one language file's counts.
type fileCounts struct {
	Rows, Created, Merged, Updated, Unchanged, Failed, Missing int
}

// stager merges one language file into the staged products, a batch at a
// time, in the tenant transaction bound to its context. Its reports (changes,
// row errors, disagreements) go through report: into the same transaction for
// an import, into short transactions of their own for a dry run (whose
// staging is rolled back at the end).
type stager struct {
	s       *Service
	jobID   int
	lang    string
	order   []string        // the job's languages, primary first
	current map[string]bool // languages whose staged items are this job's (for disagreements)
	report  func(fn func(ctx context.Context) error) error
	// progress is called after every batch with the rows and bytes done; an
	// error (cancellation) stops the file.
	progress func(rows int, bytes int64) error

	idColumn   int
	counts     fileCounts
	errorsKept int
}

// stagedRow is what a batch needs of an existing staged product.
type stagedRow struct {
	id      int64
	items   map[string]json.RawMessage
	raw     json.RawMessage // this language's raw cells
	seen    map[string]int
	missing bool
}

// row is a parsed record with its JSON, encoded by the reading goroutine.
type row struct {
	rec  *letzshop.Record
	item []byte
	raw  []byte
}

// batch is what the reading goroutine hands the writer.
type batch struct {
	rows  []row
	errs  []*letzshop.RowError
	bytes int64 // of the file read when the batch was cut
}

type change struct {
	feedID string
	action string
	fields []string
	line   int
}

type disagreement struct {
	feedID, field string
	values        map[string]string
}

// run reads the file and stages it. One goroutine reads, parses and encodes
// the next batch while this one writes the current one, so the client's CPU
// work overlaps the database's. A *letzshop.FileError ends the file: the
// caller rolls the language back.
func (st *stager) run(ctx context.Context, file io.Reader) error {
	r, err := letzshop.NewReader(file, letzshop.Options{
		MaxRecordBytes: st.s.o.MaxRecordBytes, DefaultCurrency: st.s.o.DefaultCurrency,
		CallerChecksDuplicates: true, // in the database: see flush
	})
	if err != nil {
		return err
	}
	st.idColumn = r.Column("id")
	readCtx, stop := context.WithCancel(ctx)
	defer stop()
	batches := make(chan *batch, 1)
	readErr := make(chan error, 1)
	go func() { readErr <- st.read(readCtx, r, batches) }()
	for b := range batches {
		err := st.flush(ctx, b)
		if err == nil {
			err = st.progress(st.counts.Rows, b.bytes)
		}
		if err != nil {
			stop()
			for range batches {
			}
			<-readErr
			return err
		}
	}
	return <-readErr
}

// read parses the file into batches; it closes out when done.
func (st *stager) read(ctx context.Context, r *letzshop.Reader, out chan<- *batch) error {
	defer close(out)
	size := st.s.o.BatchSize
	b := &batch{rows: make([]row, 0, size)}
	send := func() error {
		b.bytes = r.BytesRead()
		select {
		case out <- b:
		case <-ctx.Done():
			return ctx.Err()
		}
		b = &batch{rows: make([]row, 0, size)}
		return nil
	}
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		var re *letzshop.RowError
		switch {
		case errors.As(err, &re):
			b.errs = append(b.errs, re)
		case err != nil:
			return err
		default:
			item, err := json.Marshal(&rec.Item)
			if err != nil {
				return err
			}
			b.rows = append(b.rows, row{rec: rec, item: item, raw: rawOf(rec)})
		}
		if len(b.rows)+len(b.errs) >= size {
			if err := send(); err != nil {
				return err
			}
		}
	}
	return send()
}

// flush merges one batch. An id already read from this file — earlier in the
// batch, or staged by this job from this language — is refused with the line
// where it first appeared: the database remembers what the file listed, so
// the reader need not hold every id in memory.
func (st *stager) flush(ctx context.Context, b *batch) error {
	tx, err := tenantdb.SQLTx(ctx)
	if err != nil {
		return err
	}
	st.counts.Rows += len(b.rows) + len(b.errs)
	st.counts.Failed += len(b.errs)
	rowErrs := b.errs
	var changes []change
	var disagreements []disagreement
	if len(b.rows) > 0 {
		existing, err := st.existing(ctx, tx, b.rows)
		if err != nil {
			return err
		}
		local := make(map[string]int, len(b.rows))
		var creates, updates []row
		var again []row // ids this file listed in an earlier batch
		for _, r := range b.rows {
			id := r.rec.Item.ID
			if first, dup := local[id]; dup {
				rowErrs = append(rowErrs, st.duplicate(r, first))
				continue
			}
			ex := existing[id]
			if ex != nil && ex.seen[st.lang] == st.jobID {
				again = append(again, r)
				continue
			}
			local[id] = r.rec.Line
			if ex != nil {
				updates = append(updates, r)
			} else {
				creates = append(creates, r)
			}
		}
		if len(again) > 0 {
			dups, err := st.duplicates(ctx, tx, again)
			if err != nil {
				return err
			}
			rowErrs = append(rowErrs, dups...)
		}
		st.counts.Failed += len(b.rows) - len(creates) - len(updates)
		if err := st.create(ctx, tx, creates); err != nil {
			return err
		}
		for _, r := range creates {
			changes = append(changes, change{r.rec.Item.ID, "create", nil, r.rec.Line})
		}
		st.counts.Created += len(creates)
		ch, dis, err := st.update(ctx, tx, updates, existing)
		if err != nil {
			return err
		}
		changes = append(changes, ch...)
		disagreements = append(disagreements, dis...)
	}
	// The reader's refusals and the repeated ids, in file order.
	slices.SortFunc(rowErrs, func(a, b *letzshop.RowError) int { return a.Line - b.Line })
	return st.report(func(ctx context.Context) error {
		tx, err := tenantdb.SQLTx(ctx)
		if err != nil {
			return err
		}
		if err := st.writeChanges(ctx, tx, changes); err != nil {
			return err
		}
		if err := st.writeRowErrors(ctx, tx, rowErrs); err != nil {
			return err
		}
		return writeDisagreements(ctx, tx, st.jobID, disagreements)
	})
}

func (st *stager) duplicate(r row, first int) *letzshop.RowError {
	return &letzshop.RowError{Line: r.rec.Line, Raw: r.rec.Raw, Problems: []letzshop.Problem{
		{Column: st.idColumn, Field: "id", Reason: letzshop.DuplicateID(r.rec.Item.ID, first)}}}
}

// duplicates refuses rows whose id an earlier batch of this file staged,
// naming the line from this job's report of that row.
func (st *stager) duplicates(ctx context.Context, tx *sql.Tx, rows []row) ([]*letzshop.RowError, error) {
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.rec.Item.ID
	}
	rs, err := tx.QueryContext(ctx, `SELECT feed_id, min(line) FROM import_changes
		WHERE job_id = $1 AND language = $2 AND feed_id = ANY($3) GROUP BY feed_id`, st.jobID, st.lang, pq.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("marketplace: duplicate ids: %w", err)
	}
	defer rs.Close()
	first := map[string]int{}
	for rs.Next() {
		var id string
		var line int
		if err := rs.Scan(&id, &line); err != nil {
			return nil, err
		}
		first[id] = line
	}
	out := make([]*letzshop.RowError, len(rows))
	for i, r := range rows {
		out[i] = st.duplicate(r, first[r.rec.Item.ID])
	}
	return out, rs.Err()
}

func (st *stager) existing(ctx context.Context, tx *sql.Tx, batch []row) (map[string]*stagedRow, error) {
	ids := make([]string, len(batch))
	for i, r := range batch {
		ids[i] = r.rec.Item.ID
	}
	rows, err := tx.QueryContext(ctx, `
		SELECT id, feed_id, items, coalesce(raw -> $2, 'null'::jsonb), seen, missing_since_job IS NOT NULL
		FROM staged_products WHERE feed_id = ANY($1)`, pq.Array(ids), st.lang)
	if err != nil {
		return nil, fmt.Errorf("marketplace: read staged products: %w", err)
	}
	defer rows.Close()
	out := make(map[string]*stagedRow, len(batch))
	for rows.Next() {
		var r stagedRow
		var feedID string
		var items, seen []byte
		if err := rows.Scan(&r.id, &feedID, &items, &r.raw, &seen, &r.missing); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(items, &r.items); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(seen, &r.seen); err != nil {
			return nil, err
		}
		out[feedID] = &r
	}
	return out, rows.Err()
}

func (st *stager) create(ctx context.Context, tx *sql.Tx, rows []row) error {
	if len(rows) == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, `COPY staged_products (feed_id, item_group_id, title, brand, availability, category,
		price_cents, currency, items, raw, seen, created_job, changed_job, updated_at) FROM STDIN`)
	if err != nil {
		return fmt.Errorf("marketplace: stage: %w", err)
	}
	defer stmt.Close()
	now := time.Now()
	seen := one(st.lang, []byte(strconv.Itoa(st.jobID)))
	for _, r := range rows {
		d := displayOf(&r.rec.Item)
		if _, err := stmt.ExecContext(ctx, r.rec.Item.ID, d.group, d.title, d.brand, d.availability, d.category,
			d.price, d.currency, one(st.lang, r.item), one(st.lang, r.raw), seen, st.jobID, st.jobID, now); err != nil {
			return fmt.Errorf("marketplace: stage: %w", err)
		}
	}
	if _, err := stmt.ExecContext(ctx); err != nil {
		return fmt.Errorf("marketplace: stage: %w", err)
	}
	return nil
}

// update merges this language's rows into existing staged products: changed
// ones get the new item and raw cells, every one is marked seen by this job.
func (st *stager) update(ctx context.Context, tx *sql.Tx, rows []row, existing map[string]*stagedRow) ([]change, []disagreement, error) {
	if len(rows) == 0 {
		return nil, nil, nil
	}
	n := len(rows)
	ids := make([]int64, n)
	items := make([]sql.NullString, n)
	raws := make([]sql.NullString, n)
	changed := make([]bool, n)
	titles, brands, avails, cats, groups, curs := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	prices := make([]sql.NullInt64, n)
	var changes []change
	var dis []disagreement
	for i, r := range rows {
		rec, item, raw := r.rec, r.item, r.raw
		old := existing[rec.Item.ID]
		ids[i] = old.id
		var fields []string
		prev, had := old.items[st.lang]
		if had {
			fields = itemDiff(prev, item)
		}
		if had && !sameRaw(old.raw, raw) && len(fields) == 0 {
			fields = append(fields, "raw")
		}
		if old.missing {
			fields = append(fields, "relisted")
		}
		action := "unchanged"
		switch {
		case !had:
			// Another language's file created it (in this import or
			// before): this file's row joins it.
			action = "merge"
			st.counts.Merged++
		case len(fields) > 0:
			action = "update"
			st.counts.Updated++
		default:
			st.counts.Unchanged++
		}
		changes = append(changes, change{rec.Item.ID, action, fields, rec.Line})
		// Other languages' items, each decoded once, for the comparison and
		// for the searchable columns below.
		others := make(map[string]letzshop.Item, len(old.items))
		for l, v := range old.items {
			if l == st.lang {
				continue
			}
			var it letzshop.Item
			if json.Unmarshal(v, &it) == nil {
				others[l] = it
			}
		}
		merged := make(map[string]letzshop.Item, len(others)+1)
		for l, it := range others {
			if st.current[l] {
				merged[l] = it
			}
		}
		merged[st.lang] = rec.Item
		// Reported at every language that takes part; the job keeps the
		// last (fullest) report of each id and field.
		for _, d := range letzshop.Compare(rec.Item.ID, merged) {
			dis = append(dis, disagreement{d.ID, d.Field, d.Values})
		}
		if action != "unchanged" {
			items[i] = sql.NullString{String: string(item), Valid: true}
			raws[i] = sql.NullString{String: string(raw), Valid: true}
			changed[i] = true
		}
		// The searchable columns follow the primary language present.
		prim := rec.Item
		for _, l := range st.order {
			if l == st.lang {
				break
			}
			if it, ok := others[l]; ok {
				prim = it
				break
			}
		}
		d := displayOf(&prim)
		titles[i], brands[i], avails[i], cats[i], groups[i], curs[i], prices[i] = d.title, d.brand, d.availability, d.category, d.group, d.currency, d.price
	}
	_, err := tx.ExecContext(ctx, `
		UPDATE staged_products s SET
			items = CASE WHEN u.item IS NULL THEN s.items ELSE s.items || jsonb_build_object($1::text, u.item) END,
			raw = CASE WHEN u.raw IS NULL THEN s.raw ELSE s.raw || jsonb_build_object($1::text, u.raw) END,
			seen = s.seen || jsonb_build_object($1::text, $2::bigint),
			changed_job = CASE WHEN u.changed THEN $2::bigint ELSE s.changed_job END,
			missing_since_job = NULL,
			title = u.title, brand = u.brand, availability = u.availability, category = u.category,
			item_group_id = u.grp, price_cents = u.price, currency = u.currency,
			updated_at = CASE WHEN u.changed THEN now() ELSE s.updated_at END
		FROM unnest($3::bigint[], $4::jsonb[], $5::jsonb[], $6::bool[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::bigint[], $13::text[])
			AS u(id, item, raw, changed, title, brand, availability, category, grp, price, currency)
		WHERE s.id = u.id`,
		st.lang, st.jobID, pq.Array(ids), pq.GenericArray{A: items}, pq.GenericArray{A: raws}, pq.Array(changed),
		pq.Array(titles), pq.Array(brands), pq.Array(avails), pq.Array(cats), pq.Array(groups), pq.GenericArray{A: prices}, pq.Array(curs))
	if err != nil {
		return nil, nil, fmt.Errorf("marketplace: merge staged products: %w", err)
	}
	return changes, dis, nil
}
