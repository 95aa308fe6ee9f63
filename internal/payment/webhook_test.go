package payment_test

import (
	"context"
	"encoding/json"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v82/webhook"

	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/internal/payment"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

func (sh *shop) webhook(t testing.TB, payload []byte, header string) (*payment.Event, error) {
	t.Helper()
	var ev *payment.Event
	err := sh.tx(t, func(ctx context.Context) error {
		var err error
		ev, err = sh.svc.Webhook(ctx, payload, header)
		return err
	})
	return ev, err
}

// stripeEvent is a webhook payload as Stripe sends it.
func stripeEvent(id, typ string, created time.Time, object map[string]any) []byte {
	b, err := json.Marshal(map[string]any{
		"id": id, "object": "event", "api_version": "2024-06-20", "created": created.Unix(), "livemode": false,
		"pending_webhooks": 1, "type": typ, "data": map[string]any{"object": object},
	})
	if err != nil {
		panic(err)
	}
	return b
}

func sign(payload []byte, secret string, at time.Time) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: at}).Header
}

func TestWebhook(t *testing.T) {
	db := tenanttest.Open(t)
	svc := newService(t, deadURL(t)) // verifying calls no one
	a := newShop(t, db, svc, "pay-hook-a")
	b := newShop(t, db, svc, "pay-hook-b")
	bare := newShop(t, db, svc, "pay-hook-none")
	a.configure(t)
	b.configure(t)
	created := time.Now().Add(-time.Minute).Truncate(time.Second).UTC()
	succeeded := stripeEvent("evt_1Succeeded", "payment_intent.succeeded", created, map[string]any{
		"id": "pi_3Abc", "object": "payment_intent", "amount": 2599, "amount_received": 2599, "currency": "eur",
		"metadata": map[string]string{"order_id": "17", "bazaar_vendor_id": "1"},
	})

	t.Run("ASignedEventVerifies", func(t *testing.T) {
		ev, err := a.webhook(t, succeeded, sign(succeeded, a.whsec, time.Now()))
		if err != nil {
			t.Fatal(err)
		}
		want := payment.Event{Provider: "stripe", ID: "evt_1Succeeded", Type: "payment_intent.succeeded", Ref: "pi_3Abc",
			AmountCents: 2599, Currency: "EUR", Created: created, Metadata: map[string]string{"order_id": "17", "bazaar_vendor_id": "1"}}
		if ev.Provider != want.Provider || ev.ID != want.ID || ev.Type != want.Type || ev.Ref != want.Ref || ev.AmountCents != want.AmountCents ||
			ev.Currency != want.Currency || !ev.Created.Equal(want.Created) || ev.Livemode || !maps.Equal(ev.Metadata, want.Metadata) {
			t.Errorf("Event = %+v\nwant    %+v", *ev, want)
		}
	})

	t.Run("ARefundConcernsItsPaymentIntent", func(t *testing.T) {
		refunded := stripeEvent("evt_2Refunded", "charge.refunded", created, map[string]any{
			"id": "ch_3Abc", "object": "charge", "amount": 2599, "amount_refunded": 600, "currency": "eur", "payment_intent": "pi_3Abc",
		})
		ev, err := a.webhook(t, refunded, sign(refunded, a.whsec, time.Now()))
		if err != nil {
			t.Fatal(err)
		}
		if ev.Ref != "pi_3Abc" || ev.AmountCents != 600 || ev.Type != "charge.refunded" {
			t.Errorf("Event = %+v", *ev)
		}
		failed := stripeEvent("evt_3Failed", "payment_intent.payment_failed", created, map[string]any{
			"id": "pi_3Abc", "object": "payment_intent", "amount": 2599, "amount_received": 0, "currency": "eur",
		})
		if ev, err = a.webhook(t, failed, sign(failed, a.whsec, time.Now())); err != nil || ev.Ref != "pi_3Abc" || ev.AmountCents != 2599 {
			t.Errorf("failed: %+v, %v", ev, err)
		}
	})

	tampered := []byte(strings.Replace(string(succeeded), `"amount_received":2599`, `"amount_received":999999`, 1))
	for _, tt := range []struct {
		name    string
		shop    *shop
		payload []byte
		header  string
		kind    fault.Kind
		code    string
	}{
		{"WrongSecret", a, succeeded, sign(succeeded, "whsec_SomebodyElsesSecret", time.Now()), fault.Invalid, "bad_signature"},
		{"AnotherShopsSecret", a, succeeded, sign(succeeded, b.whsec, time.Now()), fault.Invalid, "bad_signature"},
		{"DeliveredToAnotherShop", b, succeeded, sign(succeeded, a.whsec, time.Now()), fault.Invalid, "bad_signature"},
		{"TamperedBody", a, tampered, sign(succeeded, a.whsec, time.Now()), fault.Invalid, "bad_signature"},
		{"TooOld", a, succeeded, sign(succeeded, a.whsec, time.Now().Add(-tolerance-time.Minute)), fault.Invalid, "stale_signature"},
		{"NoHeader", a, succeeded, "", fault.Invalid, "bad_signature"},
		{"MalformedHeader", a, succeeded, "t=notanumber,v1=abc", fault.Invalid, "bad_signature"},
		{"SignedButNotJSON", a, []byte("not json"), sign([]byte("not json"), a.whsec, time.Now()), fault.Invalid, "bad_payload"},
		{"SignedButNoEvent", a, []byte(`{"hello":"world"}`), sign([]byte(`{"hello":"world"}`), a.whsec, time.Now()), fault.Invalid, "bad_payload"},
		{"ShopWithoutSecret", bare, succeeded, sign(succeeded, a.whsec, time.Now()), fault.NotFound, "webhook_not_configured"},
		{"TooLarge", a, []byte(`{"pad":"` + strings.Repeat("x", 64<<10) + `"}`), "t=1,v1=00", fault.TooLarge, "too_large"},
	} {
		t.Run("Refused/"+tt.name, func(t *testing.T) {
			ev, err := tt.shop.webhook(t, tt.payload, tt.header)
			if ev != nil {
				t.Errorf("an event came through: %+v", *ev)
			}
			fe := wantFault(t, err, tt.kind, tt.code)
			wantNoSecret(t, "the fault", fe.Error(), a.whsec, b.whsec, a.whsec[6:], b.whsec[6:], "SomebodyElsesSecret")
		})
	}
}

func TestSeen(t *testing.T) {
	db := tenanttest.Open(t)
	svc := newService(t, deadURL(t))
	a := newShop(t, db, svc, "pay-seen-a")
	b := newShop(t, db, svc, "pay-seen-b")
	seen := func(sh *shop, provider, id string, rollback bool) bool {
		t.Helper()
		var first bool
		order := 17
		err := sh.tx(t, func(ctx context.Context) error {
			var err error
			first, err = svc.Seen(ctx, provider, id, "payment_intent.succeeded", &order, "paid")
			if err == nil && rollback {
				return errRollback
			}
			return err
		})
		if err != nil && err != errRollback {
			t.Fatal(err)
		}
		return first
	}
	if !seen(a, "stripe", "evt_1", true) {
		t.Error("first delivery, rolled back: not first")
	}
	if !seen(a, "stripe", "evt_1", false) {
		t.Error("a delivery after a rolled-back one is not first: the record outlived its transaction")
	}
	if seen(a, "stripe", "evt_1", false) {
		t.Error("a replay is first again")
	}
	if !seen(b, "stripe", "evt_1", false) {
		t.Error("another shop's event of the same id is not first")
	}
	if !seen(a, "other", "evt_1", false) {
		t.Error("another provider's event of the same id is not first")
	}

	// Two deliveries at once: the second waits on the first's uncommitted
	// record and, once it commits, is not first.
	ctx, txn, err := db.Begin(context.Background(), a.tn, false)
	if err != nil {
		t.Fatal(err)
	}
	defer txn.Rollback()
	if first, err := svc.Seen(ctx, "stripe", "evt_race", "payment_intent.succeeded", nil, "paid"); err != nil || !first {
		t.Fatalf("the first delivery: %v, %v", first, err)
	}
	type outcome struct {
		first bool
		err   error
	}
	second := make(chan outcome)
	go func() {
		var o outcome
		o.err = a.db.Tx(context.Background(), a.tn, func(ctx context.Context) error {
			var err error
			o.first, err = svc.Seen(ctx, "stripe", "evt_race", "payment_intent.succeeded", nil, "paid")
			return err
		})
		second <- o
	}()
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}
	if o := <-second; o.err != nil || o.first {
		t.Errorf("a delivery racing the first, which committed: first %v, %v; want false", o.first, o.err)
	}

	err = a.tx(t, func(ctx context.Context) error {
		_, err := svc.Seen(ctx, "", strings.Repeat("x", 300), "t", nil, "")
		return err
	})
	wantFault(t, err, fault.Invalid, "invalid", "provider", "event_id", "outcome")
}

var errRollback = fault.New(fault.Conflict, "roll back")
