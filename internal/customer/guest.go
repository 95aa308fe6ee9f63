package customer

import (
	"context"
	"strings"

	"github.com/bazaar/bazaar/ent/tenant"
	"github.com/bazaar/bazaar/ent/tenant/customer"
	"github.com/bazaar/bazaar/tenantdb"
)

// Guest is the customer row of a checkout without an account: the row of
// email, made (without a password) when there is none. Names are filled in
// only where the row has none, so a guest checkout never renames an
// account holder.
func (s *Service) Guest(ctx context.Context, email, firstName, lastName string) (int, error) {
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return 0, err
	}
	email = strings.ToLower(strings.TrimSpace(email))
	id, err := c.Customer.Create().SetEmail(email).SetFirstName(firstName).SetLastName(lastName).
		OnConflictColumns(customer.FieldEmail).
		Update(func(u *tenant.CustomerUpsert) { u.SetUpdatedAt(s.now()) }).
		ID(ctx)
	return id, err
}
