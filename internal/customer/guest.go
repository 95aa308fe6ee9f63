package customer

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/bazaar/bazaar/ent/tenant"
	"github.com/bazaar/bazaar/ent/tenant/customer"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/tenantdb"
)

// Guest is the customer row of a checkout without an account: the one of
// that e-mail, made when there is none. A guest's names follow their latest
// checkout; an account's stay as its owner keeps them. The names come from
// an address the checkout has checked already, so they are only trimmed and
// cut to the columns' length; a bad e-mail is refused, named "email". It
// returns the customer's id.
func (s *Service) Guest(ctx context.Context, email, firstName, lastName string) (int, error) {
	email = NormalizeEmail(email)
	if p := emailProblem(email); p != "" {
		return 0, fault.Fields("the customer is not valid", map[string]string{"email": p})
	}
	first, last := clip(firstName, maxName), clip(lastName, maxName)
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return 0, err
	}
	id, err := claim(ctx, c, email)
	if err != nil {
		return 0, err
	}
	if first != "" || last != "" {
		err = c.Customer.Update().Where(customer.ID(id), customer.HasAccount(false)).
			SetFirstName(first).SetLastName(last).Exec(ctx)
	}
	return id, err
}

// claim returns the id of the customer row of email, inserting a guest row
// when there is none. It is one INSERT … ON CONFLICT: two requests claiming
// one new e-mail at once both get the one row (the second waits for the
// first's transaction), and neither fails on the unique e-mail.
func claim(ctx context.Context, c *tenant.Client, email string) (int, error) {
	return c.Customer.Create().SetEmail(email).OnConflictColumns(customer.FieldEmail).Ignore().ID(ctx)
}

// clip trims s and cuts it to at most max bytes of valid UTF-8, without
// splitting a character.
func clip(s string, max int) string {
	s = strings.ToValidUTF8(strings.TrimSpace(s), "")
	for len(s) > max {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}
