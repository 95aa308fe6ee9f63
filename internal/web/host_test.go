package web

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// rawRequest sends head (request line and header lines, without the blank
// line that ends them) and body over a socket of its own and returns the
// answer: what a hostile client can send, which Go's HTTP client would
// refuse to.
func (ts *testServer) rawRequest(t testing.TB, head, body string) (int, string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", ts.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, strings.ReplaceAll(head, "\n", "\r\n")+"\r\nConnection: close\r\n\r\n"+body); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestHostComesFromTheHostHeaderAlone sends each form of request that once
// let a request on one shop's origin reach another shop: a request target
// that fasthttp would read a host from, userinfo and ports in Host, no Host,
// two Hosts. The site is the Host header's (or a trusted proxy's
// X-Forwarded-Host), a path starting with "//" is a path, and anything that
// does not name exactly one well-formed host is a 400.
func TestHostComesFromTheHostHeaderAlone(t *testing.T) {
	db := tenanttest.Open(t)
	this := tenanttest.Tenant(t, db, "this")
	other := tenanttest.Tenant(t, db, "other")
	addProduct(t, db, this, "SKU-A", "Alpha thing")
	addProduct(t, db, other, "SKU-B", "Beta thing")
	ts := startServer(t, db, defaultOptions(), nil)
	owner := ts.user(t, "owner-of-both@host.test")
	ts.join(t, this, owner.ID, "owner")
	ts.join(t, other, owner.ID, "owner")
	token := ts.login(t, hostOf(this), owner.Email).access
	trusting := defaultOptions()
	trusting.TrustedProxies = []string{"127.0.0.1"}
	tsTrusting := startServer(t, db, trusting, nil)

	a, b := hostOf(this), hostOf(other)
	const products = "/api/v1/shop/products"
	tests := []struct {
		name       string
		server     *testServer
		head       string
		wantStatus int
		want       string // in the body
		wantCode   string
	}{
		{name: "PlainRequest", head: "GET " + products + " HTTP/1.1\nHost: " + a, wantStatus: 200, want: "Alpha thing"},
		{name: "DoubleSlashIsAPath", head: "GET //" + b + products + "?u=a://b HTTP/1.1\nHost: " + a, wantStatus: 404, wantCode: "not_found"},
		{name: "DoubleSlashWithoutSchemeIsAPath", head: "GET //" + b + products + " HTTP/1.1\nHost: " + a, wantStatus: 404, wantCode: "not_found"},
		{name: "DoubleSlashPageIsAPath", head: "GET //" + b + "/?u=a://b HTTP/1.1\nHost: " + a + "\nAccept: text/html", wantStatus: 404},
		{name: "DoubleSlashBackOfficeIsAPath", head: "GET //" + b + "/api/v1/products?u=a://b HTTP/1.1\nHost: " + a + "\nAuthorization: Bearer " + token, wantStatus: 404, wantCode: "not_found"},
		{name: "SchemeInQueryKeepsTheQuery", head: "GET " + products + "?limit=1000&u=a://b HTTP/1.1\nHost: " + a, wantStatus: 400, want: `"limit"`},
		{name: "NoHost", head: "GET //" + b + products + "?u=a://b HTTP/1.1", wantStatus: 400, wantCode: "invalid_host", want: "missing"},
		{name: "NoHostOriginForm", head: "GET " + products + " HTTP/1.1", wantStatus: 400, wantCode: "invalid_host"},
		{name: "NoHostHTTP10", head: "GET " + products + " HTTP/1.0", wantStatus: 400, wantCode: "invalid_host"},
		{name: "EmptyHost", head: "GET " + products + " HTTP/1.1\nHost: ", wantStatus: 400, wantCode: "invalid_host"},
		{name: "Userinfo", head: "GET " + products + " HTTP/1.1\nHost: evil.example@" + a, wantStatus: 400, wantCode: "invalid_host"},
		{name: "UserinfoAfterPort", head: "GET " + products + " HTTP/1.1\nHost: " + a + ":80@" + b, wantStatus: 400, wantCode: "invalid_host"},
		{name: "TwoHosts", head: "GET " + products + " HTTP/1.1\nHost: " + a + "\nHost: " + b, wantStatus: 400, wantCode: "invalid_host", want: "repeated"},
		{name: "TwoEqualHosts", head: "GET " + products + " HTTP/1.1\nHost: " + a + "\nhost: " + a, wantStatus: 400, wantCode: "invalid_host"},
		{name: "SpaceInHost", head: "GET " + products + " HTTP/1.1\nHost: " + a + " " + b, wantStatus: 400, wantCode: "invalid_host"},
		{name: "PercentInHost", head: "GET " + products + " HTTP/1.1\nHost: this%2e" + a, wantStatus: 400, wantCode: "invalid_host"},
		{name: "UnderscoreInHost", head: "GET " + products + " HTTP/1.1\nHost: a_b." + base, wantStatus: 400, wantCode: "invalid_host"},
		{name: "PortZero", head: "GET " + products + " HTTP/1.1\nHost: " + a + ":0", wantStatus: 400, wantCode: "invalid_host"},
		{name: "PortTooLarge", head: "GET " + products + " HTTP/1.1\nHost: " + a + ":65536", wantStatus: 400, wantCode: "invalid_host"},
		{name: "EmptyPort", head: "GET " + products + " HTTP/1.1\nHost: " + a + ":", wantStatus: 400, wantCode: "invalid_host"},
		{name: "PortKept", head: "GET " + products + " HTTP/1.1\nHost: " + a + ":8080", wantStatus: 200, want: "Alpha thing"},
		{name: "AbsoluteFormSameHost", head: "GET http://" + a + products + " HTTP/1.1\nHost: " + a, wantStatus: 200, want: "Alpha thing"},
		{name: "AbsoluteFormDefaultPort", head: "GET HTTP://" + strings.ToUpper(a) + ":80" + products + " HTTP/1.1\nHost: " + a, wantStatus: 200, want: "Alpha thing"},
		{name: "AbsoluteFormOtherHost", head: "GET http://" + b + products + " HTTP/1.1\nHost: " + a, wantStatus: 400, wantCode: "invalid_target"},
		{name: "AbsoluteFormOtherPort", head: "GET http://" + a + ":8080" + products + " HTTP/1.1\nHost: " + a, wantStatus: 400, wantCode: "invalid_target"},
		{name: "AbsoluteFormUserinfo", head: "GET http://x@" + a + products + " HTTP/1.1\nHost: " + a, wantStatus: 400, wantCode: "invalid_target"},
		{name: "AbsoluteFormWithoutHost", head: "GET http://" + b + products + " HTTP/1.1", wantStatus: 400, wantCode: "invalid_host"},
		{name: "OtherScheme", head: "GET ftp://" + a + products + " HTTP/1.1\nHost: " + a, wantStatus: 400, wantCode: "invalid_target"},
		{name: "AsteriskForm", head: "OPTIONS * HTTP/1.1\nHost: " + a, wantStatus: 400, wantCode: "invalid_target"},
		{name: "HealthByIP", head: "GET /api/v1/health HTTP/1.1\nHost: 10.0.0.5:8080", wantStatus: 200},
		{name: "HealthByIPv6", head: "GET /api/v1/health HTTP/1.1\nHost: [::1]:8080", wantStatus: 200},
		{name: "HealthWithoutHost", head: "GET /api/v1/health HTTP/1.1", wantStatus: 400, wantCode: "invalid_host"},
		{name: "UntrustedForwardedHostIgnored", head: "GET " + products + " HTTP/1.1\nHost: " + a + "\nX-Forwarded-Host: " + b, wantStatus: 200, want: "Alpha thing"},
		{name: "ProxyForwardedHost", server: tsTrusting, head: "GET " + products + " HTTP/1.1\nHost: lb.internal\nX-Forwarded-Host: " + b, wantStatus: 200, want: "Beta thing"},
		{name: "ProxyAppendedForwardedHost", server: tsTrusting, head: "GET " + products + " HTTP/1.1\nHost: lb.internal\nX-Forwarded-Host: " + b + ", " + a, wantStatus: 200, want: "Alpha thing"},
		{name: "ProxyAddedForwardedHostLine", server: tsTrusting, head: "GET " + products + " HTTP/1.1\nHost: lb.internal\nX-Forwarded-Host: " + b + "\nX-Forwarded-Host: " + a, wantStatus: 200, want: "Alpha thing"},
		{name: "ProxyForwardedHostWithUserinfo", server: tsTrusting, head: "GET " + products + " HTTP/1.1\nHost: lb.internal\nX-Forwarded-Host: x@" + b, wantStatus: 400, wantCode: "invalid_host", want: "X-Forwarded-Host"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.server
			if s == nil {
				s = ts
			}
			status, body := s.rawRequest(t, tt.head, "")
			if status != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body: %s", status, tt.wantStatus, body)
			}
			if strings.Contains(body, "Beta") && !strings.Contains(tt.want, "Beta") {
				t.Fatalf("answered with the other shop's data: %s", body)
			}
			if tt.want != "" && !strings.Contains(body, tt.want) {
				t.Errorf("body %s lacks %q", body, tt.want)
			}
			if tt.wantCode != "" && errorCode(body) != tt.wantCode {
				t.Errorf("error code = %q, want %q; body: %s", errorCode(body), tt.wantCode, body)
			}
		})
	}
}
