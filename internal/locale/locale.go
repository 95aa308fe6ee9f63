// Package locale names the languages a shop is written in, the currencies
// it prices in and the countries it is in, by their ISO codes, so that every
// layer — the catalogue, the import configuration, the shop's settings, the
// configuration file — accepts the same ones.
package locale

// IsLanguage reports whether s is a language code as Bazaar stores it: ISO
// 639-1, two lower-case letters ("fr", "de", "en").
func IsLanguage(s string) bool {
	return len(s) == 2 && lower(s[0]) && lower(s[1])
}

// IsCurrency reports whether s is a currency code as Bazaar stores it: ISO
// 4217 alphabetic, three upper-case letters ("EUR").
func IsCurrency(s string) bool {
	return len(s) == 3 && upper(s[0]) && upper(s[1]) && upper(s[2])
}

func lower(b byte) bool { return b >= 'a' && b <= 'z' }
func upper(b byte) bool { return b >= 'A' && b <= 'Z' }
