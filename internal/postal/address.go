// Package postal checks postal addresses and phone numbers as shoppers and
// teams type them: the one set of rules for a customer's saved addresses
// and an order's billing and shipping addresses.
package postal

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/bazaar/bazaar/ent/tenant/schema"
	"github.com/bazaar/bazaar/internal/locale"
)

// Address is a postal address (stored as JSON on customers and orders).
type Address = schema.Address

// Field limits, in bytes: what a postal label takes.
const (
	maxLine       = 200 // the name, company and street lines
	maxCity       = 100
	maxPostalCode = 20
	maxPhone      = 50
)

// Clean trims every field of a and upper-cases the country.
func Clean(a Address) Address {
	a.Name, a.Company = strings.TrimSpace(a.Name), strings.TrimSpace(a.Company)
	a.Line1, a.Line2 = strings.TrimSpace(a.Line1), strings.TrimSpace(a.Line2)
	a.PostalCode, a.City = strings.TrimSpace(a.PostalCode), strings.TrimSpace(a.City)
	a.Country, a.Phone = strings.ToUpper(strings.TrimSpace(a.Country)), strings.TrimSpace(a.Phone)
	return a
}

// Check adds what is wrong with a (cleaned) to bad, each field named under
// at (e.g. "billing_address.city").
func Check(a Address, at string, bad map[string]string) {
	text := func(field, v string, limit int, required bool, rule func(string) string) {
		path := at + "." + field
		switch {
		case v == "":
			if required {
				bad[path] = "is required"
			}
		case len(v) > limit:
			bad[path] = "must be at most " + strconv.Itoa(limit) + " bytes"
		case !utf8.ValidString(v) || strings.ContainsFunc(v, unicode.IsControl):
			bad[path] = "must be one line of UTF-8 text, without control characters"
		case rule != nil:
			if msg := rule(v); msg != "" {
				bad[path] = msg
			}
		}
	}
	text("name", a.Name, maxLine, true, nil)
	text("company", a.Company, maxLine, false, nil)
	text("line1", a.Line1, maxLine, true, nil)
	text("line2", a.Line2, maxLine, false, nil)
	text("city", a.City, maxCity, true, nil)
	text("postal_code", a.PostalCode, maxPostalCode, true, postalCodeProblem)
	text("country", a.Country, maxCity, true, countryProblem)
	text("phone", a.Phone, maxPhone, false, PhoneProblem)
}

// PhoneProblem allows what people write phone numbers with: digits,
// spaces, a leading +, hyphens, dots, slashes and parentheses, with 5 to 20
// digits; "" when s is one.
func PhoneProblem(s string) string {
	digits := 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+' && i == 0, strings.ContainsRune(" -./()", r):
		default:
			return "must be a phone number: digits, spaces, a leading + and - . / ( ) only"
		}
	}
	if digits < 5 || digits > 20 {
		return "must be a phone number of 5 to 20 digits"
	}
	return ""
}

// postalCodeProblem allows letters, digits, spaces and hyphens: the postal
// codes of every country are written with them ("L-1234", "SW1A 1AA").
func postalCodeProblem(s string) string {
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r == ' ' || r == '-') {
			return "must be letters, digits, spaces and hyphens only (such as L-1234)"
		}
	}
	return ""
}

func countryProblem(s string) string {
	if !locale.IsCountry(s) {
		return "must be an ISO 3166-1 alpha-2 country code such as LU"
	}
	return ""
}
