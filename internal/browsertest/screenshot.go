package browsertest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// EnvScreenshots names the environment variable that overrides the folder
// screenshots go to (by default .screenshots at the repository's root,
// git-ignored).
const EnvScreenshots = "BAZAAR_SCREENSHOTS"

// unsafeName matches what a screenshot's name may not hold in a file name.
var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// Screenshot writes a PNG of the whole page (beyond the viewport, down to
// its end) to <folder>/<name>-<width>.png, where a person can look at what
// a journey saw at each width, and returns the file's path. Characters of
// name other than letters, digits, '.', '_' and '-' become '-', so
// t.Name() is a fine name.
func (p *Page) Screenshot(t testing.TB, name string) string {
	t.Helper()
	dir, err := screenshotDir()
	if err != nil {
		t.Fatalf("browsertest: %v", err)
	}
	safe := strings.Trim(unsafeName.ReplaceAllString(name, "-"), "-")
	if safe == "" {
		t.Fatalf("browsertest: screenshot name %q has no letter or digit", name)
	}
	png := Get(t, p, chromedp.FullScreenshot(100)) // quality 100 is PNG
	file := filepath.Join(dir, fmt.Sprintf("%s-%d.png", safe, p.width))
	// Written beside and renamed, so that a reader never sees half an image.
	tmp := file + ".tmp"
	if err := os.WriteFile(tmp, png, 0o644); err != nil {
		t.Fatalf("browsertest: %v", err)
	}
	if err := os.Rename(tmp, file); err != nil {
		t.Fatalf("browsertest: %v", err)
	}
	return file
}

// screenshotDir is EnvScreenshots, else .screenshots beside go.mod, made
// if needed. The root is found from the working directory, which go test
// sets to the directory of the package under test.
func screenshotDir() (string, error) {
	dir := os.Getenv(EnvScreenshots)
	if dir == "" {
		root, err := moduleRoot()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(root, ".screenshots")
	}
	return dir, os.MkdirAll(dir, 0o755)
}

// moduleRoot is the nearest directory at or above the working directory
// holding go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		} else if !errors.Is(err, os.ErrNotExist) {
			return "", err
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory; set %s", EnvScreenshots)
		}
		dir = parent
	}
}
