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
