package tenantdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/bazaar/bazaar/ent/platform"
	"github.com/bazaar/bazaar/ent/platform/vendor"
	"github.com/bazaar/bazaar/ent/platform/vendordomain"
	"github.com/bazaar/bazaar/internal/fault"
)

// DomainVerifyPrefix names the DNS TXT record that proves a custom domain:
// _bazaar-verify.<host> must carry the domain's verification token.
const DomainVerifyPrefix = "_bazaar-verify."

var domainRE = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$`)

// NormalizeHost is a host name as domains are stored: trimmed, lower case,
// without the root's trailing dot.
func NormalizeHost(host string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(host)), ".")
}

// Domain is a vendor's custom domain.
type Domain struct {
	Host              string
	VendorSlug        string
	VerificationToken string
	Verified          bool
}

// TXTLookup resolves DNS TXT records; net.DefaultResolver.LookupTXT in
// production, a fake in tests.
type TXTLookup func(ctx context.Context, name string) ([]string, error)

// AddDomain registers host as a custom domain of the vendor, unverified, with
// also in its transaction (given the vendor's row as before and after). It
// serves only after VerifyDomain. The returned token goes into a DNS TXT
// record named DomainVerifyPrefix+host.
func (db *DB) AddDomain(ctx context.Context, slug, host string, also ...Also) (*Domain, error) {
	return db.addDomain(ctx, slug, host, 0, also)
}

// AddDomainAtMost is AddDomain for a vendor that may hold at most max
// custom domains: the count and the insert happen under a lock of the
// vendor's domains, so two adds at the same moment cannot both take the
// last place.
func (db *DB) AddDomainAtMost(ctx context.Context, slug, host string, max int, also ...Also) (*Domain, error) {
	return db.addDomain(ctx, slug, host, max, also)
}

func (db *DB) addDomain(ctx context.Context, slug, host string, max int, also []Also) (*Domain, error) {
	host = NormalizeHost(host)
	if len(host) > 253 || !domainRE.MatchString(host) {
		return nil, &fault.Error{Kind: fault.Invalid, Message: fmt.Sprintf("invalid domain %q", host),
			Fields: map[string]string{"host": "must be a fully qualified ASCII domain name such as shop.example.lu"}}
	}
	t, err := db.TenantBySlug(ctx, slug)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	token := "bazaar-verify=" + hex.EncodeToString(b)
	err = db.platformTx(ctx, func(tx *platform.Tx) error {
		if max > 0 {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, lockDomains, t.ID); err != nil {
				return err
			}
			n, err := tx.VendorDomain.Query().Where(vendordomain.HasVendorWith(vendor.ID(t.ID))).Count(ctx)
			if err != nil {
				return err
			}
			if n >= max {
				return fault.Fields(fmt.Sprintf("a shop holds at most %d custom domains", max),
					map[string]string{"host": fmt.Sprintf("remove a domain first: at most %d", max)})
			}
		}
		err := tx.VendorDomain.Create().SetHost(host).SetVendorID(t.ID).SetVerificationToken(token).Exec(ctx)
		if platform.IsConstraintError(err) {
			// Whose it is stays unsaid: a shop learns nothing of another.
			return &fault.Error{Kind: fault.Conflict, Code: "domain_taken", Message: fmt.Sprintf("%s is already registered to a shop", host),
				Fields: map[string]string{"host": "is already registered to a shop: remove it there first"}}
		}
		if err != nil || len(also) == 0 {
			return err
		}
		v, err := tx.Vendor.Get(ctx, t.ID)
		if err != nil {
			return err
		}
		return runAlso(ctx, tx, also, v, v)
	})
	if err != nil {
		return nil, err
	}
	return &Domain{Host: host, VendorSlug: slug, VerificationToken: token}, nil
}

// VerifyDomain looks up the domain's TXT record and, when it carries the
// token, marks the domain verified (and tells every instance), with also in
// that transaction (given the vendor's row as before and after).
func (db *DB) VerifyDomain(ctx context.Context, host string, lookup TXTLookup, also ...Also) (*Domain, error) {
	return db.verifyDomain(ctx, "", host, lookup, also)
}

// VerifyVendorDomain is VerifyDomain for a domain of vendor slug only:
// another vendor's domain is as unknown to it as none, so a shop can
// neither verify nor learn anything of a host it does not hold.
func (db *DB) VerifyVendorDomain(ctx context.Context, slug, host string, lookup TXTLookup, also ...Also) (*Domain, error) {
	return db.verifyDomain(ctx, slug, host, lookup, also)
}

// verifyDomain verifies host, of vendor slug when slug is not "".
func (db *DB) verifyDomain(ctx context.Context, slug, host string, lookup TXTLookup, also []Also) (*Domain, error) {
	d, err := vendorDomain(ctx, db.platform, slug, host)
	if err != nil {
		return nil, err
	}
	out := &Domain{Host: host, VendorSlug: d.Edges.Vendor.Slug, VerificationToken: d.VerificationToken, Verified: d.VerifiedAt != nil}
	if out.Verified {
		return out, nil
	}
	records, err := lookup(ctx, DomainVerifyPrefix+host)
	if err != nil || !slices.Contains(records, d.VerificationToken) {
		return nil, &fault.Error{Kind: fault.Invalid, Code: "domain_unverified",
			Message: fmt.Sprintf("DNS TXT record %s%s does not hold %q yet", DomainVerifyPrefix, host, d.VerificationToken)}
	}
	err = db.platformTx(ctx, func(tx *platform.Tx) error {
		if err := tx.VendorDomain.UpdateOneID(d.ID).SetVerifiedAt(time.Now()).Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `SELECT pg_notify($1, $2)`, notifyChannel, host); err != nil {
			return err
		}
		return runAlso(ctx, tx, also, d.Edges.Vendor, d.Edges.Vendor)
	})
	if err != nil {
		return nil, err
	}
	out.Verified = true
	return out, nil
}

// RemoveDomain takes host away from vendor slug's custom domains (and tells
// every instance, so it stops serving at once), with also in that
// transaction (given the vendor's row as before and after). Another
// vendor's host is as unknown as none.
func (db *DB) RemoveDomain(ctx context.Context, slug, host string, also ...Also) error {
	return db.platformTx(ctx, func(tx *platform.Tx) error {
		d, err := vendorDomain(ctx, tx.Client(), slug, host)
		if err != nil {
			return err
		}
		if err := tx.VendorDomain.DeleteOneID(d.ID).Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `SELECT pg_notify($1, $2)`, notifyChannel, host); err != nil {
			return err
		}
		return runAlso(ctx, tx, also, d.Edges.Vendor, d.Edges.Vendor)
	})
}

// vendorDomain is host's registry row with its vendor, of vendor slug when
// slug is not "".
func vendorDomain(ctx context.Context, c *platform.Client, slug, host string) (*platform.VendorDomain, error) {
	q := c.VendorDomain.Query().Where(vendordomain.Host(host))
	if slug != "" {
		q = q.Where(vendordomain.HasVendorWith(vendor.Slug(slug)))
	}
	d, err := q.WithVendor().Only(ctx)
	if platform.IsNotFound(err) {
		return nil, fault.New(fault.NotFound, "no domain %q", host)
	}
	return d, err
}

// Domains lists a vendor's custom domains.
func (db *DB) Domains(ctx context.Context, slug string) ([]Domain, error) {
	ds, err := db.platform.VendorDomain.Query().Where(vendordomain.HasVendorWith(vendor.Slug(slug))).
		Order(vendordomain.ByHost()).All(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Domain, len(ds))
	for i, d := range ds {
		out[i] = Domain{Host: d.Host, VendorSlug: slug, VerificationToken: d.VerificationToken, Verified: d.VerifiedAt != nil}
	}
	return out, nil
}
