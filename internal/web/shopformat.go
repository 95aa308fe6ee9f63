package web

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/bazaar/bazaar/internal/catalog"
)

// How the shop front writes amounts, rates and texts in a language.

var currencySymbols = map[string]string{"EUR": "€", "GBP": "£", "USD": "$"}

// formatMoney writes "€1,234.50" in English and "1 234,50 €" in French and
// "1.234,50 €" in German (and the languages that write it so).
func formatMoney(cents int64, currency, lang string) string {
	neg := cents < 0
	if neg {
		cents = -cents
	}
	whole, frac := fmt.Sprint(cents/100), fmt.Sprintf("%02d", cents%100)
	group, dec := ",", "."
	switch lang {
	case "fr":
		group, dec = "\u202f", ","
	case "de", "lb", "nl", "it", "es", "pt":
		group, dec = ".", ","
	}
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteString(group)
		}
		b.WriteRune(r)
	}
	num := b.String() + dec + frac
	if neg {
		num = "-" + num
	}
	sym, ok := currencySymbols[currency]
	if !ok {
		sym = currency
	}
	if lang == "en" {
		if ok {
			return sym + num
		}
		return sym + " " + num
	}
	return num + "\u00a0" + sym
}

// postalLine is an address on one line: "1 Rue X, 1234 City".
func postalLine(street, postalCode, city string) string {
	place := strings.TrimSpace(postalCode + " " + city)
	switch {
	case street == "":
		return place
	case place == "":
		return street
	}
	return street + ", " + place
}

// pickText is a translation in lang, else in any language the text has.
func pickText(m map[string]string, lang string) string {
	return catalog.ShopProduct{Title: m}.Name(lang)
}

// summary is s cut at a word to at most n characters, for a description.
func summary(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	cut := string(r[:n])
	if i := strings.LastIndexByte(cut, ' '); i > n/2 {
		cut = cut[:i]
	}
	return cut + "…"
}

// vatRate writes a rate in basis points as a percentage: "17 %" in French,
// "17%" otherwise, "8.5%" / "8,5 %" with a fraction.
func vatRate(bp int, lang string) string {
	s := strconv.Itoa(bp / 100)
	if frac := bp % 100; frac != 0 {
		f := strings.TrimRight(fmt.Sprintf("%02d", frac), "0")
		sep := "."
		if lang != "en" {
			sep = ","
		}
		s += sep + f
	}
	if lang == "fr" {
		return s + "\u00a0%"
	}
	return s + "%"
}

// decimal writes cents as "24.90": the form JSON-LD and Open Graph take.
func decimal(cents int64) string { return fmt.Sprintf("%d.%02d", cents/100, cents%100) }
