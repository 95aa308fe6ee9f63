package compose

import (
	"context"
	"log/slog"

	"github.com/bazaar/bazaar/internal/catalog"
	"github.com/bazaar/bazaar/internal/customer"
	"github.com/bazaar/bazaar/internal/order"
	"github.com/bazaar/bazaar/internal/payment"
)

// Orders builds the order service on the catalogue (prices, titles and the
// stock it owns), the shop's customers (a guest checkout's row) and the
// payment providers.
func Orders(cat *catalog.Service, customers *customer.Service, payments order.Payments, o order.Options, log *slog.Logger) *order.Service {
	return order.New(orderCatalog{cat}, customers, payments, o, log)
}

// orderCatalog is the catalogue as orders see it.
type orderCatalog struct{ cat *catalog.Service }

func (oc orderCatalog) Items(ctx context.Context, ids []int) (map[int]order.Item, error) {
	items, err := oc.cat.SaleItems(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[int]order.Item, len(items))
	for id, it := range items {
		out[id] = order.Item{ID: it.ID, SKU: it.SKU, Title: it.Title, PriceCents: it.UnitPrice(), Currency: it.Currency,
			VATRateBP: it.VATRateBP, Stock: it.Stock}
	}
	return out, nil
}

func (oc orderCatalog) TakeStock(ctx context.Context, moves []order.StockMove) error {
	err := oc.cat.TakeStock(ctx, stockMoves(moves))
	if short, ok := catalog.IsShort(err); ok {
		return &order.ShortError{ProductID: short.ProductID, Available: short.Available}
	}
	return err
}

func (oc orderCatalog) ReturnStock(ctx context.Context, moves []order.StockMove) error {
	return oc.cat.ReturnStock(ctx, stockMoves(moves))
}

func stockMoves(moves []order.StockMove) []catalog.StockMove {
	out := make([]catalog.StockMove, len(moves))
	for i, m := range moves {
		out[i] = catalog.StockMove{ProductID: m.ProductID, Quantity: m.Quantity}
	}
	return out
}

// OrderPayments are the payment providers as orders see them.
func OrderPayments(p *payment.Service) order.Payments { return orderPayments{p} }

type orderPayments struct{ p *payment.Service }

func (op orderPayments) Methods(ctx context.Context) ([]string, error) { return op.p.Methods(ctx) }

func (op orderPayments) StartCard(ctx context.Context, c order.CardPayment) (order.CardStarted, error) {
	in, err := op.p.StartCard(ctx, payment.IntentRequest{AmountCents: c.AmountCents, Currency: c.Currency,
		IdempotencyKey: c.IdempotencyKey, Description: c.Description, Email: c.Email, Metadata: c.Metadata})
	if err != nil {
		return order.CardStarted{}, err
	}
	return order.CardStarted{Ref: in.Ref, ClientSecret: in.ClientSecret, PublishableKey: in.PublishableKey}, nil
}

func (op orderPayments) Refund(ctx context.Context, ref string, amountCents int64, key string) error {
	return op.p.Refund(ctx, ref, amountCents, key)
}
