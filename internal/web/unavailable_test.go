package web

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// tcpProxy stands between the server under test and PostgreSQL, so a test
// can take the database away from its own pool — refusing new connections
// and cutting the open ones, as a restart does — without touching the
// shared cluster.
type tcpProxy struct {
	target string
	addr   string // fixed once first listening, so the pool's URL stays right

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]bool
}

func startProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	p := &tcpProxy{target: target, addr: "127.0.0.1:0", conns: map[net.Conn]bool{}}
	p.up(t)
	t.Cleanup(p.down)
	return p
}

// up starts accepting again, on the same address.
func (p *tcpProxy) up(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
}

func (p *tcpProxy) serve(client net.Conn) {
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		client.Close()
		return
	}
	p.mu.Lock()
	if p.ln == nil { // went down meanwhile
		p.mu.Unlock()
		client.Close()
		server.Close()
		return
	}
	p.conns[client], p.conns[server] = true, true
	p.mu.Unlock()
	go func() { io.Copy(server, client); server.Close() }() //nolint:errcheck // ends with either side
	io.Copy(client, server)                                 //nolint:errcheck
	client.Close()
}

// down refuses new connections and cuts every open one.
func (p *tcpProxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}

// TestDatabaseOutageIs503: while PostgreSQL cannot be reached (here: the
// test's own pool goes through a proxy the test takes down, as a restart
// would), requests answer 503 "unavailable" with Retry-After — not a 500
// "internal", nor a 401 for a signed-in user whose session cannot be checked
// — readiness says which check failed and why in plain words, and neither
// reveals an address or a user. When the database is back, so is service.
func TestDatabaseOutageIs503(t *testing.T) {
	direct := tenanttest.Open(t)
	shop := tenanttest.Tenant(t, direct, "outage")
	other := tenanttest.Tenant(t, direct, "outage-cold") // never resolved before the outage
	d := tenanttest.PackageDatabase(t)
	u, err := url.Parse(d.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := startProxy(t, u.Host)
	dbUser := u.User.Username()
	u.Host = proxy.addr
	db := tenanttest.Open(t, func(o *tenantdb.Options) { o.URL = u.String() })
	ts := startServer(t, db, defaultOptions(), nil)
	host := hostOf(shop)
	email := "owner@" + shop.Slug + ".test"
	ts.join(t, shop, ts.user(t, email).ID, "owner")
	token := ts.login(t, host, email).access

	requests := []struct {
		name string
		req  req
	}{
		{"ShopListing", req{method: "GET", host: host, path: "/api/v1/shop/products"}},
		{"SignedInListing", req{method: "GET", host: host, path: "/api/v1/products", token: token}},
		{"SignIn", req{method: "POST", host: host, path: "/api/v1/auth/login", body: map[string]any{"email": email, "password": testPassword}}},
		{"UnresolvedShop", req{method: "GET", host: hostOf(other), path: "/api/v1/shop/products"}},
	}
	for _, r := range requests[:2] {
		if got := ts.do(t, r.req); got.status != http.StatusOK {
			t.Fatalf("%s before the outage: %d %s", r.name, got.status, got.body)
		}
	}
	if r := ts.do(t, req{method: "GET", host: "10.0.0.1", path: "/api/v1/health/ready"}); r.status != http.StatusOK {
		t.Fatalf("ready before the outage: %d %s", r.status, r.body)
	}

	proxy.down()
	_, port, _ := net.SplitHostPort(proxy.addr)
	leaks := func(t *testing.T, r *resp) {
		t.Helper()
		for _, s := range []string{port, "127.0.0.1", dbUser, "dial", "pq:"} {
			if strings.Contains(string(r.body), s) {
				t.Errorf("the answer gives away %q: %s", s, r.body)
			}
		}
	}
	for _, r := range requests {
		t.Run("Outage/"+r.name, func(t *testing.T) {
			got := ts.do(t, r.req)
			if got.status != http.StatusServiceUnavailable || got.code() != "unavailable" || got.header.Get("Retry-After") != "5" {
				t.Fatalf("%d %s (Retry-After %q), want 503 unavailable with Retry-After 5", got.status, got.body, got.header.Get("Retry-After"))
			}
			leaks(t, got)
		})
	}
	t.Run("Outage/Readiness", func(t *testing.T) {
		got := ts.do(t, req{method: "GET", host: "10.0.0.1", path: "/api/v1/health/ready"})
		var out struct {
			Status string
			Reason string
			Checks map[string]any
		}
		got.decode(t, &out)
		if got.status != http.StatusServiceUnavailable || out.Status != "unavailable" || got.header.Get("Retry-After") == "" ||
			out.Checks["database"] != "unreachable: the database refused the connection (is it running?)" ||
			!strings.HasPrefix(out.Reason, "database: unreachable") {
			t.Fatalf("%d %s, want 503 naming the database check and why", got.status, got.body)
		}
		leaks(t, got)
	})

	proxy.up(t)
	deadline := time.Now().Add(10 * time.Second)
	for _, r := range requests {
		for {
			got := ts.do(t, r.req)
			if got.status == http.StatusOK {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s after the database came back: %d %s", r.name, got.status, got.body)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	if r := ts.do(t, req{method: "GET", host: "10.0.0.1", path: "/api/v1/health/ready"}); r.status != http.StatusOK {
		t.Fatalf("ready after the outage: %d %s", r.status, r.body)
	}
}

// TestUnavailableErrorsMapTo503: what tenantdb.Unavailable recognises
// becomes 503 "unavailable"; a request's own timeout (its deadline, or a
// statement cancelled by it) is 503 "timeout"; a constraint violation or a
// plain bug are 500.
func TestUnavailableErrorsMapTo503(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	tests := []struct {
		name   string
		err    error
		status int
		code   string
	}{
		{"ConnectionRefused", fmt.Errorf("tenantdb: begin transaction for %q: %w", "x", refused), 503, "unavailable"},
		{"ConnectionReset", &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, 503, "unavailable"},
		{"BrokenConnection", fmt.Errorf("identity: check session: %w", driver.ErrBadConn), 503, "unavailable"},
		{"HostNameDoesNotResolve", &net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "db", IsNotFound: true}}, 503, "unavailable"},
		{"AdminShutdown", &pq.Error{Code: "57P01"}, 503, "unavailable"},
		{"CrashShutdown", &pq.Error{Code: "57P02"}, 503, "unavailable"},
		{"CannotConnectNow", &pq.Error{Code: "57P03"}, 503, "unavailable"},
		{"TooManyConnections", &pq.Error{Code: "53300"}, 503, "unavailable"},
		{"ConnectionException", &pq.Error{Code: "08006"}, 503, "unavailable"},
		{"JoinedWithARollbackError", errors.Join(errors.New("step failed"), driver.ErrBadConn), 503, "unavailable"},
		{"RequestTimeout", fmt.Errorf("catalog: list: %w", context.DeadlineExceeded), 503, "timeout"},
		// lib/pq cancels a statement whose context ended: PostgreSQL answers
		// query_canceled, and the request took too long — not a bug.
		{"StatementCanceledByTheDeadline", fmt.Errorf("order: checkout: %w", &pq.Error{Code: "57014", Message: "canceling statement due to user request"}), 503, "timeout"},
		{"UniqueViolation", &pq.Error{Code: "23505"}, 500, "internal"},
		{"NULInText", &pq.Error{Code: "22021"}, 500, "internal"},
		{"Bug", errors.New("boom"), 500, "internal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.err
			if down, _ := databaseDown(err); down != nil {
				err = down
			}
			status, detail, _ := classify(err)
			if status != tt.status || detail.Code != tt.code {
				t.Errorf("%v → %d %s, want %d %s", tt.err, status, detail.Code, tt.status, tt.code)
			}
			if reason, ok := tenantdb.Unavailable(tt.err); ok == (tt.code != "unavailable") || (ok && reason == "") {
				t.Errorf("Unavailable(%v) = %q, %v", tt.err, reason, ok)
			}
		})
	}
}
