package web

import (
	"bytes"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/bazaar/bazaar/internal/fault"
)

// The host a request is for. Invariant 3 of the wall: the tenant comes from
// the Host header alone (or, from a trusted proxy, X-Forwarded-Host). fasthttp
// does not make that easy on its own: it takes the URI's host from the
// request target whenever the target contains "://" or no Host header was
// sent — so `GET //other-shop.localhost/api/…?u=a://b` named other-shop —,
// strips userinfo from a Host header before anyone sees it, and keeps the
// last of several Host headers. checkTarget therefore reads the request as
// it arrived, refuses what does not name exactly one well-formed host, and
// puts the URI fasthttp hands to everyone else in agreement with it.

const hostKey = "bazaar.host"

// requestHost is the host (with its port, if one was sent) the request was
// sent to, as checkTarget validated it: the Host header, or the trusted
// proxy's X-Forwarded-Host. It is a fresh string, safe to keep.
func requestHost(c *fiber.Ctx) string {
	h, _ := c.Locals(hostKey).(string)
	return h
}

// checkTarget is the first check every request meets:
//   - exactly one Host header, well-formed (host or IP literal, optional
//     port; no userinfo, no other characters), else 400;
//   - the request target is origin-form ("/path?query": a path, even when it
//     starts with "//") or absolute-form ("http://host/path") naming the same
//     host as the Host header, else 400;
//   - from a trusted proxy, X-Forwarded-Host, when sent, must be well-formed
//     too and names the host.
func (s *server) checkTarget(c *fiber.Ctx) error {
	req := c.Request()
	var host string
	if raw := req.Header.RawHeaders(); len(raw) == 0 && len(req.Header.Host()) > 0 {
		// Built in process (the fuzz tests), not read from a connection:
		// there are no header lines as received, only the Host set on it. A
		// request read from the wire without header lines has no Host.
		host = string(req.Header.Host())
	} else {
		var err error
		if host, err = singleHost(raw); err != nil {
			return err
		}
	}
	if why := authorityProblem(host); why != "" {
		return invalidHost(why)
	}
	target := req.Header.RequestURI()
	switch {
	case len(target) > 0 && target[0] == '/':
		// Origin-form. fasthttp parsed it as an absolute URI if it found
		// "://" anywhere in it: take the path and query back from the raw
		// target, and the host from the Host header.
		uri := req.URI()
		path, query, _ := bytes.Cut(target, []byte{'?'})
		if !bytes.Equal(uri.PathOriginal(), path) || !strings.EqualFold(string(uri.Host()), host) {
			uri.SetHost(host)
			uri.SetQueryStringBytes(query)
			c.Path(string(path)) // sets the URI's path and Fiber's routing path
		}
	default:
		scheme, authority, ok := absoluteForm(target)
		if !ok {
			return invalidTarget("the request target must be a path or an absolute http(s) URL")
		}
		if strings.Contains(authority, "@") {
			return invalidTarget("the request target must not carry credentials")
		}
		if !sameAuthority(scheme, authority, host) {
			return invalidTarget("the request target names another host than the Host header")
		}
	}
	if s.trusted(c.Context().RemoteIP()) {
		if fwd := req.Header.PeekAll(fiber.HeaderXForwardedHost); len(fwd) > 0 {
			// A proxy that appends puts its own entry last; entries before it
			// (and header lines before its own) came from the client.
			last := fwd[len(fwd)-1]
			if i := bytes.LastIndexByte(last, ','); i >= 0 {
				last = last[i+1:]
			}
			host = string(bytes.TrimSpace(last))
			if why := authorityProblem(host); why != "" {
				return invalidHost("X-Forwarded-Host: " + why)
			}
		}
	}
	c.Locals(hostKey, strings.Clone(host))
	return c.Next()
}

func invalidTarget(why string) error {
	return &fault.Error{Kind: fault.Invalid, Code: "invalid_target", Message: "invalid request target: " + why}
}

// singleHost returns the value of the one Host header among the raw header
// lines (fasthttp's own view keeps only the last one).
func singleHost(raw []byte) (string, error) {
	var value []byte
	n := 0
	for len(raw) > 0 {
		var line []byte
		line, raw, _ = bytes.Cut(raw, []byte{'\n'})
		name, v, ok := bytes.Cut(bytes.TrimSuffix(line, []byte{'\r'}), []byte{':'})
		if ok && bytes.EqualFold(bytes.TrimSpace(name), []byte("host")) {
			n++
			value = bytes.TrimSpace(v)
		}
	}
	switch {
	case n == 0:
		return "", invalidHost("the Host header is missing")
	case n > 1:
		return "", invalidHost("the Host header is repeated")
	case len(value) == 0:
		return "", invalidHost("the Host header is empty")
	}
	return string(value), nil
}

// authorityProblem says what is wrong with `host[:port]`, or "" when
// nothing is: host is a name of letters, digits, hyphens and dots, or a
// bracketed IPv6 literal, and port is 1–65535. Everything else — userinfo,
// percent-encoding, spaces, an empty or non-numeric port — is refused, so no
// later parser can read the host differently.
func authorityProblem(a string) string {
	if len(a) > 260 {
		return "longer than 253 characters"
	}
	host, port, hasPort := a, "", false
	if strings.HasPrefix(a, "[") {
		end := strings.IndexByte(a, ']')
		if end < 2 || strings.Trim(a[1:end], "0123456789abcdefABCDEF:.") != "" {
			return "malformed IPv6 address"
		}
		host, port = a[:end+1], a[end+1:]
		if port != "" {
			if port[0] != ':' {
				return "malformed port"
			}
			port, hasPort = port[1:], true
		}
	} else {
		host, port, hasPort = strings.Cut(a, ":")
	}
	if hasPort && (port == "" || len(port) > 5 || strings.Trim(port, "0123456789") != "" || port == strings.Repeat("0", len(port))) {
		return "malformed port"
	}
	if hasPort && len(port) == 5 && port > "65535" {
		return "malformed port"
	}
	if host == "" {
		return "the host name is empty"
	}
	if host[0] == '[' {
		return ""
	}
	for i := 0; i < len(host); i++ {
		switch b := host[i]; {
		case b >= 0x80:
			return "non-ASCII characters (use the punycode form)"
		case !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '-' || b == '.'):
			return "only letters, digits, hyphens and dots are allowed"
		}
	}
	return ""
}

// absoluteForm splits "http://authority/rest" (scheme case-insensitive) into
// its scheme and authority.
func absoluteForm(target []byte) (scheme, authority string, ok bool) {
	s, rest, found := bytes.Cut(target, []byte("://"))
	if !found {
		return "", "", false
	}
	scheme = strings.ToLower(string(s))
	if scheme != "http" && scheme != "https" {
		return "", "", false
	}
	end := bytes.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	return scheme, string(rest[:end]), end > 0
}

// sameAuthority reports whether two authorities name the same host and port
// (a port left out is the scheme's default).
func sameAuthority(scheme, a, b string) bool {
	split := func(x string) (string, string) {
		host, port := x, ""
		if i := strings.LastIndexByte(x, ':'); i > strings.LastIndexByte(x, ']') {
			host, port = x[:i], x[i+1:]
		}
		if port == "" {
			port = map[string]string{"http": "80", "https": "443"}[scheme]
		}
		return strings.TrimSuffix(strings.ToLower(host), "."), port
	}
	ah, ap := split(a)
	bh, bp := split(b)
	return ah == bh && ap == bp
}
