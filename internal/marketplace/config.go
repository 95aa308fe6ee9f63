package marketplace

import (
	"context"
	"fmt"
	"time"

	"github.com/bazaar/bazaar/ent/tenant"
	"github.com/bazaar/bazaar/ent/tenant/importconfig"
	"github.com/bazaar/bazaar/ent/tenant/schema"
	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/internal/locale"
	"github.com/bazaar/bazaar/tenantdb"
)

// Config is a vendor's import configuration.
type Config struct {
	Feeds     []schema.FeedURL `json:"feeds"` // the first language is primary
	Schedule  string           `json:"schedule"`
	Active    bool             `json:"active"`
	UpdatedAt *time.Time       `json:"updated_at,omitempty"`
}

// Schedules.
const (
	ScheduleOff   = "off"
	ScheduleDaily = "daily"
)

// GetConfig returns the configuration (an empty, inactive one if none).
func (s *Service) GetConfig(ctx context.Context) (Config, error) {
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return Config{}, err
	}
	return loadConfig(ctx, c)
}

func loadConfig(ctx context.Context, c *tenant.Client) (Config, error) {
	row, err := c.ImportConfig.Query().Where(importconfig.Marketplace(Marketplace)).Only(ctx)
	if tenant.IsNotFound(err) {
		return Config{Feeds: []schema.FeedURL{}, Schedule: ScheduleOff}, nil
	}
	if err != nil {
		return Config{}, fmt.Errorf("marketplace: config: %w", err)
	}
	return Config{Feeds: row.Feeds, Schedule: string(row.Schedule), Active: row.Active, UpdatedAt: &row.UpdatedAt}, nil
}

// SetConfig replaces the configuration after checking every feed: a
// two-letter language each, no language twice, an http(s) URL the download
// guard would not refuse outright.
func (s *Service) SetConfig(ctx context.Context, by int, in Config) (Config, error) {
	if in.Schedule == "" {
		in.Schedule = ScheduleOff
	}
	if err := fault.Fields("the import configuration is not valid", s.CheckConfig(in)); err != nil {
		return Config{}, err
	}
	return s.saveConfig(ctx, by, in)
}

// CheckConfig names every problem of in (feeds[i].url, schedule, …)
// without saving it: SetConfig's checks, for who validates a vendor before
// it exists.
func (s *Service) CheckConfig(in Config) map[string]string {
	bad := map[string]string{}
	switch {
	case len(in.Feeds) == 0 && in.Active:
		bad["feeds"] = "an active import needs at least one feed"
	case len(in.Feeds) > s.o.MaxLanguages:
		bad["feeds"] = fmt.Sprintf("at most %d feeds (one per language)", s.o.MaxLanguages)
	}
	seen := map[string]bool{}
	for i, f := range in.Feeds {
		at := fmt.Sprintf("feeds[%d]", i)
		switch {
		case !locale.IsLanguage(f.Language):
			bad[at+".language"] = "must be a two-letter language code such as fr"
		case seen[f.Language]:
			bad[at+".language"] = fmt.Sprintf("%q has a feed already", f.Language)
		}
		seen[f.Language] = true
		switch {
		case f.URL == "":
			bad[at+".url"] = "is required"
		case len(f.URL) > 2000:
			bad[at+".url"] = "must be at most 2000 characters"
		default:
			if err := s.fetcher.Check(f.URL); err != nil {
				bad[at+".url"] = err.Error()
			}
		}
	}
	if importconfig.ScheduleValidator(importconfig.Schedule(in.Schedule)) != nil {
		bad["schedule"] = "must be off or daily"
	}
	return bad
}

func (s *Service) saveConfig(ctx context.Context, by int, in Config) (Config, error) {
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return Config{}, err
	}
	t, err := tenantdb.CurrentTenant(ctx)
	if err != nil {
		return Config{}, err
	}
	err = c.ImportConfig.Create().
		SetMarketplace(Marketplace).SetFeeds(in.Feeds).SetSchedule(importconfig.Schedule(in.Schedule)).
		SetActive(in.Active).SetUpdatedBy(by).SetUpdatedAt(time.Now()).
		OnConflictColumns(importconfig.FieldMarketplace).UpdateNewValues().Exec(ctx)
	if err != nil {
		return Config{}, fmt.Errorf("marketplace: save config: %w", err)
	}
	// The platform keeps when the next scheduled import is due, so the
	// scheduler need not visit every schema.
	up := s.db.Platform().Vendor.UpdateOneID(t.ID)
	if in.Schedule == ScheduleDaily && in.Active {
		up.SetNextImportAt(time.Now().Add(s.o.ScheduleEvery))
	} else {
		up.ClearNextImportAt()
	}
	if err := up.Exec(ctx); err != nil {
		return Config{}, fmt.Errorf("marketplace: schedule: %w", err)
	}
	return loadConfig(ctx, c)
}
