package demo

import (
	"strings"
	"testing"
)

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
