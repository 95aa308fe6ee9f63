package web

import (
	"net"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// trustedNets parses the trusted proxies (IPs or CIDRs, validated by config).
func trustedNets(proxies []string) []*net.IPNet {
	var out []*net.IPNet
	for _, p := range proxies {
		if !strings.Contains(p, "/") {
			if ip := net.ParseIP(p); ip != nil && ip.To4() != nil {
				p += "/32"
			} else {
				p += "/128"
			}
		}
		if _, n, err := net.ParseCIDR(p); err == nil {
			out = append(out, n)
		}
	}
	return out
}

func (cl caller) trusted(ip net.IP) bool {
	for _, n := range cl.trustedProxies {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// clientIP is the address of the client: the peer, or — when the peer is a
// trusted proxy — the right-most X-Forwarded-For entry that is not a trusted
// proxy itself. Everything left of that was written by the client and proves
// nothing (Fiber's c.IP() would return it). The result is a fresh string, safe
// to keep: rate limiters key maps with it.
func (cl caller) clientIP(c *fiber.Ctx) string {
	peer := c.Context().RemoteIP()
	if !cl.trusted(peer) {
		return peer.String()
	}
	entries := strings.Split(c.Get(fiber.HeaderXForwardedFor), ",")
	for i := len(entries) - 1; i >= 0; i-- {
		ip := net.ParseIP(strings.TrimSpace(entries[i]))
		if ip == nil {
			break // a malformed entry: nothing left of it can be believed
		}
		if !cl.trusted(ip) {
			return ip.String()
		}
	}
	return peer.String()
}
