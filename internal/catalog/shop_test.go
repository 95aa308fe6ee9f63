package catalog_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	entproduct "github.com/bazaar/bazaar/ent/tenant/product"
	"github.com/bazaar/bazaar/internal/catalog"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/tenantdb"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// TestShopProductAndGroup: a product page's product comes with the active
// products of its item group, in one query, and a draft has no page.
func TestShopProductAndGroup(t *testing.T) {
	db := tenanttest.Open(t)
	tn := tenanttest.Tenant(t, db, "group")
	ctx := context.Background()
	ids := map[string]int{}
	err := db.Tx(ctx, tn, func(ctx context.Context) error {
		c, err := tenantdb.Current(ctx)
		if err != nil {
			return err
		}
		for _, p := range []struct {
			sku, group string
			status     entproduct.Status
		}{
			{"TEE-M", "TEE", entproduct.StatusActive}, {"TEE-L", "TEE", entproduct.StatusActive},
			{"TEE-S", "TEE", entproduct.StatusDraft}, {"TEE-XL", "TEE", entproduct.StatusActive},
			{"MUG", "", entproduct.StatusActive}, {"CUP", "", entproduct.StatusActive}, {"DRAFT", "", entproduct.StatusDraft},
		} {
			r, err := c.Product.Create().SetSku(p.sku).SetTitle(map[string]string{"en": p.sku}).SetPriceCents(100).
				SetItemGroupID(p.group).SetStatus(p.status).Save(ctx)
			if err != nil {
				return err
			}
			ids[p.sku] = r.ID
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	svc := catalog.New()
	get := func(id, limit int) (catalog.ShopProduct, string, error) {
		var self catalog.ShopProduct
		var skus []string
		err := db.ReadTx(ctx, tn, func(ctx context.Context) error {
			s, group, err := svc.GetShopGroup(ctx, id, limit)
			self = s
			for _, g := range group {
				skus = append(skus, g.SKU)
			}
			return err
		})
		return self, strings.Join(skus, " "), err
	}
	for _, tt := range []struct {
		name      string
		id, limit int
		want      string
	}{
		{"TheActiveVariantsBySKU", ids["TEE-M"], 10, "TEE-L TEE-M TEE-XL"},
		{"AProductInNoGroupComesAlone", ids["MUG"], 10, "MUG"},
		{"TheProductItselfIsKeptPastTheLimit", ids["TEE-XL"], 2, "TEE-M TEE-XL"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			self, group, err := get(tt.id, tt.limit)
			if err != nil || self.ID != tt.id || group != tt.want {
				t.Errorf("product %d: %d, group %q, %v; want group %q", tt.id, self.ID, group, err, tt.want)
			}
		})
	}
	for _, sku := range []string{"DRAFT", "TEE-S"} {
		if _, _, err := get(ids[sku], 10); !errors.Is(err, fault.ErrNotFound) {
			t.Errorf("%s: %v, want not found", sku, err)
		}
	}
	if _, _, err := get(999999, 10); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("no such product: %v", err)
	}
}
