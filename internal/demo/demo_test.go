package demo

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"github.com/bazaar/bazaar/internal/letzshop"
	"github.com/bazaar/bazaar/internal/vendor"
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

// TestFeedsLinkTheirOwnPictures: served for a development server, the feeds
// link pictures the demo has (and serves beside them), not the sample host's.
func TestFeedsLinkTheirOwnPictures(t *testing.T) {
	fsys := Feeds("http://localhost:8080/dev/feeds")
	for _, v := range Vendors {
		for _, l := range v.Languages {
			b, err := fs.ReadFile(fsys, "sample-"+l+".tsv")
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(b), samplePictures) {
				t.Errorf("%s still links %s", l, samplePictures)
			}
			links := regexp.MustCompile(`http://localhost:8080/dev/feeds/(img/[a-z0-9-]+\.svg)`).FindAllStringSubmatch(string(b), -1)
			if len(links) < 4 {
				t.Errorf("%s links %d pictures, want at least 4", l, len(links))
			}
			for _, m := range links {
				if _, err := fs.Stat(fsys, m[1]); err != nil {
					t.Errorf("%s links %s, which the demo lacks: %v", l, m[1], err)
				}
			}
		}
	}
	if b, _ := fs.ReadFile(Feeds(""), "sample-en.tsv"); !strings.Contains(string(b), samplePictures) {
		t.Error("without a picture base the feeds changed")
	}
}

// TestBankAccountsAreValid: the demo shops' bank accounts, written without
// the settings' checks, would pass them (shoppers are shown them).
func TestBankAccountsAreValid(t *testing.T) {
	for _, v := range Vendors {
		if p := vendor.IBANProblem(v.IBAN); p != "" {
			t.Errorf("%s: IBAN %s %s", v.Slug, v.IBAN, p)
		}
		if v.BIC != "" {
			if p := vendor.BICProblem(v.BIC); p != "" {
				t.Errorf("%s: BIC %s %s", v.Slug, v.BIC, p)
			}
		}
	}
}
