package locale

import "testing"

func TestCodes(t *testing.T) {
	for _, tt := range []struct {
		s              string
		lang, currency bool
	}{
		{"fr", true, false}, {"en", true, false}, {"FR", false, false}, {"f", false, false}, {"fra", false, false},
		{"EUR", false, true}, {"eur", false, false}, {"EU", false, false}, {"EURO", false, false},
		{"", false, false}, {"é", false, false}, {"E1R", false, false},
	} {
		if got := IsLanguage(tt.s); got != tt.lang {
			t.Errorf("IsLanguage(%q) = %v", tt.s, got)
		}
		if got := IsCurrency(tt.s); got != tt.currency {
			t.Errorf("IsCurrency(%q) = %v", tt.s, got)
		}
	}
}

func TestISOLists(t *testing.T) {
	for name, l := range map[string]struct {
		codes []string
		n     int
		shape func(string) bool
	}{
		"languages": {languages, 183, IsLanguage},
		"countries": {countries, 249, func(s string) bool { return len(s) == 2 && upper(s[0]) && upper(s[1]) }},
	} {
		if len(l.codes) != l.n {
			t.Errorf("%s: %d codes, want %d", name, len(l.codes), l.n)
		}
		for i, c := range l.codes {
			if !l.shape(c) {
				t.Errorf("%s: %q is not a code", name, c)
			}
			if i > 0 && l.codes[i-1] >= c {
				t.Errorf("%s: %q after %q: not sorted (the lookup is a binary search)", name, c, l.codes[i-1])
			}
		}
	}
	for _, tt := range []struct {
		s       string
		lang    bool
		country bool
	}{
		{"fr", true, false}, {"lb", true, false}, {"zu", true, false}, {"aa", true, false},
		{"xx", false, false}, {"bh", false, false}, {"FR", false, true}, {"LU", false, true}, {"ZW", false, true},
		{"AD", false, true}, {"XK", false, false}, {"ZZ", false, false}, {"YU", false, false}, {"lu", true, false},
		{"", false, false}, {"f", false, false}, {"fra", false, false}, {"LUX", false, false},
	} {
		if got := KnownLanguage(tt.s); got != tt.lang {
			t.Errorf("KnownLanguage(%q) = %v", tt.s, got)
		}
		if got := IsCountry(tt.s); got != tt.country {
			t.Errorf("IsCountry(%q) = %v", tt.s, got)
		}
	}
}
