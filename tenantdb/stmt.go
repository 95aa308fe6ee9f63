package tenantdb

import (
	"context"
	"database/sql"
)

// Stmt is a platform statement made by DB.Prepare: prepared on the server
// (each pooled connection prepares it once, when first used there), or, on a
// DB opened with Options.NoPrepare, sent whole at each execution.
type Stmt struct {
	prepared *sql.Stmt // nil with NoPrepare
	pool     *sql.DB
	query    string
}

// QueryContext runs the statement with args.
func (s *Stmt) QueryContext(ctx context.Context, args ...any) (*sql.Rows, error) {
	if s.prepared == nil {
		return s.pool.QueryContext(ctx, s.query, args...)
	}
	return s.prepared.QueryContext(ctx, args...)
}

// Close releases the prepared statement, if there is one.
func (s *Stmt) Close() error {
	if s.prepared == nil {
		return nil
	}
	return s.prepared.Close()
}
