package tenantdb

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"

	"github.com/lib/pq"

	"github.com/bazaar/bazaar/internal/fault"
)

// PlatformSchema holds platform data: vendors, domains, users, sessions.
const PlatformSchema = "platform"

// schemaPrefix starts every tenant schema name, so a tenant schema can never be
// mistaken for (or collide with) public, platform, pg_* or information_schema.
const schemaPrefix = "vendor_"

// maxIdent is PostgreSQL's identifier length limit (NAMEDATALEN-1).
const maxIdent = 63

var (
	slugRE       = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$`)
	rolePrefixRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,19}$`)
	// identRE is what every identifier we build must match before it is quoted;
	// quoting is the second line of defence, this is the first.
	identRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)
)

// reservedSlugs are hosts the platform itself uses or that invite phishing.
var reservedSlugs = map[string]bool{
	"admin": true, "administrator": true, "api": true, "app": true, "assets": true,
	"auth": true, "bazaar": true, "billing": true, "blog": true, "cdn": true,
	"dashboard": true, "dev": true, "docs": true, "ftp": true, "help": true,
	"imap": true, "login": true, "mail": true, "mx": true, "ns1": true, "ns2": true,
	"platform": true, "pop": true, "pop3": true, "postgres": true, "public": true,
	"root": true, "security": true, "smtp": true, "staging": true, "static": true,
	"status": true, "support": true, "system": true, "test": true, "vendor": true,
	"vendors": true, "webmail": true, "www": true,
}

// ValidateSlug checks that s can be a vendor's subdomain label: 2–63 characters
// of lower-case letters, digits and inner hyphens, not reserved.
func ValidateSlug(s string) error {
	switch {
	case len(s) < 2 || len(s) > maxIdent:
		return slugError(s, "must be 2 to 63 characters long")
	case !slugRE.MatchString(s):
		return slugError(s, "may contain only lower-case letters a-z, digits and hyphens, and must start and end with a letter or digit")
	case strings.Contains(s, "--"):
		// "xn--" labels are punycode; doubled hyphens are refused altogether.
		return slugError(s, "must not contain two hyphens in a row")
	case reservedSlugs[s]:
		return slugError(s, "is reserved")
	}
	return nil
}

// IsReservedSlug reports whether s is a word the platform keeps for itself
// (a well-formed label that can never name a vendor).
func IsReservedSlug(s string) bool { return reservedSlugs[s] }

func slugError(s, why string) error {
	shown := s
	if len(shown) > 80 {
		shown = shown[:80] + "…"
	}
	return &fault.Error{
		Kind:    fault.Invalid,
		Code:    "invalid_slug",
		Message: fmt.Sprintf("invalid slug %q", shown),
		Fields:  map[string]string{"slug": why},
	}
}

// hostRE is a lower-case DNS name: labels of letters, digits and hyphens,
// 1–63 long, not starting or ending with a hyphen.
var hostRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$`)

// ValidHostName reports whether h is a host name Bazaar can serve a site on,
// as tenant resolution compares it: lower case, ASCII (punycode for the
// rest), labels of at most 63 characters, at most 253 in all. The base
// domain and every host a request names are checked by it.
func ValidHostName(h string) bool { return len(h) <= 253 && hostRE.MatchString(h) }

// ValidateRolePrefix checks the configured tenant role prefix.
func ValidateRolePrefix(p string) error {
	if !rolePrefixRE.MatchString(p) {
		return fmt.Errorf("role prefix %q must match %s", p, rolePrefixRE)
	}
	return nil
}

// SchemaName is the PostgreSQL schema of the vendor with the given (valid) slug.
func SchemaName(slug string) string { return identFor(schemaPrefix, slug) }

// RoleName is the database role of the vendor with the given (valid) slug.
// Roles are cluster-wide, so the prefix tells apart deployments (and test
// databases) that share one PostgreSQL cluster.
func RoleName(prefix, slug string) string { return identFor(prefix, slug) }

// identFor maps prefix+slug to an identifier: hyphens become underscores (slugs
// have no underscores, so the mapping is one-to-one), and names longer than
// PostgreSQL's limit keep a readable head plus a hash of the whole slug.
func identFor(prefix, slug string) string {
	name := prefix + strings.ReplaceAll(slug, "-", "_")
	if len(name) <= maxIdent {
		return name
	}
	sum := sha256.Sum256([]byte(slug))
	tail := "_" + hex.EncodeToString(sum[:])[:10]
	return strings.TrimRight(name[:maxIdent-len(tail)], "_") + tail
}

// quoteIdent validates an identifier we built and quotes it. It panics on a name
// that does not match, because such a name can only come from a bug, and
// building SQL from it must never happen.
func quoteIdent(name string) string {
	if !identRE.MatchString(name) {
		panic(fmt.Sprintf("tenantdb: refusing to quote unexpected identifier %q", name))
	}
	return pq.QuoteIdentifier(name)
}
