// Package authz decides what a user may do in a vendor. Each vendor's Casbin
// policy — its roles' permissions (from the vendor's schema) and its members'
// roles (from the platform's memberships) — is loaded on first use and kept in
// memory with its decisions, so a check costs the same with ten vendors or ten
// thousand. Every change is announced with NOTIFY in the changing transaction
// and every instance drops that vendor's policy at once.
package authz

import (
	"slices"
	"strings"
)

// The permission strings of the architecture document, exactly.
const (
	TeamManage       = "team.manage"
	TeamInvite       = "team.invite"
	TeamRemove       = "team.remove"
	TeamView         = "team.view"
	ProductsCreate   = "products.create"
	ProductsEdit     = "products.edit"
	ProductsDelete   = "products.delete"
	ProductsView     = "products.view"
	OrdersCreate     = "orders.create"
	OrdersEdit       = "orders.edit"
	OrdersView       = "orders.view"
	ImportsTrigger   = "imports.trigger"
	ImportsView      = "imports.view"
	ImportsConfigure = "imports.configure"
	SettingsEdit     = "settings.edit"
	AnalyticsView    = "analytics.view"
)

// Permissions lists every permission a role may hold, in the document's order.
var Permissions = []string{
	TeamManage, TeamInvite, TeamRemove, TeamView,
	ProductsCreate, ProductsEdit, ProductsDelete, ProductsView,
	OrdersCreate, OrdersEdit, OrdersView,
	ImportsTrigger, ImportsView, ImportsConfigure,
	SettingsEdit, AnalyticsView,
}

// Known reports whether p is one of Permissions.
func Known(p string) bool { return slices.Contains(Permissions, p) }

// DefaultRole is one of the roles every vendor starts with.
type DefaultRole struct {
	Key         string // system_key in the vendor's roles table
	Name        string
	Permissions []string
}

// DefaultRoles are the seed's roles with the seed's permission strings. The
// tenant migration that creates the roles table inserts exactly these (a test
// holds the two together); Owner can never be changed.
var DefaultRoles = []DefaultRole{
	{"owner", "Owner", []string{
		TeamManage, TeamInvite, TeamRemove,
		ProductsCreate, ProductsEdit, ProductsDelete, ProductsView,
		OrdersCreate, OrdersEdit, OrdersView,
		ImportsTrigger, ImportsView, ImportsConfigure,
		SettingsEdit, AnalyticsView,
	}},
	{"manager", "Manager", []string{
		TeamInvite, TeamView,
		ProductsCreate, ProductsEdit, ProductsView,
		OrdersCreate, OrdersEdit, OrdersView,
		ImportsTrigger, ImportsView,
		AnalyticsView,
	}},
	{"editor", "Editor", []string{
		ProductsCreate, ProductsEdit, ProductsView,
		OrdersView, OrdersEdit,
		ImportsView,
	}},
	{"viewer", "Viewer", []string{ProductsView, OrdersView, ImportsView}},
}

// implied are permissions that come with another one. The seed gives Owners
// team.manage but not team.view, and Managers team.view: managing a team
// includes seeing it. Roles store exactly what they were given; the implied
// permissions are added when a vendor's policy is loaded.
var implied = map[string][]string{
	TeamManage: {TeamView},
}

// Expand returns perms with the permissions they imply, in catalogue order.
func Expand(perms []string) []string {
	has := map[string]bool{}
	for _, p := range perms {
		has[p] = true
		for _, q := range implied[p] {
			has[q] = true
		}
	}
	out := make([]string, 0, len(has))
	for _, p := range Permissions {
		if has[p] {
			out = append(out, p)
		}
	}
	return out
}

// OwnerKey is the system key of the Owner role.
const OwnerKey = "owner"

// Requirement is what a route demands: any one of its permissions. Most routes
// name one; listing the team accepts team.view or team.manage, because the
// seed gives Owners team.manage and Managers team.view.
type Requirement []string

// Require builds a Requirement; it panics on a permission that is not Known,
// so a typo in the route table fails at start-up rather than denying forever.
func Require(perms ...string) Requirement {
	if len(perms) == 0 {
		panic("authz: a requirement needs at least one permission")
	}
	for _, p := range perms {
		if !Known(p) {
			panic("authz: unknown permission " + p)
		}
	}
	return Requirement(perms)
}

func (r Requirement) String() string { return strings.Join(r, "|") }
