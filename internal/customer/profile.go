package customer

import (
	"context"
	"github.com/bazaar/bazaar/internal/postal"
	"slices"

	"github.com/bazaar/bazaar/ent/tenant"
	"github.com/bazaar/bazaar/ent/tenant/customer"
	"github.com/bazaar/bazaar/ent/tenant/customersession"
	"github.com/bazaar/bazaar/ent/tenant/predicate"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/tenantdb"
)

// ProfileInput changes a customer's own details. A field left out (or
// null) keeps its value; addresses, when given, replace the whole list ([]
// empties it).
type ProfileInput struct {
	FirstName *string    `json:"first_name"`
	LastName  *string    `json:"last_name"`
	Phone     *string    `json:"phone"`
	Language  *string    `json:"language"`
	Addresses *[]Address `json:"addresses"`
}

// check validates the fields given, naming every bad one, and returns them
// trimmed. A signed-in customer's names are required; a team may clear a
// guest's (required false).
func (in ProfileInput) check(namesRequired bool) (ProfileInput, error) {
	bad := fields{}
	var out ProfileInput
	str := func(path string, v *string, max int, required bool, rule func(string) string) *string {
		if v == nil {
			return nil
		}
		s := bad.text(path, *v, max, required, rule)
		return &s
	}
	out.FirstName = str("first_name", in.FirstName, maxName, namesRequired, nil)
	out.LastName = str("last_name", in.LastName, maxName, namesRequired, nil)
	out.Phone = str("phone", in.Phone, maxPhone, false, postal.PhoneProblem)
	out.Language = str("language", in.Language, maxName, false, languageProblem)
	if in.Addresses != nil {
		a := bad.addresses("addresses", *in.Addresses)
		out.Addresses = &a
	}
	return out, fault.Fields("the customer's details are not valid", bad)
}

// put is cu with the given fields changed (a copy: cu stays as it was).
func (in ProfileInput) put(cu *tenant.Customer) *tenant.Customer {
	next := *cu
	if in.FirstName != nil {
		next.FirstName = *in.FirstName
	}
	if in.LastName != nil {
		next.LastName = *in.LastName
	}
	if in.Phone != nil {
		next.Phone = *in.Phone
	}
	if in.Language != nil {
		next.Language = *in.Language
	}
	if in.Addresses != nil {
		next.Addresses = storedAddresses(*in.Addresses)
	}
	return &next
}

// edit changes the editable fields of the customer id (filtered by where)
// to in, under the row's lock, and returns it before and after. A change
// that changes nothing writes nothing (after is before).
func edit(ctx context.Context, id int, in ProfileInput, where ...predicate.Customer) (before, after *tenant.Customer, err error) {
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return nil, nil, err
	}
	before, err = c.Customer.Query().Where(append(where, customer.ID(id))...).ForUpdate().Only(ctx)
	if tenant.IsNotFound(err) {
		return nil, nil, errNoCustomer
	}
	if err != nil {
		return nil, nil, err
	}
	next := in.put(before)
	if was, _ := changes(before, next); len(was) == 0 {
		return before, before, nil
	}
	after, err = c.Customer.UpdateOne(before).SetFirstName(next.FirstName).SetLastName(next.LastName).
		SetPhone(next.Phone).SetLanguage(next.Language).SetAddresses(next.Addresses).Save(ctx)
	return before, after, err
}

var errNoCustomer = fault.New(fault.NotFound, "no such customer in this shop")

// Me is the signed-in customer's own profile.
func (s *Service) Me(ctx context.Context, customerID int) (*Profile, error) {
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return nil, err
	}
	cu, err := c.Customer.Query().Where(customer.ID(customerID), customer.HasAccount(true)).Only(ctx)
	if tenant.IsNotFound(err) {
		return nil, errNoCustomer
	}
	if err != nil {
		return nil, err
	}
	p := profileOf(cu)
	return &p, nil
}

// UpdateMe changes the signed-in customer's own details (ProfileInput).
func (s *Service) UpdateMe(ctx context.Context, customerID int, in ProfileInput) (*Profile, error) {
	in, err := in.check(true)
	if err != nil {
		return nil, err
	}
	_, cu, err := edit(ctx, customerID, in, customer.HasAccount(true))
	if err != nil {
		return nil, err
	}
	p := profileOf(cu)
	return &p, nil
}

// ChangePassword sets a new password for a signed-in customer who gives the
// current one, and ends their other sessions and reset links (the one the
// request came with stays). A wrong current password counts against the
// account like a failed sign-in — a stolen session cannot be used to guess
// it — and the caller commits that although it answers 400.
func (s *Service) ChangePassword(ctx context.Context, sh *Shopper, current, next string) error {
	if current == "" || len(current) > maxPassword {
		return fault.Fields("the password was not changed", map[string]string{"current_password": "is not your password"})
	}
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return err
	}
	cu, err := c.Customer.Query().Where(customer.ID(sh.CustomerID), customer.HasAccount(true)).Only(ctx)
	if tenant.IsNotFound(err) {
		return errNoCustomer
	}
	if err != nil {
		return err
	}
	if wait := s.locked(cu); wait > 0 {
		return errThrottled(wait)
	}
	ok, _, err := s.passwords.Verify(ctx, current, cu.PasswordHash)
	if err != nil {
		return err
	}
	if !ok {
		if err := s.failed(ctx, c, cu); err != nil {
			return err
		}
		return fault.Fields("the password was not changed", map[string]string{"current_password": "is not your password"})
	}
	bad := fields{}
	if p := passwordProblem(next, cu.Email); p != "" {
		bad["new_password"] = p
	} else if next == current {
		bad["new_password"] = "must differ from the current one"
	}
	if err := fault.Fields("the password was not changed", bad); err != nil {
		return err
	}
	hash, err := s.passwords.Hash(ctx, next)
	if err != nil {
		return err
	}
	if err := c.Customer.UpdateOne(cu).SetPasswordHash(hash).SetFailedLogins(0).Exec(ctx); err != nil {
		return err
	}
	_, err = c.CustomerSession.Delete().
		Where(customersession.CustomerID(cu.ID), customersession.IDNEQ(sh.SessionID)).Exec(ctx)
	return err
}

// changes are the fields that differ between two customers, by their JSON
// names, for the audit trail.
func changes(before, after *tenant.Customer) (was, now map[string]any) {
	was, now = map[string]any{}, map[string]any{}
	diff := func(name string, b, a any, same bool) {
		if !same {
			was[name], now[name] = b, a
		}
	}
	diff("first_name", before.FirstName, after.FirstName, before.FirstName == after.FirstName)
	diff("last_name", before.LastName, after.LastName, before.LastName == after.LastName)
	diff("phone", before.Phone, after.Phone, before.Phone == after.Phone)
	diff("language", before.Language, after.Language, before.Language == after.Language)
	diff("addresses", addressesOf(before.Addresses), addressesOf(after.Addresses), slices.Equal(before.Addresses, after.Addresses))
	return was, now
}
