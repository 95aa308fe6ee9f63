package postal

import (
	"strings"
	"testing"
)

func TestCheckNamesEveryBadField(t *testing.T) {
	good := Clean(Address{Name: " Anna Muller ", Line1: "12 rue du Curé", PostalCode: "L-1368", City: "Luxembourg", Country: "lu", Phone: "+352 621 000 000"})
	bad := map[string]string{}
	Check(good, "billing_address", bad)
	if len(bad) != 0 || good.Country != "LU" || good.Name != "Anna Muller" {
		t.Fatalf("a good address: %v, cleaned to %+v", bad, good)
	}
	Check(Clean(Address{Name: "x\u0085y", PostalCode: "L_1", City: strings.Repeat("c", 101), Country: "LUX", Phone: "1234"}), "a", bad)
	for _, f := range []string{"a.name", "a.line1", "a.postal_code", "a.city", "a.country", "a.phone"} {
		if bad[f] == "" {
			t.Errorf("%s not named: %v", f, bad)
		}
	}
	if len(bad) != 6 {
		t.Errorf("named %d fields, want 6: %v", len(bad), bad)
	}
}
