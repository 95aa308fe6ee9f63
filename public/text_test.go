package public

import (
	"io/fs"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestEveryLanguageHasEveryString: the shop front's languages translate the
// same keys, and every key a template or shop.js asks for exists.
func TestEveryLanguageHasEveryString(t *testing.T) {
	en, _ := Text("en")
	if len(en) < 100 {
		t.Fatalf("en has %d strings", len(en))
	}
	langs := slices.Sorted(maps.Keys(texts))
	if !slices.Equal(langs, []string{"de", "en", "fr"}) {
		t.Errorf("interface languages %v, want de, en, fr", langs)
	}
	for _, l := range langs {
		m, got := Text(l)
		if got != l {
			t.Errorf("Text(%s) answered %s", l, got)
		}
		for k := range en {
			if strings.TrimSpace(m[k]) == "" {
				t.Errorf("%s lacks %q", l, k)
			}
		}
		for k := range m {
			if _, ok := en[k]; !ok {
				t.Errorf("%s has %q, which en lacks", l, k)
			}
		}
		// The fmt verbs of a string are the same in every language.
		verbs := regexp.MustCompile(`%[sd]`)
		for k, v := range m {
			if a, b := verbs.FindAllString(v, -1), verbs.FindAllString(en[k], -1); !slices.Equal(a, b) {
				t.Errorf("%s %q has verbs %v, en has %v", l, k, a, b)
			}
		}
	}
	used := map[string]bool{}
	keyRef := regexp.MustCompile(`\.Tf? "([a-z0-9_.]+)"`)
	err := fs.WalkDir(templateFiles, "templates/shop", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(templateFiles, path)
		for _, m := range keyRef.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = true
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	js, err := fs.ReadFile(Static, "js/shop.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`\bt\("([a-z0-9_.]+)"\)`).FindAllStringSubmatch(string(js), -1) {
		used[m[1]] = true
	}
	if len(used) < 50 {
		t.Fatalf("found only %d keys in use: the patterns miss them", len(used))
	}
	for _, k := range slices.Sorted(maps.Keys(used)) {
		if _, ok := en[k]; !ok {
			t.Errorf("%q is used but not translated", k)
		}
	}
}

func TestUntranslatedLanguageFallsBackToEnglish(t *testing.T) {
	m, lang := Text("lb")
	if lang != TextFallback || m["nav.cart"] != "Cart" {
		t.Errorf("Text(lb) = %s, %q", lang, m["nav.cart"])
	}
}

// TestAssetNamesFollowContent: an asset's URL carries a hash of its bytes.
func TestAssetNamesFollowContent(t *testing.T) {
	u, err := AssetURL("css/shop.css")
	if err != nil || !regexp.MustCompile(`^/assets/css/shop\.[0-9a-f]{12}\.css$`).MatchString(u) {
		t.Fatalf("AssetURL = %q, %v", u, err)
	}
	a, ok := LookupAsset(strings.TrimPrefix(u, AssetPrefix))
	if !ok || a.Type != "text/css; charset=utf-8" || len(a.Brotli) == 0 || len(a.Brotli) >= len(a.Body) {
		t.Fatalf("asset %+v", a)
	}
	if _, err := AssetURL("css/nothing.css"); err == nil {
		t.Error("an unknown asset has a URL")
	}
	if b := newAsset("x.css", []byte("a{}")); b.Name == newAsset("x.css", []byte("b{}")).Name {
		t.Error("two contents, one name")
	}
}
