package vendor

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/bazaar/bazaar/ent/platform"
	entvendor "github.com/bazaar/bazaar/ent/platform/vendor"
	"github.com/bazaar/bazaar/internal/audit"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/internal/locale"
	"github.com/bazaar/bazaar/internal/mail"
	"github.com/bazaar/bazaar/tenantdb"
)

// Settings are what a shop's Owner sets about their shop: its name, how
// customers reach the business, the languages it offers, its currency and
// its look. They live on the vendor's platform registry row; the shop front
// reads them. The JSON field names are the stored ones.
type Settings struct {
	Name               string `json:"name"`
	BusinessEmail      string `json:"business_email"`
	BusinessPhone      string `json:"business_phone"`
	BusinessAddress    string `json:"business_address"`
	BusinessCity       string `json:"business_city"`
	BusinessPostalCode string `json:"business_postal_code"`
	BusinessCountry    string `json:"business_country"` // ISO 3166-1 alpha-2, or ""
	// The account shoppers who pay by bank transfer pay: shown with their
	// order, its confirmation mail and page.
	BankAccountHolder string   `json:"bank_account_holder"`
	BankIBAN          string   `json:"bank_iban"`         // ISO 13616, upper case, no spaces
	BankBIC           string   `json:"bank_bic"`          // ISO 9362, or ""
	DefaultLanguage   string   `json:"default_language"`  // ISO 639-1, one of EnabledLanguages
	EnabledLanguages  []string `json:"enabled_languages"` // ISO 639-1, in the order of the language switch
	Currency          string   `json:"currency"`          // ISO 4217
	ThemeConfig       Theme    `json:"theme_config"`
}

// SettingsInput changes settings: it takes the document Settings are. A
// field left out (or null) keeps its value; theme_config, when given,
// replaces the whole theme.
type SettingsInput struct {
	Name               *string         `json:"name"`
	BusinessEmail      *string         `json:"business_email"`
	BusinessPhone      *string         `json:"business_phone"`
	BusinessAddress    *string         `json:"business_address"`
	BusinessCity       *string         `json:"business_city"`
	BusinessPostalCode *string         `json:"business_postal_code"`
	BusinessCountry    *string         `json:"business_country"`
	BankAccountHolder  *string         `json:"bank_account_holder"`
	BankIBAN           *string         `json:"bank_iban"` // spaces allowed, as IBANs are written
	BankBIC            *string         `json:"bank_bic"`
	DefaultLanguage    *string         `json:"default_language"`
	EnabledLanguages   []string        `json:"enabled_languages"`
	Currency           *string         `json:"currency"`
	ThemeConfig        json.RawMessage `json:"theme_config"` // any JSON: checked here, so every bad part is named
}

// The registry row's limits (ent/platform/schema/vendor.go), in bytes.
const (
	maxName       = 200
	maxEmail      = 254
	maxPhone      = 50
	maxAddress    = 300
	maxCity       = 100
	maxPostalCode = 20
	maxHolder     = 140 // SEPA's name of a creditor
)

// SettingsAction is the audit action of a change of settings, in the
// platform's trail and the vendor's.
const SettingsAction = "vendor.settings_update"

func settingsOf(v *platform.Vendor) Settings {
	langs := v.EnabledLanguages
	if langs == nil {
		langs = []string{}
	}
	return Settings{
		Name: v.Name, BusinessEmail: v.BusinessEmail, BusinessPhone: v.BusinessPhone,
		BusinessAddress: v.BusinessAddress, BusinessCity: v.BusinessCity, BusinessPostalCode: v.BusinessPostalCode,
		BusinessCountry: v.BusinessCountry, BankAccountHolder: v.BankAccountHolder, BankIBAN: v.BankIban, BankBIC: v.BankBic,
		DefaultLanguage: v.DefaultLanguage, EnabledLanguages: langs,
		Currency: v.Currency, ThemeConfig: ThemeOf(v.ThemeConfig),
	}
}

// Settings are the settings of the vendor whose transaction is bound to ctx,
// read from its registry row (not from a cached tenant).
func (s *Service) Settings(ctx context.Context) (*Settings, error) {
	t, err := tenantdb.CurrentTenant(ctx)
	if err != nil {
		return nil, err
	}
	v, err := s.db.Platform().Vendor.Get(ctx, t.ID)
	if platform.IsNotFound(err) {
		return nil, fault.New(fault.NotFound, "no such shop")
	}
	if err != nil {
		return nil, err
	}
	out := settingsOf(v)
	return &out, nil
}

// UpdateSettings changes the settings of the vendor whose transaction is
// bound to ctx. Every bad field is named at once, by its JSON path. The
// registry row is changed in a platform transaction, locked while the new
// settings are checked against the current ones, which also records the
// change in the platform's audit trail (the changed fields only, before and
// after) and tells every instance's tenant caches to drop the row; the same
// change goes to the vendor's own trail in the request's transaction. A
// change that changes nothing writes nothing.
func (s *Service) UpdateSettings(ctx context.Context, a Actor, in SettingsInput) (*Settings, error) {
	t, err := tenantdb.CurrentTenant(ctx)
	if err != nil {
		return nil, err
	}
	tx, err := s.db.Platform().Tx(ctx)
	if err != nil {
		return nil, err
	}
	out, err := s.updateSettings(ctx, tx, t, a, in)
	if err != nil {
		_ = tx.Rollback()
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Service) updateSettings(ctx context.Context, tx *platform.Tx, t *tenantdb.Tenant, a Actor, in SettingsInput) (*Settings, error) {
	v, err := tx.Vendor.Query().Where(entvendor.ID(t.ID)).ForUpdate().Only(ctx)
	if platform.IsNotFound(err) {
		return nil, fault.New(fault.NotFound, "no such shop")
	}
	if err != nil {
		return nil, err
	}
	before := settingsOf(v)
	after, err := in.apply(before)
	if err != nil {
		return nil, err
	}
	was, now := changes(before, after)
	if len(now) == 0 {
		return &after, nil
	}
	if _, err := tx.Vendor.UpdateOne(v).
		SetName(after.Name).
		SetBusinessEmail(after.BusinessEmail).
		SetBusinessPhone(after.BusinessPhone).
		SetBusinessAddress(after.BusinessAddress).
		SetBusinessCity(after.BusinessCity).
		SetBusinessPostalCode(after.BusinessPostalCode).
		SetBusinessCountry(after.BusinessCountry).
		SetBankAccountHolder(after.BankAccountHolder).
		SetBankIban(after.BankIBAN).
		SetBankBic(after.BankBIC).
		SetDefaultLanguage(after.DefaultLanguage).
		SetEnabledLanguages(after.EnabledLanguages).
		SetCurrency(after.Currency).
		SetThemeConfig(after.ThemeConfig.stored()).
		Save(ctx); err != nil {
		return nil, fmt.Errorf("vendor: update settings of %q: %w", t.Slug, err)
	}
	e := audit.Event{
		ActorID: a.UserID, ActorEmail: a.Email, Action: SettingsAction, TargetType: "vendor", TargetID: strconv.Itoa(t.ID),
		VendorID: t.ID, Before: was, After: now, IP: a.IP, RequestID: a.RequestID,
	}
	if err := audit.Platform(ctx, tx.Client(), e); err != nil {
		return nil, err
	}
	e.VendorID = 0 // the vendor's own trail is the vendor's
	if err := audit.Vendor(ctx, e); err != nil {
		return nil, err
	}
	if err := tenantdb.NotifyChanged(ctx, tx, t.Slug); err != nil {
		return nil, err
	}
	return &after, nil
}

// apply checks in and returns cur with it applied, or an error naming every
// bad field. A field is checked only when given, so a value stored before a
// rule existed does not block changing something else; what ties two
// fields (the default language among the enabled ones) is checked on the
// result.
func (in SettingsInput) apply(cur Settings) (Settings, error) {
	bad := map[string]string{}
	next := cur
	next.EnabledLanguages = append([]string(nil), cur.EnabledLanguages...)
	text := func(field string, v *string, limit int, required bool, check func(string) string) string {
		s := strings.TrimSpace(*v)
		switch {
		case required && s == "":
			bad[field] = "is required"
		case len(s) > limit:
			bad[field] = "must be at most " + strconv.Itoa(limit) + " bytes"
		case !utf8.ValidString(s) || hasControl(s):
			bad[field] = "must be one line of UTF-8 text, without control characters"
		case s != "" && check != nil:
			if msg := check(s); msg != "" {
				bad[field] = msg
			}
		}
		return s
	}
	if in.Name != nil {
		next.Name = text("name", in.Name, maxName, true, nil)
	}
	if in.BusinessEmail != nil {
		next.BusinessEmail = text("business_email", in.BusinessEmail, maxEmail, false, mail.AddressProblem)
	}
	if in.BusinessPhone != nil {
		next.BusinessPhone = text("business_phone", in.BusinessPhone, maxPhone, false, phoneProblem)
	}
	if in.BusinessAddress != nil {
		next.BusinessAddress = text("business_address", in.BusinessAddress, maxAddress, false, nil)
	}
	if in.BusinessCity != nil {
		next.BusinessCity = text("business_city", in.BusinessCity, maxCity, false, nil)
	}
	if in.BusinessPostalCode != nil {
		next.BusinessPostalCode = text("business_postal_code", in.BusinessPostalCode, maxPostalCode, false, postalCodeProblem)
	}
	if in.BusinessCountry != nil {
		// Any length: a code of another length is not a country, and says so.
		next.BusinessCountry = text("business_country", in.BusinessCountry, maxCity, false, func(s string) string {
			if !locale.IsCountry(s) {
				return "must be an ISO 3166-1 alpha-2 country code in upper case, such as LU"
			}
			return ""
		})
	}
	if in.BankAccountHolder != nil {
		next.BankAccountHolder = text("bank_account_holder", in.BankAccountHolder, maxHolder, false, nil)
	}
	if in.BankIBAN != nil {
		// Written in groups of four by people; kept without the spaces.
		compact := strings.ToUpper(strings.Join(strings.Fields(*in.BankIBAN), ""))
		next.BankIBAN = text("bank_iban", &compact, 34, false, IBANProblem)
	}
	if in.BankBIC != nil {
		upper := strings.ToUpper(*in.BankBIC)
		next.BankBIC = text("bank_bic", &upper, 11, false, BICProblem)
	}
	// An account is a holder's: an IBAN alone would tell shoppers to pay
	// someone unnamed.
	if (in.BankIBAN != nil || in.BankAccountHolder != nil) && bad["bank_iban"] == "" && bad["bank_account_holder"] == "" {
		switch {
		case next.BankIBAN != "" && next.BankAccountHolder == "":
			bad["bank_account_holder"] = "is required with an IBAN: whom shoppers pay"
		case next.BankIBAN == "" && (next.BankAccountHolder != "" || next.BankBIC != ""):
			bad["bank_iban"] = "is required with an account holder or BIC (or clear them too)"
		}
	}
	if in.Currency != nil {
		next.Currency = *in.Currency
		if !locale.IsCurrency(next.Currency) {
			bad["currency"] = "must be an ISO 4217 currency code in upper case, such as EUR"
		}
	}
	if in.EnabledLanguages != nil {
		next.EnabledLanguages = in.EnabledLanguages
		if len(in.EnabledLanguages) == 0 {
			bad["enabled_languages"] = "must hold at least one language"
		}
		for i, l := range in.EnabledLanguages {
			path := "enabled_languages[" + strconv.Itoa(i) + "]"
			if !locale.KnownLanguage(l) {
				bad[path] = "must be an ISO 639-1 language code in lower case, such as fr"
			} else if j := indexOf(in.EnabledLanguages[:i], l); j >= 0 {
				bad[path] = l + " is already enabled_languages[" + strconv.Itoa(j) + "]"
			}
		}
	}
	if in.DefaultLanguage != nil {
		next.DefaultLanguage = *in.DefaultLanguage
		if !locale.KnownLanguage(next.DefaultLanguage) {
			bad["default_language"] = "must be an ISO 639-1 language code in lower case, such as fr"
		}
	}
	if _, ok := bad["default_language"]; !ok && (in.DefaultLanguage != nil || in.EnabledLanguages != nil) &&
		indexOf(next.EnabledLanguages, next.DefaultLanguage) < 0 {
		if in.DefaultLanguage != nil {
			var enabled []string
			for _, l := range next.EnabledLanguages {
				if locale.KnownLanguage(l) && indexOf(enabled, l) < 0 {
					enabled = append(enabled, l)
				}
			}
			bad["default_language"] = "must be one of enabled_languages (" + strings.Join(enabled, ", ") + ")"
		} else {
			bad["default_language"] = "is " + next.DefaultLanguage + ", which enabled_languages leaves out: keep it enabled or choose another default_language"
		}
	}
	if in.ThemeConfig != nil && !bytes.Equal(bytes.TrimSpace(in.ThemeConfig), []byte("null")) {
		next.ThemeConfig = parseTheme(in.ThemeConfig, bad)
	}
	if err := fault.Fields("the settings are not valid", bad); err != nil {
		return cur, err
	}
	return next, nil
}

// changes are the fields that differ between two settings, before and
// after, by their JSON names.
func changes(before, after Settings) (was, now map[string]any) {
	was, now = map[string]any{}, map[string]any{}
	b, a := reflect.ValueOf(before), reflect.ValueOf(after)
	for i := range b.NumField() {
		name, _, _ := strings.Cut(b.Type().Field(i).Tag.Get("json"), ",")
		bv, av := b.Field(i).Interface(), a.Field(i).Interface()
		if th, ok := bv.(Theme); ok {
			bv, av = th.stored(), av.(Theme).stored()
		}
		if !reflect.DeepEqual(bv, av) {
			was[name], now[name] = bv, av
		}
	}
	return was, now
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return true
		}
	}
	return false
}

// phoneProblem allows what people write phone numbers with: digits, spaces,
// a leading +, hyphens, dots, slashes and parentheses, with 5 to 20 digits.
func phoneProblem(s string) string {
	digits := 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+' && i == 0, strings.ContainsRune(" -./()", r):
		default:
			return "must be a phone number: digits, spaces, a leading + and - . / ( ) only"
		}
	}
	if digits < 5 || digits > 20 {
		return "must be a phone number of 5 to 20 digits"
	}
	return ""
}

// postalCodeProblem allows letters, digits, spaces and hyphens: the postal
// codes of every country are written with them ("L-1234", "SW1A 1AA").
func postalCodeProblem(s string) string {
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r == ' ' || r == '-') {
			return "must be letters, digits, spaces and hyphens only"
		}
	}
	return ""
}

// IBANProblem says what is wrong with an IBAN (ISO 13616, upper case, no
// spaces), or "": it needs a country, two check digits, 11 to 30 letters
// and digits, and the check digits' remainder — the whole, its first four
// characters moved to the end and each letter written as 10 to 35, is 1
// modulo 97. One mistyped character never passes, nor do most two swapped.
func IBANProblem(s string) string {
	if len(s) < 15 || len(s) > 34 || !locale.IsCountry(s[:2]) || s[2] < '0' || s[2] > '9' || s[3] < '0' || s[3] > '9' {
		return "must be an IBAN: a country code, two check digits and the account, such as LU28 0019 4006 4475 0000"
	}
	rem := 0
	for _, r := range s[4:] + s[:4] {
		switch {
		case r >= '0' && r <= '9':
			rem = (rem*10 + int(r-'0')) % 97
		case r >= 'A' && r <= 'Z':
			rem = (rem*100 + int(r-'A') + 10) % 97
		default:
			return "must be an IBAN: letters and digits only"
		}
	}
	if rem != 1 {
		return "is not a valid IBAN: its check digits do not match (a character mistyped?)"
	}
	return ""
}

// BICProblem says what is wrong with a BIC (ISO 9362), or "": four
// letters for the bank, the country, two letters or digits for the place,
// and an optional branch of three.
func BICProblem(s string) string {
	ok := (len(s) == 8 || len(s) == 11) && locale.IsCountry(s[4:6])
	for i := 0; ok && i < len(s); i++ {
		c := s[i]
		letter, digit := c >= 'A' && c <= 'Z', c >= '0' && c <= '9'
		ok = (i < 4 && letter) || (i >= 4 && i < 6) || (i >= 6 && (letter || digit))
	}
	if !ok {
		return "must be a BIC of 8 or 11 characters, such as BCEELULL"
	}
	return ""
}
