package letzshop

import (
	"os"
	"testing"
)

func sample(t *testing.T, lang string) []*Record {
	t.Helper()
	f, err := os.Open("testdata/sample-" + lang + ".tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, rows, end := readAll(t, f, Options{})
	if end != nil || len(rows) > 0 {
		t.Fatalf("%s: %v %v", lang, rows, end)
	}
	return recs
}

// The sample feeds agree on everything shared and differ in their words.
func TestSampleLanguagesAgree(t *testing.T) {
	en, fr, de := sample(t, "en"), sample(t, "fr"), sample(t, "de")
	for i := range en {
		byLang := map[string]Item{"en": en[i].Item, "fr": fr[i].Item, "de": de[i].Item}
		if d := Compare(en[i].Item.ID, byLang); len(d) != 0 {
			t.Errorf("%s: %+v", en[i].Item.ID, d)
		}
		if en[i].Item.Localized().Title == fr[i].Item.Localized().Title {
			t.Errorf("%s: the English and French titles are the same", en[i].Item.ID)
		}
	}
}

func TestCompareNamesFieldAndLanguages(t *testing.T) {
	en, fr := sample(t, "en")[2].Item, sample(t, "fr")[2].Item
	fr.Price = &Money{Cents: 990, Currency: "EUR"}
	q := 3
	fr.Quantity = &q
	d := Compare(en.ID, map[string]Item{"en": en, "fr": fr})
	if len(d) != 2 || d[0].Field != "letzshop:quantity" || d[1].Field != "price" ||
		d[1].Values["en"] != "950 EUR" || d[1].Values["fr"] != "990 EUR" || d[0].ID != "LS-HONEY-500" {
		t.Fatalf("%+v", d)
	}
}
