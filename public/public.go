// Package public holds Bazaar's front end — vanilla HTML templates, CSS and
// JavaScript — embedded so the one binary carries everything it serves.
package public

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
)

//go:embed static
var staticFiles embed.FS

//go:embed templates/*.html templates/shop/*.html templates/admin/*.html
var templateFiles embed.FS

// Static holds the files served, fingerprinted, under AssetPrefix.
var Static fs.FS = mustSub(staticFiles, "static")

// Templates are the server-rendered pages. Shop pages are rendered on the
// server so that their content is in the HTML crawlers receive; they are
// named by their path under templates/ ("shop/product.html").
var Templates = template.Must(template.New("").Funcs(template.FuncMap{
	"asset": AssetURL,
	"inc":   func(i int) int { return i + 1 },
}).ParseFS(templateFiles, "templates/*.html", "templates/shop/*.html", "templates/admin/*.html"))

// Render executes a page template into memory, so a template error never
// leaves half a page on the wire.
func Render(name string, data any) ([]byte, error) {
	var buf bytes.Buffer
	if err := Templates.ExecuteTemplate(&buf, name, data); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func mustSub(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic(err) // unreachable: dir is a literal that go:embed has checked
	}
	return sub
}
