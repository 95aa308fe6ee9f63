// Package platform holds the ent graph of the platform schema: vendors, their
// domains, and (later) users, memberships and sessions. Every query it builds is
// qualified with the platform schema name (see tenantdb.PlatformSchemaConfig), so
// it never depends on a connection's search_path.
package platform

//go:generate go run -mod=mod entc.go
