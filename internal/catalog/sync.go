package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/bazaar/bazaar/ent/tenant"
	"github.com/bazaar/bazaar/ent/tenant/product"
	"github.com/bazaar/bazaar/ent/tenant/productdrift"
	"github.com/bazaar/bazaar/ent/tenant/stagedproduct"
)

// syncChunk is how many published products Sync reads at once.
const syncChunk = 500

// SyncResult is what a sync did to the catalogue.
type SyncResult struct {
	Updated int // products whose fields followed the feed
	Drifted int // products with an overridden field whose source changed
}

// Sync brings the products published from staged products that import job
// changed up to date with the feed: every field that is not overridden takes
// the feed's new value; an overridden field whose feed value moved is
// recorded as drift (source before, source now, the override) for the
// vendor to accept or keep. It runs in the import's tenant transaction.
func (s *Service) Sync(ctx context.Context, jobID int) (SyncResult, error) {
	var res SyncResult
	c, err := client(ctx)
	if err != nil {
		return res, err
	}
	order, err := Languages(ctx)
	if err != nil {
		return res, err
	}
	after := 0
	for {
		ps, err := c.Product.Query().
			Where(product.IDGT(after), product.HasStagedWith(stagedproduct.ChangedJob(jobID))).
			WithStaged().Order(product.ByID()).Limit(syncChunk).ForUpdate().All(ctx)
		if err != nil {
			return res, fmt.Errorf("catalog: sync: %w", err)
		}
		if len(ps) == 0 {
			return res, nil
		}
		after = ps[len(ps)-1].ID
		for _, p := range ps {
			changed, drifted, err := s.syncOne(ctx, c, p, SourceOf(p.Edges.Staged.Items, order), jobID)
			if err != nil {
				return res, err
			}
			if changed {
				res.Updated++
			}
			if drifted {
				res.Drifted++
			}
		}
	}
}

func (s *Service) syncOne(ctx context.Context, c *tenant.Client, p *tenant.Product, src Values, jobID int) (changed, drifted bool, err error) {
	old := Values(p.Source)
	st := stateOf(p)
	ov := slices.Clone(p.Overridden)
	keys := map[string]bool{}
	for k := range old {
		keys[k] = true
	}
	for k := range src {
		keys[k] = true
	}
	for k := range keys {
		if sameJSON(old[k], src[k]) {
			continue
		}
		changed = true
		if !slices.Contains(ov, k) {
			if k == FieldPrice && string(src[k]) == "null" {
				continue // the feed lost its price: keep selling at the last one
			}
			if err := st.set(k, src[k]); err != nil {
				return false, false, fmt.Errorf("catalog: sync product %d field %s: %w", p.ID, k, err)
			}
			continue
		}
		current := st.get(k)
		if sameJSON(current, src[k]) {
			// The feed caught up with the vendor's value: it follows the feed again.
			ov = slices.DeleteFunc(ov, func(x string) bool { return x == k })
			if _, err := c.ProductDrift.Delete().Where(productdrift.ProductID(p.ID), productdrift.Field(k)).Exec(ctx); err != nil {
				return false, false, err
			}
			continue
		}
		drifted = true
		err := c.ProductDrift.Create().
			SetProductID(p.ID).SetField(k).SetSourceBefore(orNull(old[k])).SetSourceNow(orNull(src[k])).
			SetOverride(current).SetJobID(jobID).SetDetectedAt(time.Now()).
			OnConflictColumns(productdrift.FieldProductID, productdrift.FieldField).
			Update(func(u *tenant.ProductDriftUpsert) {
				// source_before stays the value the vendor overrode.
				u.UpdateSourceNow().UpdateOverride().UpdateJobID().UpdateDetectedAt()
			}).Exec(ctx)
		if err != nil {
			return false, false, fmt.Errorf("catalog: record drift: %w", err)
		}
	}
	if !changed {
		return false, false, nil
	}
	err = updateFrom(p.Update(), st).SetSource(src).SetOverridden(ov).Exec(ctx)
	return true, drifted, err
}

func orNull(v json.RawMessage) json.RawMessage {
	if len(v) == 0 {
		return json.RawMessage("null")
	}
	return v
}
