package customer

import (
	"context"

	"github.com/bazaar/bazaar/ent/tenant"
	"github.com/bazaar/bazaar/ent/tenant/customer"
	"github.com/bazaar/bazaar/ent/tenant/customersession"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/tenantdb"
)

// Registration is what a shopper signs up with.
type Registration struct {
	Email     string `json:"email"`
	Password  string `json:"password"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Language  string `json:"language"` // optional: the language mails to them are written in
}

// errTaken refuses a second account for one e-mail. It says no more than
// any shop's sign-up form does, and points to the ways in.
var errTaken = &fault.Error{Kind: fault.Conflict, Code: "email_taken",
	Message: "this e-mail already has an account in this shop: sign in, or ask for a password reset"}

// Register opens an account and signs it in. An e-mail a guest checkout
// left becomes the account (the guest row gets the password and the names
// given, and loses the phone and addresses nobody proved were theirs); an
// e-mail that has an account is a 409. The password is hashed before the
// e-mail is looked up, so both answers take one hash.
func (s *Service) Register(ctx context.Context, in Registration, ip string) (*SignedIn, error) {
	email := NormalizeEmail(in.Email)
	bad := fields{}
	if p := emailProblem(email); p != "" {
		bad["email"] = p
	}
	if p := passwordProblem(in.Password, email); p != "" {
		bad["password"] = p
	}
	first := bad.text("first_name", in.FirstName, maxName, true, nil)
	last := bad.text("last_name", in.LastName, maxName, true, nil)
	lang := bad.text("language", in.Language, maxName, false, languageProblem)
	if err := fault.Fields("the registration is not valid", bad); err != nil {
		return nil, err
	}
	if err := s.allow(ip); err != nil {
		return nil, err
	}
	hash, err := s.passwords.Hash(ctx, in.Password)
	if err != nil {
		return nil, err
	}
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return nil, err
	}
	id, err := claim(ctx, c, email)
	if err != nil {
		return nil, err
	}
	cu, err := c.Customer.Query().Where(customer.ID(id)).ForUpdate().Only(ctx)
	if err != nil {
		return nil, err
	}
	if cu.HasAccount {
		return nil, errTaken
	}
	cu, err = c.Customer.UpdateOne(cu).SetHasAccount(true).SetPasswordHash(hash).SetFirstName(first).SetLastName(last).
		SetLanguage(lang).SetPhone("").ClearAddresses().SetFailedLogins(0).ClearLockedUntil().SetLastLoginAt(s.now()).
		Save(ctx)
	if err != nil {
		return nil, err
	}
	return s.startSession(ctx, c, cu)
}

// errLogin is the one answer to every failed sign-in: a wrong password, an
// unknown e-mail and a guest without a password look the same.
var errLogin = &fault.Error{Kind: fault.Unauthenticated, Code: "invalid_credentials", Message: "invalid email or password"}

// Login checks an e-mail and password and opens a session. Every outcome
// but a locked account takes one password verification, so timing does not
// tell which e-mails have accounts. A wrong password counts against the
// account (throttle.go); the caller commits that although it answers 401.
func (s *Service) Login(ctx context.Context, email, password, ip string) (*SignedIn, error) {
	email = NormalizeEmail(email)
	bad := fields{}
	switch {
	case email == "":
		bad["email"] = "is required"
	case len(email) > maxEmail:
		bad["email"] = "must be at most 254 characters"
	}
	switch {
	case password == "":
		bad["password"] = "is required"
	case len(password) > maxPassword:
		bad["password"] = "must be at most 256 bytes"
	}
	if err := fault.Fields("email and password are required", bad); err != nil {
		return nil, err
	}
	if err := s.allow(ip); err != nil {
		return nil, err
	}
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return nil, err
	}
	cu, err := c.Customer.Query().Where(customer.Email(email), customer.HasAccount(true)).Only(ctx)
	if tenant.IsNotFound(err) {
		if err := s.passwords.Burn(ctx, password); err != nil {
			return nil, err
		}
		return nil, errLogin
	}
	if err != nil {
		return nil, err
	}
	if wait := s.locked(cu); wait > 0 {
		return nil, errThrottled(wait)
	}
	ok, stale, err := s.passwords.Verify(ctx, password, cu.PasswordHash)
	if err != nil {
		return nil, err
	}
	if !ok {
		if err := s.failed(ctx, c, cu); err != nil {
			return nil, err
		}
		return nil, errLogin
	}
	upd := c.Customer.UpdateOne(cu).SetFailedLogins(0).ClearLockedUntil().SetLastLoginAt(s.now())
	if stale { // the hasher's parameters were raised since this hash was made
		if h, err := s.passwords.Hash(ctx, password); err == nil {
			upd.SetPasswordHash(h)
		}
	}
	if cu, err = upd.Save(ctx); err != nil {
		return nil, err
	}
	return s.startSession(ctx, c, cu)
}

// startSession opens a session for cu, clearing its expired ones (sessions
// and reset links) on the way so they do not pile up.
func (s *Service) startSession(ctx context.Context, c *tenant.Client, cu *tenant.Customer) (*SignedIn, error) {
	now := s.now()
	if _, err := c.CustomerSession.Delete().
		Where(customersession.CustomerID(cu.ID), customersession.ExpiresAtLTE(now)).Exec(ctx); err != nil {
		return nil, err
	}
	token, hash := newToken()
	expires := now.Add(s.o.SessionTTL)
	if err := c.CustomerSession.Create().SetCustomerID(cu.ID).SetTokenHash(hash).SetKind(customersession.KindSession).
		SetExpiresAt(expires).Exec(ctx); err != nil {
		return nil, err
	}
	return &SignedIn{Token: token, ExpiresAt: expires, Profile: profileOf(cu)}, nil
}

// Logout ends the session of token, if it is one of this shop's.
func (s *Service) Logout(ctx context.Context, token string) error {
	if token == "" || len(token) > 100 {
		return nil
	}
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return err
	}
	_, err = c.CustomerSession.Delete().
		Where(customersession.TokenHash(hashToken(token)), customersession.KindEQ(customersession.KindSession)).Exec(ctx)
	return err
}
