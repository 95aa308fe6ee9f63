package web

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/bazaar/bazaar/public"
)

// asset answers /assets/<fingerprinted name>: the front end's CSS and
// JavaScript, named by a hash of their content (public.AssetURL), so they
// are cached for a year and never revalidated; compressed when the binary
// started, sent in the best encoding the client takes.
func asset(c *fiber.Ctx) error {
	a, ok := public.LookupAsset(strings.TrimPrefix(c.Path(), public.AssetPrefix))
	if !ok {
		return fiber.ErrNotFound
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	c.Set(fiber.HeaderETag, a.ETag)
	c.Set(fiber.HeaderContentType, a.Type)
	if a.Gzip == nil {
		return c.Send(a.Body)
	}
	c.Vary(fiber.HeaderAcceptEncoding)
	accept := c.Get(fiber.HeaderAcceptEncoding)
	switch {
	case acceptsEncoding(accept, "br"):
		c.Set(fiber.HeaderContentEncoding, "br")
		return c.Send(a.Brotli)
	case acceptsEncoding(accept, "gzip"):
		c.Set(fiber.HeaderContentEncoding, "gzip")
		return c.Send(a.Gzip)
	}
	return c.Send(a.Body)
}
