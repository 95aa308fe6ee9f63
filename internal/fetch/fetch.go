// Package fetch downloads feeds from URLs vendors give us, which makes every
// URL hostile until proven otherwise: the connection is refused when the
// address it would reach — after DNS resolution and after every redirect —
// is loopback, private, link-local (cloud metadata lives there), unspecified
// or multicast, unless configuration allows that network; redirects are
// bounded, and so are the time and the bytes a download may take. Downloads
// may be conditional (ETag, Last-Modified) and their content is hashed, so an
// unchanged file can be skipped.
package fetch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Options bound downloads.
type Options struct {
	Timeout        time.Duration  // the whole download, body included (default 10m)
	ConnectTimeout time.Duration  // default 10s
	HeaderTimeout  time.Duration  // waiting for the response headers (default 30s)
	MaxBytes       int64          // default 200 MB
	MaxRedirects   int            // default 5
	Allow          []netip.Prefix // networks reachable despite the guard (tests allow their loopback server)
	UserAgent      string
}

// Fetcher downloads with the guard.
type Fetcher struct {
	o      Options
	client *http.Client
}

// New builds a Fetcher.
func New(o Options) *Fetcher {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Minute
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 10 * time.Second
	}
	if o.HeaderTimeout <= 0 {
		o.HeaderTimeout = 30 * time.Second
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = 200 << 20
	}
	if o.MaxRedirects <= 0 {
		o.MaxRedirects = 5
	}
	if o.UserAgent == "" {
		o.UserAgent = "Bazaar feed importer"
	}
	f := &Fetcher{o: o}
	dialer := &net.Dialer{Timeout: o.ConnectTimeout, Control: f.control}
	f.client = &http.Client{
		Timeout: o.Timeout,
		Transport: &http.Transport{
			Proxy:                 nil, // an environment proxy would connect on our behalf, past the guard
			DialContext:           dialer.DialContext,
			TLSHandshakeTimeout:   o.ConnectTimeout,
			ResponseHeaderTimeout: o.HeaderTimeout,
			MaxIdleConns:          10,
			IdleConnTimeout:       30 * time.Second,
		},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > o.MaxRedirects {
				return fmt.Errorf("more than %d redirects", o.MaxRedirects)
			}
			return checkURL(req.URL)
		},
	}
	return f
}

// ErrRefused is wrapped by every refusal of the guard.
var ErrRefused = errors.New("refused")

// ErrTooLarge is returned while reading a body past MaxBytes.
var ErrTooLarge = errors.New("too large")

// StatusError is an answer other than 200 or 304.
type StatusError struct {
	Code   int
	Status string // the status line's text, as the server sent it
}

func (e *StatusError) Error() string { return "the server answered " + e.Status }

// Temporary reports whether a failed download (Get, or reading its body)
// may succeed if tried again later: a timeout, a connection refused, reset
// or cut short, a DNS failure other than "no such host", or an answer 408,
// 429 or 5xx. A refusal of the guard, a file too large, another status, a
// certificate or redirect problem will fail the same way again.
func Temporary(err error) bool {
	var se *StatusError
	var dns *net.DNSError
	var op *net.OpError
	var ne net.Error
	switch {
	case err == nil, errors.Is(err, ErrRefused), errors.Is(err, ErrTooLarge):
		return false
	case errors.As(err, &se):
		return se.Code == http.StatusRequestTimeout || se.Code == http.StatusTooManyRequests || se.Code >= 500
	case errors.As(err, &dns):
		return !dns.IsNotFound
	case errors.As(err, &ne) && ne.Timeout():
		return true
	case errors.As(err, &op):
		// Dialling, reading or writing failed; a certificate problem is
		// not an OpError.
		return true
	}
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET)
}

// control runs for every connection attempt, with the address DNS gave:
// the one place a rebinding name or a redirect cannot get past.
func (f *Fetcher) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: cannot check address %q", ErrRefused, address)
	}
	written := ap.Addr()
	ip := destination(written)
	for _, p := range f.o.Allow {
		if p.Contains(ip) {
			return nil
		}
	}
	if why := forbidden(ip); why != "" {
		if ip != written.Unmap() {
			return fmt.Errorf("%w: %s is %s (written %s)", ErrRefused, ip, why, written)
		}
		return fmt.Errorf("%w: %s is %s", ErrRefused, ip, why)
	}
	return nil
}

// IPv6 ranges that carry an IPv4 address and reach it: IPv4-compatible
// (deprecated), NAT64's well-known prefix, 6to4.
var (
	compatible = netip.MustParsePrefix("::/96")
	nat64      = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour  = netip.MustParsePrefix("2002::/16")
	siteLocal  = netip.MustParsePrefix("fec0::/10")
)

// destination is the address a connection to ip ends at: the IPv4 address
// an IPv6 form carries (mapped, compatible, NAT64, 6to4), else ip itself.
func destination(ip netip.Addr) netip.Addr {
	ip = ip.Unmap()
	bare := ip.WithZone("")
	b := bare.As16()
	switch {
	case !ip.Is6() || ip.IsUnspecified() || ip.IsLoopback():
		return ip
	case compatible.Contains(bare), nat64.Contains(bare):
		return netip.AddrFrom4([4]byte(b[12:16]))
	case sixToFour.Contains(bare):
		return netip.AddrFrom4([4]byte(b[2:6]))
	}
	return ip
}

// cgnat is the shared address space (RFC 6598): inside carrier networks,
// never a public feed.
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

func forbidden(ip netip.Addr) string {
	switch {
	case ip.IsLoopback():
		return "a loopback address"
	case ip.IsPrivate(), cgnat.Contains(ip):
		return "a private address"
	case ip.IsLinkLocalUnicast():
		return "a link-local address (cloud metadata services live there)"
	case siteLocal.Contains(ip.WithZone("")):
		return "a site-local address"
	case ip.IsUnspecified():
		return "the unspecified address"
	case ip.IsMulticast(), ip.IsLinkLocalMulticast(), ip.IsInterfaceLocalMulticast():
		return "a multicast address"
	case ip.Is4() && ip.As4()[0] == 0:
		return "in 0.0.0.0/8"
	}
	return ""
}

func checkURL(u *url.URL) error {
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("%w: only http and https URLs are fetched (got %q)", ErrRefused, u.Scheme)
	case u.User != nil:
		return fmt.Errorf("%w: URLs with a user name or password are not fetched", ErrRefused)
	case u.Hostname() == "":
		return fmt.Errorf("%w: the URL has no host", ErrRefused)
	}
	return nil
}

// Check tells early what Get would refuse for the URL itself: a scheme
// other than http(s), credentials, no host, or a literal address the guard
// forbids, in any form a resolver reads as an address (hostAddr). Names are
// only checked when a download resolves them.
func (f *Fetcher) Check(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%w: %q is not a URL", ErrRefused, raw)
	}
	if err := checkURL(u); err != nil {
		return err
	}
	if ip, ok := hostAddr(u.Hostname()); ok {
		return f.control("", netip.AddrPortFrom(ip, 0).String(), nil)
	}
	return nil
}

// hostAddr reads a URL's host as an IP address the way resolvers may: an
// IPv6 or dotted IPv4 literal, or one of the forms inet_aton still accepts
// (getaddrinfo, and so curl and many HTTP clients, resolve them): a single
// number (2852039166), octal (0251.…) or hex (0xA9…) parts, fewer than four
// parts (127.1); a trailing dot is ignored.
func hostAddr(host string) (netip.Addr, bool) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip, true
	}
	parts := strings.Split(strings.TrimSuffix(host, "."), ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	// Every part but the last is one byte; the last fills the bytes left.
	var v uint64
	last := len(parts) - 1
	for i, p := range parts {
		n, ok := inetNumber(p)
		switch {
		case !ok, i < last && n > 0xff, i == last && n >= 1<<(8*(4-last)):
			return netip.Addr{}, false
		case i < last:
			v |= n << (8 * (3 - i))
		default:
			v |= n
		}
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true
}

// inetNumber reads one part of a legacy IPv4 address: 0x-prefixed hex,
// 0-prefixed octal, or decimal.
func inetNumber(p string) (uint64, bool) {
	base := 10
	switch {
	case len(p) >= 2 && (p[:2] == "0x" || p[:2] == "0X"):
		base, p = 16, p[2:]
		if p == "" {
			return 0, true // "0x" alone is 0
		}
	case len(p) >= 2 && p[0] == '0':
		base, p = 8, p[1:]
	}
	n, err := strconv.ParseUint(p, base, 32)
	return n, err == nil
}

// Request is one download, conditional when ETag or LastModified is set
// (from the previous download of the same URL).
type Request struct {
	URL          string
	ETag         string
	LastModified string
}

// Response is a download in progress. Read Body to the end, then Close it;
// SHA256 is the content's hash once the body has been read. ETag and
// LastModified are empty when the server sent none, or ones that are not
// printable ASCII of a sane length (see validator).
type Response struct {
	NotModified   bool // the server says the file is unchanged; Body is empty
	ETag          string
	LastModified  string
	ContentLength int64 // -1 when unknown
	FinalURL      string
	Body          io.ReadCloser
	hash          hash.Hash
}

// SHA256 is the hex SHA-256 of the bytes read from Body so far.
func (r *Response) SHA256() string { return hex.EncodeToString(r.hash.Sum(nil)) }

// Get starts a download. Statuses other than 200 and 304 are errors that
// name the status.
func (f *Fetcher) Get(ctx context.Context, q Request) (*Response, error) {
	u, err := url.Parse(q.URL)
	if err != nil {
		return nil, fmt.Errorf("%w: %q is not a URL", ErrRefused, q.URL)
	}
	if err := checkURL(u); err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", f.o.UserAgent)
	if q.ETag != "" {
		req.Header.Set("If-None-Match", q.ETag)
	}
	if q.LastModified != "" {
		req.Header.Set("If-Modified-Since", q.LastModified)
	}
	res, err := f.client.Do(req)
	if err != nil {
		return nil, err
	}
	out := &Response{
		ETag: validator(res.Header.Get("ETag")), LastModified: validator(res.Header.Get("Last-Modified")),
		ContentLength: res.ContentLength, FinalURL: res.Request.URL.String(), hash: sha256.New(),
	}
	switch res.StatusCode {
	case http.StatusOK:
	case http.StatusNotModified:
		res.Body.Close()
		out.NotModified, out.Body = true, io.NopCloser(eofReader{})
		return out, nil
	default:
		res.Body.Close()
		return nil, &StatusError{Code: res.StatusCode, Status: res.Status}
	}
	if res.ContentLength > f.o.MaxBytes {
		res.Body.Close()
		return nil, fmt.Errorf("%w: the file is %d bytes, more than the %d allowed", ErrTooLarge, res.ContentLength, f.o.MaxBytes)
	}
	out.Body = &limitedBody{rc: res.Body, left: f.o.MaxBytes, max: f.o.MaxBytes, hash: out.hash}
	return out, nil
}

// maxValidator bounds an ETag or Last-Modified kept for the next download.
const maxValidator = 256

// validator keeps a response's ETag or Last-Modified only when it can be
// stored and sent back as it came: printable ASCII, at most maxValidator
// bytes. HTTP lets an ETag hold other bytes, which a text column refuses;
// without a validator the next download is simply not conditional (its hash
// still tells whether the file changed).
func validator(v string) string {
	if len(v) > maxValidator {
		return ""
	}
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] > 0x7e {
			return ""
		}
	}
	return v
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// limitedBody hashes what it reads and fails past the limit (a server may
// send more than its Content-Length said, or none).
type limitedBody struct {
	rc   io.ReadCloser
	left int64
	max  int64
	hash hash.Hash
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// Past the limit only if there is more to read.
		var one [1]byte
		if n, _ := b.rc.Read(one[:]); n > 0 {
			return 0, fmt.Errorf("%w: the file is larger than the %d bytes allowed", ErrTooLarge, b.max)
		}
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	b.hash.Write(p[:n])
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }
