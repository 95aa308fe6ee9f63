package customer

import (
	"fmt"
	netmail "net/mail"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/bazaar/bazaar/internal/locale"
	"github.com/bazaar/bazaar/internal/mail"
	"github.com/bazaar/bazaar/internal/postal"
)

// The rules a shopper's details are held to. They are the platform's rules
// for the same things (an account's e-mail and password, a shop's phone and
// postal code), written here because a domain does not import another; the
// lengths are the columns' (names, phone) or, inside the addresses' JSON,
// what a postal label takes.
const (
	minPassword  = 10
	maxPassword  = 256 // bytes
	maxEmail     = 254
	maxName      = 100
	maxPhone     = 50
	maxAddresses = 10
)

// NormalizeEmail trims and lower-cases an address: a shop's customers are
// unique by e-mail without regard to case.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// emailProblem says what is wrong with a normalised address, or "": the
// platform's rule for an account's address, and one the mailer can send to
// (a reset mail must never be refused for its address).
func emailProblem(email string) string {
	if p := mail.AddressProblem(email); p != "" {
		return p
	}
	if a, err := netmail.ParseAddress(email); err != nil || a.Address != email {
		return "must look like name@example.com"
	}
	return ""
}

// passwordProblem says what is wrong with a new password for email, or "":
// 10 to 256 characters of UTF-8 that are not the e-mail address.
func passwordProblem(password, email string) string {
	switch {
	case password == "":
		return "is required"
	case !utf8.ValidString(password):
		return "must be valid UTF-8 text"
	case utf8.RuneCountInString(password) < minPassword:
		return fmt.Sprintf("must be at least %d characters", minPassword)
	case len(password) > maxPassword:
		return fmt.Sprintf("must be at most %d bytes", maxPassword)
	case email != "" && strings.EqualFold(strings.TrimSpace(password), email):
		return "must not be your email address"
	}
	return ""
}

// fields collects every bad field of an input by its JSON path.
type fields map[string]string

// text trims s and checks it is one line of at most max bytes (required:
// not empty), then check's rule; it returns the trimmed text.
func (bad fields) text(path, s string, max int, required bool, check func(string) string) string {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		if required {
			bad[path] = "is required"
		}
	case len(s) > max:
		bad[path] = "must be at most " + strconv.Itoa(max) + " bytes"
	case !utf8.ValidString(s) || hasControl(s):
		bad[path] = "must be one line of UTF-8 text, without control characters"
	case check != nil:
		if msg := check(s); msg != "" {
			bad[path] = msg
		}
	}
	return s
}

// hasControl reports C0 and C1 control characters (a line break too): none
// belongs in a name or on an address label.
func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return true
		}
	}
	return false
}

func languageProblem(s string) string {
	if !locale.KnownLanguage(s) {
		return "must be an ISO 639-1 language code in lower case, such as fr"
	}
	return ""
}

// Address is a postal address as a shopper gives it (internal/postal's
// rules, the same as an order's addresses).
type Address = postal.Address

// addresses checks a list of addresses, naming each bad field by its path
// (addresses[1].country), and returns them trimmed.
func (bad fields) addresses(path string, in []Address) []Address {
	if len(in) > maxAddresses {
		bad[path] = fmt.Sprintf("must hold at most %d addresses", maxAddresses)
		return nil
	}
	out := make([]Address, len(in))
	for i, a := range in {
		out[i] = postal.Clean(a)
		postal.Check(out[i], fmt.Sprintf("%s[%d]", path, i), bad)
	}
	return out
}
