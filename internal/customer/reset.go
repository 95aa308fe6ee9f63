package customer

import (
	"context"
	"fmt"
	"time"

	"github.com/bazaar/bazaar/ent/tenant"
	"github.com/bazaar/bazaar/ent/tenant/customer"
	"github.com/bazaar/bazaar/ent/tenant/customersession"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/internal/mail"
	"github.com/bazaar/bazaar/tenantdb"
)

// resetFloor is the least time a reset request takes, whether or not the
// e-mail has an account, so its timing tells nothing.
const resetFloor = 200 * time.Millisecond

// ResetMail is what a reset mail needs from the shop: the link a token
// becomes (to the shop's own host), the shop's name, and its language for
// a customer who chose none.
type ResetMail struct {
	Link     func(token string) string
	ShopName string
	Language string
}

var errResetToken = &fault.Error{Kind: fault.Invalid, Code: "invalid_reset_token",
	Message: "this password reset link is invalid, used or expired; ask for a new one"}

// RequestReset mails a single-use link, valid ResetTTL, to the account of
// email in this shop, if there is one (a guest has no password to reset: it
// registers). The caller answers 202 either way, and the answer comes no
// sooner than resetFloor after the request, waited out once the request's
// transaction has committed (no connection is held meanwhile). The mail is
// written in the request's transaction: it exists exactly when the link
// does.
func (s *Service) RequestReset(ctx context.Context, email, ip string, m ResetMail) error {
	deadline := s.now().Add(resetFloor)
	tenantdb.AfterCommit(ctx, func() { time.Sleep(time.Until(deadline)) })
	email = NormalizeEmail(email)
	if p := emailProblem(email); p != "" {
		return fault.Fields("the email address is not valid", map[string]string{"email": p})
	}
	if err := s.allow(ip); err != nil {
		return err
	}
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return err
	}
	cu, err := c.Customer.Query().Where(customer.Email(email), customer.HasAccount(true)).Only(ctx)
	if tenant.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	token, hash := newToken()
	if err := c.CustomerSession.Create().SetCustomerID(cu.ID).SetTokenHash(hash).SetKind(customersession.KindReset).
		SetExpiresAt(s.now().Add(s.o.ResetTTL)).Exec(ctx); err != nil {
		return err
	}
	txt, ok := resetTexts[cu.Language]
	if !ok {
		if txt, ok = resetTexts[m.Language]; !ok {
			txt = resetTexts["en"]
		}
	}
	return mail.EnqueueTenant(ctx, mail.Message{
		Kind:    "customer_password_reset",
		To:      cu.Email,
		Subject: fmt.Sprintf(txt.subject, m.ShopName),
		Body:    fmt.Sprintf(txt.body, firstNonEmpty(cu.FirstName, cu.Email), m.ShopName, txt.span(s.o.ResetTTL), m.Link(token)),
	})
}

// ConfirmReset sets a new password with a reset link's token: the link is
// spent with every other link and every session of the customer (whoever
// held one is signed out), a lockout ends, and a fresh session is opened.
// A token that is unknown, used, expired or another shop's is refused the
// same way; a refused password leaves the link usable.
func (s *Service) ConfirmReset(ctx context.Context, token, password string) (*SignedIn, error) {
	bad := fields{}
	if token == "" {
		bad["token"] = "is required"
	}
	if password == "" {
		bad["password"] = "is required"
	}
	if err := fault.Fields("the password was not reset", bad); err != nil {
		return nil, err
	}
	if len(token) > 100 {
		return nil, errResetToken
	}
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return nil, err
	}
	link, err := c.CustomerSession.Query().
		Where(customersession.TokenHash(hashToken(token)), customersession.KindEQ(customersession.KindReset),
			customersession.UsedAtIsNil(), customersession.ExpiresAtGT(s.now())).
		ForUpdate().Only(ctx)
	if tenant.IsNotFound(err) {
		return nil, errResetToken
	}
	if err != nil {
		return nil, err
	}
	cu, err := c.Customer.Query().Where(customer.ID(link.CustomerID)).ForUpdate().Only(ctx)
	if err != nil {
		return nil, err
	}
	if p := passwordProblem(password, cu.Email); p != "" {
		return nil, fault.Fields("the password was not reset", map[string]string{"password": p})
	}
	hash, err := s.passwords.Hash(ctx, password)
	if err != nil {
		return nil, err
	}
	if cu, err = c.Customer.UpdateOne(cu).SetPasswordHash(hash).SetFailedLogins(0).ClearLockedUntil().
		SetLastLoginAt(s.now()).Save(ctx); err != nil {
		return nil, err
	}
	if _, err := c.CustomerSession.Delete().Where(customersession.CustomerID(cu.ID)).Exec(ctx); err != nil {
		return nil, err
	}
	return s.startSession(ctx, c, cu)
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// resetText is the reset mail in one language.
type resetText struct {
	subject, body  string
	minutes, hours string // "%d minutes"
}

// span says how long a link works: in minutes up to two hours, else hours.
func (t resetText) span(d time.Duration) string {
	if d <= 2*time.Hour {
		return fmt.Sprintf(t.minutes, int(d.Round(time.Minute)/time.Minute))
	}
	return fmt.Sprintf(t.hours, int(d.Round(time.Hour)/time.Hour))
}

// resetTexts are the reset mail in the languages shops write to customers
// in, chosen by the customer's language, else the shop's, else English.
// Arguments: the customer's name, the shop's name, how long the link works,
// the link.
var resetTexts = map[string]resetText{
	"en": {"Reset your password at %s", "Hello %s,\r\n\r\nSomeone (hopefully you) asked to reset the password of your account at %s.\r\n" +
		"Open this link within %s to choose a new one:\r\n\r\n%s\r\n\r\n" +
		"If it was not you, ignore this mail: your password stays as it is.\r\n", "%d minutes", "%d hours"},
	"fr": {"Réinitialisez votre mot de passe chez %s", "Bonjour %s,\r\n\r\nQuelqu'un (vous, espérons-le) a demandé à réinitialiser le mot de passe de votre compte chez %s.\r\n" +
		"Ouvrez ce lien dans les %s pour en choisir un nouveau :\r\n\r\n%s\r\n\r\n" +
		"Si ce n'était pas vous, ignorez ce message : votre mot de passe reste inchangé.\r\n", "%d minutes", "%d heures"},
	"de": {"Setzen Sie Ihr Passwort bei %s zurück", "Hallo %s,\r\n\r\njemand (hoffentlich Sie) hat verlangt, das Passwort Ihres Kontos bei %s zurückzusetzen.\r\n" +
		"Öffnen Sie innerhalb von %s diesen Link, um ein neues zu wählen:\r\n\r\n%s\r\n\r\n" +
		"Falls Sie es nicht waren, ignorieren Sie diese E-Mail: Ihr Passwort bleibt unverändert.\r\n", "%d Minuten", "%d Stunden"},
}
