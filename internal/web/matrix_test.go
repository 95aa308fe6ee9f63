package web

import (
	"context"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/bazaar/bazaar/internal/audit"
	"github.com/bazaar/bazaar/internal/identity"
	"github.com/bazaar/bazaar/internal/page"
	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

// matrixSeedRoles is the seed's role table as PRODUCT.md states it ("Roles
// and permissions"), copied here on purpose: the permission matrix is derived
// from the product's word, not from authz.DefaultRoles, so a change to the
// code's copy of the seed cannot silently move the expectation with it.
var matrixSeedRoles = map[string][]string{
	"Owner": {"team.manage", "team.invite", "team.remove", "products.create", "products.edit", "products.delete",
		"products.view", "orders.create", "orders.edit", "orders.view", "imports.trigger", "imports.view",
		"imports.configure", "settings.edit", "analytics.view"},
	"Manager": {"team.invite", "team.view", "products.create", "products.edit", "products.view", "orders.create",
		"orders.edit", "orders.view", "imports.trigger", "imports.view", "analytics.view"},
	"Editor": {"products.create", "products.edit", "products.view", "orders.view", "orders.edit", "imports.view"},
	"Viewer": {"products.view", "orders.view", "imports.view"},
}

// matrixCustomRole is the custom role the matrix creates through the API.
var matrixCustomRole = []string{"products.view", "products.edit", "team.view"}

// matrixHoldsAny reports whether a role with perms passes a route demanding
// any of required, counting the one implication of the product: managing a
// team includes seeing it (team.manage ⇒ team.view).
func matrixHoldsAny(perms, required []string) bool {
	held := slices.Clone(perms)
	if slices.Contains(held, "team.manage") {
		held = append(held, "team.view")
	}
	for _, r := range required {
		if slices.Contains(held, r) {
			return true
		}
	}
	return false
}

// matrixDenied tells a guard's refusal from a handler's answer: only these
// answers come from the guard; anything else means the request got through
// (a harmless request may still be refused by the handler: 400, 404).
func matrixDenied(r *resp) bool {
	switch {
	case r.status == http.StatusUnauthorized && (r.code() == "unauthenticated" || r.code() == "customer_unauthenticated"):
		return true
	case r.status == http.StatusForbidden && (r.code() == "not_a_member" || r.code() == "permission_denied"):
		return true
	case r.status == http.StatusForbidden && r.code() == "forbidden": // a super admin route's refusal
		return true
	case r.status == http.StatusUnauthorized && r.code() == "customer_unauthenticated": // a customer route's
		return true
	}
	return false
}

// matrixPath fills a route's parameters (:id, :number, ...) with an id that
// names nothing.
func matrixPath(p string) string {
	parts := strings.Split(p, "/")
	for i, part := range parts {
		if strings.HasPrefix(part, ":") {
			parts[i] = "999999"
		}
	}
	return strings.Join(parts, "/")
}

// TestPermissionMatrix sends every route of every site — the vendor's, the
// platform's and the admin site's — as each kind of caller and checks the
// guard's decision against a table written out per route. Every route must
// have a row, every row a route, and every row must agree with the route's
// declared access and, on a shop, the seed's role table above. A route
// answers on no site whose table does not list it.
//
// On a shop, one caller is no team member but a customer signed in to the
// shop (its cookie, no bearer token): the shop's account routes (Customer)
// admit it and nobody of the team, and everywhere else it is what an
// anonymous caller is — a customer session is no team credential.
func TestPermissionMatrix(t *testing.T) {
	const (
		owner       = "owner"
		manager     = "manager"
		editor      = "editor"
		viewer      = "viewer"
		custom      = "custom_role"
		otherVendor = "other_vendor_member"
		anonymous   = "anonymous"
		superAdmin  = "super_admin"
		shopper     = "shop_customer"
	)
	callers := []string{owner, manager, editor, viewer, custom, otherVendor, anonymous, shopper}
	roleOfCaller := map[string][]string{
		owner: matrixSeedRoles["Owner"], manager: matrixSeedRoles["Manager"],
		editor: matrixSeedRoles["Editor"], viewer: matrixSeedRoles["Viewer"], custom: matrixCustomRole,
	}
	const allow, deny = true, false
	type who = map[string]bool
	// Each row: a harmless request (bodies that fail validation, ids that do
	// not exist: nothing of the fixture changes), the status it gets once
	// through the guard, and who gets through.
	type row struct {
		body   any
		passed int // the handler's answer when the guard lets the request through
		want   who
	}
	everyone := who{owner: allow, manager: allow, editor: allow, viewer: allow, custom: allow, otherVendor: allow, anonymous: allow}
	signedIn := who{owner: allow, manager: allow, editor: allow, viewer: allow, custom: allow, otherVendor: allow, anonymous: deny}
	// The catalogue and import rows, spelled out from the seed's table.
	productsView := who{owner: allow, manager: allow, editor: allow, viewer: allow, custom: allow, otherVendor: deny, anonymous: deny}
	productsCreate := who{owner: allow, manager: allow, editor: allow, viewer: deny, custom: deny, otherVendor: deny, anonymous: deny}
	productsEdit := who{owner: allow, manager: allow, editor: allow, viewer: deny, custom: allow, otherVendor: deny, anonymous: deny}
	productsDelete := who{owner: allow, manager: deny, editor: deny, viewer: deny, custom: deny, otherVendor: deny, anonymous: deny}
	importsView := who{owner: allow, manager: allow, editor: allow, viewer: allow, custom: deny, otherVendor: deny, anonymous: deny}
	importsTrigger := who{owner: allow, manager: allow, editor: deny, viewer: deny, custom: deny, otherVendor: deny, anonymous: deny}
	importsConfigure := who{owner: allow, manager: deny, editor: deny, viewer: deny, custom: deny, otherVendor: deny, anonymous: deny}
	settingsEdit := who{owner: allow, manager: deny, editor: deny, viewer: deny, custom: deny, otherVendor: deny, anonymous: deny}
	ordersView := who{owner: allow, manager: allow, editor: allow, viewer: allow, custom: deny, otherVendor: deny, anonymous: deny}
	ordersCreate := who{owner: allow, manager: allow, editor: deny, viewer: deny, custom: deny, otherVendor: deny, anonymous: deny}
	ordersEdit := who{owner: allow, manager: allow, editor: allow, viewer: deny, custom: deny, otherVendor: deny, anonymous: deny}
	analyticsView := who{owner: allow, manager: allow, editor: deny, viewer: deny, custom: deny, otherVendor: deny, anonymous: deny}
	// The shop's customer accounts: a signed-in customer's own routes admit
	// the customer alone; no team member is one by their team token.
	customerOnly := who{owner: deny, manager: deny, editor: deny, viewer: deny, custom: deny, otherVendor: deny, anonymous: deny, shopper: allow}

	vendorRows := map[string]row{
		"POST /api/v1/auth/login":                  {map[string]any{"email": "", "password": ""}, http.StatusBadRequest, everyone},
		"POST /api/v1/auth/refresh":                {map[string]any{"refresh_token": "not-a-token"}, http.StatusUnauthorized, everyone},
		"POST /api/v1/auth/logout":                 {map[string]any{"refresh_token": "not-a-token"}, http.StatusNoContent, everyone},
		"GET /api/v1/auth/me":                      {nil, http.StatusOK, signedIn},
		"POST /api/v1/auth/password":               {map[string]any{"current_password": "", "new_password": ""}, http.StatusBadRequest, signedIn},
		"POST /api/v1/auth/password-reset":         {map[string]any{"email": "not-an-email"}, http.StatusBadRequest, everyone},
		"POST /api/v1/auth/password-reset/confirm": {map[string]any{"token": "", "password": ""}, http.StatusBadRequest, everyone},
		"GET /reset-password":                      {nil, http.StatusOK, everyone},
		"GET /":                                    {nil, http.StatusOK, everyone},
		"GET /api/v1/shop/products":                {nil, http.StatusOK, everyone},
		"GET /accept-invite":                       {nil, http.StatusOK, everyone},
		"POST /api/v1/auth/register":               {map[string]any{"token": ""}, http.StatusNotFound, everyone},

		"GET /api/v1/teams/members": {nil, http.StatusOK,
			who{owner: allow, manager: allow, editor: deny, viewer: deny, custom: allow, otherVendor: deny, anonymous: deny}},
		"PUT /api/v1/teams/members/:id": {map[string]any{"active": true}, http.StatusNotFound,
			who{owner: allow, manager: deny, editor: deny, viewer: deny, custom: deny, otherVendor: deny, anonymous: deny}},
		"DELETE /api/v1/teams/members/:id": {nil, http.StatusNotFound,
			who{owner: allow, manager: deny, editor: deny, viewer: deny, custom: deny, otherVendor: deny, anonymous: deny}},
		"POST /api/v1/teams/invite": {map[string]any{"email": "not-an-email", "role": "Viewer"}, http.StatusBadRequest,
			who{owner: allow, manager: allow, editor: deny, viewer: deny, custom: deny, otherVendor: deny, anonymous: deny}},
		"GET /api/v1/teams/invitations": {nil, http.StatusOK,
			who{owner: allow, manager: allow, editor: deny, viewer: deny, custom: deny, otherVendor: deny, anonymous: deny}},
		"POST /api/v1/teams/invitations/:id/resend": {nil, http.StatusNotFound,
			who{owner: allow, manager: allow, editor: deny, viewer: deny, custom: deny, otherVendor: deny, anonymous: deny}},
		"DELETE /api/v1/teams/invitations/:id": {nil, http.StatusNotFound,
			who{owner: allow, manager: allow, editor: deny, viewer: deny, custom: deny, otherVendor: deny, anonymous: deny}},
		"GET /api/v1/teams/roles": {nil, http.StatusOK,
			who{owner: allow, manager: allow, editor: deny, viewer: deny, custom: allow, otherVendor: deny, anonymous: deny}},
		"POST /api/v1/teams/roles": {map[string]any{"name": "", "permissions": []string{}}, http.StatusBadRequest,
			who{owner: allow, manager: deny, editor: deny, viewer: deny, custom: deny, otherVendor: deny, anonymous: deny}},
		"PUT /api/v1/teams/roles/:id": {map[string]any{"description": "unchanged"}, http.StatusNotFound,
			who{owner: allow, manager: deny, editor: deny, viewer: deny, custom: deny, otherVendor: deny, anonymous: deny}},
		"DELETE /api/v1/teams/roles/:id": {nil, http.StatusNotFound,
			who{owner: allow, manager: deny, editor: deny, viewer: deny, custom: deny, otherVendor: deny, anonymous: deny}},
		"GET /api/v1/teams/audit": {nil, http.StatusOK,
			who{owner: allow, manager: deny, editor: deny, viewer: deny, custom: deny, otherVendor: deny, anonymous: deny}},

		"GET /api/v1/products":                              {nil, http.StatusOK, productsView},
		"POST /api/v1/products":                             {map[string]any{}, http.StatusBadRequest, productsCreate},
		"GET /api/v1/products/drift":                        {nil, http.StatusOK, productsView},
		"POST /api/v1/products/from-import":                 {nil, http.StatusOK, productsCreate},
		"POST /api/v1/products/from-import/:id":             {nil, http.StatusNotFound, productsCreate},
		"GET /api/v1/products/:id":                          {nil, http.StatusNotFound, productsView},
		"PUT /api/v1/products/:id":                          {map[string]any{}, http.StatusNotFound, productsEdit},
		"DELETE /api/v1/products/:id":                       {nil, http.StatusNotFound, productsDelete},
		"POST /api/v1/products/:id/reset":                   {nil, http.StatusNotFound, productsEdit},
		"POST /api/v1/products/:id/drift":                   {map[string]any{"field": "price", "action": "keep"}, http.StatusNotFound, productsEdit},
		"GET /api/v1/marketplace/config":                    {nil, http.StatusOK, importsView},
		"PUT /api/v1/marketplace/config":                    {map[string]any{"feeds": []any{}, "active": true}, http.StatusBadRequest, importsConfigure},
		"POST /api/v1/marketplace/import":                   {nil, http.StatusBadRequest, importsTrigger},
		"GET /api/v1/marketplace/imports":                   {nil, http.StatusOK, importsView},
		"GET /api/v1/marketplace/imports/:id":               {nil, http.StatusNotFound, importsView},
		"POST /api/v1/marketplace/imports/:id/cancel":       {nil, http.StatusNotFound, importsTrigger},
		"GET /api/v1/marketplace/imports/:id/products":      {nil, http.StatusNotFound, importsView},
		"GET /api/v1/marketplace/imports/:id/changes":       {nil, http.StatusNotFound, importsView},
		"GET /api/v1/marketplace/imports/:id/errors":        {nil, http.StatusNotFound, importsView},
		"GET /api/v1/marketplace/imports/:id/errors.csv":    {nil, http.StatusNotFound, importsView},
		"GET /api/v1/marketplace/imports/:id/disagreements": {nil, http.StatusNotFound, importsView},
		"GET /api/v1/marketplace/products":                  {nil, http.StatusOK, importsView},
		"POST /api/v1/marketplace/products/select":          {map[string]any{"ids": []int{999999}, "selected": true}, http.StatusBadRequest, productsCreate},
		"GET /api/v1/marketplace/products/:id":              {nil, http.StatusNotFound, importsView},

		"GET /api/v1/settings":                {nil, http.StatusOK, settingsEdit},
		"PUT /api/v1/settings":                {map[string]any{"name": ""}, http.StatusBadRequest, settingsEdit},
		"POST /api/v1/settings/theme/preview": {map[string]any{"theme_config": "red"}, http.StatusBadRequest, settingsEdit},

		"GET /api/v1/shop/cart":                            {nil, http.StatusOK, everyone},
		"POST /api/v1/shop/cart/lines":                     {map[string]any{"product_id": 0, "quantity": 0}, http.StatusBadRequest, everyone},
		"PUT /api/v1/shop/cart/lines/:product_id":          {map[string]any{"quantity": 0}, http.StatusBadRequest, everyone},
		"DELETE /api/v1/shop/cart/lines/:product_id":       {nil, http.StatusNotFound, everyone},
		"GET /api/v1/shop/checkout/options":                {nil, http.StatusOK, everyone},
		"POST /api/v1/shop/checkout":                       {map[string]any{}, http.StatusBadRequest, everyone},
		"POST /api/v1/shop/payments/stripe/webhook":        {map[string]any{}, http.StatusNotFound, everyone}, // no signing secret here
		"GET /api/v1/shop/account/orders":                  {nil, http.StatusOK, customerOnly},
		"GET /api/v1/shop/account/orders/:number":          {nil, http.StatusNotFound, customerOnly},
		"GET /api/v1/orders":                               {nil, http.StatusOK, ordersView},
		"POST /api/v1/orders":                              {map[string]any{}, http.StatusBadRequest, ordersCreate},
		"GET /api/v1/orders/:id":                           {nil, http.StatusNotFound, ordersView},
		"PUT /api/v1/orders/:id":                           {map[string]any{"note": "checked"}, http.StatusNotFound, ordersEdit},
		"GET /api/v1/analytics":                            {nil, http.StatusOK, analyticsView},
		"GET /api/v1/settings/shipping":                    {nil, http.StatusOK, settingsEdit},
		"PUT /api/v1/settings/shipping":                    {map[string]any{"methods": []any{map[string]any{}}}, http.StatusBadRequest, settingsEdit},
		"GET /api/v1/settings/payments":                    {nil, http.StatusOK, settingsEdit},
		"PUT /api/v1/settings/payments":                    {map[string]any{"secret_key": "not-a-key"}, http.StatusBadRequest, settingsEdit},
		"GET /api/v1/settings/domains":                     {nil, http.StatusOK, settingsEdit},
		"POST /api/v1/settings/domains":                    {map[string]any{"host": ""}, http.StatusBadRequest, settingsEdit},
		"POST /api/v1/settings/domains/:host/verify":       {nil, http.StatusNotFound, settingsEdit},
		"DELETE /api/v1/settings/domains/:host":            {nil, http.StatusNotFound, settingsEdit},
		"POST /api/v1/shop/account/register":               {map[string]any{"email": "not-an-email"}, http.StatusBadRequest, everyone},
		"POST /api/v1/shop/account/login":                  {map[string]any{"email": "", "password": ""}, http.StatusBadRequest, everyone},
		"POST /api/v1/shop/account/logout":                 {nil, http.StatusNoContent, everyone},
		"GET /api/v1/shop/account/me":                      {nil, http.StatusOK, customerOnly},
		"PUT /api/v1/shop/account/me":                      {map[string]any{"first_name": ""}, http.StatusBadRequest, customerOnly},
		"POST /api/v1/shop/account/password":               {map[string]any{"current_password": "", "new_password": ""}, http.StatusBadRequest, customerOnly},
		"POST /api/v1/shop/account/password-reset":         {map[string]any{"email": "not-an-email"}, http.StatusBadRequest, everyone},
		"POST /api/v1/shop/account/password-reset/confirm": {map[string]any{"token": "", "password": ""}, http.StatusBadRequest, everyone},
		"GET /account/reset-password":                      {nil, http.StatusOK, everyone},
		"GET /products":                                    {nil, http.StatusOK, everyone},
		"GET /products/:id":                                {nil, http.StatusNotFound, everyone},
		"GET /cart":                                        {nil, http.StatusOK, everyone},
		"GET /checkout":                                    {nil, http.StatusOK, everyone},
		"GET /orders/:number":                              {nil, http.StatusNotFound, everyone},
		"GET /account":                                     {nil, http.StatusOK, everyone},
		"GET /sitemap.xml":                                 {nil, http.StatusOK, everyone},
		"GET /robots.txt":                                  {nil, http.StatusOK, everyone},
		"GET /theme/:file":                                 {nil, http.StatusOK, everyone},
		"GET /admin":                                       {nil, http.StatusOK, everyone}, // the page; its API checks
		"GET /api/v1/customers":                            {nil, http.StatusOK, ordersView},
		"GET /api/v1/customers/:id":                        {nil, http.StatusNotFound, ordersView},
		"PUT /api/v1/customers/:id":                        {map[string]any{}, http.StatusNotFound, ordersEdit},
	}
	// Elsewhere the shop's customer is what an anonymous caller is.
	for _, r := range vendorRows {
		if _, ok := r.want[shopper]; !ok {
			r.want[shopper] = r.want[anonymous]
		}
	}

	// The platform and the admin site belong to no shop: their callers are a
	// platform super admin, a shop's Owner (nobody there) and anonymous.
	offCallers := []string{superAdmin, owner, anonymous}
	offEveryone := who{superAdmin: allow, owner: allow, anonymous: allow}
	offSignedIn := who{superAdmin: allow, owner: allow, anonymous: deny}
	superOnly := who{superAdmin: allow, owner: deny, anonymous: deny}
	account := map[string]row{ // signing in and one's own account answer on every host
		"POST /api/v1/auth/login":                  {map[string]any{"email": "", "password": ""}, http.StatusBadRequest, offEveryone},
		"POST /api/v1/auth/refresh":                {map[string]any{"refresh_token": "not-a-token"}, http.StatusUnauthorized, offEveryone},
		"POST /api/v1/auth/logout":                 {map[string]any{"refresh_token": "not-a-token"}, http.StatusNoContent, offEveryone},
		"GET /api/v1/auth/me":                      {nil, http.StatusOK, offSignedIn},
		"POST /api/v1/auth/password":               {map[string]any{"current_password": "", "new_password": ""}, http.StatusBadRequest, offSignedIn},
		"POST /api/v1/auth/password-reset":         {map[string]any{"email": "not-an-email"}, http.StatusBadRequest, offEveryone},
		"POST /api/v1/auth/password-reset/confirm": {map[string]any{"token": "", "password": ""}, http.StatusBadRequest, offEveryone},
		"GET /reset-password":                      {nil, http.StatusOK, offEveryone},
	}
	platformRows := maps.Clone(account)
	maps.Copy(platformRows, map[string]row{
		"GET /":          {nil, http.StatusOK, offEveryone},
		"GET /dev/mails": {nil, http.StatusOK, offEveryone}, // the server below runs with DevPages
	})
	adminRows := maps.Clone(account)
	maps.Copy(adminRows, map[string]row{
		"GET /":                                                 {nil, http.StatusOK, offEveryone}, // the page; its API checks
		"GET /api/v1/admin/audit":                               {nil, http.StatusOK, superOnly},
		"GET /api/v1/admin/audit/export":                        {nil, http.StatusOK, superOnly},
		"GET /api/v1/admin/vendors":                             {nil, http.StatusOK, superOnly},
		"POST /api/v1/admin/vendors":                            {map[string]any{}, http.StatusBadRequest, superOnly},
		"GET /api/v1/admin/vendors/:id":                         {nil, http.StatusNotFound, superOnly},
		"PUT /api/v1/admin/vendors/:id":                         {map[string]any{}, http.StatusNotFound, superOnly},
		"POST /api/v1/admin/vendors/:id/suspend":                {map[string]any{}, http.StatusBadRequest, superOnly},
		"POST /api/v1/admin/vendors/:id/resume":                 {nil, http.StatusNotFound, superOnly},
		"POST /api/v1/admin/vendors/:id/owner":                  {map[string]any{"email": ""}, http.StatusBadRequest, superOnly},
		"DELETE /api/v1/admin/vendors/:id":                      {nil, http.StatusNotFound, superOnly},
		"GET /api/v1/admin/vendors/:id/members":                 {nil, http.StatusNotFound, superOnly},
		"POST /api/v1/admin/vendors/bulk-import":                {nil, http.StatusBadRequest, superOnly},
		"GET /api/v1/admin/vendors/bulk-imports/:id":            {nil, http.StatusNotFound, superOnly},
		"GET /api/v1/admin/vendors/bulk-imports/:id/lines":      {nil, http.StatusNotFound, superOnly},
		"GET /api/v1/admin/vendors/bulk-imports/:id/report.csv": {nil, http.StatusNotFound, superOnly},
		"GET /api/v1/admin/marketplace/import-jobs":             {nil, http.StatusOK, superOnly},
		"POST /api/v1/admin/marketplace/trigger-imports":        {map[string]any{}, http.StatusBadRequest, superOnly},
		"GET /api/v1/admin/system/health":                       {nil, http.StatusOK, superOnly},
		"GET /api/v1/admin/system/analytics":                    {nil, http.StatusOK, superOnly},
		"GET /api/v1/admin/users":                               {nil, http.StatusOK, superOnly},
		"GET /api/v1/admin/users/:id":                           {nil, http.StatusNotFound, superOnly},
		"POST /api/v1/admin/users/:id/deactivate":               {map[string]any{}, http.StatusBadRequest, superOnly},
		"POST /api/v1/admin/users/:id/reactivate":               {nil, http.StatusNotFound, superOnly},
		"POST /api/v1/admin/users/password-reset":               {map[string]any{}, http.StatusBadRequest, superOnly},
		"GET /api/v1/admin/users/password-resets/:id":           {nil, http.StatusNotFound, superOnly},
	})

	db := tenanttest.Open(t)
	shop := tenanttest.Tenant(t, db, "matrix")
	other := tenanttest.Tenant(t, db, "matrix-other")
	opts := defaultOptions()
	opts.DevPages = true
	ts := startServer(t, db, opts, nil)
	host := hostOf(shop)
	// Each site's table as the matrix sees it: where it answers, who calls
	// it, a row per route.
	type siteRows struct {
		kind    SiteKind
		host    string
		callers []string
		rows    map[string]row
	}
	sites := []siteRows{
		{SiteVendor, host, callers, vendorRows},
		{SitePlatform, base, offCallers, platformRows},
		{SiteAdmin, "admin." + base, offCallers, adminRows},
	}

	// implied is who a route's declared access lets through on a site.
	implied := func(site SiteKind, c string, a Access) bool {
		switch a.kind {
		case accessPublic, accessShopper:
			return true
		case accessCustomer:
			return c == shopper
		case accessAuthenticated:
			return c != anonymous && c != shopper
		case accessSuperAdmin:
			return c == superAdmin
		case accessPermission:
			perms, member := roleOfCaller[c]
			return site == SiteVendor && member && matrixHoldsAny(perms, a.req)
		}
		return false
	}
	// Every route has a row, every row a route, and every row agrees with the
	// route's declared access and the seed's role table.
	for _, site := range sites {
		routes := map[string]route{}
		for _, r := range ts.srv.tables[site.kind] {
			key := r.Method + " " + r.Path
			routes[key] = r
			if r.Access.kind == accessPermission && site.kind != SiteVendor {
				t.Errorf("%s route %s demands %s, a shop's permission, where there is no shop", site.kind, key, r.Access)
			}
			m, ok := site.rows[key]
			if !ok {
				t.Errorf("%s route %s (%s) has no row in the permission matrix", site.kind, key, r.Access)
				continue
			}
			for _, c := range site.callers {
				if _, ok := m.want[c]; !ok {
					t.Errorf("%s row %s says nothing about %s", site.kind, key, c)
				}
			}
			for _, c := range site.callers {
				if got, ok := m.want[c]; ok && got != implied(site.kind, c, r.Access) {
					t.Errorf("%s row %s says %s allowed=%v, but the seed's roles and the route's access (%s) imply %v",
						site.kind, key, c, got, r.Access, !got)
				}
			}
		}
		for key := range site.rows {
			if _, ok := routes[key]; !ok {
				t.Errorf("%s row %s names a route that no longer exists", site.kind, key)
			}
		}
	}

	// The fixture: one member per default role, one holding a custom role made
	// by the Owner through the API, the Owner of another shop, and a platform
	// super admin.
	tokens := map[string]string{anonymous: ""}
	for _, c := range []string{owner, manager, editor, viewer} {
		email := c + "@" + shop.Slug + ".test"
		u := ts.user(t, email)
		ts.join(t, shop, u.ID, c)
		tokens[c] = ts.login(t, host, email).access
	}
	created := ts.do(t, req{method: "POST", host: host, path: "/api/v1/teams/roles", token: tokens[owner],
		body: map[string]any{"name": "Catalogue", "permissions": matrixCustomRole}})
	if created.status != http.StatusCreated {
		t.Fatalf("Owner creating the custom role: %d %s", created.status, created.body)
	}
	cu := ts.user(t, "catalogue@"+shop.Slug+".test")
	ts.join(t, shop, cu.ID, "Catalogue")
	tokens[custom] = ts.login(t, host, "catalogue@"+shop.Slug+".test").access
	ou := ts.user(t, "owner@"+other.Slug+".test")
	ts.join(t, other, ou.ID, "owner")
	tokens[otherVendor] = ts.login(t, hostOf(other), "owner@"+other.Slug+".test").access
	rootEmail := "root@" + shop.Slug + ".test"
	if _, err := ts.ids.CreateUser(context.Background(), identity.NewUser{
		Email: rootEmail, FirstName: "Platform", LastName: "Admin", Password: testPassword, SuperAdmin: true,
	}); err != nil {
		t.Fatal(err)
	}
	tokens[superAdmin] = ts.login(t, "admin."+base, rootEmail).access
	// The shop's customer signs in afresh for each request: a logout among
	// the harmless requests ends its session.
	shopperEmail := "shopper@" + shop.Slug + ".test"
	registerCustomer(t, ts, host, shopperEmail)
	cookiesOf := func(t *testing.T, c string) []*http.Cookie {
		if c != shopper {
			return nil
		}
		return []*http.Cookie{signInCustomer(t, ts, host, shopperEmail)}
	}

	// The shop's default roles are the seed's, as the product states them.
	t.Run("DefaultRolesAreTheSeed", func(t *testing.T) {
		r := ts.do(t, req{method: "GET", host: host, path: "/api/v1/teams/roles", token: tokens[owner]})
		if r.status != http.StatusOK {
			t.Fatalf("list roles: %d %s", r.status, r.body)
		}
		var out struct {
			Items []struct {
				Name        string   `json:"name"`
				System      bool     `json:"system"`
				Permissions []string `json:"permissions"`
			} `json:"items"`
		}
		r.decode(t, &out)
		seen := map[string]bool{}
		for _, role := range out.Items {
			if !role.System {
				continue
			}
			seen[role.Name] = true
			want, ok := matrixSeedRoles[role.Name]
			if !ok {
				t.Errorf("system role %s is not in the seed", role.Name)
				continue
			}
			if got, w := slices.Sorted(slices.Values(role.Permissions)), slices.Sorted(slices.Values(want)); !slices.Equal(got, w) {
				t.Errorf("role %s holds %v, the seed says %v", role.Name, got, w)
			}
		}
		for name := range matrixSeedRoles {
			if !seen[name] {
				t.Errorf("the seed's role %s is missing", name)
			}
		}
	})

	// refusal is the guard's answer to a caller it turns away.
	refusal := func(site SiteKind, c string, a Access) (int, string) {
		switch {
		case a.kind == accessCustomer:
			return http.StatusUnauthorized, "customer_unauthenticated"
		case c == anonymous || c == shopper:
			return http.StatusUnauthorized, "unauthenticated"
		case site != SiteVendor:
			return http.StatusForbidden, "forbidden"
		case c == otherVendor:
			return http.StatusForbidden, "not_a_member"
		}
		return http.StatusForbidden, "permission_denied"
	}
	for _, site := range sites {
		t.Run(site.kind.String(), func(t *testing.T) {
			for _, r := range ts.srv.tables[site.kind] {
				key := r.Method + " " + r.Path
				m, ok := site.rows[key]
				if !ok {
					continue // reported above
				}
				t.Run(key, func(t *testing.T) {
					for _, c := range site.callers {
						t.Run(c, func(t *testing.T) {
							got := ts.do(t, req{method: r.Method, host: site.host, path: matrixPath(r.Path),
								token: tokens[c], body: m.body, cookies: cookiesOf(t, c)})
							denied := matrixDenied(got)
							switch {
							case m.want[c] && denied:
								t.Errorf("%s was refused %s: %d %s", c, key, got.status, got.body)
							case m.want[c] && got.status != m.passed:
								t.Errorf("%s got through to %s but its harmless request got %d %s, want %d",
									c, key, got.status, got.body, m.passed)
							case !m.want[c] && !denied:
								t.Errorf("the guard let %s through to %s: %d %s", c, key, got.status, got.body)
							case !m.want[c]:
								if wantStatus, wantCode := refusal(site.kind, c, r.Access); got.status != wantStatus || got.code() != wantCode {
									t.Errorf("%s refused on %s with %d %s, want %d %s", c, key, got.status, got.code(), wantStatus, wantCode)
								}
							}
						})
					}
				})
			}
		})
	}

	// Each site answers its own table's routes and no other: a route of one
	// site sent to another that does not list it is not found there (or, where
	// the path is there with other methods, not allowed), even to the caller
	// who may do the most there.
	t.Run("NoRouteAnswersOffItsSites", func(t *testing.T) {
		strongest := map[SiteKind]string{SiteVendor: owner, SitePlatform: superAdmin, SiteAdmin: superAdmin}
		listed := func(kind SiteKind, key string) bool {
			return slices.ContainsFunc(ts.srv.tables[kind], func(r route) bool { return r.Method+" "+r.Path == key })
		}
		for _, from := range sites {
			for _, r := range ts.srv.tables[from.kind] {
				key := r.Method + " " + r.Path
				for _, on := range sites {
					if listed(on.kind, key) {
						continue
					}
					t.Run(from.kind.String()+" "+key+" on "+on.kind.String(), func(t *testing.T) {
						got := ts.do(t, req{method: r.Method, host: on.host, path: matrixPath(r.Path),
							token: tokens[strongest[on.kind]], body: from.rows[key].body})
						if !(got.status == http.StatusNotFound && got.code() == "not_found") &&
							!(got.status == http.StatusMethodNotAllowed && got.code() == "method_not_allowed") {
							t.Errorf("the %s site answered %s: %d %s, want 404 not_found (or 405)", on.kind, key, got.status, got.body)
						}
					})
				}
			}
		}
	})
}

// TestSuperAdminIsNotAVendorRole checks that the platform's administrator and
// a shop's Owner each stay on their own side: a super admin is nobody in a
// shop, and an Owner is nobody on the admin site.
func TestSuperAdminIsNotAVendorRole(t *testing.T) {
	db := tenanttest.Open(t)
	shop := tenanttest.Tenant(t, db, "superadmin")
	ts := startServer(t, db, defaultOptions(), nil)
	adminHost := "admin." + base

	adminEmail := "root@" + shop.Slug + ".test"
	if _, err := ts.ids.CreateUser(context.Background(), identity.NewUser{
		Email: adminEmail, FirstName: "Platform", LastName: "Admin", Password: testPassword, SuperAdmin: true,
	}); err != nil {
		t.Fatal(err)
	}
	ownerEmail := "owner@" + shop.Slug + ".test"
	ou := ts.user(t, ownerEmail)
	ts.join(t, shop, ou.ID, "owner")
	superAdmin := ts.login(t, adminHost, adminEmail).access
	shopOwner := ts.login(t, hostOf(shop), ownerEmail).access

	tests := []struct {
		name       string
		host, path string
		token      string
		wantStatus int
		wantCode   string
	}{
		{"SuperAdminIsNotAMemberOfAShop", hostOf(shop), "/api/v1/teams/members", superAdmin, http.StatusForbidden, "not_a_member"},
		{"OwnerListsTheirTeam", hostOf(shop), "/api/v1/teams/members", shopOwner, http.StatusOK, ""},
		{"OwnerIsRefusedThePlatformAudit", adminHost, "/api/v1/admin/audit", shopOwner, http.StatusForbidden, "forbidden"},
		{"SuperAdminReadsThePlatformAudit", adminHost, "/api/v1/admin/audit", superAdmin, http.StatusOK, ""},
		{"AnonymousMustSignInForThePlatformAudit", adminHost, "/api/v1/admin/audit", "", http.StatusUnauthorized, "unauthenticated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ts.do(t, req{method: "GET", host: tt.host, path: tt.path, token: tt.token})
			if r.status != tt.wantStatus || (tt.wantCode != "" && r.code() != tt.wantCode) {
				t.Errorf("GET %s%s: %d %s, want %d %s", tt.host, tt.path, r.status, r.body, tt.wantStatus, tt.wantCode)
			}
		})
	}
}

// TestPlatformAuditListing: the super admins' trail is the platform's events
// as audit.Event, newest first; ?action= filters and the cursor pages back.
func TestPlatformAuditListing(t *testing.T) {
	db := tenanttest.Open(t)
	shop := tenanttest.Tenant(t, db, "platformaudit")
	ts := startServer(t, db, defaultOptions(), nil)
	adminHost := "admin." + base
	adminEmail := "root@" + shop.Slug + ".test"
	if _, err := ts.ids.CreateUser(context.Background(), identity.NewUser{
		Email: adminEmail, FirstName: "Platform", LastName: "Admin", Password: testPassword, SuperAdmin: true,
	}); err != nil {
		t.Fatal(err)
	}
	superAdmin := ts.login(t, adminHost, adminEmail).access
	stranger := "nobody@" + shop.Slug + ".test"
	var requests []string
	for range 2 {
		r := ts.do(t, req{method: "POST", host: hostOf(shop), path: "/api/v1/auth/login",
			body: map[string]any{"email": stranger, "password": "not the password at all"}})
		if r.status != http.StatusUnauthorized {
			t.Fatalf("failed login: %d %s", r.status, r.body)
		}
		requests = append(requests, r.header.Get("X-Request-ID"))
	}
	list := func(query string) page.Page[audit.Event] {
		t.Helper()
		r := ts.do(t, req{method: "GET", host: adminHost, path: "/api/v1/admin/audit" + query, token: superAdmin})
		if r.status != http.StatusOK {
			t.Fatalf("audit%s: %d %s", query, r.status, r.body)
		}
		var out page.Page[audit.Event]
		r.decode(t, &out)
		return out
	}

	failed := list("?action=auth.login_failed").Items
	var mine []audit.Event
	for _, e := range failed {
		if e.Action != "auth.login_failed" {
			t.Errorf("?action=auth.login_failed listed %s", e.Action)
		}
		if e.ActorEmail == stranger {
			mine = append(mine, e)
		}
	}
	if len(mine) != 2 {
		t.Fatalf("%d failed logins of %s listed, want 2: %+v", len(mine), stranger, failed)
	}
	newest := mine[0]
	if newest.RequestID != requests[1] || mine[1].RequestID != requests[0] || newest.ID <= mine[1].ID {
		t.Errorf("not newest first: %+v", mine)
	}
	if newest.VendorID != shop.ID || newest.TargetType != "user" || newest.TargetID != stranger ||
		newest.IP == "" || newest.At.IsZero() || newest.After["reason"] == nil {
		t.Errorf("event %+v", newest)
	}
	first := list("?action=auth.login_failed&limit=1")
	if len(first.Items) != 1 || first.Items[0].ID != failed[0].ID || first.NextCursor == "" {
		t.Fatalf("first page of one: %+v, want event %d and a cursor", first, failed[0].ID)
	}
	older := list("?action=auth.login_failed&limit=1&cursor=" + url.QueryEscape(first.NextCursor))
	if len(older.Items) != 1 || older.Items[0].ID != failed[1].ID {
		t.Errorf("the page after event %d: %+v, want event %d", failed[0].ID, older.Items, failed[1].ID)
	}
}
