// Package fault is Bazaar's error vocabulary. Services return these errors (or
// wrap them) with a message that is safe to show to a client; the web layer maps
// the kind to an HTTP status and the JSON error shape. Anything that is not a
// *Error is an internal error: it is logged and the client sees only
// "internal error".
package fault

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Kind says what went wrong, independent of transport.
type Kind string

// The kinds. Their string values are the "code" of the JSON error shape.
const (
	Invalid         Kind = "invalid"
	NotFound        Kind = "not_found"
	Conflict        Kind = "conflict"
	Forbidden       Kind = "forbidden"
	Unauthenticated Kind = "unauthenticated"
	Unavailable     Kind = "unavailable"
	Gone            Kind = "gone"
	TooLarge        Kind = "too_large"
	RateLimited     Kind = "rate_limited"
)

// Sentinels for errors.Is: errors.Is(err, fault.ErrNotFound) is true for every
// *Error of kind NotFound.
var (
	ErrInvalid         = &Error{Kind: Invalid}
	ErrNotFound        = &Error{Kind: NotFound}
	ErrConflict        = &Error{Kind: Conflict}
	ErrForbidden       = &Error{Kind: Forbidden}
	ErrUnauthenticated = &Error{Kind: Unauthenticated}
	ErrUnavailable     = &Error{Kind: Unavailable}
)

// Error is a failure whose Message may be shown to the client.
type Error struct {
	Kind    Kind
	Code    string            // optional finer code, e.g. "vendor_suspended"; defaults to Kind
	Message string            // user-safe
	Fields  map[string]string // field -> what is wrong with it, for Invalid
	Err     error             // cause, for logs only
	// RetryAfter tells a RateLimited client when to try again (Retry-After).
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = string(e.Kind)
	}
	if len(e.Fields) > 0 {
		keys := make([]string, 0, len(e.Fields))
		for k := range e.Fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + ": " + e.Fields[k]
		}
		msg += " (" + strings.Join(parts, "; ") + ")"
	}
	if e.Err != nil {
		return msg + ": " + e.Err.Error()
	}
	return msg
}

// Unwrap exposes the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is matches sentinels by kind.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Message == "" && t.Code == "" && t.Fields == nil && t.Err == nil && t.Kind == e.Kind
}

// CodeOrKind is the machine-readable code of the error.
func (e *Error) CodeOrKind() string {
	if e.Code != "" {
		return e.Code
	}
	return string(e.Kind)
}

// New builds an *Error of the given kind with a formatted user-safe message.
func New(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// Wrap is New with a cause that is logged but never shown.
func Wrap(err error, kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...), Err: err}
}

// Fields is a validation error listing every bad field at once. It returns nil
// when fields is empty, so callers can collect and return in one step.
func Fields(message string, fields map[string]string) error {
	if len(fields) == 0 {
		return nil
	}
	return &Error{Kind: Invalid, Message: message, Fields: fields}
}

// As returns the *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
