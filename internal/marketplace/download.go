package marketplace

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/bazaar/bazaar/ent/tenant"
	"github.com/bazaar/bazaar/ent/tenant/importsource"
	"github.com/bazaar/bazaar/internal/fetch"
	"github.com/bazaar/bazaar/tenantdb"
)

// download is one language file spooled to disk.
type download struct {
	file         *os.File // nil when the file is unchanged
	bytes        int64
	etag         string
	lastModified string
	sha256       string
}

func (d *download) close() {
	if d != nil && d.file != nil {
		d.file.Close()
		os.Remove(d.file.Name())
	}
}

// fetchFile downloads url to a temporary file, conditionally on what the
// last import learnt (src, nil if none), and reports it unchanged when the
// server says so or its content hash is the one imported last time.
func (s *Service) fetchFile(ctx context.Context, vendorID int, url string, src *tenant.ImportSource) (*download, error) {
	req := fetch.Request{URL: url}
	if src != nil && src.URL == url {
		req.ETag, req.LastModified = src.Etag, src.LastModified
	}
	res, err := s.fetcher.Get(ctx, req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	d := &download{etag: res.ETag, lastModified: res.LastModified}
	if res.NotModified {
		if src != nil {
			d.sha256 = src.Sha256
		}
		return d, nil
	}
	f, err := os.CreateTemp(s.o.TempDir, spoolPrefix(vendorID)+"*")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errSpool, err)
	}
	d.file = f
	if d.bytes, err = io.Copy(spool{f}, res.Body); err != nil {
		d.close()
		return nil, err
	}
	d.sha256 = res.SHA256()
	if src != nil && src.URL == url && src.Sha256 == d.sha256 {
		d.close()
		d.file = nil
		return d, nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		d.close()
		return nil, fmt.Errorf("%w: %w", errSpool, err)
	}
	return d, nil
}

// spool writes a download to its file, marking a failure to write as ours
// (errSpool), not the download's: a full disk is no fault of the feed, and
// its message (a path on this server) is not for the vendor.
type spool struct{ f *os.File }

func (s spool) Write(p []byte) (int, error) {
	n, err := s.f.Write(p)
	if err != nil {
		err = fmt.Errorf("%w: %w", errSpool, err)
	}
	return n, err
}

// spoolPrefix names a vendor's spooled downloads.
func spoolPrefix(vendorID int) string { return fmt.Sprintf("bazaar-feed-v%d-", vendorID) }

// sweepSpool removes downloads a killed worker left behind. It runs under
// the vendor's import lock, so no live import of the vendor owns them.
func (s *Service) sweepSpool(vendorID int) {
	left, _ := filepath.Glob(filepath.Join(s.o.TempDir, spoolPrefix(vendorID)+"*"))
	for _, f := range left {
		os.Remove(f)
	}
}

// sources reads what earlier imports learnt about each language's file.
func (s *Service) sources(ctx context.Context, t *tenantdb.Tenant) (map[string]*tenant.ImportSource, error) {
	out := map[string]*tenant.ImportSource{}
	err := s.db.ReadTx(ctx, t, func(ctx context.Context) error {
		c, err := tenantdb.Current(ctx)
		if err != nil {
			return err
		}
		rows, err := c.ImportSource.Query().All(ctx)
		for _, r := range rows {
			out[r.Language] = r
		}
		return err
	})
	return out, err
}

// saveSource records a language file as imported (or checked) by job.
func saveSource(ctx context.Context, lang, url string, d *download, jobID int, keepJob bool) error {
	c, err := tenantdb.Current(ctx)
	if err != nil {
		return err
	}
	b := c.ImportSource.Create().SetLanguage(lang).SetURL(url).SetEtag(d.etag).SetLastModified(d.lastModified).
		SetSha256(d.sha256).SetLastJob(jobID).SetFetchedAt(time.Now()).
		OnConflictColumns(importsource.FieldLanguage)
	if keepJob {
		// An unchanged file: its rows are still those of the job that read it.
		return b.Update(func(u *tenant.ImportSourceUpsert) {
			u.UpdateEtag().UpdateLastModified().UpdateFetchedAt()
		}).Exec(ctx)
	}
	return b.UpdateNewValues().Exec(ctx)
}
