package demo

import (
	"testing"

	"github.com/bazaar/bazaar/internal/letzshop"
)

// TestFeedsAreReadable checks the embedded sample feeds parse cleanly; the
// import of them is tested end to end in cmd/bazaar.
func TestFeedsAreReadable(t *testing.T) {
	for _, v := range Vendors {
		for _, l := range v.Languages {
			f, err := feeds.Open("feeds/sample-" + l + ".tsv")
			if err != nil {
				t.Fatal(err)
			}
			r, err := letzshop.NewReader(f, letzshop.Options{})
			if err != nil {
				t.Fatalf("%s: %v", l, err)
			}
			n := 0
			for {
				rec, err := r.Next()
				if err != nil {
					break
				}
				n++
				if rec.Item.Title == "" || rec.Item.Price == nil {
					t.Errorf("%s line %d: %+v", l, rec.Line, rec.Item)
				}
			}
			if n != 3 {
				t.Errorf("%s: %d products, want 3", l, n)
			}
			f.Close()
		}
	}
}
