// Package postal checks postal addresses as shoppers and teams type them:
// the one set of rules for a customer's saved addresses and an order's
// billing and shipping addresses.
package postal

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/bazaar/bazaar/ent/tenant/schema"
	"github.com/bazaar/bazaar/internal/locale"
)

// Address is a postal address (stored as JSON on customers and orders).
type Address = schema.Address

// Field limits, in characters.
const (
	maxName       = 150
	maxLine       = 200
	maxPostalCode = 20
	maxCity       = 100
	maxPhone      = 50
)

var (
	postalPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 -]*$`)
	phonePattern  = regexp.MustCompile(`^\+?[0-9][0-9 ()./-]*$`)
)

// Clean trims every field of a and upper-cases the country.
func Clean(a Address) Address {
	a.Name, a.Company = strings.TrimSpace(a.Name), strings.TrimSpace(a.Company)
	a.Line1, a.Line2 = strings.TrimSpace(a.Line1), strings.TrimSpace(a.Line2)
	a.PostalCode, a.City = strings.TrimSpace(a.PostalCode), strings.TrimSpace(a.City)
	a.Country, a.Phone = strings.ToUpper(strings.TrimSpace(a.Country)), strings.TrimSpace(a.Phone)
	return a
}

// Check adds what is wrong with a (cleaned) to bad, each field named at
// (e.g. "billing_address.city").
func Check(a Address, at string, bad map[string]string) {
	text := func(field, v string, limit int, required bool) {
		switch {
		case v == "" && required:
			bad[at+"."+field] = "is required"
		case utf8.RuneCountInString(v) > limit:
			bad[at+"."+field] = "is too long"
		case strings.ContainsFunc(v, unicode.IsControl):
			bad[at+"."+field] = "must be one line of text"
		}
	}
	text("name", a.Name, maxName, true)
	text("company", a.Company, maxName, false)
	text("line1", a.Line1, maxLine, true)
	text("line2", a.Line2, maxLine, false)
	text("city", a.City, maxCity, true)
	switch {
	case a.PostalCode == "":
		bad[at+".postal_code"] = "is required"
	case len(a.PostalCode) > maxPostalCode || !postalPattern.MatchString(a.PostalCode):
		bad[at+".postal_code"] = "must be letters, digits, spaces or - (such as L-1234 or 1234)"
	}
	if !locale.IsCountry(a.Country) {
		bad[at+".country"] = "must be an ISO 3166-1 alpha-2 country code such as LU"
	}
	if a.Phone != "" && (len(a.Phone) > maxPhone || !phonePattern.MatchString(a.Phone)) {
		bad[at+".phone"] = "must be a phone number such as +352 123 456"
	}
}
