package mail

import "testing"

func TestAddressProblem(t *testing.T) {
	for addr, wantOK := range map[string]bool{
		"ann@example.com":        true,
		"a.b+tag@sub.example.lu": true,
		"":                       false,
		"no-at-sign":             false,
		"@example.com":           false,
		"ann@":                   false,
		"ann@b@c":                false,
		"ann smith@example.com":  false,
		"ann\t@example.com":      false,
		"ann\r\n@example.com":    false,
		"<ann@example.com>":      false,
		"ann@example.com,b@c.d":  false,
	} {
		if got := AddressProblem(addr) == ""; got != wantOK {
			t.Errorf("AddressProblem(%q) = %q", addr, AddressProblem(addr))
		}
	}
}
