package payment_test

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/internal/payment"
	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

func TestMain(m *testing.M) { tenanttest.Main(m) }

const tolerance = 5 * time.Minute

// newService builds a service with a fresh sealing key that reaches Stripe
// at stripeURL.
func newService(t testing.TB, stripeURL string) *payment.Service {
	t.Helper()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	s, err := payment.New(payment.Options{
		Key: key, StripeAPIURL: stripeURL, Timeout: 5 * time.Second,
		WebhookTolerance: tolerance, WebhookMaxBytes: 64 << 10,
	}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// shop is a throwaway tenant and its Stripe keys (test keys, which
// stripe-mock takes).
type shop struct {
	db            *tenantdb.DB
	tn            *tenantdb.Tenant
	pk, sk, whsec string
	secretHint    string
	svc           *payment.Service
	actor         payment.Actor
}

func newShop(t testing.TB, db *tenantdb.DB, svc *payment.Service, prefix string) *shop {
	t.Helper()
	tn := tenanttest.Tenant(t, db, prefix)
	tag := strings.ReplaceAll(tn.Slug, "-", "")
	sh := &shop{db: db, tn: tn, svc: svc,
		pk: "pk_test_" + tag + "Publishable", sk: "sk_test_" + tag + "Secret9z8y", whsec: "whsec_" + tag + "Signing",
		actor: payment.Actor{UserID: 0, Email: "owner@" + tn.Slug + ".test", IP: "127.0.0.1", RequestID: "req-" + tn.Slug}}
	sh.secretHint = sh.sk[len(sh.sk)-4:]
	return sh
}

// tx runs fn in a read-write transaction bound to the shop.
func (sh *shop) tx(t testing.TB, fn func(ctx context.Context) error) error {
	t.Helper()
	return sh.db.Tx(context.Background(), sh.tn, fn)
}

// configure gives the shop its Stripe keys, enabled.
func (sh *shop) configure(t testing.TB) {
	t.Helper()
	on := true
	if _, err := sh.set(t, payment.StripeInput{Enabled: &on, PublishableKey: &sh.pk, SecretKey: &sh.sk, WebhookSecret: &sh.whsec}); err != nil {
		t.Fatal(err)
	}
}

func (sh *shop) set(t testing.TB, in payment.StripeInput) (payment.AccountView, error) {
	t.Helper()
	var v payment.AccountView
	err := sh.tx(t, func(ctx context.Context) error {
		var err error
		v, err = sh.svc.SetStripe(ctx, sh.actor, in)
		return err
	})
	return v, err
}

func (sh *shop) methods(t testing.TB) []string {
	t.Helper()
	var m []string
	if err := sh.tx(t, func(ctx context.Context) error {
		var err error
		m, err = sh.svc.Methods(ctx)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return m
}

// wantFault checks that err is a fault of kind (and code, if given) naming
// exactly fields, if given.
func wantFault(t testing.TB, err error, kind fault.Kind, code string, fields ...string) *fault.Error {
	t.Helper()
	fe, ok := fault.As(err)
	if !ok {
		t.Fatalf("err = %v, want a %s fault", err, kind)
	}
	if fe.Kind != kind || (code != "" && fe.CodeOrKind() != code) {
		t.Fatalf("fault = %s/%s %q, want %s/%s", fe.Kind, fe.CodeOrKind(), fe.Message, kind, code)
	}
	if fields != nil {
		var got []string
		for f := range fe.Fields {
			got = append(got, f)
		}
		slices.Sort(got)
		slices.Sort(fields)
		if !slices.Equal(got, fields) {
			t.Fatalf("fields = %v, want %v (%v)", got, fields, fe.Fields)
		}
	}
	return fe
}

// wantNoSecret fails if any of secrets appears in s.
func wantNoSecret(t testing.TB, what, s string, secrets ...string) {
	t.Helper()
	for _, x := range secrets {
		if x != "" && strings.Contains(s, x) {
			t.Errorf("%s holds a secret (%.12s…): %s", what, x, s)
		}
	}
}

// recorder sits between the service and stripe-mock and remembers what
// each request carried. stripe-mock keeps no idempotency keys (every
// answer has fresh ids), so the recorder does what Stripe does: a POST
// repeating an idempotency key with the same API key gets the first
// answer again.
type recorder struct {
	URL     string
	mu      sync.Mutex
	reqs    []sent
	answers map[string]*httptest.ResponseRecorder
}

type sent struct {
	Method, Path, Auth, Idempotency, Body string
}

func record(t testing.TB, target string) *recorder {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	r := &recorder{answers: map[string]*httptest.ResponseRecorder{}}
	proxy := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		req.Body = io.NopCloser(strings.NewReader(string(body)))
		s := sent{req.Method, req.URL.Path, req.Header.Get("Authorization"), req.Header.Get("Idempotency-Key"), string(body)}
		r.mu.Lock()
		r.reqs = append(r.reqs, s)
		key := s.Auth + "\x00" + s.Idempotency
		answer, seen := r.answers[key]
		if !seen {
			answer = httptest.NewRecorder()
			proxy.ServeHTTP(answer, req)
			if s.Method == http.MethodPost && s.Idempotency != "" {
				r.answers[key] = answer
			}
		}
		r.mu.Unlock()
		for k, v := range answer.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(answer.Code)
		_, _ = w.Write(answer.Body.Bytes())
	}))
	t.Cleanup(srv.Close)
	r.URL = srv.URL
	return r
}

// since are the requests after the first n.
func (r *recorder) since(n int) []sent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.reqs[n:])
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.reqs)
}

// deadURL is a loopback address nobody listens on.
func deadURL(t testing.TB) string {
	t.Helper()
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL
	srv.Close()
	return u
}
