package web

import (
	"net/http"
	"testing"

	"github.com/bazaar/bazaar/internal/payment"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

const paymentsPath = "/api/v1/settings/payments"

// TestPaymentSettings: an Owner gives the shop its Stripe keys; no answer
// (the setting's, an error's, the shop's audit trail) ever holds a secret;
// other roles are refused; bad keys are named; another shop is untouched.
func TestPaymentSettings(t *testing.T) {
	db := tenanttest.Open(t)
	ts := startServer(t, db, defaultOptions(), nil)
	sh := newTeamShop(t, ts, "paysettings")
	for _, role := range []string{"owner", "manager", "editor", "viewer"} {
		sh.add(t, ts, role, role)
	}
	other := newTeamShop(t, ts, "paysettings-other")
	other.add(t, ts, "owner", "owner")
	run := sh.scenarios(ts)

	const (
		pk    = "pk_test_51PayPublishableKey"
		sk    = "sk_test_51PaySecretKeyNeverShownX9z2"
		whsec = "whsec_PaySigningSecretNeverShown"
	)
	// Every form of a secret that must not come back: whole, and their
	// distinctive middles.
	secrets := []string{sk, whsec, "PaySecretKeyNeverShown", "PaySigningSecretNeverShown"}
	keys := map[string]any{"enabled": true, "publishable_key": pk, "secret_key": sk, "webhook_secret": whsec}

	run.run(t, true, []scenario{
		{name: "NewShopHasNone", as: "owner", method: "GET", path: paymentsPath, wantStatus: http.StatusOK,
			want: []string{`"provider":"stripe"`, `"enabled":false`, `"publishable_key":""`, `"secret_key_hint":""`, `"webhook_configured":false`}},
		{name: "ManagerRefused", as: "manager", method: "PUT", path: paymentsPath, body: keys, wantStatus: http.StatusForbidden, wantCode: "permission_denied"},
		{name: "EditorRefused", as: "editor", method: "PUT", path: paymentsPath, body: keys, wantStatus: http.StatusForbidden, wantCode: "permission_denied"},
		{name: "ViewerRefused", as: "viewer", method: "GET", path: paymentsPath, wantStatus: http.StatusForbidden, wantCode: "permission_denied"},
		{name: "AnonymousRefused", method: "GET", path: paymentsPath, wantStatus: http.StatusUnauthorized},
		{name: "OwnerSetsKeys", as: "owner", method: "PUT", path: paymentsPath, body: keys, wantStatus: http.StatusOK,
			want:    []string{`"enabled":true`, `"publishable_key":"` + pk + `"`, `"secret_key_hint":"X9z2"`, `"webhook_configured":true`},
			wantNot: secrets},
		{name: "OwnerReadsThemBackWithoutSecrets", as: "owner", method: "GET", path: paymentsPath, wantStatus: http.StatusOK,
			want: []string{`"enabled":true`, `"secret_key_hint":"X9z2"`, `"webhook_configured":true`}, wantNot: secrets},
		{name: "BadKeysAreNamedNotEchoed", as: "owner", method: "PUT", path: paymentsPath, wantStatus: http.StatusBadRequest, wantCode: "invalid",
			body:    map[string]any{"publishable_key": "sk_test_PastedSecretInPublic1", "secret_key": "nope-PastedSecretJunk", "webhook_secret": "whsec_"},
			wantNot: []string{"PastedSecretInPublic1", "PastedSecretJunk"},
			check:   wantFieldsOnly(map[string]string{"publishable_key": "secret key", "secret_key": "sk_", "webhook_secret": "whsec_"})},
		{name: "UnknownFieldIsNamed", as: "owner", method: "PUT", path: paymentsPath, body: map[string]any{"secret": sk},
			wantStatus: http.StatusBadRequest, wantNot: secrets, check: wantFieldsOnly(map[string]string{"secret": "not a known field"})},
		{name: "LeftOutFieldsKept", as: "owner", method: "PUT", path: paymentsPath, body: map[string]any{"enabled": false}, wantStatus: http.StatusOK,
			want: []string{`"enabled":false`, `"publishable_key":"` + pk + `"`, `"secret_key_hint":"X9z2"`, `"webhook_configured":true`}, wantNot: secrets},
		{name: "TheTrailHoldsNoSecret", as: "owner", method: "GET", path: "/api/v1/teams/audit", wantStatus: http.StatusOK,
			want: []string{payment.SettingsAction, `"secret_key":"set"`, `"webhook_secret":"set"`}, wantNot: secrets},
	})

	t.Run("AnotherShopIsUntouched", func(t *testing.T) {
		other.scenarios(ts).send(t, scenario{as: "owner", method: "GET", path: paymentsPath, wantStatus: http.StatusOK,
			want: []string{`"enabled":false`, `"publishable_key":""`, `"webhook_configured":false`}})
		// The shop's Owner is nobody on the other shop.
		run.send(t, scenario{as: "owner", host: other.host, method: "GET", path: paymentsPath, wantStatus: http.StatusForbidden})
	})
}
