package web

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bazaar/bazaar/internal/audit"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// TestPlatformAuditFilters: the super admins' trail filtered by action (one,
// or a family), actor (id or e-mail), vendor (id or slug) and time, alone and
// combined, paged; every bad parameter named; the same selection exported as
// CSV, formula cells defused.
func TestPlatformAuditFilters(t *testing.T) {
	db := tenanttest.Open(t)
	ts := start(t, db, setup{opts: defaultOptions()})
	shop := tenanttest.Tenant(t, db, "audf")
	other := tenanttest.Tenant(t, db, "audf-other")
	fam := strings.ReplaceAll(tenanttest.Slug("t"), "-", "") // this run's own action family
	admin := ts.scenarios("admin."+base, map[string]string{"root": ts.superAdmin(t, "root@"+fam+".test")})
	ctx := context.Background()

	// Six events over three days, oldest first.
	day := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -3)
	events := []audit.Event{
		{ActorID: 101, ActorEmail: "ann@" + fam + ".test", Action: fam + ".create", VendorID: shop.ID, TargetID: "=1+1"},
		{ActorID: 102, ActorEmail: "bob@" + fam + ".test", Action: fam + ".create", VendorID: other.ID},
		{ActorID: 101, ActorEmail: "ann@" + fam + ".test", Action: fam + ".update", VendorID: shop.ID, Before: map[string]any{"name": "A"}, After: map[string]any{"name": "B"}},
		{ActorID: 102, ActorEmail: "bob@" + fam + ".test", Action: fam + ".delete", VendorID: other.ID},
		{ActorEmail: "cli:ops@" + fam, Action: fam + ".update", VendorID: shop.ID},
		{ActorID: 101, ActorEmail: "ann@" + fam + ".test", Action: fam + "x.other", VendorID: shop.ID}, // not of the family
	}
	var ids []int
	for i, e := range events {
		if err := audit.Platform(ctx, db.Platform(), e); err != nil {
			t.Fatal(err)
		}
		var id int
		rows, err := db.Platform().QueryContext(ctx, `UPDATE platform.audit_events SET at = $1 WHERE id = (SELECT max(id) FROM platform.audit_events) RETURNING id`,
			day.Add(time.Duration(i)*12*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			rows.Scan(&id) //nolint:errcheck // checked below
		}
		rows.Close()
		ids = append(ids, id)
	}
	// what lists the ids of events (by their index) a listing must answer,
	// newest first.
	what := func(idx ...int) []int {
		var out []int
		for i := len(idx) - 1; i >= 0; i-- {
			out = append(out, ids[idx[i]])
		}
		return out
	}
	listed := func(t testing.TB, r *resp) []int {
		var pg struct {
			Items []audit.Event `json:"items"`
		}
		r.decode(t, &pg)
		var got []int
		for _, e := range pg.Items {
			got = append(got, e.ID)
		}
		return got
	}
	within := func(want []int) func(t testing.TB, r *resp) {
		return func(t testing.TB, r *resp) {
			if got := listed(t, r); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("listed %v, want %v", got, want)
			}
		}
	}
	at := func(i int) string { return day.Add(time.Duration(i) * 12 * time.Hour).Format(time.RFC3339) }
	q := "/api/v1/admin/audit?limit=50&action=" + fam + "."
	admin.run(t, false, []scenario{
		{name: "Family", as: "root", method: "GET", path: q, wantStatus: http.StatusOK, check: within(what(0, 1, 2, 3, 4))},
		{name: "OneAction", as: "root", method: "GET", path: "/api/v1/admin/audit?action=" + fam + ".update", wantStatus: http.StatusOK, check: within(what(2, 4))},
		{name: "ActorByID", as: "root", method: "GET", path: q + "&actor=101", wantStatus: http.StatusOK, check: within(what(0, 2))},
		{name: "ActorByEmail", as: "root", method: "GET", path: q + "&actor=BOB@" + fam + ".test", wantStatus: http.StatusOK, check: within(what(1, 3))},
		{name: "TheCommandLine", as: "root", method: "GET", path: q + "&actor=cli:ops@" + fam, wantStatus: http.StatusOK, check: within(what(4))},
		{name: "VendorByID", as: "root", method: "GET", path: q + fmt.Sprintf("&vendor=%d", other.ID), wantStatus: http.StatusOK, check: within(what(1, 3))},
		{name: "VendorBySlug", as: "root", method: "GET", path: q + "&vendor=" + shop.Slug, wantStatus: http.StatusOK, check: within(what(0, 2, 4))},
		{name: "Time", as: "root", method: "GET", path: q + "&since=" + at(1) + "&until=" + at(4), wantStatus: http.StatusOK, check: within(what(1, 2, 3))},
		{name: "Combined", as: "root", method: "GET", path: q + "&vendor=" + shop.Slug + "&actor=101&since=" + at(1), wantStatus: http.StatusOK, check: within(what(2))},
		{name: "BadSince", as: "root", method: "GET", path: q + "&since=yesterday", wantStatus: http.StatusBadRequest, check: wantField("since", "RFC 3339")},
		{name: "UntilBeforeSince", as: "root", method: "GET", path: q + "&since=" + at(3) + "&until=" + at(1), wantStatus: http.StatusBadRequest, check: wantField("until", "after since")},
		{name: "UnknownVendor", as: "root", method: "GET", path: q + "&vendor=no-such-vendor", wantStatus: http.StatusBadRequest, check: wantField("vendor")},
		{name: "VendorHostHasNone", as: "root", method: "GET", path: "/api/v1/admin/audit", host: hostOf(shop), wantStatus: http.StatusNotFound},
		{name: "VendorHostHasNoExport", as: "root", method: "GET", path: "/api/v1/admin/audit/export", host: hostOf(shop), wantStatus: http.StatusNotFound},
	})

	t.Run("Paging", func(t *testing.T) {
		var got []int
		cursor := ""
		for range 10 {
			r := admin.send(t, scenario{as: "root", method: "GET", path: "/api/v1/admin/audit?limit=2&action=" + fam + ".&cursor=" + cursor, wantStatus: http.StatusOK})
			var pg struct {
				Items      []audit.Event `json:"items"`
				NextCursor string        `json:"next_cursor"`
			}
			r.decode(t, &pg)
			for _, e := range pg.Items {
				got = append(got, e.ID)
			}
			if cursor = pg.NextCursor; cursor == "" {
				break
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(what(0, 1, 2, 3, 4)) {
			t.Errorf("paged %v, want %v", got, what(0, 1, 2, 3, 4))
		}
	})

	t.Run("Export", func(t *testing.T) {
		r := admin.send(t, scenario{as: "root", method: "GET", path: "/api/v1/admin/audit/export?action=" + fam + ".&vendor=" + shop.Slug, wantStatus: http.StatusOK})
		if ct := r.header.Get("Content-Type"); ct != "text/csv; charset=utf-8" ||
			!strings.HasPrefix(r.header.Get("Content-Disposition"), `attachment; filename="bazaar-audit-`) {
			t.Errorf("headers %v", r.header)
		}
		recs, err := csv.NewReader(strings.NewReader(string(r.body))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(recs[0], audit.ExportColumns) {
			t.Errorf("header %v", recs[0])
		}
		var got []int
		for _, rec := range recs[1:] {
			var id int
			fmt.Sscan(rec[0], &id) //nolint:errcheck // compared below
			got = append(got, id)
			for _, j := range rec[10:] {
				if j != "" && !json.Valid([]byte(j)) {
					t.Errorf("event %d: %q is not JSON", id, j)
				}
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(what(0, 2, 4)) {
			t.Errorf("exported %v, want %v", got, what(0, 2, 4))
		}
		last := recs[len(recs)-1] // the oldest: the one whose target looks like a formula
		if last[6] != "'=1+1" || last[3] != "ann@"+fam+".test" {
			t.Errorf("oldest event exported as %v", last)
		}
		if !strings.Contains(string(r.body), `"{""name"":""B""}"`) {
			t.Errorf("the update's after is not in the export:\n%s", r.body)
		}
	})
}
