// Package tenant holds the ent graph of ONE shop's tables. There is no vendor or
// tenant column anywhere: the PostgreSQL schema is the boundary, and queries are
// unqualified so they run against whatever schema the transaction is bound to.
// Obtain a bound client through tenantdb; never construct one over the raw pool.
package tenant

//go:generate go run -mod=mod entc.go
