package customer

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

func TestMain(m *testing.M) { tenanttest.Main(m) }

// plainPasswords stand in for argon2id: the service's logic, not the
// hasher's cost, is under test here (the web tests use the real hasher).
type plainPasswords struct{}

func (plainPasswords) Hash(_ context.Context, pw string) (string, error) { return "plain:" + pw, nil }
func (plainPasswords) Verify(_ context.Context, pw, enc string) (bool, bool, error) {
	return enc == "plain:"+pw, false, nil
}
func (plainPasswords) Burn(context.Context, string) error { return nil }

func TestPasswordAndEmailRules(t *testing.T) {
	for _, tt := range []struct {
		password, email, want string
	}{
		{"ten chars!", "a@b.lu", ""},
		{"nine char", "a@b.lu", "at least 10"},
		{"é" + strings.Repeat("x", 8), "a@b.lu", "at least 10"}, // 9 characters, 10 bytes
		{strings.Repeat("x", 257), "a@b.lu", "at most 256"},
		{" LONGER@MAIL.LU ", "longer@mail.lu", "email"},
		{"\xff" + strings.Repeat("x", 10), "a@b.lu", "UTF-8"},
	} {
		if got := passwordProblem(tt.password, tt.email); (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("passwordProblem(%q) = %q, want %q", tt.password, got, tt.want)
		}
	}
	for email, ok := range map[string]bool{
		"ann@shop.lu": true, "a.b+c@x.example": true, "": false, "ann": false, "a@b@c": false,
		"a b@c.lu": false, "a:b@c.lu": false, "ann@": false, "@shop.lu": false,
	} {
		if got := emailProblem(email); (got == "") != ok {
			t.Errorf("emailProblem(%q) = %q, want ok=%v", email, got, ok)
		}
	}
}

func TestAddressesNameEveryBadField(t *testing.T) {
	bad := fields{}
	out := bad.addresses("addresses", []Address{
		{Name: " Ann ", Line1: "1 rue", PostalCode: "L-1234", City: "Luxembourg", Country: "LU", Phone: "+352 621 000 000"},
		{Name: "x\u0085y", Line1: "", PostalCode: "L_1", City: strings.Repeat("c", 101), Country: "LUX", Phone: "1234"},
	})
	want := []string{"addresses[1].name", "addresses[1].line1", "addresses[1].postal_code", "addresses[1].city",
		"addresses[1].country", "addresses[1].phone"}
	for _, f := range want {
		if bad[f] == "" {
			t.Errorf("%s not named: %v", f, bad)
		}
	}
	if len(bad) != len(want) || out[0].Name != "Ann" {
		t.Errorf("named %v; the first address became %+v", bad, out[0])
	}
	bad = fields{}
	bad.addresses("addresses", make([]Address, maxAddresses+1))
	if len(bad) != 1 || bad["addresses"] == "" {
		t.Errorf("too many addresses: %v", bad)
	}
}

// TestLockoutEnds: the failures lock the account until Lockout has passed,
// whatever the password, and then the right one signs in again.
func TestLockoutEnds(t *testing.T) {
	db := tenanttest.Open(t)
	shop := tenanttest.Tenant(t, db, "lockout")
	s := New(plainPasswords{}, Options{LoginFailures: 2, Lockout: time.Minute, LoginIPLimit: 1000}, nil)
	now := time.Now()
	s.now = func() time.Time { return now }
	ctx := context.Background()
	run := func(fn func(ctx context.Context) error) error { return db.Tx(ctx, shop, fn) }
	if err := run(func(ctx context.Context) error {
		_, err := s.Register(ctx, Registration{Email: "l@x.lu", Password: "the passphrase", FirstName: "L", LastName: "X"}, "ip")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	login := func(pw string) error {
		var out error
		_ = run(func(ctx context.Context) error { // commits the count whatever the answer, as the web layer does
			_, out = s.Login(ctx, "L@X.LU", pw, "ip")
			return nil
		})
		return out
	}
	for range 2 {
		if err := login("wrong guess!"); !errors.Is(err, fault.ErrUnauthenticated) {
			t.Fatalf("wrong password: %v", err)
		}
	}
	var fe *fault.Error
	if err := login("the passphrase"); !errors.As(err, &fe) || fe.Kind != fault.RateLimited || fe.RetryAfter < time.Minute-time.Millisecond || fe.RetryAfter > time.Minute+time.Millisecond {
		t.Fatalf("locked: %v (%v), want 429 for the minute", err, fe.RetryAfter)
	}
	now = now.Add(time.Minute + time.Second)
	if err := login("the passphrase"); err != nil {
		t.Fatalf("after the lockout: %v", err)
	}
}

// TestGuestClaimsOneRow: checkouts of one new e-mail racing each other all
// get the one row; an account's row is found, its names kept.
func TestGuestClaimsOneRow(t *testing.T) {
	db := tenanttest.Open(t)
	shop := tenanttest.Tenant(t, db, "guest")
	s := New(plainPasswords{}, Options{}, nil)
	ctx := context.Background()
	const n = 8
	ids := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if err := db.Tx(ctx, shop, func(ctx context.Context) error {
				var err error
				ids[i], err = s.Guest(ctx, " Race@Shop.LU", "Ray", "Race")
				return err
			}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] || id == 0 {
			t.Fatalf("ids %v, want one row", ids)
		}
	}
	err := db.Tx(ctx, shop, func(ctx context.Context) error {
		if _, err := s.Register(ctx, Registration{Email: "race@shop.lu", Password: "the passphrase", FirstName: "Rae", LastName: "R"}, "ip"); err != nil {
			return err
		}
		id, err := s.Guest(ctx, "race@shop.lu", "Someone", "Else")
		if err != nil || id != ids[0] {
			t.Errorf("a guest checkout of the account's e-mail: %d, %v; want %d", id, err, ids[0])
		}
		p, err := s.Me(ctx, id)
		if err != nil || p.FirstName != "Rae" {
			t.Errorf("the account's names: %+v, %v", p, err)
		}
		c, _ := tenantdb.Current(ctx)
		if count := c.Customer.Query().CountX(ctx); count != 1 {
			t.Errorf("%d customer rows", count)
		}
		_, err = s.Guest(ctx, "not an email", "", "")
		if fe, ok := fault.As(err); !ok || fe.Fields["email"] == "" {
			t.Errorf("a bad e-mail: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
