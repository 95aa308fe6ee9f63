package order

import (
	"context"
	"errors"
	"time"

	"github.com/riverqueue/river"

	entcart "github.com/bazaar/bazaar/ent/tenant/cart"
	entorder "github.com/bazaar/bazaar/ent/tenant/order"
	"github.com/bazaar/bazaar/tenantdb"
)

// Sweeping: an unpaid order past its deadline is cancelled and its stock
// released; a cart nobody touched for the cart TTL is deleted. A periodic
// job visits every active shop, each in a transaction of its own; a
// shop's expired orders are found by index (status, expires_at), so a shop
// with nothing to do costs one cheap query.

// SweepReport says what a sweep did.
type SweepReport struct {
	Shops     int `json:"shops"`
	Cancelled int `json:"cancelled"`
	Carts     int `json:"carts"`
}

// sweepBatch bounds the orders one shop's transaction cancels; the rest wait
// for the next sweep.
const sweepBatch = 200

// Sweep sweeps every active shop of db.
func (s *Service) Sweep(ctx context.Context, db *tenantdb.DB) (SweepReport, error) {
	all, err := db.Tenants(ctx)
	if err != nil {
		return SweepReport{}, err
	}
	var r SweepReport
	var errs []error
	for _, t := range all {
		if !t.Active() {
			continue
		}
		if err := ctx.Err(); err != nil {
			return r, err
		}
		cancelled, carts, err := s.SweepShop(ctx, db, t)
		if err != nil {
			errs = append(errs, err) // one shop's trouble stops no other's sweep
			s.log.ErrorContext(ctx, "order: sweep a shop", "vendor", t.Slug, "err", err)
			continue
		}
		r.Shops++
		r.Cancelled += cancelled
		r.Carts += carts
	}
	return r, errors.Join(errs...)
}

// SweepShop sweeps one shop in a transaction of its own.
func (s *Service) SweepShop(ctx context.Context, db *tenantdb.DB, t *tenantdb.Tenant) (cancelled, carts int, err error) {
	err = db.Tx(ctx, t, func(ctx context.Context) error {
		c, err := tenantdb.Current(ctx)
		if err != nil {
			return err
		}
		now := s.now()
		due, err := c.Order.Query().
			Where(entorder.StatusEQ(entorder.StatusPendingPayment), entorder.ExpiresAtLT(now)).
			Order(entorder.ByExpiresAt()).Limit(sweepBatch).ForUpdate().All(ctx)
		if err != nil {
			return err
		}
		a := Actor{Kind: "system"}
		for _, o := range due {
			if err := s.release(ctx, c, o, true); err != nil {
				return err
			}
			if err := c.Order.UpdateOne(o).SetStatus(entorder.StatusCancelled).SetCancelledAt(now).ClearExpiresAt().
				SetStockReleased(true).SetUpdatedAt(now).Exec(ctx); err != nil {
				return err
			}
			if err := s.history(ctx, c, o.ID, a, "status", "pending_payment", "cancelled", 0, "not paid in time"); err != nil {
				return err
			}
		}
		cancelled = len(due)
		n, err := c.Cart.Delete().Where(entcart.UpdatedAtLT(now.Add(-s.o.CartTTL))).Exec(ctx)
		carts = n
		return err
	})
	return cancelled, carts, err
}

// sweepArgs is the periodic sweep's job.
type sweepArgs struct{}

func (sweepArgs) Kind() string { return "order_sweep" }

// Register adds the sweep's worker to workers and returns its periodic job
// (every interval).
func (s *Service) Register(workers *river.Workers, db *tenantdb.DB, interval time.Duration) []*river.PeriodicJob {
	river.AddWorker(workers, &sweepWorker{s: s, db: db})
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(interval),
			func() (river.JobArgs, *river.InsertOpts) { return sweepArgs{}, nil },
			&river.PeriodicJobOpts{RunOnStart: true}),
	}
}

type sweepWorker struct {
	river.WorkerDefaults[sweepArgs]
	s  *Service
	db *tenantdb.DB
}

func (w *sweepWorker) Timeout(*river.Job[sweepArgs]) time.Duration { return 10 * time.Minute }

func (w *sweepWorker) Work(ctx context.Context, _ *river.Job[sweepArgs]) error {
	r, err := w.s.Sweep(ctx, w.db)
	if r.Cancelled > 0 || r.Carts > 0 {
		w.s.log.InfoContext(ctx, "order: swept", "shops", r.Shops, "cancelled", r.Cancelled, "carts", r.Carts)
	}
	return err
}
