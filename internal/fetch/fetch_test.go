package fetch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}

func serve(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

func readAll(t *testing.T, f *Fetcher, q Request) (*Response, string, error) {
	t.Helper()
	res, err := f.Get(context.Background(), q)
	if err != nil {
		return nil, "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res, string(b), err
}

func TestDownloadHashesAndHonoursConditionalGET(t *testing.T) {
	const body = "id,title\nA-1,Mug\n"
	s := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		io.WriteString(w, body)
	})
	f := New(Options{Allow: loopback})
	res, got, err := readAll(t, f, Request{URL: s.URL + "/feed.csv"})
	if err != nil || got != body || res.NotModified {
		t.Fatalf("download: %q, %v", got, err)
	}
	sum := sha256.Sum256([]byte(body))
	if res.SHA256() != hex.EncodeToString(sum[:]) || res.ETag != `"v1"` {
		t.Fatalf("hash %s, etag %s", res.SHA256(), res.ETag)
	}
	again, got, err := readAll(t, f, Request{URL: s.URL + "/feed.csv", ETag: res.ETag})
	if err != nil || !again.NotModified || got != "" {
		t.Fatalf("conditional: not modified %v, %q, %v", again.NotModified, got, err)
	}
}

// The guard refuses loopback, private, link-local (metadata) and other
// internal addresses — also when a public-looking first hop redirects there.
func TestGuardRefusesInternalAddresses(t *testing.T) {
	f := New(Options{}) // nothing allowed
	for _, u := range []string{
		"http://127.0.0.1:1/feed.csv",
		"http://[::1]:1/feed.csv",
		"http://10.0.0.1/feed.csv",
		"http://172.16.5.4/feed.csv",
		"http://192.168.1.1/feed.csv",
		"http://169.254.169.254/latest/meta-data/",
		"http://[fd00:ec2::254]/",
		"http://0.0.0.0:80/",
		"http://100.64.0.1/",
		"http://[::ffff:127.0.0.1]:1/",
		"http://localhost:1/feed.csv",
	} {
		if _, err := f.Get(context.Background(), Request{URL: u}); !errors.Is(err, ErrRefused) {
			t.Errorf("%s: err = %v, want refused", u, err)
		}
	}
	for _, u := range []string{"file:///etc/passwd", "ftp://example.com/x", "http://user:pw@example.com/", "gopher://x"} {
		if _, err := f.Get(context.Background(), Request{URL: u}); !errors.Is(err, ErrRefused) {
			t.Errorf("%s: err = %v, want refused", u, err)
		}
	}
}

func TestRedirectToAPrivateAddressIsRefused(t *testing.T) {
	s := serve(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://10.0.0.1/feed.csv", http.StatusFound)
	})
	// The loopback test server is allowed; where it redirects is not.
	_, _, err := readAll(t, New(Options{Allow: loopback}), Request{URL: s.URL})
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "10.0.0.1 is a private address") {
		t.Fatalf("err = %v", err)
	}
}

func TestRedirectsAreBounded(t *testing.T) {
	var s *httptest.Server
	s = serve(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, s.URL+r.URL.Path+"x", http.StatusFound)
	})
	_, _, err := readAll(t, New(Options{Allow: loopback, MaxRedirects: 5}), Request{URL: s.URL + "/a"})
	if err == nil || !strings.Contains(err.Error(), "more than 5 redirects") {
		t.Fatalf("err = %v", err)
	}
	hops := 0
	s2 := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if hops < 5 {
			hops++
			http.Redirect(w, r, "/next", http.StatusFound)
			return
		}
		io.WriteString(w, "ok")
	})
	if _, got, err := readAll(t, New(Options{Allow: loopback, MaxRedirects: 5}), Request{URL: s2.URL}); err != nil || got != "ok" {
		t.Fatalf("five redirects: %q, %v", got, err)
	}
}

func TestSizeLimit(t *testing.T) {
	big := strings.Repeat("x", 2000)
	declared := serve(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, big) })
	if _, _, err := readAll(t, New(Options{Allow: loopback, MaxBytes: 1000}), Request{URL: declared.URL}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("declared length: err = %v", err)
	}
	chunked := serve(t, func(w http.ResponseWriter, r *http.Request) {
		for range 4 {
			io.WriteString(w, big[:500])
			w.(http.Flusher).Flush() // no Content-Length: the limit holds while reading
		}
	})
	if _, _, err := readAll(t, New(Options{Allow: loopback, MaxBytes: 1000}), Request{URL: chunked.URL}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("chunked: err = %v", err)
	}
	exact := serve(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, big[:1000]) })
	if _, got, err := readAll(t, New(Options{Allow: loopback, MaxBytes: 1000}), Request{URL: exact.URL}); err != nil || len(got) != 1000 {
		t.Fatalf("exactly the limit: %d bytes, %v", len(got), err)
	}
}

func TestErrorStatusIsNamed(t *testing.T) {
	s := serve(t, func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	if _, err := New(Options{Allow: loopback}).Get(context.Background(), Request{URL: s.URL}); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("err = %v", err)
	}
}

// Check refuses a URL whose host is an internal address in any of the forms
// resolvers and browsers read as one, not only the dotted one: a single
// number, octal or hex parts, fewer than four parts, a trailing dot, and
// IPv6 forms that carry an IPv4 address (mapped, compatible, NAT64, 6to4).
func TestCheckRefusesNumericHostForms(t *testing.T) {
	f := New(Options{})
	for _, tt := range []struct{ url, want string }{
		{"http://2852039166/latest/meta-data/", "169.254.169.254 is a link-local"},
		{"http://0xA9FEA9FE/", "169.254.169.254 is a link-local"},
		{"http://0xa9.0xfe.0xa9.0xfe/", "169.254.169.254 is a link-local"},
		{"http://0251.0376.0251.0376/", "169.254.169.254 is a link-local"},
		{"http://0251.254.43518/", "169.254.169.254 is a link-local"},
		{"http://169.254.43518/", "169.254.169.254 is a link-local"},
		{"http://2130706433:8080/feed.csv", "127.0.0.1 is a loopback"},
		{"http://017700000001/", "127.0.0.1 is a loopback"},
		{"http://127.1/", "127.0.0.1 is a loopback"},
		{"http://0x7f.1/", "127.0.0.1 is a loopback"},
		{"http://127.0.0.1./", "127.0.0.1 is a loopback"},
		{"http://0/", "0.0.0.0 is the unspecified"},
		{"http://167772161/", "10.0.0.1 is a private"},
		{"http://[::ffff:169.254.169.254]/", "169.254.169.254 is a link-local"},
		{"http://[::ffff:a9fe:a9fe]/", "169.254.169.254 is a link-local"},
		{"http://[0:0:0:0:0:ffff:7f00:1]/", "127.0.0.1 is a loopback"},
		{"http://[::127.0.0.1]/", "127.0.0.1 is a loopback"},
		{"http://[64:ff9b::a9fe:a9fe]/", "169.254.169.254 is a link-local"},
		{"http://[2002:a9fe:a9fe::1]/", "169.254.169.254 is a link-local"},
		{"http://[fe80::1%25eth0]/", "link-local"},
		{"http://[fec0::1]/", "site-local"},
	} {
		err := f.Check(tt.url)
		if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want refused: %s", tt.url, err, tt.want)
		}
	}
	// Names, public addresses in any form, and numbers that are no address
	// are left to the download (which checks what they resolve to).
	for _, u := range []string{"http://example.com/feed.csv", "http://134744072/", "http://8.8.8.8/", "http://0x8.8.8.8/",
		"http://1.2.3.4.5/", "http://4294967296/", "http://09/", "http://feed-2852039166.example/", "http://[2001:db8::1]/"} {
		if err := f.Check(u); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
}

// An ETag or Last-Modified that is not printable ASCII (HTTP allows other
// bytes in an ETag) or is unreasonably long is not kept: it could not be
// stored as text, and the content hash still tells an unchanged file.
func TestUnstorableValidatorsAreDropped(t *testing.T) {
	for _, tt := range []struct{ etag, lastModified, wantETag string }{
		{`"v1"`, "Tue, 01 Dec 2026 10:00:00 GMT", `"v1"`},
		{"\"caf\xe9\"", "", ""},
		{`"` + strings.Repeat("x", 300) + `"`, "", ""},
	} {
		s := serve(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header()["Etag"] = []string{tt.etag}
			w.Header()["Last-Modified"] = []string{tt.lastModified}
			io.WriteString(w, "id,title\n")
		})
		res, _, err := readAll(t, New(Options{Allow: loopback}), Request{URL: s.URL})
		if err != nil || res.ETag != tt.wantETag || res.LastModified != tt.lastModified {
			t.Errorf("ETag %q: kept %q, Last-Modified %q, %v", tt.etag, res.ETag, res.LastModified, err)
		}
	}
}

// Temporary tells the failures a later attempt may get past from those it
// will meet again.
func TestTemporary(t *testing.T) {
	status := func(code int) *httptest.Server {
		return serve(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(code) })
	}
	closed := serve(t, func(http.ResponseWriter, *http.Request) {})
	closedURL := closed.URL
	closed.Close()
	cut := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		io.WriteString(w, "id,title\n")
	})
	f := New(Options{Allow: loopback})
	for _, tt := range []struct {
		name string
		url  string
		want bool
	}{
		{"ServiceUnavailable", status(http.StatusServiceUnavailable).URL, true},
		{"TooManyRequests", status(http.StatusTooManyRequests).URL, true},
		{"NotFound", status(http.StatusNotFound).URL, false},
		{"Forbidden", status(http.StatusForbidden).URL, false},
		{"ConnectionRefused", closedURL, true},
		{"CutShort", cut.URL, true},
		{"NoSuchHost", "http://no-such-host.invalid/feed.csv", false},
		{"Refused", "http://10.0.0.1/feed.csv", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := readAll(t, f, Request{URL: tt.url})
			if err == nil || Temporary(err) != tt.want {
				t.Errorf("err %v: temporary %v, want %v", err, Temporary(err), tt.want)
			}
		})
	}
	if _, _, err := readAll(t, New(Options{}), Request{URL: status(200).URL}); Temporary(err) {
		t.Errorf("a refusal of the guard is temporary: %v", err)
	}
}
