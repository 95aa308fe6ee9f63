package catalog

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/bazaar/bazaar/ent/tenant"
	"github.com/bazaar/bazaar/ent/tenant/product"
)

// Stock belongs to the catalogue: a product's count is changed here and
// nowhere else. Orders reach it through the two moves below (wired in
// cmd/bazaar), so the rule that stock never goes below zero lives in one
// place — in the UPDATE's own condition.

// StockMove is a quantity of one product leaving or returning to stock.
type StockMove struct {
	ProductID int
	Quantity  int
}

// ShortError says a product has less stock than a move takes (or is no
// longer for sale); nothing of the moves was applied.
type ShortError struct {
	ProductID int
	Available int // what is left; 0 when the product is gone or inactive
}

func (e *ShortError) Error() string {
	return fmt.Sprintf("catalog: product %d has %d in stock", e.ProductID, e.Available)
}

// TakeStock takes every move from stock, all or nothing, in the bound
// transaction. Each product's count drops by a conditional UPDATE (stock >=
// quantity; a product that tracks no stock is left alone), so two buyers of the last
// unit cannot both have it: the second's UPDATE waits for the first's row
// lock and then finds the condition false. Products are taken in id order,
// so two carts holding the same products in another order cannot deadlock.
// A product that is short, gone or no longer active is a *ShortError; the
// caller rolls the transaction back (PostgreSQL undoes the moves already
// made).
func (s *Service) TakeStock(ctx context.Context, moves []StockMove) error {
	c, err := client(ctx)
	if err != nil {
		return err
	}
	for _, m := range sortedMoves(moves) {
		n, err := c.Product.Update().
			Where(product.ID(m.ProductID), product.StatusEQ(product.StatusActive), product.StockGTE(m.Quantity)).
			AddStock(-m.Quantity).
			Save(ctx)
		if err != nil {
			return err
		}
		if n == 1 {
			continue
		}
		// Not taken: fine when the product does not track its stock (NULL,
		// which ent's AddStock would have made a count: it adds to
		// COALESCE(stock, 0)); short otherwise.
		p, err := c.Product.Query().Where(product.ID(m.ProductID), product.StatusEQ(product.StatusActive)).Only(ctx)
		switch {
		case err == nil && p.Stock == nil:
			continue
		case err == nil:
			return &ShortError{ProductID: m.ProductID, Available: *p.Stock}
		case tenant.IsNotFound(err):
			return &ShortError{ProductID: m.ProductID}
		default:
			return err
		}
	}
	return nil
}

// ReturnStock puts moves back (a cancelled or expired order, a refund with
// restocking). Untracked stock stays untracked; a deleted product is
// skipped.
func (s *Service) ReturnStock(ctx context.Context, moves []StockMove) error {
	c, err := client(ctx)
	if err != nil {
		return err
	}
	for _, m := range sortedMoves(moves) {
		if _, err := c.Product.Update().Where(product.ID(m.ProductID), product.StockNotNil()).AddStock(m.Quantity).Save(ctx); err != nil {
			return err
		}
	}
	return nil
}

// sortedMoves merges moves of one product and sorts them by product id.
func sortedMoves(moves []StockMove) []StockMove {
	sum := map[int]int{}
	for _, m := range moves {
		sum[m.ProductID] += m.Quantity
	}
	out := make([]StockMove, 0, len(sum))
	for id, q := range sum {
		if q > 0 {
			out = append(out, StockMove{ProductID: id, Quantity: q})
		}
	}
	slices.SortFunc(out, func(a, b StockMove) int { return a.ProductID - b.ProductID })
	return out
}

// SaleItem is a product as a sale needs it: what the shopper sees, the
// price charged now, and the stock count (nil: not tracked) that carts and
// orders check against.
type SaleItem struct {
	ShopProduct
	Stock *int
}

// UnitPrice is the price charged now: the sale price while it is below the
// price.
func (it SaleItem) UnitPrice() int64 {
	if it.OnSale() {
		return *it.SalePriceCents
	}
	return it.PriceCents
}

// SaleItems are the products of ids a shopper can buy now (active), keyed by
// id; an id that is missing, another shop's (its id means nothing in this
// schema) or not active is absent.
func (s *Service) SaleItems(ctx context.Context, ids []int) (map[int]SaleItem, error) {
	c, err := client(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[int]SaleItem, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := c.Product.Query().Where(product.IDIn(ids...), product.StatusEQ(product.StatusActive)).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.ID] = SaleItem{ShopProduct: shopView(view(r)), Stock: r.Stock}
	}
	return out, nil
}

// IsShort reports whether err is a *ShortError, and returns it.
func IsShort(err error) (*ShortError, bool) {
	var se *ShortError
	ok := errors.As(err, &se)
	return se, ok
}
