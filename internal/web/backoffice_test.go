package web

import (
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/bazaar/bazaar/internal/authz"
	"github.com/bazaar/bazaar/internal/vendor"
	"github.com/bazaar/bazaar/public"
)

// TestBackOfficeListsFollowTheServer: the lists the back office's scripts
// write out because no API gives them — the role editor's permission
// strings, the theme's fonts — hold exactly the server's, so a permission
// or font added in Go cannot be missing from the page.
func TestBackOfficeListsFollowTheServer(t *testing.T) {
	read := func(name string) string {
		b, err := fs.ReadFile(public.Static, name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	// between is the text of src from the line holding start to the first
	// line after it ending with end.
	between := func(src, start, end string) string {
		i := strings.Index(src, start)
		if i < 0 {
			t.Fatalf("no %q", start)
		}
		j := strings.Index(src[i:], end)
		if j < 0 {
			t.Fatalf("no end %q after %q", end, start)
		}
		return src[i : i+j]
	}
	keys := func(block string, re *regexp.Regexp) []string {
		var out []string
		for _, m := range re.FindAllStringSubmatch(block, -1) {
			out = append(out, m[1])
		}
		slices.Sort(out)
		return out
	}

	perms := keys(between(read("js/admin-team.js"), "const permissionGroups = [", "\n  ];"), regexp.MustCompile(`\["([a-z]+\.[a-z]+)", "`))
	want := slices.Sorted(slices.Values(authz.Permissions))
	if !slices.Equal(perms, want) {
		t.Errorf("the role editor offers %v, the server knows %v", perms, want)
	}

	fonts := keys(between(read("js/admin-settings.js"), "const fonts = [", "];"), regexp.MustCompile(`\["([a-z]+)", "`))
	var wantFonts []string
	for _, f := range vendor.Fonts {
		wantFonts = append(wantFonts, f.Key)
	}
	slices.Sort(wantFonts)
	if !slices.Equal(fonts, wantFonts) {
		t.Errorf("the theme page offers fonts %v, the server knows %v", fonts, wantFonts)
	}
}
