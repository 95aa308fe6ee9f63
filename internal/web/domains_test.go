package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	platformaudit "github.com/bazaar/bazaar/ent/platform/auditevent"
	"github.com/bazaar/bazaar/internal/vendor"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// fakeDNS answers TXT lookups from records a test publishes: no lookup
// leaves the process.
type fakeDNS struct {
	mu      sync.Mutex
	records map[string][]string
}

func (f *fakeDNS) publish(name, value string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.records == nil {
		f.records = map[string][]string{}
	}
	f.records[name] = append(f.records[name], value)
}

func (f *fakeDNS) lookupTXT(_ context.Context, name string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.records[name]...), nil
}

// withFakeDNS is a server's options resolving TXT records from dns.
func withFakeDNS(dns *fakeDNS) Options {
	o := defaultOptions()
	o.LookupTXT = dns.lookupTXT
	return o
}

// TestSettingsDomains: an Owner adds a custom domain and is told the TXT
// record to publish, has it checked — refused until DNS holds the token,
// then verified and serving the shop —, and removes it, which stops it
// serving; each change is in both audit trails. Another shop can neither
// take the host (a 409 that does not say whose it is) nor verify, remove or
// learn the token of a domain it does not hold.
func TestSettingsDomains(t *testing.T) {
	db := tenanttest.Open(t)
	dns := &fakeDNS{}
	ts := start(t, db, setup{opts: withFakeDNS(dns)})
	a := tenanttest.Tenant(t, db, "doma")
	b := tenanttest.Tenant(t, db, "domb")
	ownerA, _ := ts.member(t, a, "owner")
	ownerB, _ := ts.member(t, b, "owner")
	sa := ts.scenarios(hostOf(a), map[string]string{"owner": ownerA})
	sb := ts.scenarios(hostOf(b), map[string]string{"owner": ownerB})
	host := tenanttest.Slug("www.shop") + ".lu"
	const path = "/api/v1/settings/domains"

	var added vendor.ShopDomain
	sa.send(t, scenario{as: "owner", method: "POST", path: path, body: map[string]any{"host": " " + strings.ToUpper(host) + ". "},
		wantStatus: http.StatusCreated}).decode(t, &added)
	if added.Host != host || added.Verified || added.RecordName != "_bazaar-verify."+host || !strings.HasPrefix(added.Token, "bazaar-verify=") {
		t.Fatalf("added %+v", added)
	}
	sa.send(t, scenario{as: "owner", method: "GET", path: path, wantStatus: http.StatusOK,
		want: []string{`"host":"` + host + `"`, `"verified":false`, `"record_name":"_bazaar-verify.` + host + `"`, added.Token}})

	t.Run("RefusedHosts", func(t *testing.T) {
		for _, h := range []string{"", "not a domain", "localhost", "shop." + base, base} {
			sa.send(t, scenario{name: h, as: "owner", method: "POST", path: path, body: map[string]any{"host": h},
				wantStatus: http.StatusBadRequest, check: wantFieldsOnly(map[string]string{"host": ""})})
		}
	})

	t.Run("TheWall", func(t *testing.T) {
		r := sb.send(t, scenario{as: "owner", method: "POST", path: path, body: map[string]any{"host": host},
			wantStatus: http.StatusConflict, wantCode: "domain_taken", wantNot: []string{a.Slug, a.Name, added.Token},
			check: wantFieldsOnly(map[string]string{"host": "already registered"})})
		if !strings.Contains(string(r.body), host) {
			t.Errorf("the conflict does not name the host: %s", r.body)
		}
		dns.publish(added.RecordName, added.Token)
		sb.send(t, scenario{as: "owner", method: "POST", path: path + "/" + host + "/verify", wantStatus: http.StatusNotFound, wantNot: []string{added.Token}})
		sb.send(t, scenario{as: "owner", method: "DELETE", path: path + "/" + host, wantStatus: http.StatusNotFound})
		sb.send(t, scenario{as: "owner", method: "GET", path: path, wantStatus: http.StatusOK, want: []string{`{"items":[]}`}})
		sb.send(t, scenario{as: "owner", method: "DELETE", path: path + "/%00", wantStatus: http.StatusNotFound})
		sa.send(t, scenario{as: "owner", method: "GET", path: path, wantStatus: http.StatusOK, want: []string{`"verified":false`}})
	})

	t.Run("VerifyAndServe", func(t *testing.T) {
		other := tenanttest.Slug("shop") + ".example.lu"
		var d vendor.ShopDomain
		sa.send(t, scenario{as: "owner", method: "POST", path: path, body: map[string]any{"host": other}, wantStatus: http.StatusCreated}).decode(t, &d)
		// Not published yet: refused, naming the record.
		sa.send(t, scenario{as: "owner", method: "POST", path: path + "/" + other + "/verify", wantStatus: http.StatusBadRequest,
			wantCode: "domain_unverified", want: []string{"_bazaar-verify." + other}})
		dns.publish(d.RecordName, d.Token)
		sa.send(t, scenario{as: "owner", method: "POST", path: path + "/" + other + "/verify", wantStatus: http.StatusOK, want: []string{`"verified":true`}})
		// Again: still verified, and nothing more in the trails (Audited).
		sa.send(t, scenario{as: "owner", method: "POST", path: path + "/" + other + "/verify", wantStatus: http.StatusOK, want: []string{`"verified":true`}})
		sa.send(t, scenario{method: "GET", host: other, path: "/api/v1/shop/products", wantStatus: http.StatusOK})

		sa.send(t, scenario{as: "owner", method: "DELETE", path: path + "/" + other, wantStatus: http.StatusNoContent})
		sa.send(t, scenario{as: "owner", method: "GET", path: path, wantStatus: http.StatusOK, wantNot: []string{other}})
		// Every instance hears of it (NOTIFY) and stops serving the host.
		eventuallyStatus(t, ts, other, "/api/v1/shop/products", http.StatusNotFound)
	})

	// A shop holds at most tenant.max_custom_domains (3 in the tests): a
	// fourth is refused beside its field.
	t.Run("AtMost", func(t *testing.T) {
		c := tenanttest.Tenant(t, db, "domc")
		ownerC, _ := ts.member(t, c, "owner")
		sc := ts.scenarios(hostOf(c), map[string]string{"owner": ownerC})
		for i := range 3 {
			sc.send(t, scenario{as: "owner", method: "POST", path: path, body: map[string]any{"host": fmt.Sprintf("%s-%d.example.lu", c.Slug, i)},
				wantStatus: http.StatusCreated})
		}
		sc.send(t, scenario{as: "owner", method: "POST", path: path, body: map[string]any{"host": c.Slug + "-4.example.lu"},
			wantStatus: http.StatusBadRequest, want: []string{"at most 3"}, check: wantFieldsOnly(map[string]string{"host": "at most 3"})})
	})

	t.Run("Audited", func(t *testing.T) {
		var trail struct {
			Items []struct {
				Action   string `json:"action"`
				TargetID string `json:"target_id"`
			} `json:"items"`
		}
		sa.send(t, scenario{as: "owner", method: "GET", path: "/api/v1/teams/audit", wantStatus: http.StatusOK}).decode(t, &trail)
		got := map[string]int{}
		for _, e := range trail.Items {
			if strings.HasPrefix(e.Action, "vendor.domain_") {
				got[e.Action]++
			}
		}
		if got["vendor.domain_add"] != 2 || got["vendor.domain_verify"] != 1 || got["vendor.domain_remove"] != 1 {
			t.Errorf("the shop's trail holds %v", got)
		}
		n, err := db.Platform().AuditEvent.Query().Where(platformaudit.VendorID(a.ID), platformaudit.ActionHasPrefix("vendor.domain_")).Count(context.Background())
		if err != nil || n != 4 {
			t.Errorf("%d domain events in the platform trail (%v), want 4", n, err)
		}
		n, err = db.Platform().AuditEvent.Query().Where(platformaudit.VendorID(b.ID), platformaudit.ActionHasPrefix("vendor.domain_")).Count(context.Background())
		if err != nil || n != 0 {
			t.Errorf("%d domain events for the refused shop (%v)", n, err)
		}
	})
}
