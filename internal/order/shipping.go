package order

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/bazaar/bazaar/ent/tenant"
	"github.com/bazaar/bazaar/ent/tenant/shippingmethod"
	"github.com/bazaar/bazaar/internal/audit"
	"github.com/bazaar/bazaar/tenantdb"
)

// ShippingMethod is a way the shop delivers.
type ShippingMethod struct {
	Code           string            `json:"code"`
	Kind           string            `json:"kind"` // flat, free_above, pickup
	Name           map[string]string `json:"name"`
	PriceCents     int64             `json:"price_cents"`
	FreeAboveCents *int64            `json:"free_above_cents"`
	Active         bool              `json:"active"`
}

// Shipping kinds.
const (
	ShipFlat      = "flat"
	ShipFreeAbove = "free_above"
	ShipPickup    = "pickup"
)

// Cost is what the method charges for lines of subtotal (VAT included).
func (m ShippingMethod) Cost(subtotal int64) int64 {
	switch m.Kind {
	case ShipPickup:
		return 0
	case ShipFreeAbove:
		if m.FreeAboveCents != nil && subtotal >= *m.FreeAboveCents {
			return 0
		}
	}
	return m.PriceCents
}

// needsAddress reports whether the goods travel (so a shipping address is
// needed).
func (m ShippingMethod) needsAddress() bool { return m.Kind != ShipPickup }

func shippingView(r *tenant.ShippingMethod) ShippingMethod {
	return ShippingMethod{Code: r.Code, Kind: string(r.Kind), Name: r.Name, PriceCents: r.PriceCents,
		FreeAboveCents: r.FreeAboveCents, Active: r.Active}
}

// ShippingMethods are the shop's methods in their order; active only
// leaves out the ones switched off (what shoppers are offered).
func (s *Service) ShippingMethods(ctx context.Context, activeOnly bool) ([]ShippingMethod, error) {
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return nil, err
	}
	q := c.ShippingMethod.Query().Order(shippingmethod.ByPosition(), shippingmethod.ByID())
	if activeOnly {
		q = q.Where(shippingmethod.Active(true))
	}
	rows, err := q.All(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]ShippingMethod, len(rows))
	for i, r := range rows {
		out[i] = shippingView(r)
	}
	return out, nil
}

var codePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,49}$`)

// maxShippingMethods bounds a shop's list.
const maxShippingMethods = 20

// SetShippingMethods replaces the shop's methods with ms (in that order).
// Every bad field is named by its place in the list; an order keeps the
// method it was placed with (orders snapshot code, name and price).
func (s *Service) SetShippingMethods(ctx context.Context, a Actor, ms []ShippingMethod) ([]ShippingMethod, error) {
	bad := map[string]string{}
	if len(ms) > maxShippingMethods {
		bad["methods"] = fmt.Sprintf("at most %d", maxShippingMethods)
	}
	seen := map[string]bool{}
	active := 0
	for i, m := range ms {
		at := fmt.Sprintf("methods[%d].", i)
		switch {
		case !codePattern.MatchString(m.Code):
			bad[at+"code"] = "must be 1 to 50 lower-case letters, digits, - or _"
		case seen[m.Code]:
			bad[at+"code"] = "is given twice"
		}
		seen[m.Code] = true
		switch m.Kind {
		case ShipFlat, ShipPickup:
			if m.FreeAboveCents != nil {
				bad[at+"free_above_cents"] = "is only for kind free_above"
			}
		case ShipFreeAbove:
			if m.FreeAboveCents == nil || *m.FreeAboveCents < 0 || *m.FreeAboveCents > maxOrderCents {
				bad[at+"free_above_cents"] = "is required for free_above: the order amount (cents) from which shipping is free"
			}
		default:
			bad[at+"kind"] = "must be flat, free_above or pickup"
		}
		if m.PriceCents < 0 || m.PriceCents > 10_000_000 {
			bad[at+"price_cents"] = "must be 0 to 10000000 cents"
		}
		if m.Kind == ShipPickup && m.PriceCents != 0 {
			bad[at+"price_cents"] = "must be 0 for pickup"
		}
		if len(m.Name) == 0 {
			bad[at+"name"] = "needs a name in at least one language"
		}
		for lang, n := range m.Name {
			if !langPattern.MatchString(lang) {
				bad[at+"name."+lang] = "must be keyed by a language code such as en"
			} else if n = strings.TrimSpace(n); n == "" || utf8.RuneCountInString(n) > 100 || hasControl(n) {
				bad[at+"name."+lang] = "must be 1 to 100 characters on one line"
			}
		}
		if m.Active {
			active++
		}
	}
	if len(ms) > 0 && active == 0 {
		bad["methods"] = "at least one must be active, or shoppers cannot check out"
	}
	if err := invalid("invalid shipping methods", bad); err != nil {
		return nil, err
	}
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return nil, err
	}
	before, err := s.ShippingMethods(ctx, false)
	if err != nil {
		return nil, err
	}
	if _, err := c.ShippingMethod.Delete().Exec(ctx); err != nil {
		return nil, err
	}
	for i, m := range ms {
		err := c.ShippingMethod.Create().SetCode(m.Code).SetKind(shippingmethod.Kind(m.Kind)).SetName(m.Name).
			SetPriceCents(m.PriceCents).SetNillableFreeAboveCents(m.FreeAboveCents).SetActive(m.Active).SetPosition(i + 1).Exec(ctx)
		if err != nil {
			return nil, err
		}
	}
	after, err := s.ShippingMethods(ctx, false)
	if err != nil {
		return nil, err
	}
	if err := audit.Vendor(ctx, a.event("shop.shipping_update", "shipping", "",
		map[string]any{"methods": before}, map[string]any{"methods": after})); err != nil {
		return nil, err
	}
	return after, nil
}

var langPattern = regexp.MustCompile(`^[a-z]{2}$`)

func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

// PaymentMethods are the payment methods the shop offers now.
func (s *Service) PaymentMethods(ctx context.Context) ([]string, error) {
	return s.payments.Methods(ctx)
}
