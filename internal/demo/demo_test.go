package demo

import (
	"strings"
	"testing"
)

func TestParsePrice(t *testing.T) {
	tests := []struct {
		in    string
		cents int64
		cur   string
		err   bool
	}{
		{"24.90 EUR", 2490, "EUR", false},
		{"24,90", 2490, "EUR", false},
		{"9.5 EUR", 950, "EUR", false},
		{"12", 1200, "EUR", false},
		{"1.999 EUR", 0, "", true},
		{"abc", 0, "", true},
		{"-3.00 EUR", 0, "", true},
	}
	for _, tt := range tests {
		cents, cur, err := parsePrice(tt.in)
		if (err != nil) != tt.err || cents != tt.cents || cur != tt.cur {
			t.Errorf("parsePrice(%q) = %d, %q, %v", tt.in, cents, cur, err)
		}
	}
}

func TestFeedsAreReadable(t *testing.T) {
	for _, v := range Vendors {
		items, err := readFeed(v.Feed)
		if err != nil {
			t.Fatalf("%s: %v", v.Feed, err)
		}
		if len(items) != 3 || items[2].sku != "LS-HONEY-500" || items[2].cents != 950 {
			t.Errorf("%s: %+v", v.Feed, items)
		}
		if strings.TrimSpace(items[0].title) == "" {
			t.Errorf("%s: empty title", v.Feed)
		}
	}
}
