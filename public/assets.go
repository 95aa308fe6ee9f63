package public

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"path"
	"strings"

	"github.com/andybalholm/brotli"
)

// AssetPrefix is where fingerprinted assets are served.
const AssetPrefix = "/assets/"

// Asset is a file of static/ as it is served: under a name that carries a
// hash of its content ("css/shop.3f9a0c1d2e4b.css"), so a browser may keep
// it for a year and a new build is a new name; compressed once, when the
// binary starts, rather than on every request.
type Asset struct {
	Name   string // the fingerprinted path under AssetPrefix
	Type   string // its Content-Type
	ETag   string
	Body   []byte
	Gzip   []byte // nil when compression does not pay (images, tiny files)
	Brotli []byte
}

var (
	assets    = map[string]*Asset{} // by fingerprinted name
	assetURLs = map[string]string{} // plain name → URL path
)

func init() {
	err := fs.WalkDir(Static, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(Static, name)
		if err != nil {
			return err
		}
		a := newAsset(name, body)
		assets[a.Name] = a
		assetURLs[name] = AssetPrefix + a.Name
		return nil
	})
	if err != nil {
		panic(err) // unreachable: the files are embedded
	}
}

func newAsset(name string, body []byte) *Asset {
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:6])
	ext := path.Ext(name)
	a := &Asset{
		Name: strings.TrimSuffix(name, ext) + "." + hash + ext,
		Type: mime.TypeByExtension(ext),
		ETag: `"` + hash + `"`,
		Body: body,
	}
	if a.Type == "" {
		a.Type = "application/octet-stream"
	}
	if compressible(a.Type) && len(body) > 512 {
		a.Gzip = gzipped(body)
		a.Brotli = brotlied(body)
	}
	return a
}

func compressible(ctype string) bool {
	return strings.HasPrefix(ctype, "text/") || strings.Contains(ctype, "javascript") ||
		strings.Contains(ctype, "json") || strings.Contains(ctype, "svg")
}

func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	w.Write(b) //nolint:errcheck // a bytes.Buffer does not fail
	w.Close()  //nolint:errcheck
	return buf.Bytes()
}

func brotlied(b []byte) []byte {
	var buf bytes.Buffer
	w := brotli.NewWriterLevel(&buf, brotli.BestCompression)
	w.Write(b) //nolint:errcheck // a bytes.Buffer does not fail
	w.Close()  //nolint:errcheck
	return buf.Bytes()
}

// LookupAsset finds an asset by its fingerprinted name (the path after
// AssetPrefix).
func LookupAsset(name string) (*Asset, bool) {
	a, ok := assets[name]
	return a, ok
}

// AssetURL is the URL path of a file of static/ ("css/shop.css"). Templates
// call it as `asset`; an unknown name is an error, so a typo fails the
// render (and the tests that render every page) instead of linking nothing.
func AssetURL(name string) (string, error) {
	u, ok := assetURLs[name]
	if !ok {
		return "", fmt.Errorf("public: no asset %q", name)
	}
	return u, nil
}
