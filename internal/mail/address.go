package mail

import "strings"

// AddressProblem says what is wrong with a (trimmed, lower-cased) email
// address as an account or invitation key, or "" when it looks right. It is
// deliberately plainer than RFC 5322: one @, something on each side, no
// spaces, quotes, brackets, commas, semicolons or control characters.
func AddressProblem(addr string) string {
	at := strings.IndexByte(addr, '@')
	switch {
	case addr == "":
		return "is required"
	case len(addr) > 254:
		return "must be at most 254 characters"
	case hasControl(addr) || strings.ContainsAny(addr, " \t<>,;\""):
		return "must not contain spaces, quotes, brackets or control characters"
	case at <= 0 || at != strings.LastIndexByte(addr, '@') || at == len(addr)-1:
		return "must look like name@example.com"
	}
	return ""
}
