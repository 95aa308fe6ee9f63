package web

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bazaar/bazaar/internal/page"
	"github.com/bazaar/bazaar/internal/vendor"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// upload is a multipart form holding file as the field "file".
func upload(t testing.TB, name, file string) (string, map[string]string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	fw, err := w.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write([]byte(file)) //nolint:errcheck // a buffer
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String(), map[string]string{"Content-Type": w.FormDataContentType()}
}

// TestBulkVendorImport: a file of 200 rows, 10 of them bad in ten ways. The
// dry run names exactly those lines and writes nothing; the run creates the
// 190 others on the queue — accounts for the owners given an initial
// password, invitations for the rest; the same file again changes nothing;
// no initial password appears in a response, a report, a log line, the
// audit trail or the database.
func TestBulkVendorImport(t *testing.T) {
	// A database of its own: the 95 invitations it queues must not reach the
	// mail tests' flushes.
	db := tenanttest.OpenDatabase(t, tenanttest.NewDatabase(t))
	logs := &syncBuffer{}
	ts := start(t, db, setup{opts: defaultOptions(), queue: true, log: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	prefix := tenanttest.Slug("bulk")
	taken := tenanttest.Tenant(t, db, "bulk-taken")
	admin := ts.scenarios("admin."+base, map[string]string{"root": ts.superAdmin(t, "root@"+prefix+".test")})

	// The file: a BOM, semicolons, a quoted field holding one; rows at
	// lines 2..201.
	var passwords []string
	var b strings.Builder
	b.WriteString("\ufeff" + strings.Join(vendor.BulkColumns, ";") + "\n")
	bad := map[int]string{} // line → the column it must name
	for i := range 200 {
		line := i + 2
		name, slug := fmt.Sprintf("Bulk Shop %d", i), fmt.Sprintf("%s-%d", prefix, i)
		email, country, url, pw := fmt.Sprintf("owner%d@%s.test", i, prefix), "LU", fmt.Sprintf("https://letzshop.example/%s/%d.csv", prefix, i), ""
		if i%25 == 0 {
			pw = fmt.Sprintf("initial-%s-%d", prefix, i)
			passwords = append(passwords, pw)
		}
		switch i {
		case 1:
			name = `"Quoted; Shop"` // the separator, quoted
		case 2:
			name = "=HYPERLINK(\"http://evil.example\")" // a formula: defused in the report
			name = `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
		case 10:
			slug, bad[line] = "Bad_Slug", "subdomain"
		case 20:
			slug, bad[line] = fmt.Sprintf("%s-%d", prefix, 19), "subdomain" // twice in the file
		case 30:
			email, bad[line] = "not an address", "owner_email"
		case 40:
			country, bad[line] = "XX", "business_country"
		case 60:
			url, bad[line] = "ftp://letzshop.example/x.csv", "letzshop_csv_url"
		case 70:
			pw, bad[line] = "short", "initial_password"
		case 80:
			name, bad[line] = "", "vendor_name"
		case 90:
			slug, bad[line] = "admin", "subdomain" // reserved
		case 110:
			email, bad[line] = "", "owner_email"
		case 120:
			slug, bad[line] = taken.Slug, "subdomain" // another vendor's
		}
		fmt.Fprintf(&b, "%s;%s;Owner Person %d;%s;+352 621 000 %03d;1 rue du Test;Luxembourg;L-1111;%s;%s;%s\n",
			name, slug, i, email, i, country, url, pw)
	}
	file := b.String()
	passwords = append(passwords, "short")

	body, header := upload(t, "vendors.csv", file)
	dry := admin.send(t, scenario{name: "dry run", as: "root", method: "POST", path: "/api/v1/admin/vendors/bulk-import?dry_run=true",
		body: body, header: header, wantStatus: http.StatusOK})
	var report vendor.BulkReport
	dry.decode(t, &report)
	if report.Rows != 200 || report.Create != 190 || report.Invalid != 10 || report.Unchanged != 0 {
		t.Errorf("dry run counts: rows %d, create %d, unchanged %d, invalid %d", report.Rows, report.Create, report.Unchanged, report.Invalid)
	}
	for _, l := range report.Lines {
		col, isBad := bad[l.Line]
		switch {
		case isBad && (l.Outcome != vendor.RowInvalid || l.Problems[col] == ""):
			t.Errorf("line %d: %s %v, want %s named", l.Line, l.Outcome, l.Problems, col)
		case !isBad && l.Outcome != vendor.WouldCreate:
			t.Errorf("line %d: %s %v, want create", l.Line, l.Outcome, l.Problems)
		}
	}
	if n := countVendors(t, ts, prefix); n != 0 {
		t.Fatalf("the dry run made %d vendors", n)
	}

	run := func(name string) vendor.BulkImport {
		t.Helper()
		body, header := upload(t, "vendors.csv", file)
		r := admin.send(t, scenario{name: name, as: "root", method: "POST", path: "/api/v1/admin/vendors/bulk-import",
			body: body, header: header, wantStatus: http.StatusAccepted})
		var imp vendor.BulkImport
		r.decode(t, &imp)
		if loc := r.header.Get("Location"); loc != fmt.Sprintf("/api/v1/admin/vendors/bulk-imports/%d", imp.ID) {
			t.Errorf("Location %q", loc)
		}
		// A guard against a hung run, not a speed claim: under make test the
		// tenantdb package's provisioning stress (directly, then through
		// PgBouncer) may share the two cores with it, and -race runs 200
		// provisionings and hashes at a row a second then.
		deadline := time.Now().Add(5 * time.Minute)
		for imp.Status == "queued" || imp.Status == "running" {
			if time.Now().After(deadline) {
				t.Fatalf("bulk import still %s: %+v", imp.Status, imp)
			}
			time.Sleep(100 * time.Millisecond)
			admin.send(t, scenario{as: "root", method: "GET", path: fmt.Sprintf("/api/v1/admin/vendors/bulk-imports/%d", imp.ID),
				wantStatus: http.StatusOK}).decode(t, &imp)
		}
		return imp
	}
	first := run("run")
	if first.Status != "partially_failed" || first.Created != 190 || first.Failed != 10 || first.Unchanged != 0 || first.RowsDone != 200 {
		t.Fatalf("first run: %+v", first)
	}
	if n := countVendors(t, ts, prefix); n != 190 {
		t.Fatalf("%d vendors made, want 190", n)
	}
	// An owner given an initial password signs in with it, and must change it.
	shop0 := prefix + "-0." + base
	me := ts.loginWith(t, shop0, "owner0@"+prefix+".test", passwords[0])
	if !strings.Contains(string(me.body), `"must_change_password":true`) || !strings.Contains(string(me.body), `"name":"Owner"`) {
		t.Errorf("owner with an initial password: %s", me.body)
	}

	second := run("same file again")
	if second.Status != "partially_failed" || second.Created != 0 || second.Unchanged != 190 || second.Failed != 10 {
		t.Fatalf("second run: %+v", second)
	}
	if n := countVendors(t, ts, prefix); n != 190 {
		t.Fatalf("%d vendors after the second run, want 190", n)
	}

	lines := admin.send(t, scenario{as: "root", method: "GET", path: fmt.Sprintf("/api/v1/admin/vendors/bulk-imports/%d/lines?outcome=failed&limit=1000", first.ID),
		wantStatus: http.StatusOK})
	var failed struct {
		Items []vendor.BulkLine `json:"items"`
	}
	lines.decode(t, &failed)
	var failedLines []int
	for _, l := range failed.Items {
		failedLines = append(failedLines, l.Line)
		if !strings.Contains(l.Reason, bad[l.Line]+":") {
			t.Errorf("line %d failed for %q, want %s named", l.Line, l.Reason, bad[l.Line])
		}
	}
	wantLines := slices.Sorted(func(yield func(int) bool) {
		for l := range bad {
			if !yield(l) {
				return
			}
		}
	})
	if fmt.Sprint(failedLines) != fmt.Sprint(wantLines) {
		t.Errorf("failed lines %v, want %v", failedLines, wantLines)
	}
	csv := admin.send(t, scenario{as: "root", method: "GET", path: fmt.Sprintf("/api/v1/admin/vendors/bulk-imports/%d/report.csv", first.ID),
		wantStatus: http.StatusOK, want: []string{"line,subdomain,vendor_name,owner_email,outcome,reason,vendor_id\n", `"'=HYPERLINK(""http://evil.example"")"`,
			"Quoted; Shop"}})
	if n := strings.Count(string(csv.body), "\n"); n != 201 {
		t.Errorf("report has %d lines, want a header and 200", n)
	}

	// No initial password anywhere.
	trail := admin.send(t, scenario{as: "root", method: "GET", path: "/api/v1/admin/audit?limit=500", wantStatus: http.StatusOK})
	var stored int
	rows, err := db.Platform().VendorImportRow.Query().All(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.PasswordHash != "" && r.Outcome != "pending" {
			stored++
		}
	}
	if stored != 0 {
		t.Errorf("%d finished rows still hold a password hash", stored)
	}
	logged := logs.take()
	for _, pw := range passwords {
		for what, text := range map[string]string{"dry run": string(dry.body), "report": string(csv.body), "lines": string(lines.body),
			"audit": string(trail.body), "log": logged} {
			if strings.Contains(text, pw) {
				t.Errorf("an initial password is in the %s", what)
			}
		}
	}
}

// countVendors counts the vendors whose slug starts with prefix.
func countVendors(t *testing.T, ts *testServer, prefix string) int {
	t.Helper()
	n := 0
	pg, err := ts.vendors.List(context.Background(), vendor.ListParams{Query: prefix + "-", Request: page.Request{Limit: 200}})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range pg.Items {
		if strings.HasPrefix(v.Slug, prefix+"-") {
			n++
		}
	}
	return n
}
