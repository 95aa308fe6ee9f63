package payment_test

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/bazaar/bazaar/ent/tenant/auditevent"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/internal/payment"
	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

func ptr[T any](v T) *T { return &v }

// trail is the shop's payment settings changes in its audit trail, oldest
// first, as JSON.
func (sh *shop) trail(t testing.TB) []string {
	t.Helper()
	var out []string
	err := sh.tx(t, func(ctx context.Context) error {
		c, err := tenantdb.Current(ctx)
		if err != nil {
			return err
		}
		events, err := c.AuditEvent.Query().Where(auditevent.Action(payment.SettingsAction)).Order(auditevent.ByID()).All(ctx)
		for _, e := range events {
			b, _ := json.Marshal(map[string]any{"actor": e.ActorEmail, "target": e.TargetID, "before": e.Before, "after": e.After})
			out = append(out, string(b))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (sh *shop) account(t testing.TB) payment.AccountView {
	t.Helper()
	var v payment.AccountView
	if err := sh.tx(t, func(ctx context.Context) error {
		var err error
		v, err = sh.svc.Account(ctx)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestStripeSettings(t *testing.T) {
	db := tenanttest.Open(t)
	svc := newService(t, deadURL(t)) // settings never call Stripe
	sh := newShop(t, db, svc, "pay-settings")
	other := newShop(t, db, svc, "pay-settings-other")

	t.Run("NewShopHasNoAccountAndOnlyBankTransfer", func(t *testing.T) {
		if v := sh.account(t); v != (payment.AccountView{Provider: "stripe"}) {
			t.Errorf("Account = %+v", v)
		}
		if m := sh.methods(t); !slices.Equal(m, []string{"bank_transfer"}) {
			t.Errorf("Methods = %v", m)
		}
	})

	t.Run("EnablingNeedsEveryKey", func(t *testing.T) {
		_, err := sh.set(t, payment.StripeInput{Enabled: ptr(true)})
		wantFault(t, err, fault.Invalid, "invalid", "publishable_key", "secret_key", "webhook_secret")
	})

	t.Run("BadKeysAreNamedNeverRepeated", func(t *testing.T) {
		in := payment.StripeInput{
			PublishableKey: ptr("sk_test_PastedTheSecretHere1"), SecretKey: ptr("pk_test_PastedThePublicHere2"), WebhookSecret: ptr("secret-without-prefix"),
		}
		_, err := sh.set(t, in)
		fe := wantFault(t, err, fault.Invalid, "invalid", "publishable_key", "secret_key", "webhook_secret")
		b, _ := json.Marshal(fe.Fields)
		wantNoSecret(t, "the error", fe.Error()+string(b), "PastedTheSecretHere1", "PastedThePublicHere2", "secret-without-prefix")
		_, err = sh.set(t, payment.StripeInput{SecretKey: ptr("sk_test_short"), PublishableKey: ptr("pk_test_has spaces inside")})
		wantFault(t, err, fault.Invalid, "invalid", "publishable_key", "secret_key")
	})

	t.Run("KeysOfTwoModesAreRefused", func(t *testing.T) {
		_, err := sh.set(t, payment.StripeInput{PublishableKey: ptr("pk_live_LiveKeyABCDEFGH"), SecretKey: ptr("sk_test_TestKeyABCDEFGH")})
		fe := wantFault(t, err, fault.Invalid, "invalid", "secret_key")
		if fe.Fields["secret_key"] != "is a test key but the publishable key is a live key: both must be test keys or both live" {
			t.Errorf("secret_key: %q", fe.Fields["secret_key"])
		}
	})

	t.Run("SetShowsNoSecretAndSealsThem", func(t *testing.T) {
		sh.configure(t)
		v := sh.account(t)
		if v.Provider != "stripe" || !v.Enabled || v.PublishableKey != sh.pk || v.SecretKeyHint != sh.secretHint || !v.WebhookConfigured || v.UpdatedAt == nil {
			t.Errorf("Account = %+v", v)
		}
		b, _ := json.Marshal(v)
		wantNoSecret(t, "the view", string(b), sh.sk, sh.whsec, sh.sk[8:], sh.whsec[6:])
		if m := sh.methods(t); !slices.Equal(m, []string{"bank_transfer", "stripe"}) {
			t.Errorf("Methods = %v", m)
		}
		// The row holds no secret in the clear.
		var secret, hook []byte
		if err := tenanttest.SQL(t, tenanttest.PackageDatabase(t)).QueryRow(
			`SELECT secret_key_sealed, webhook_secret_sealed FROM "`+sh.tn.Schema+`".payment_accounts WHERE provider = 'stripe'`).Scan(&secret, &hook); err != nil {
			t.Fatal(err)
		}
		for _, x := range []string{sh.sk, sh.sk[8:], sh.whsec, sh.whsec[6:]} {
			if bytes.Contains(secret, []byte(x)) || bytes.Contains(hook, []byte(x)) {
				t.Errorf("a sealed column holds %q in the clear", x)
			}
		}
		if other := other.methods(t); !slices.Equal(other, []string{"bank_transfer"}) {
			t.Errorf("another shop's Methods = %v", other)
		}
	})

	t.Run("LeftOutFieldsKeepTheirValue", func(t *testing.T) {
		v, err := sh.set(t, payment.StripeInput{Enabled: ptr(false)})
		if err != nil {
			t.Fatal(err)
		}
		if v.Enabled || v.PublishableKey != sh.pk || v.SecretKeyHint != sh.secretHint || !v.WebhookConfigured {
			t.Errorf("after disabling: %+v", v)
		}
		if m := sh.methods(t); !slices.Equal(m, []string{"bank_transfer"}) {
			t.Errorf("disabled: Methods = %v", m)
		}
		if v, err = sh.set(t, payment.StripeInput{Enabled: ptr(true)}); err != nil || !v.Enabled {
			t.Fatalf("re-enabling: %+v, %v", v, err)
		}
		// A publishable key of the other mode than the kept secret key is
		// named as the one given.
		_, err = sh.set(t, payment.StripeInput{PublishableKey: ptr("pk_live_LiveKeyABCDEFGH")})
		wantFault(t, err, fault.Invalid, "invalid", "publishable_key")
		// Removing a key an enabled account needs is refused.
		_, err = sh.set(t, payment.StripeInput{WebhookSecret: ptr("")})
		wantFault(t, err, fault.Invalid, "invalid", "webhook_secret")
	})

	t.Run("TheTrailHasEveryChangeAndNoSecret", func(t *testing.T) {
		before := len(sh.trail(t))
		if _, err := sh.set(t, payment.StripeInput{Enabled: ptr(true), PublishableKey: ptr("  " + sh.pk + "\n")}); err != nil {
			t.Fatal(err)
		}
		if got := len(sh.trail(t)); got != before {
			t.Errorf("a change that changes nothing wrote %d audit events", got-before)
		}
		newSecret := "sk_test_ReplacedSecretKey42"
		if _, err := sh.set(t, payment.StripeInput{SecretKey: &newSecret}); err != nil {
			t.Fatal(err)
		}
		trail := sh.trail(t)
		want := []string{
			`{"actor":"` + sh.actor.Email + `","after":{"enabled":true,"publishable_key":"` + sh.pk + `","secret_key":"set","secret_key_hint":"` + sh.secretHint + `","webhook_secret":"set"},"before":null,"target":"stripe"}`,
			`{"actor":"` + sh.actor.Email + `","after":{"enabled":false},"before":{"enabled":true},"target":"stripe"}`,
			`{"actor":"` + sh.actor.Email + `","after":{"enabled":true},"before":{"enabled":false},"target":"stripe"}`,
			`{"actor":"` + sh.actor.Email + `","after":{"secret_key":"replaced","secret_key_hint":"ey42"},"before":{"secret_key":"set","secret_key_hint":"` + sh.secretHint + `"},"target":"stripe"}`,
		}
		if !slices.Equal(trail, want) {
			t.Errorf("trail:\n%s\nwant:\n%s", trail, want)
		}
		for _, e := range trail {
			wantNoSecret(t, "the trail", e, sh.sk, sh.whsec, newSecret, sh.whsec[6:], newSecret[8:])
		}
	})
}
