package payment

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/bazaar/bazaar/ent/tenant"
	"github.com/bazaar/bazaar/ent/tenant/paymentaccount"
	"github.com/bazaar/bazaar/internal/audit"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/tenantdb"
)

// AccountView is what may be shown of a shop's Stripe account: never a
// secret, only whether each is set (and the secret key's last four
// characters, to recognise it). A shop without an account reads as one
// disabled and empty.
type AccountView struct {
	Provider          string     `json:"provider"` // "stripe"
	Enabled           bool       `json:"enabled"`
	PublishableKey    string     `json:"publishable_key"`
	SecretKeyHint     string     `json:"secret_key_hint"` // the secret key's last four characters; "" without one
	WebhookConfigured bool       `json:"webhook_configured"`
	UpdatedAt         *time.Time `json:"updated_at,omitempty"`
}

// StripeInput changes a shop's Stripe account. A field left out (or null)
// keeps its value; an empty string removes a key. Enabled needs all three
// keys, so a shop offering cards can both take a payment and hear that it
// succeeded.
type StripeInput struct {
	Enabled        *bool   `json:"enabled"`
	PublishableKey *string `json:"publishable_key"` // pk_test_… or pk_live_…
	SecretKey      *string `json:"secret_key"`      // sk_… or a restricted rk_… key
	WebhookSecret  *string `json:"webhook_secret"`  // whsec_…, the webhook endpoint's signing secret
}

// SettingsAction is the audit action of a change to a shop's payment
// settings, in the vendor's trail.
const SettingsAction = "payment.settings_update"

// The key forms Stripe issues. Checking them catches a key pasted into the
// wrong field before it is stored (a secret key in the publishable field
// would be shown back by the API).
var (
	publishableKeyForm = regexp.MustCompile(`^pk_(test|live)_[A-Za-z0-9]{8,240}$`)
	secretKeyForm      = regexp.MustCompile(`^[sr]k_(test|live)_[A-Za-z0-9]{8,240}$`)
	webhookSecretForm  = regexp.MustCompile(`^whsec_[A-Za-z0-9+/=]{8,240}$`)
)

// stripeAccount is the bound shop's Stripe account row, or nil.
func stripeAccount(ctx context.Context) (*tenant.PaymentAccount, error) {
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return nil, err
	}
	a, err := c.PaymentAccount.Query().Where(paymentaccount.Provider(Stripe)).Only(ctx)
	if tenant.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("payment: read the Stripe account: %w", err)
	}
	return a, nil
}

func viewOf(a *tenant.PaymentAccount) AccountView {
	if a == nil {
		return AccountView{Provider: Stripe}
	}
	at := a.UpdatedAt
	return AccountView{
		Provider: Stripe, Enabled: a.Enabled, PublishableKey: a.PublishableKey,
		SecretKeyHint: a.SecretKeyHint, WebhookConfigured: len(a.WebhookSecretSealed) > 0, UpdatedAt: &at,
	}
}

// Account is the bound shop's Stripe account as it may be shown.
func (s *Service) Account(ctx context.Context) (AccountView, error) {
	a, err := stripeAccount(ctx)
	if err != nil {
		return AccountView{}, err
	}
	return viewOf(a), nil
}

// Methods are the payment methods the bound shop offers at checkout:
// bank_transfer always, stripe when its Stripe account is enabled with its
// keys.
func (s *Service) Methods(ctx context.Context) ([]string, error) {
	a, err := stripeAccount(ctx)
	if err != nil {
		return nil, err
	}
	if usable(a) {
		return []string{BankTransfer, Stripe}, nil
	}
	return []string{BankTransfer}, nil
}

// usable: a takes card payments.
func usable(a *tenant.PaymentAccount) bool {
	return a != nil && a.Enabled && len(a.SecretKeySealed) > 0 && a.PublishableKey != ""
}

// secret is one sealed secret of the account through a change.
type secret struct {
	field  string // its audit name
	stored bool   // a sealed value is stored
	old    string // the stored value opened; "" when it does not open
	given  bool   // the input sets it
	value  string // what the input sets; "" removes it
}

// present: the account has the secret after the change.
func (x secret) present() bool {
	if x.given {
		return x.value != ""
	}
	return x.stored
}

// changed: the change stores another value, or removes the stored one. A
// stored value that no longer opens (another sealing key) differs from
// every value given.
func (x secret) changed() bool {
	switch {
	case !x.given:
		return false
	case x.value == "":
		return x.stored
	default:
		return !x.stored || x.value != x.old
	}
}

// audit records x's change as "set", "replaced" or "" (none): never the
// secret.
func (x secret) audit(was, now map[string]any) {
	if !x.changed() {
		return
	}
	switch {
	case x.value == "":
		was[x.field], now[x.field] = "set", ""
	case x.stored:
		was[x.field], now[x.field] = "set", "replaced"
	default:
		was[x.field], now[x.field] = "", "set"
	}
}

// SetStripe changes the bound shop's Stripe account, naming every bad field
// at once, and records the change in the shop's audit trail in the same
// transaction: which settings changed, never a secret (the secret key's
// last four characters at most). A change that changes nothing writes
// nothing.
func (s *Service) SetStripe(ctx context.Context, by Actor, in StripeInput) (AccountView, error) {
	t, err := tenantdb.CurrentTenant(ctx)
	if err != nil {
		return AccountView{}, err
	}
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return AccountView{}, err
	}
	a, err := c.PaymentAccount.Query().Where(paymentaccount.Provider(Stripe)).ForUpdate().Only(ctx)
	switch {
	case tenant.IsNotFound(err):
		a = nil
	case err != nil:
		return AccountView{}, fmt.Errorf("payment: read the Stripe account: %w", err)
	}
	before := viewOf(a)
	key := secret{field: "secret_key", given: in.SecretKey != nil}
	hook := secret{field: "webhook_secret", given: in.WebhookSecret != nil}
	if a != nil {
		key.stored, hook.stored = len(a.SecretKeySealed) > 0, len(a.WebhookSecretSealed) > 0
		key.old, _ = s.open(t.ID, fieldStripeSecretKey, a.SecretKeySealed)
		hook.old, _ = s.open(t.ID, fieldStripeWebhookSecret, a.WebhookSecretSealed)
	}
	after, err := in.apply(before, &key, &hook)
	if err != nil {
		return AccountView{}, err
	}
	was, now := map[string]any{}, map[string]any{}
	for _, f := range []struct {
		name string
		b, n any
	}{
		{"enabled", before.Enabled, after.Enabled},
		{"publishable_key", before.PublishableKey, after.PublishableKey},
		{"secret_key_hint", before.SecretKeyHint, after.SecretKeyHint},
	} {
		if f.b != f.n {
			was[f.name], now[f.name] = f.b, f.n
		}
	}
	key.audit(was, now)
	hook.audit(was, now)
	if len(now) == 0 {
		return before, nil
	}
	if a == nil {
		was = nil // there was no account
		q := c.PaymentAccount.Create().SetProvider(Stripe).SetEnabled(after.Enabled).
			SetPublishableKey(after.PublishableKey).SetSecretKeyHint(after.SecretKeyHint)
		if key.value != "" {
			q.SetSecretKeySealed(s.seal.seal(t.ID, fieldStripeSecretKey, key.value))
		}
		if hook.value != "" {
			q.SetWebhookSecretSealed(s.seal.seal(t.ID, fieldStripeWebhookSecret, hook.value))
		}
		a, err = q.Save(ctx)
		if tenant.IsConstraintError(err) {
			return AccountView{}, fault.New(fault.Conflict, "the payment settings were changed at the same time; try again")
		}
	} else {
		u := a.Update().SetEnabled(after.Enabled).SetPublishableKey(after.PublishableKey).SetSecretKeyHint(after.SecretKeyHint)
		switch {
		case !key.changed():
		case key.value == "":
			u.ClearSecretKeySealed()
		default:
			u.SetSecretKeySealed(s.seal.seal(t.ID, fieldStripeSecretKey, key.value))
		}
		switch {
		case !hook.changed():
		case hook.value == "":
			u.ClearWebhookSecretSealed()
		default:
			u.SetWebhookSecretSealed(s.seal.seal(t.ID, fieldStripeWebhookSecret, hook.value))
		}
		a, err = u.Save(ctx)
	}
	if err != nil {
		return AccountView{}, fmt.Errorf("payment: save the Stripe account: %w", err)
	}
	if err := audit.Vendor(ctx, audit.Event{
		ActorID: by.UserID, ActorEmail: by.Email, Action: SettingsAction, TargetType: "payment_account", TargetID: Stripe,
		Before: was, After: now, IP: by.IP, RequestID: by.RequestID,
	}); err != nil {
		return AccountView{}, err
	}
	return viewOf(a), nil
}

// apply checks in against the current view and returns the view after it,
// filling key and hook with the secrets given, or an error naming every bad
// field. Keys are trimmed (they are pasted), and no message repeats what
// was sent.
func (in StripeInput) apply(cur AccountView, key, hook *secret) (AccountView, error) {
	bad := map[string]string{}
	next := cur
	if in.Enabled != nil {
		next.Enabled = *in.Enabled
	}
	if in.PublishableKey != nil {
		k := strings.TrimSpace(*in.PublishableKey)
		switch {
		case k == "":
		case strings.HasPrefix(k, "sk_") || strings.HasPrefix(k, "rk_"):
			bad["publishable_key"] = "is a secret key: the publishable key starts with pk_ (the secret key goes in secret_key)"
		case !publishableKeyForm.MatchString(k):
			bad["publishable_key"] = "must be a Stripe publishable key: pk_test_… or pk_live_… followed by letters and digits"
		}
		next.PublishableKey = k
	}
	if key.given {
		k := strings.TrimSpace(*in.SecretKey)
		switch {
		case k == "":
		case strings.HasPrefix(k, "pk_"):
			bad["secret_key"] = "is a publishable key: the secret key starts with sk_ (or rk_ for a restricted key)"
		case !secretKeyForm.MatchString(k):
			bad["secret_key"] = "must be a Stripe secret key: sk_test_… or sk_live_… (or a restricted rk_… key) followed by letters and digits"
		}
		key.value = k
		next.SecretKeyHint = hint(k)
	}
	if hook.given {
		k := strings.TrimSpace(*in.WebhookSecret)
		if k != "" && !webhookSecretForm.MatchString(k) {
			bad["webhook_secret"] = "must be a Stripe webhook signing secret: whsec_… as the webhook endpoint shows it"
		}
		hook.value = k
		next.WebhookConfigured = hook.present()
	}
	// Both keys must be of one mode: a live secret key with a test
	// publishable key (or the reverse) fails at the shopper's payment.
	secretKey := key.old
	if key.given {
		secretKey = key.value
	}
	if bad["publishable_key"] == "" && bad["secret_key"] == "" && next.PublishableKey != "" && secretKey != "" {
		if pm, sm := mode(next.PublishableKey), mode(secretKey); pm != sm {
			if key.given {
				bad["secret_key"] = fmt.Sprintf("is a %s key but the publishable key is a %s key: both must be test keys or both live", sm, pm)
			} else {
				bad["publishable_key"] = fmt.Sprintf("is a %s key but the secret key is a %s key: both must be test keys or both live", pm, sm)
			}
		}
	}
	if next.Enabled {
		for field, missing := range map[string]bool{
			"publishable_key": next.PublishableKey == "", "secret_key": !key.present(), "webhook_secret": !hook.present(),
		} {
			if missing && bad[field] == "" {
				bad[field] = "is required to take card payments (enabled)"
			}
		}
	}
	if err := fault.Fields("invalid payment settings", bad); err != nil {
		return AccountView{}, err
	}
	return next, nil
}

// mode is "test" or "live" for a key of a known form.
func mode(key string) string {
	if strings.Contains(key, "_live_") {
		return "live"
	}
	return "test"
}

// hint is a key's last four characters: enough to recognise it, too few to
// use. Keys of a known form are far longer.
func hint(key string) string {
	if len(key) < 16 {
		return ""
	}
	return key[len(key)-4:]
}

// open opens a sealed secret of the shop; nothing sealed is "".
func (s *Service) open(vendorID int, field string, sealed []byte) (string, error) {
	if len(sealed) == 0 {
		return "", nil
	}
	return s.seal.open(vendorID, field, sealed)
}
