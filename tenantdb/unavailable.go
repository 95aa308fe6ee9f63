package tenantdb

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/lib/pq"
)

// Unavailable reports whether err says the database cannot be reached right
// now — nothing listens, the connection broke, the server is shutting down,
// restarting or out of connection slots — rather than that the request or
// the code is at fault, and says why in plain words: no address, user or
// query, so the reason may be shown to a load balancer or an operator.
// A restart of PostgreSQL takes seconds; callers answer "try again"
// (HTTP 503 with Retry-After) instead of reporting a failure.
//
// It knows lib/pq's errors: connection failures come back as net errors
// (dialling, reading, writing), driver.ErrBadConn (a broken connection;
// lib/pq also reports a FATAL server error this way) or io.EOF, and the
// server's own refusals carry SQLSTATE class 08 (connection exception),
// 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now or
// 53300 too_many_connections.
func Unavailable(err error) (reason string, ok bool) {
	if err == nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return "", false // the caller's own deadline or cancellation, not the database's state
	}
	if e := pq.As(err); e != nil {
		switch {
		case e.Code == "57P01":
			return "the database server is shutting down", true
		case e.Code == "57P02":
			return "the database server is restarting after a crash", true
		case e.Code == "57P03":
			return "the database server is not accepting connections yet (starting up or shutting down)", true
		case e.Code == "53300":
			return "the database server has no connection free", true
		case e.Code.Class() == "08":
			return "the connection to the database failed", true
		}
		return "", false
	}
	var dns *net.DNSError
	var op *net.OpError
	var ne net.Error
	switch {
	case errors.As(err, &dns):
		return "the database's host name does not resolve", true
	case errors.Is(err, syscall.ECONNREFUSED):
		return "the database refused the connection (is it running?)", true
	case errors.As(err, &ne) && ne.Timeout():
		return "the database did not answer in time", true
	case errors.As(err, &op):
		return "the network connection to the database failed", true
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the connection to the database was lost", true
	}
	return "", false
}

// Canceled reports whether err is PostgreSQL cancelling a statement
// (SQLSTATE 57014): lib/pq asks for that when the statement's context ends
// (the request's deadline), and statement_timeout ends a statement so. Either
// way the work took too long: a timeout, not a failure of the code.
func Canceled(err error) bool {
	e := pq.As(err)
	return e != nil && e.Code == "57014"
}

// ReadOnly reports whether err is PostgreSQL refusing a tenant's work for
// want of privilege (SQLSTATE 42501). A tenant role holds every privilege
// on its tables except while a move freezes its writes (Move): an instance
// that has not yet heard of the freeze meets it so, and the write is to be
// retried in a moment. Anything else refused so is a bug (reaching past the
// wall): ask DB.Frozen which it is.
func ReadOnly(err error) bool {
	e := pq.As(err)
	return e != nil && e.Code == "42501"
}
