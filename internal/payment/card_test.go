package payment_test

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/internal/payment"
	"github.com/bazaar/bazaar/internal/payment/stripetest"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

func (sh *shop) startCard(t testing.TB, req payment.IntentRequest) (payment.Intent, error) {
	t.Helper()
	var in payment.Intent
	err := sh.tx(t, func(ctx context.Context) error {
		var err error
		in, err = sh.svc.StartCard(ctx, req)
		return err
	})
	return in, err
}

func (sh *shop) refund(t testing.TB, ref string, cents int64, key string) error {
	t.Helper()
	return sh.tx(t, func(ctx context.Context) error { return sh.svc.Refund(ctx, ref, cents, key) })
}

func order(key string) payment.IntentRequest {
	return payment.IntentRequest{AmountCents: 2599, Currency: "EUR", IdempotencyKey: key, Description: "Order 1001",
		Email: "shopper@example.lu", Metadata: map[string]string{"order_id": "17"}}
}

// TestCardPayments run against stripe-mock, through a recorder that shows
// what reached Stripe: the shop's own key, the idempotency key, the form.
func TestCardPayments(t *testing.T) {
	rec := record(t, stripetest.Start(t))
	db := tenanttest.Open(t)
	svc := newService(t, rec.URL)
	a := newShop(t, db, svc, "pay-card-a")
	b := newShop(t, db, svc, "pay-card-b")
	bare := newShop(t, db, svc, "pay-card-none")
	a.configure(t)
	b.configure(t)

	var ref string
	t.Run("StartCardCreatesAPaymentIntentWithTheShopsKey", func(t *testing.T) {
		n := rec.count()
		in, err := a.startCard(t, order("order-17"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(in.Ref, "pi_") || !strings.Contains(in.ClientSecret, "_secret_") || in.PublishableKey != a.pk {
			t.Errorf("Intent = %+v", in)
		}
		ref = in.Ref
		reqs := rec.since(n)
		if len(reqs) != 1 {
			t.Fatalf("%d requests reached Stripe, want 1: %+v", len(reqs), reqs)
		}
		r := reqs[0]
		if r.Method != "POST" || r.Path != "/v1/payment_intents" || r.Auth != "Bearer "+a.sk {
			t.Errorf("request %s %s with %q, want POST /v1/payment_intents with the shop's own key", r.Method, r.Path, r.Auth)
		}
		if !strings.HasSuffix(r.Idempotency, "-order-17") {
			t.Errorf("Idempotency-Key = %q", r.Idempotency)
		}
		form, err := url.ParseQuery(r.Body)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range map[string]string{
			"amount": "2599", "currency": "eur", "payment_method_types[0]": "card", "receipt_email": "shopper@example.lu",
			"description": "Order 1001", "metadata[order_id]": "17", "metadata[bazaar_vendor_id]": strconv.Itoa(a.tn.ID),
		} {
			if form.Get(k) != v {
				t.Errorf("form %s = %q, want %q", k, form.Get(k), v)
			}
		}
	})

	t.Run("TheSameIdempotencyKeyIsTheSameRequest", func(t *testing.T) {
		n := rec.count()
		first, err := a.startCard(t, order("order-18"))
		if err != nil {
			t.Fatal(err)
		}
		again, err := a.startCard(t, order("order-18"))
		if err != nil {
			t.Fatal(err)
		}
		if again.Ref != first.Ref {
			t.Errorf("a repeat gave %s, then %s", first.Ref, again.Ref)
		}
		// Another shop sending the same key (its own order 18) is another
		// request at Stripe, with its own key.
		if _, err := b.startCard(t, order("order-18")); err != nil {
			t.Fatal(err)
		}
		reqs := rec.since(n)
		if len(reqs) != 3 || reqs[0].Idempotency != reqs[1].Idempotency || reqs[0].Idempotency == reqs[2].Idempotency ||
			reqs[2].Auth != "Bearer "+b.sk {
			t.Errorf("requests: %+v", reqs)
		}
	})

	t.Run("RefundUsesTheShopsKey", func(t *testing.T) {
		n := rec.count()
		if err := a.refund(t, ref, 500, "refund-17-1"); err != nil {
			t.Fatal(err)
		}
		reqs := rec.since(n)
		if len(reqs) != 1 || reqs[0].Path != "/v1/refunds" || reqs[0].Auth != "Bearer "+a.sk || !strings.HasSuffix(reqs[0].Idempotency, "-refund-17-1") {
			t.Fatalf("requests: %+v", reqs)
		}
		form, _ := url.ParseQuery(reqs[0].Body)
		if form.Get("payment_intent") != ref || form.Get("amount") != "500" {
			t.Errorf("refund form: %v", form)
		}
		// A shop that turned cards off still refunds what it took.
		if _, err := a.set(t, payment.StripeInput{Enabled: ptr(false)}); err != nil {
			t.Fatal(err)
		}
		if err := a.refund(t, ref, 100, "refund-17-2"); err != nil {
			t.Errorf("refund while disabled: %v", err)
		}
		if _, err := a.set(t, payment.StripeInput{Enabled: ptr(true)}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("BadRequestsNameEveryFieldAndReachNoOne", func(t *testing.T) {
		n := rec.count()
		_, err := a.startCard(t, payment.IntentRequest{AmountCents: 0, Currency: "eur", IdempotencyKey: "has space",
			Email: "not-an-address", Description: "line\nbreak", Metadata: map[string]string{"bazaar_vendor_id": "1"}})
		wantFault(t, err, fault.Invalid, "invalid", "amount_cents", "currency", "idempotency_key", "email", "description", "metadata.bazaar_vendor_id")
		err = a.refund(t, "ch_123", -1, "")
		wantFault(t, err, fault.Invalid, "invalid", "ref", "amount_cents", "idempotency_key")
		if got := rec.count() - n; got != 0 {
			t.Errorf("%d bad requests reached Stripe", got)
		}
	})

	t.Run("AShopWithoutKeysOffersOnlyBankTransfer", func(t *testing.T) {
		n := rec.count()
		if m := bare.methods(t); !slices.Equal(m, []string{"bank_transfer"}) {
			t.Errorf("Methods = %v", m)
		}
		_, err := bare.startCard(t, order("order-1"))
		wantFault(t, err, fault.Invalid, "payment_method_unavailable")
		err = bare.refund(t, ref, 100, "refund-1")
		wantFault(t, err, fault.Invalid, "payment_method_unavailable")
		if got := rec.count() - n; got != 0 {
			t.Errorf("%d requests reached Stripe for a shop without keys", got)
		}
	})

	t.Run("AKeyStripeRefusesIsUnavailableAndNeverShown", func(t *testing.T) {
		// stripe-mock refuses live keys, and its refusal quotes the key.
		live := newShop(t, db, svc, "pay-card-live")
		live.pk, live.sk = "pk_live_LivePublishable1", "sk_live_LiveSecretNeverShown1"
		live.configure(t)
		_, err := live.startCard(t, order("order-1"))
		fe := wantFault(t, err, fault.Unavailable, "payment_unavailable")
		wantNoSecret(t, "the fault and its cause", fe.Error(), live.sk, "LiveSecretNeverShown1")
	})

	t.Run("ASealedKeyCopiedToAnotherShopDoesNotOpen", func(t *testing.T) {
		// The row's sealed key is moved to the bare shop's table behind the
		// service's back: it was sealed for shop a and does not open for it.
		sqlDB := tenanttest.SQL(t, tenanttest.PackageDatabase(t))
		if _, err := sqlDB.Exec(`INSERT INTO "` + bare.tn.Schema + `".payment_accounts
			(provider, enabled, publishable_key, secret_key_sealed, webhook_secret_sealed, secret_key_hint, updated_at)
			SELECT provider, enabled, publishable_key, secret_key_sealed, webhook_secret_sealed, secret_key_hint, updated_at
			FROM "` + a.tn.Schema + `".payment_accounts`); err != nil {
			t.Fatal(err)
		}
		n := rec.count()
		_, err := bare.startCard(t, order("order-2"))
		wantFault(t, err, fault.Unavailable, "payment_unavailable")
		if got := rec.count() - n; got != 0 {
			t.Errorf("%d requests reached Stripe with a key that should not open", got)
		}
	})

	t.Run("StripeUnreachableIsUnavailable", func(t *testing.T) {
		down := newShop(t, db, newService(t, deadURL(t)), "pay-card-down")
		down.configure(t)
		_, err := down.startCard(t, order("order-1"))
		wantFault(t, err, fault.Unavailable, "payment_provider_unavailable")
	})
}
