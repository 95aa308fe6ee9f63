package demo

import (
	"context"

	"github.com/bazaar/bazaar/tenantdb"
)

// shopSettings gives a demo shop the languages of its feed, the primary
// first, a look of its own and a bank account — once: a shop whose theme
// is set (by an earlier run, or by someone trying the settings) keeps its
// settings.
func shopSettings(ctx context.Context, db *tenantdb.DB, t *tenantdb.Tenant, v Vendor) error {
	row, err := db.Platform().Vendor.Get(ctx, t.ID)
	if err != nil || len(row.ThemeConfig) > 0 {
		return err
	}
	return row.Update().SetDefaultLanguage(v.Languages[0]).SetEnabledLanguages(v.Languages).
		SetThemeConfig(v.Theme).SetBusinessEmail("hello@" + v.Slug + ".test").
		SetBankAccountHolder(v.Name).SetBankIban(v.IBAN).SetBankBic(v.BIC).Exec(ctx)
}
