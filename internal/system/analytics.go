package system

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/bazaar/bazaar/internal/fault"
)

// maxRangeDays is the longest range the analytics answer, and
// defaultRangeDays the one they answer when none is asked for.
const (
	maxRangeDays     = 366
	defaultRangeDays = 30
)

// Analytics are the platform's figures over a range of days (UTC), from the
// daily rollups (rollup.go), and its vendors by status now.
type Analytics struct {
	From     string       `json:"from"` // the first day, YYYY-MM-DD
	To       string       `json:"to"`   // the last day, included
	TimeZone string       `json:"time_zone"`
	Vendors  VendorCounts `json:"vendors"`
	// Days are every day of the range, in order. A day without a rollup
	// row — before the platform's first record, past today, or while no
	// rollup has run yet — is answered explicitly: recorded false, its
	// counts 0 and its product total null.
	Days   []Day  `json:"days"`
	Totals Totals `json:"totals"`
	// LastRollup is when the newest row was written (null: never): today's
	// counts are as of then.
	LastRollup *time.Time `json:"last_rollup"`
}

// VendorCounts are the vendors now, by status.
type VendorCounts struct {
	Total    int            `json:"total"`
	ByStatus map[string]int `json:"by_status"`
}

// Day is one day's figures.
type Day struct {
	Date       string       `json:"date"`
	Recorded   bool         `json:"recorded"`    // a rollup wrote the day's row
	Signups    int          `json:"signups"`     // users created
	NewVendors int          `json:"new_vendors"` // vendors created (those deleted before the day was counted are not)
	Imports    ImportCounts `json:"imports"`
	// Products is the platform's product total at ProductsAt, the day's
	// last rollup (an hour before its end at most while the queue runs);
	// null when no rollup ran that day: a past total cannot be derived.
	Products   *int64     `json:"products"`
	ProductsAt *time.Time `json:"products_at"`
}

// ImportCounts are a day's imports, dry runs aside: started (their first
// attempt), and finished by outcome.
type ImportCounts struct {
	Started         int `json:"started"`
	Succeeded       int `json:"succeeded"`
	PartiallyFailed int `json:"partially_failed"`
	Failed          int `json:"failed"`
	Cancelled       int `json:"cancelled"`
}

// Totals sum the range's days.
type Totals struct {
	Signups    int          `json:"signups"`
	NewVendors int          `json:"new_vendors"`
	Imports    ImportCounts `json:"imports"`
}

// Range parses the analytics' dates, from and to (YYYY-MM-DD, UTC days, to
// included): to defaults to today, from to 29 days before to; from must not
// come after to, and the range is at most 366 days. Each bad one is named.
func (s *Service) Range(from, to string) (first, last time.Time, err error) {
	bad := map[string]string{}
	last = dayOf(s.now())
	if to != "" {
		if last, err = time.Parse(time.DateOnly, to); err != nil {
			bad["to"] = "must be a date written YYYY-MM-DD, such as 2026-12-01"
		}
	}
	first = last.AddDate(0, 0, -(defaultRangeDays - 1))
	if from != "" {
		if first, err = time.Parse(time.DateOnly, from); err != nil {
			bad["from"] = "must be a date written YYYY-MM-DD, such as 2026-11-01"
		}
	}
	for field, day := range map[string]time.Time{"from": first, "to": last} {
		if bad[field] == "" && day.Year() < 1 {
			bad[field] = "must be a date of the common era"
		}
	}
	if len(bad) == 0 {
		switch {
		case first.After(last):
			bad["from"] = "must not come after to"
		case last.Sub(first) >= maxRangeDays*24*time.Hour:
			bad["from"] = fmt.Sprintf("must be at most %d days before to: a range holds at most %d days", maxRangeDays-1, maxRangeDays)
		}
	}
	return first, last, fault.Fields("invalid analytics dates", bad)
}

// Analytics answers the figures of the days from and to (see Range), read
// from the daily rollups: one range query of platform_daily_figures, and
// the vendors by status from the registry.
func (s *Service) Analytics(ctx context.Context, from, to string) (Analytics, error) {
	first, last, err := s.Range(from, to)
	if err != nil {
		return Analytics{}, err
	}
	a := Analytics{From: dateString(first), To: dateString(last), TimeZone: "UTC", Days: []Day{}}
	f, err := s.db.TenantFigures(ctx, 0)
	if err != nil {
		return a, fmt.Errorf("system: analytics: %w", err)
	}
	a.Vendors = VendorCounts{Total: f.Total, ByStatus: map[string]int{}}
	for st, n := range f.ByStatus {
		a.Vendors.ByStatus[string(st)] = n
	}

	recorded := map[string]Day{}
	rows, err := s.db.Platform().QueryContext(ctx, `SELECT day::text, signups, vendors_new, imports_started, imports_succeeded,
			imports_partially_failed, imports_failed, imports_cancelled, products, products_at
		FROM `+dailyTable+` WHERE day BETWEEN $1::date AND $2::date`, a.From, a.To)
	if err != nil {
		return a, fmt.Errorf("system: analytics: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		d := Day{Recorded: true}
		var products sql.NullInt64
		var at sql.NullTime
		if err := rows.Scan(&d.Date, &d.Signups, &d.NewVendors, &d.Imports.Started, &d.Imports.Succeeded,
			&d.Imports.PartiallyFailed, &d.Imports.Failed, &d.Imports.Cancelled, &products, &at); err != nil {
			return a, fmt.Errorf("system: analytics: %w", err)
		}
		if products.Valid {
			d.Products = &products.Int64
		}
		if at.Valid {
			t := at.Time.UTC()
			d.ProductsAt = &t
		}
		recorded[d.Date] = d
	}
	if err := rows.Err(); err != nil {
		return a, fmt.Errorf("system: analytics: %w", err)
	}
	var lastRollup sql.NullTime
	if err := s.scan(ctx, `SELECT max(updated_at) FROM `+dailyTable, nil, &lastRollup); err != nil {
		return a, fmt.Errorf("system: analytics: %w", err)
	}
	if lastRollup.Valid {
		t := lastRollup.Time.UTC()
		a.LastRollup = &t
	}

	for day := first; !day.After(last); day = day.AddDate(0, 0, 1) {
		d, ok := recorded[dateString(day)]
		if !ok {
			d = Day{Date: dateString(day)}
		}
		a.Days = append(a.Days, d)
		a.Totals.Signups += d.Signups
		a.Totals.NewVendors += d.NewVendors
		a.Totals.Imports.Started += d.Imports.Started
		a.Totals.Imports.Succeeded += d.Imports.Succeeded
		a.Totals.Imports.PartiallyFailed += d.Imports.PartiallyFailed
		a.Totals.Imports.Failed += d.Imports.Failed
		a.Totals.Imports.Cancelled += d.Imports.Cancelled
	}
	return a, nil
}
