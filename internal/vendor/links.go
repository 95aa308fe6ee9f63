package vendor

import (
	"net"
	"net/url"
)

// Links make the addresses of a vendor's shop for mail sent outside a
// request to that shop — an Owner invitation sent from the admin site or
// the command line. Base is the platform as people reach it
// (https://shops.example.com, http://localhost:8080); a shop is the
// subdomain of its host, or with path routing the /vendor/<slug> prefix on
// it.
type Links struct {
	Base        *url.URL
	PathRouting bool
}

// Shop is the absolute URL of path (starting with /) on slug's shop.
func (l Links) Shop(slug, path string) string {
	if l.Base == nil {
		return path
	}
	u := *l.Base
	if l.PathRouting {
		u.Path = "/vendor/" + slug
	} else {
		host := slug + "." + u.Hostname()
		if p := u.Port(); p != "" {
			host = net.JoinHostPort(host, p)
		}
		u.Host, u.Path = host, ""
	}
	return u.String() + path
}
