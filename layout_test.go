package bazaar_test

import (
	"bytes"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The import direction and the narrow ways around the wall, as the README's
// "Code layout" writes them, checked on every `make test`: a change that
// breaks a rule fails here, naming the rule, rather than in review. Paths are
// relative to the module.

const module = "github.com/bazaar/bazaar"

// role of every package under internal/. A new package must be given one
// here (and its line in the README's code layout).
var roles = map[string]string{
	"internal/web": "web",

	// Domain packages: one capability each. They do not import each other.
	"internal/catalog":     "domain",
	"internal/marketplace": "domain",
	"internal/identity":    "domain",
	"internal/team":        "domain",
	"internal/vendor":      "domain",
	"internal/system":      "domain", // the platform's health and analytics; imports no domain
	"internal/account":     "domain",
	"internal/customer":    "domain",
	"internal/order":       "domain",
	"internal/payment":     "domain",

	// Composes domains from outside, as the web layer and cmd do.
	"internal/demo":    "composer",
	"internal/compose": "composer",

	// Leaves: building blocks that know no domain; any domain may import them.
	"internal/audit":         "leaf",
	"internal/authz":         "leaf",
	"internal/cache":         "leaf",
	"internal/csvcell":       "leaf",
	"internal/fault":         "leaf",
	"internal/fetch":         "leaf",
	"internal/letzshop":      "leaf",
	"internal/locale":        "leaf",
	"internal/mail":          "leaf",
	"internal/mail/mailtest": "leaf",
	"internal/page":          "leaf",
	"internal/postal":        "leaf",
	"internal/ratelimit":     "leaf",
	"internal/queue":         "leaf",

	// Test helpers that know no domain: stripe-mock for tests that talk to
	// Stripe; headless Chromium for tests that walk the pages.
	"internal/payment/stripetest": "leaf",
	"internal/browsertest":        "leaf",
}

// imports lists, for the packages whose dependencies are few by design,
// everything of this module they may import (prefixes end in "/").
var imports = map[string][]string{
	"tenantdb":            {"ent/platform", "ent/platform/", "ent/tenant", "ent/tenant/", "internal/cache", "internal/fault", "tenantdb/archive"},
	"tenantdb/archive":    {}, // the backup file format: knows no database
	"tenantdb/tenanttest": {"tenantdb"},
	"config":              {"internal/locale", "internal/queue", "tenantdb"}, // the owners of what it validates
	"public":              {},
}

// narrow are the ways around the wall (see README, "The wall"): each may be
// used only from the files listed. A file that needs one is added here on
// purpose. Tests may use the platform client, sessions and side pools for
// their fixtures; the unbound client is listed everywhere.
var narrow = map[string]struct {
	files []string
	tests bool // the rule covers _test.go files too
}{
	// The platform client, as the application role: services that read
	// platform tables (accounts, memberships, invitations, mail, audit, a
	// shop's settings).
	"Platform": {files: []string{
		// The super admins' oversight of accounts: the list, an account with
		// its memberships, deactivation, mass password resets and their run.
		"internal/account/account.go", "internal/account/list.go", "internal/account/reset.go",
		"internal/account/resetrun.go",
		"internal/audit/list.go",
		"internal/authz/adapter.go", "internal/authz/authorizer.go",
		// The demo's accounts, and its shops' first settings.
		"internal/demo/settings.go", "internal/demo/users.go",
		"internal/identity/login.go", "internal/identity/principal.go", "internal/identity/reset.go",
		"internal/identity/service.go", "internal/identity/session.go", "internal/identity/throttle.go",
		"internal/identity/user.go",
		"internal/mail/mail.go", "internal/mail/sender.go",
		// The shops' mails handed over through tenant_reports.mails, moved
		// into the outbox by the sender.
		"internal/mail/tenant.go",
		"internal/marketplace/config.go",
		// The import monitoring: the summaries the vendors' schemas report
		// (tenant_reports), with the platform's vendors; starting imports
		// across vendors, recorded in the platform's trail.
		"internal/marketplace/monitor.go", "internal/marketplace/triggermany.go",
		// The platform's health and analytics: the registry, the queue's
		// tables, what the vendors' schemas report; the daily rollups.
		"internal/system/analytics.go", "internal/system/health.go", "internal/system/queue.go", "internal/system/rollup.go",
		"internal/team/invitation.go", "internal/team/member.go", "internal/team/role.go", "internal/team/team.go",
		"internal/vendor/bulk.go", "internal/vendor/bulkreport.go", "internal/vendor/bulkrun.go", "internal/vendor/list.go", "internal/vendor/settings.go",
		"internal/vendor/vendor.go", "internal/vendor/view.go",
		// The audit record of a tenant moved between clusters (the move is
		// tenantdb's, in transactions of its own).
		"internal/vendor/dba.go",
	}},
	// A session for advisory locks: the vendor's import lock, a bulk import's
	// run, a mass password reset's run.
	"LockSession": {files: []string{"internal/marketplace/run.go", "internal/marketplace/worker.go", "internal/vendor/bulkrun.go",
		"internal/account/resetrun.go"}},
	// A pool of its own: the job queue.
	"OpenSidePool": {files: []string{"cmd/bazaar/services.go"}},
	// No wall at all: the benchmarks' baseline, and the test of its refusal.
	"Unbound":      {files: []string{"tenantdb/bench_test.go", "tenantdb/tx_test.go", "internal/web/bench_test.go"}, tests: true},
	"AllowUnbound": {files: []string{"tenantdb/bench_test.go", "tenantdb/tx_test.go", "internal/web/bench_test.go"}, tests: true},
}

type pkg struct {
	ImportPath, Dir                    string
	Imports                            []string
	GoFiles, TestGoFiles, XTestGoFiles []string
	rel                                string
	deps                               []string // this module's imports, relative
}

func listPackages(t *testing.T) []*pkg {
	t.Helper()
	out, err := exec.Command("go", "list", "-json", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []*pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		p := &pkg{}
		if err := dec.Decode(p); err != nil {
			t.Fatal(err)
		}
		p.rel = strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		for _, imp := range p.Imports {
			if rel, ok := strings.CutPrefix(imp, module+"/"); ok {
				p.deps = append(p.deps, rel)
			}
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func roleOf(rel string) string {
	switch {
	case rel == "":
		return "root"
	case strings.HasPrefix(rel, "cmd/"):
		return "cmd"
	case rel == "ent" || strings.HasPrefix(rel, "ent/"):
		return "ent"
	case strings.HasPrefix(rel, "internal/"):
		return roles[rel]
	}
	return rel // config, tenantdb, tenantdb/tenanttest, public
}

func TestLayout(t *testing.T) {
	pkgs := listPackages(t)
	for _, p := range pkgs {
		role := roleOf(p.rel)
		if role == "" {
			t.Errorf("%s has no role: give it one in layout_test.go (and a line in the README's code layout)", p.rel)
			continue
		}
		for _, d := range p.deps {
			if why := forbidden(p.rel, role, d); why != "" {
				t.Errorf("%s imports %s: %s", p.rel, d, why)
			}
		}
		if allowed, ok := imports[p.rel]; ok {
			for _, d := range p.deps {
				if !matchesAny(d, allowed) {
					t.Errorf("%s imports %s, which is not among what it may import: %v", p.rel, d, allowed)
				}
			}
		}
	}
}

// forbidden says why pkg (of role) may not import dep, or "".
func forbidden(pkg, role, dep string) string {
	depRole := roleOf(dep)
	switch {
	case dep == "config" && role != "cmd":
		return "only cmd/* imports config: everything else is handed its settings"
	case dep == "internal/web" && role != "cmd":
		return "only cmd/* imports internal/web"
	case dep == "internal/browsertest":
		return "only _test.go files import internal/browsertest: it would build chromedp into the program"
	case role == "web" && depRole == "ent":
		return "internal/web builds no ent queries: services do, and return view types"
	case role == "domain" && depRole == "domain":
		return "a domain package does not import another: the web layer (or a composer) composes them"
	case role == "leaf" && (depRole == "domain" || depRole == "composer" || depRole == "web"):
		return "a leaf knows no domain"
	case role == "ent" && depRole != "ent" && depRole != "leaf":
		return "the ent graphs depend on no more than leaves (the feed's item types they store)"
	}
	return ""
}

func matchesAny(dep string, allowed []string) bool {
	return slices.ContainsFunc(allowed, func(a string) bool {
		return dep == a || strings.HasSuffix(a, "/") && strings.HasPrefix(dep, a)
	})
}

// TestNarrowWays: each way around the wall is used only from the files
// listed in narrow. Uses are found by name in the syntax tree — a method
// called on a value (not a package), or an option set — which is enough for
// names this rare.
func TestNarrowWays(t *testing.T) {
	fset := token.NewFileSet()
	for _, p := range listPackages(t) {
		if roleOf(p.rel) == "ent" || p.rel == "tenantdb" {
			continue // generated; and tenantdb defines them
		}
		for _, name := range slices.Concat(p.GoFiles, p.TestGoFiles, p.XTestGoFiles) {
			rel := filepath.ToSlash(filepath.Join(p.rel, name))
			f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			test := strings.HasSuffix(name, "_test.go")
			pkgs := importNames(f)
			ast.Inspect(f, func(n ast.Node) bool {
				var use string
				switch n := n.(type) {
				case *ast.CallExpr: // db.Platform(), db.LockSession(ctx)…
					if sel, ok := n.Fun.(*ast.SelectorExpr); ok {
						if x, ok := sel.X.(*ast.Ident); !ok || !pkgs[x.Name] {
							use = sel.Sel.Name
						}
					}
				case *ast.KeyValueExpr: // tenantdb.Options{AllowUnbound: true}
					if id, ok := n.Key.(*ast.Ident); ok {
						use = id.Name
					}
				case *ast.AssignStmt: // o.AllowUnbound = true
					for _, l := range n.Lhs {
						if sel, ok := l.(*ast.SelectorExpr); ok && sel.Sel.Name == "AllowUnbound" {
							use = "AllowUnbound"
						}
					}
				}
				rule, watched := narrow[use]
				if watched && (rule.tests || !test) && !slices.Contains(rule.files, rel) {
					t.Errorf("%s:%d: %s is one of the narrow ways around the wall; only %v use it (layout_test.go, README \"The wall\")",
						rel, fset.Position(n.Pos()).Line, use, rule.files)
				}
				return true
			})
		}
	}
}

// importNames are the names a file refers to its imported packages by.
func importNames(f *ast.File) map[string]bool {
	names := map[string]bool{}
	for _, imp := range f.Imports {
		path := strings.Trim(imp.Path.Value, `"`)
		name := path[strings.LastIndexByte(path, '/')+1:]
		if imp.Name != nil {
			name = imp.Name.Name
		} else if v := strings.TrimPrefix(name, "v"); name != v && strings.Trim(v, "0123456789") == "" {
			name = path[strings.LastIndexByte(path[:strings.LastIndexByte(path, '/')], '/')+1 : strings.LastIndexByte(path, '/')]
		}
		names[name] = true
	}
	return names
}
