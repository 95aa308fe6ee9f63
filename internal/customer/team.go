package customer

import (
	"context"
	"strconv"
	"strings"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/bazaar/bazaar/ent/tenant"
	"github.com/bazaar/bazaar/ent/tenant/customer"
	"github.com/bazaar/bazaar/internal/audit"
	"github.com/bazaar/bazaar/internal/page"
	"github.com/bazaar/bazaar/tenantdb"
)

// The team's side: the shop's customers listed, one read, and details
// corrected on a customer's behalf (audited). Who may do which is the
// route's business (orders.view, orders.edit).

// Limits bound a page of the customers list.
var Limits = page.Bounds{Default: 20, Max: 100}

// listing pages the customers list by id, newest first (ids grow with
// creation).
var listing = page.ByID{List: "customers", Bounds: Limits}

// ListParams select a page of customers.
type ListParams struct {
	page.Request
	Query string // a part of the e-mail, first or last name, in any case
}

// List is a page of the shop's customers, accounts and guests alike,
// newest first, filtered by Query.
func (s *Service) List(ctx context.Context, p ListParams) (page.Page[Summary], error) {
	bad := map[string]string{}
	limit, after := listing.Start(p.Request, bad)
	q := strings.TrimSpace(p.Query)
	if len(q) > maxEmail {
		bad["q"] = "must be at most 254 bytes"
	}
	if err := page.Invalid(bad); err != nil {
		return page.Page[Summary]{}, err
	}
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return page.Page[Summary]{}, err
	}
	query := c.Customer.Query().Order(customer.ByID(entsql.OrderDesc())).Limit(limit + 1)
	if after > 0 {
		query.Where(customer.IDLT(after))
	}
	if q != "" {
		query.Where(customer.Or(customer.EmailContainsFold(q), customer.FirstNameContainsFold(q), customer.LastNameContainsFold(q)))
	}
	rows, err := query.All(ctx)
	if err != nil {
		return page.Page[Summary]{}, err
	}
	return page.Of(rows, limit, summaryOf, func(last *tenant.Customer) string { return listing.Cursor(last.ID) }), nil
}

// Get is one customer as the team sees it.
func (s *Service) Get(ctx context.Context, id int) (*Customer, error) {
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return nil, err
	}
	cu, err := c.Customer.Get(ctx, id)
	if tenant.IsNotFound(err) {
		return nil, errNoCustomer
	}
	if err != nil {
		return nil, err
	}
	out := s.customerOf(cu)
	return &out, nil
}

// Actor is the team member acting, for the audit trail.
type Actor struct {
	UserID    int
	Email     string
	IP        string
	RequestID string
}

// Correction is what the team may change of a customer's details (an
// address the customer phoned in, a misspelt name). A field left out keeps
// its value; addresses, when given, replace the list.
type Correction struct {
	FirstName *string    `json:"first_name"`
	LastName  *string    `json:"last_name"`
	Phone     *string    `json:"phone"`
	Addresses *[]Address `json:"addresses"`
}

// Update corrects a customer's details, checked like the customer's own
// (an account keeps its names; a guest's may be cleared), and records
// customer.update in the shop's audit trail with the changed fields before
// and after, in the request's transaction. A change that changes nothing
// writes nothing and records nothing.
func (s *Service) Update(ctx context.Context, a Actor, id int, in Correction) (*Customer, error) {
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return nil, err
	}
	cu, err := c.Customer.Get(ctx, id)
	if tenant.IsNotFound(err) {
		return nil, errNoCustomer
	}
	if err != nil {
		return nil, err
	}
	checked, err := ProfileInput{FirstName: in.FirstName, LastName: in.LastName, Phone: in.Phone, Addresses: in.Addresses}.check(cu.HasAccount)
	if err != nil {
		return nil, err
	}
	before, after, err := edit(ctx, id, checked)
	if err != nil {
		return nil, err
	}
	if was, now := changes(before, after); len(was) > 0 {
		if err := audit.Vendor(ctx, audit.Event{
			ActorID: a.UserID, ActorEmail: a.Email, Action: "customer.update", TargetType: "customer", TargetID: strconv.Itoa(id),
			Before: was, After: now, IP: a.IP, RequestID: a.RequestID,
		}); err != nil {
			return nil, err
		}
	}
	out := s.customerOf(after)
	return &out, nil
}
