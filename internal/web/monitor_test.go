package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/bazaar/bazaar/internal/identity"
	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// monitorJob is a job of the super admins' cross-vendor listing, as far as
// the tests read it.
type monitorJob struct {
	Vendor struct {
		ID   int    `json:"id"`
		Slug string `json:"slug"`
		Name string `json:"name"`
	} `json:"vendor"`
	ID        int       `json:"id"`
	Status    string    `json:"status"`
	Trigger   string    `json:"trigger"`
	CreatedAt time.Time `json:"created_at"`
	Counts    struct {
		Rows, Created, Failed int
	} `json:"counts"`
}

type monitorPage struct {
	Items      []monitorJob `json:"items"`
	NextCursor string       `json:"next_cursor"`
}

type triggerLine struct {
	VendorID int    `json:"vendor_id"`
	Slug     string `json:"slug"`
	Outcome  string `json:"outcome"`
	Reason   string `json:"reason"`
	JobID    int    `json:"job_id"`
}

type triggerReport struct {
	Started, Skipped, Failed int
	NotFound                 int           `json:"not_found"`
	Vendors                  []triggerLine `json:"vendors"`
}

// outcome is what the report says of vendor id: "started", "skipped:<why>",
// "not_found", with the job it names.
func (r triggerReport) outcome(id int) (string, int) {
	for _, v := range r.Vendors {
		if v.VendorID == id {
			if v.Reason != "" {
				return v.Outcome + ":" + v.Reason, v.JobID
			}
			return v.Outcome, v.JobID
		}
	}
	return "absent", 0
}

// TestImportMonitoring: a super admin follows every vendor's imports on the
// admin site — two vendors import from a loopback feed server on the real
// queue; the listing shows their jobs newest first, filters by status,
// vendor and time, and pages — and starts imports for listed vendors or for
// all of them: one already running, one without feeds, a suspended shop and
// an unknown id are skipped and said why; every such action is in the
// platform's trail, and each started import in its shop's. No vendor host
// answers these routes, and no one but a super admin may call them. The
// test has a database of its own: "all" means every vendor in it.
func TestImportMonitoring(t *testing.T) {
	d := tenanttest.NewDatabase(t)
	db := tenanttest.OpenDatabase(t, d)
	ctx := context.Background()
	a := tenanttest.Tenant(t, db, "mon-a")
	b := tenanttest.Tenant(t, db, "mon-b")
	bare := tenanttest.Tenant(t, db, "mon-bare") // no feed configured
	asleep := tenanttest.Tenant(t, db, "mon-asleep")
	ts := start(t, db, setup{opts: defaultOptions(), queue: true})
	adminHost := "admin." + base
	feeds := newFeedServer(t)
	feeds.set("/a/fr.tsv", feedFile(feedRow{"A-1", "Pomme", "", "1.00 EUR", "in stock", "", "", ""},
		feedRow{"A-2", "Poire", "", "2.00 EUR", "in stock", "", "", ""}))
	feeds.set("/b/fr.tsv", feedFile(feedRow{"B-1", "Prune", "", "3.00 EUR", "in stock", "", "", ""}))

	as := map[string]string{}
	for name, tn := range map[string]*tenantdb.Tenant{"a": a, "b": b, "asleep": asleep} {
		email := "owner@" + tn.Slug + ".test"
		ts.join(t, tn, ts.user(t, email).ID, "owner")
		as[name] = ts.login(t, hostOf(tn), email).access
	}
	rootEmail := "root@" + a.Slug + ".test"
	root, err := ts.ids.CreateUser(ctx, identity.NewUser{Email: rootEmail, FirstName: "Platform", LastName: "Admin",
		Password: testPassword, SuperAdmin: true})
	if err != nil {
		t.Fatal(err)
	}
	as["root"] = ts.login(t, adminHost, rootEmail).access
	as["a-on-admin"] = ts.login(t, adminHost, "owner@"+a.Slug+".test").access
	admin := ts.scenarios(adminHost, as)

	ts.configure(t, hostOf(a), as["a"], map[string]string{"fr": feeds.url("/a/fr.tsv")}, "fr")
	ts.configure(t, hostOf(b), as["b"], map[string]string{"fr": feeds.url("/b/fr.tsv")}, "fr")
	ts.configure(t, hostOf(asleep), as["asleep"], map[string]string{"fr": feeds.url("/b/fr.tsv")}, "fr")
	if _, err := db.SetStatus(ctx, asleep.Slug, tenantdb.StatusSuspended, "testing"); err != nil {
		t.Fatal(err)
	}
	a1 := ts.runImport(t, hostOf(a), as["a"], "")
	b1 := ts.runImport(t, hostOf(b), as["b"], "")
	a2 := ts.runImport(t, hostOf(a), as["a"], "?dry_run=true")
	if a1.Status != "succeeded" || b1.Status != "succeeded" || a2.Status != "succeeded" {
		t.Fatalf("imports: %+v %+v %+v", a1, b1, a2)
	}

	list := func(t testing.TB, query string) monitorPage {
		t.Helper()
		r := admin.send(t, scenario{as: "root", method: "GET", path: "/api/v1/admin/marketplace/import-jobs" + query, wantStatus: http.StatusOK})
		var p monitorPage
		r.decode(t, &p)
		return p
	}
	key := func(j monitorJob) string { return fmt.Sprintf("%s#%d", j.Vendor.Slug, j.ID) }
	keys := func(p monitorPage) []string {
		var out []string
		for _, j := range p.Items {
			out = append(out, key(j))
		}
		return out
	}
	ka1, kb1, ka2 := fmt.Sprintf("%s#%d", a.Slug, a1.ID), fmt.Sprintf("%s#%d", b.Slug, b1.ID), fmt.Sprintf("%s#%d", a.Slug, a2.ID)

	var whole monitorPage
	t.Run("ListsEveryVendorsJobsNewestFirst", func(t *testing.T) {
		whole = list(t, "")
		if got := keys(whole); !slices.Equal(got, []string{ka2, kb1, ka1}) || whole.NextCursor != "" {
			t.Fatalf("listing %v (cursor %q), want %v", got, whole.NextCursor, []string{ka2, kb1, ka1})
		}
		j := whole.Items[1]
		if j.Vendor.ID != b.ID || j.Vendor.Name != b.Name || j.Status != "succeeded" || j.Trigger != "manual" || j.Counts.Created != 1 {
			t.Errorf("B's job: %+v", j)
		}
	})
	t.Run("Filters", func(t *testing.T) {
		since := url.QueryEscape(whole.Items[1].CreatedAt.Format(time.RFC3339Nano))
		for _, c := range []struct {
			query string
			want  []string
		}{
			{"?vendor=" + strconv.Itoa(a.ID), []string{ka2, ka1}},
			{"?vendor=" + strconv.Itoa(bare.ID), nil},
			{"?status=succeeded&vendor=" + strconv.Itoa(b.ID), []string{kb1}},
			{"?status=failed", nil},
			{"?since=" + since, []string{ka2, kb1}},
			{"?since=" + since + "&vendor=" + strconv.Itoa(a.ID), []string{ka2}},
			{"?vendor=999999", nil},
		} {
			if got := keys(list(t, c.query)); !slices.Equal(got, c.want) {
				t.Errorf("%s: %v, want %v", c.query, got, c.want)
			}
		}
	})
	t.Run("Pages", func(t *testing.T) {
		var got []string
		cursor := ""
		for range 4 {
			q := "?limit=1"
			if cursor != "" {
				q += "&cursor=" + url.QueryEscape(cursor)
			}
			p := list(t, q)
			got = append(got, keys(p)...)
			if cursor = p.NextCursor; cursor == "" {
				break
			}
		}
		if !slices.Equal(got, []string{ka2, kb1, ka1}) {
			t.Errorf("one at a time: %v", got)
		}
	})
	admin.run(t, false, []scenario{
		{name: "BadStatus", as: "root", method: "GET", path: "/api/v1/admin/marketplace/import-jobs?status=done",
			wantStatus: http.StatusBadRequest, check: wantField("status", "succeeded")},
		{name: "BadVendor", as: "root", method: "GET", path: "/api/v1/admin/marketplace/import-jobs?vendor=acme",
			wantStatus: http.StatusBadRequest, check: wantField("vendor", "vendor id")},
		{name: "BadSince", as: "root", method: "GET", path: "/api/v1/admin/marketplace/import-jobs?since=yesterday",
			wantStatus: http.StatusBadRequest, check: wantField("since", "RFC 3339")},
		{name: "NeitherIDsNorAll", as: "root", method: "POST", path: "/api/v1/admin/marketplace/trigger-imports", body: map[string]any{},
			wantStatus: http.StatusBadRequest, check: wantField("vendor_ids", "all")},
		{name: "BothIDsAndAll", as: "root", method: "POST", path: "/api/v1/admin/marketplace/trigger-imports",
			body: map[string]any{"vendor_ids": []int{a.ID}, "all": true}, wantStatus: http.StatusBadRequest, check: wantField("vendor_ids", "not both")},
		{name: "NotAnID", as: "root", method: "POST", path: "/api/v1/admin/marketplace/trigger-imports",
			body: map[string]any{"vendor_ids": []int{a.ID, 0}}, wantStatus: http.StatusBadRequest, check: wantField("vendor_ids[1]", "vendor id")},
		{name: "OwnerIsRefusedTheListing", as: "a-on-admin", method: "GET", path: "/api/v1/admin/marketplace/import-jobs",
			wantStatus: http.StatusForbidden, wantCode: "forbidden"},
		{name: "OwnerIsRefusedTheTrigger", as: "a-on-admin", method: "POST", path: "/api/v1/admin/marketplace/trigger-imports",
			body: map[string]any{"vendor_ids": []int{a.ID}}, wantStatus: http.StatusForbidden, wantCode: "forbidden"},
		{name: "AnonymousMustSignIn", method: "GET", path: "/api/v1/admin/marketplace/import-jobs",
			wantStatus: http.StatusUnauthorized, wantCode: "unauthenticated"},
		// A vendor host has no admin route, whoever asks.
		{name: "NotOnAVendorHost", as: "a", host: hostOf(a), method: "GET", path: "/api/v1/admin/marketplace/import-jobs",
			wantStatus: http.StatusNotFound, wantCode: "not_found"},
		{name: "TriggerNotOnAVendorHost", as: "root", host: hostOf(a), method: "POST", path: "/api/v1/admin/marketplace/trigger-imports",
			body: map[string]any{"all": true}, wantStatus: http.StatusNotFound, wantCode: "not_found"},
	})

	trigger := func(t *testing.T, body map[string]any) (triggerReport, string) {
		t.Helper()
		r := admin.send(t, scenario{as: "root", method: "POST", path: "/api/v1/admin/marketplace/trigger-imports", body: body,
			wantStatus: http.StatusAccepted})
		var rep triggerReport
		r.decode(t, &rep)
		return rep, r.header.Get("X-Request-ID")
	}
	var requestIDs []string

	// A's next import is held halfway through its file: running.
	release := feeds.hold("/a/fr.tsv")
	defer release()
	running := ts.scenarios(hostOf(a), as).send(t, scenario{as: "a", method: "POST", path: "/api/v1/marketplace/import", wantStatus: http.StatusAccepted})
	var held importJob
	running.decode(t, &held)

	var b2 int
	t.Run("TriggerListedVendors", func(t *testing.T) {
		rep, rid := trigger(t, map[string]any{"vendor_ids": []int{bare.ID, b.ID, 999999, a.ID, asleep.ID, b.ID}})
		requestIDs = append(requestIDs, rid)
		for _, c := range []struct {
			id   int
			want string
			job  int
		}{
			{a.ID, "skipped:already_running", held.ID},
			{b.ID, "started", -1},
			{bare.ID, "skipped:no_feeds", 0},
			{asleep.ID, "skipped:suspended", 0},
			{999999, "not_found", 0},
		} {
			got, job := rep.outcome(c.id)
			if got != c.want || (c.job >= 0 && job != c.job) || (c.job < 0 && job == 0) {
				t.Errorf("vendor %d: %s (job %d), want %s (job %d)", c.id, got, job, c.want, c.job)
			}
		}
		if rep.Started != 1 || rep.Skipped != 3 || rep.NotFound != 1 || rep.Failed != 0 || len(rep.Vendors) != 5 {
			t.Errorf("report %+v: want 1 started, 3 skipped, 1 not found, each vendor once", rep)
		}
		if !slices.IsSortedFunc(rep.Vendors, func(x, y triggerLine) int { return x.VendorID - y.VendorID }) {
			t.Errorf("report not in vendor order: %+v", rep.Vendors)
		}
		_, b2 = rep.outcome(b.ID)
		if j := ts.waitImport(t, hostOf(b), as["b"], b2); j.Status == "failed" || j.Status == "cancelled" {
			t.Errorf("the import started for B: %+v", j)
		}
		top := list(t, "?vendor="+strconv.Itoa(b.ID)).Items
		if len(top) == 0 || top[0].ID != b2 || top[0].Trigger != "admin" || top[0].Status == "queued" || top[0].Status == "running" {
			t.Errorf("B's listing after the trigger: %+v", top)
		}
		if got := keys(list(t, "?status=running")); !slices.Equal(got, []string{fmt.Sprintf("%s#%d", a.Slug, held.ID)}) {
			t.Errorf("running jobs: %v, want A's held one", got)
		}
	})

	t.Run("TriggerAll", func(t *testing.T) {
		rep, rid := trigger(t, map[string]any{"all": true})
		requestIDs = append(requestIDs, rid)
		want := map[int]string{a.ID: "skipped:already_running", b.ID: "started", bare.ID: "skipped:no_feeds", asleep.ID: "skipped:suspended"}
		for id, w := range want {
			if got, _ := rep.outcome(id); got != w {
				t.Errorf("vendor %d: %s, want %s", id, got, w)
			}
		}
		if len(rep.Vendors) != len(want) || rep.Started != 1 || rep.Skipped != 3 {
			t.Errorf("report %+v: want every vendor of the database once", rep)
		}
		_, b3 := rep.outcome(b.ID)
		ts.waitImport(t, hostOf(b), as["b"], b3)
	})

	release()
	if j := ts.waitImport(t, hostOf(a), as["a"], held.ID); j.Status != "succeeded" {
		t.Errorf("A's held import: %+v", j)
	}
	t.Run("FinishedJobsLeaveRunning", func(t *testing.T) {
		if got := list(t, "?status=running").Items; len(got) != 0 {
			t.Errorf("running jobs after every import ended: %+v", got)
		}
	})

	t.Run("PlatformTrailRecordsEachTrigger", func(t *testing.T) {
		r := admin.send(t, scenario{as: "root", method: "GET", path: "/api/v1/admin/audit?action=imports.trigger_many", wantStatus: http.StatusOK})
		var out struct {
			Items []struct {
				ActorID    int            `json:"actor_id"`
				ActorEmail string         `json:"actor_email"`
				IP         string         `json:"ip"`
				RequestID  string         `json:"request_id"`
				After      map[string]any `json:"after"`
			} `json:"items"`
		}
		r.decode(t, &out)
		if len(out.Items) != 2 {
			t.Fatalf("%d events: %s", len(out.Items), r.body)
		}
		for i, e := range out.Items { // newest first
			if e.ActorID != root.ID || e.ActorEmail != rootEmail || e.IP == "" || e.RequestID != requestIDs[1-i] {
				t.Errorf("event %+v: want actor %d, an address and the request id %s", e, root.ID, requestIDs[1-i])
			}
			if vs, _ := e.After["vendors"].([]any); len(vs) != 4+i || e.After["started"] != float64(1) {
				t.Errorf("event %d records %v", i, e.After)
			}
		}
		if out.Items[0].After["all"] != true || out.Items[1].After["all"] != false {
			t.Errorf("the trail does not tell all from a list: %v / %v", out.Items[0].After, out.Items[1].After)
		}
	})
	t.Run("ShopTrailRecordsTheStartedImport", func(t *testing.T) {
		ts.scenarios(hostOf(b), as).send(t, scenario{as: "b", method: "GET", path: "/api/v1/teams/audit?action=imports.trigger",
			wantStatus: http.StatusOK, want: []string{`"actor_email":"` + rootEmail + `"`, `"target_id":"` + strconv.Itoa(b2) + `"`}})
	})
}
