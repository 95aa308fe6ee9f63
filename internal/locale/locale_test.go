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

func TestCountries(t *testing.T) {
	if n := len(countries); n != 249 {
		t.Errorf("%d country codes, want ISO 3166-1's 249", n)
	}
	for s, want := range map[string]bool{"LU": true, "DE": true, "FR": true, "BE": true, "AX": true,
		"lu": false, "UK": false, "EU": false, "XX": false, "LUX": false, "": false} {
		if got := IsCountry(s); got != want {
			t.Errorf("IsCountry(%q) = %v", s, got)
		}
	}
}
