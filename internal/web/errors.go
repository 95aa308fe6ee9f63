package web

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/public"
	"github.com/bazaar/bazaar/tenantdb"
)

// errorBody is the JSON error shape of every API error:
// {"error":{"code":"...","message":"...","fields":{...}}}.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code      string            `json:"code"`
	Message   string            `json:"message"`
	Fields    map[string]string `json:"fields,omitempty"`
	RequestID string            `json:"request_id,omitempty"`
}

var kindStatus = map[fault.Kind]int{
	fault.Invalid:         fiber.StatusBadRequest,
	fault.NotFound:        fiber.StatusNotFound,
	fault.Conflict:        fiber.StatusConflict,
	fault.Forbidden:       fiber.StatusForbidden,
	fault.Unauthenticated: fiber.StatusUnauthorized,
	fault.Unavailable:     fiber.StatusServiceUnavailable,
	fault.TooLarge:        fiber.StatusRequestEntityTooLarge,
	fault.RateLimited:     fiber.StatusTooManyRequests,
	fault.Gone:            fiber.StatusGone,
}

// classify maps an error to a status and a client-safe detail. Only *fault.Error
// and Fiber's own protocol errors carry their message to the client; anything
// else is an internal error whose cause stays in the log.
func classify(err error) (int, errorDetail, bool) {
	if fe, ok := fault.As(err); ok {
		status, known := kindStatus[fe.Kind]
		if !known {
			status = fiber.StatusInternalServerError
		}
		return status, errorDetail{Code: fe.CodeOrKind(), Message: fe.Message, Fields: fe.Fields}, false
	}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		switch fe.Code {
		case fiber.StatusNotFound:
			return fe.Code, errorDetail{Code: "not_found", Message: "no such page"}, false
		case fiber.StatusMethodNotAllowed:
			return fe.Code, errorDetail{Code: "method_not_allowed", Message: "method not allowed"}, false
		case fiber.StatusRequestEntityTooLarge:
			return fe.Code, errorDetail{Code: "too_large", Message: "request body too large"}, false
		}
		if fe.Code >= 400 && fe.Code < 500 {
			return fe.Code, errorDetail{Code: strings.ReplaceAll(strings.ToLower(http.StatusText(fe.Code)), " ", "_"), Message: strings.ToLower(http.StatusText(fe.Code))}, false
		}
	}
	if errors.Is(err, context.DeadlineExceeded) || tenantdb.Canceled(err) {
		return fiber.StatusServiceUnavailable, errorDetail{Code: "timeout", Message: "the request took too long"}, true
	}
	return fiber.StatusInternalServerError, errorDetail{Code: "internal", Message: "internal error"}, true
}

// unavailableRetry is the Retry-After of an answer given while the database
// cannot be reached: a PostgreSQL restart or fail-over takes seconds.
const unavailableRetry = 5 * time.Second

// movingRetry is the Retry-After of a write refused while the shop moves
// to another database cluster: the freeze lasts a second or two.
const movingRetry = 2 * time.Second

// errMoving answers a write to a shop whose move is switching clusters
// (tenantdb.Move): its reads are served, its writes wait a moment.
var errMoving = &fault.Error{Kind: fault.Unavailable, Code: "moving",
	Message: "the shop is being moved and takes no changes for a moment; try again in a few seconds", RetryAfter: movingRetry}

// databaseDown is the 503 that asks the client to try again, with the
// reason, when err says the database cannot be reached
// (tenantdb.Unavailable), instead of the 500 of a failure; nil otherwise.
func databaseDown(err error) (*fault.Error, string) {
	if _, ok := fault.As(err); ok {
		return nil, ""
	}
	reason, ok := tenantdb.Unavailable(err)
	if !ok {
		return nil, ""
	}
	return &fault.Error{Kind: fault.Unavailable, Message: "the service is briefly unavailable; try again in a few seconds",
		RetryAfter: unavailableRetry, Err: err}, reason
}

// handleError renders err as the response: JSON for the API and for clients
// that do not ask for HTML, a small HTML page for browsers.
func (s *server) handleError(c *fiber.Ctx, err error) {
	if down, reason := databaseDown(err); down != nil {
		s.log.WarnContext(c.UserContext(), "request failed: database unavailable", "request_id", requestID(c), "reason", reason, "err", err)
		err = down
	}
	status, detail, internal := classify(err)
	var retry time.Duration // when a rate-limited or turned-away client may try again
	if fe, ok := fault.As(err); ok {
		retry = fe.RetryAfter
	}
	detail.RequestID = requestID(c)
	if internal {
		s.log.ErrorContext(c.UserContext(), "request failed", "request_id", detail.RequestID, "status", status, "err", err)
	}
	c.Response().Reset()
	setSecurityHeaders(c)
	c.Set(fiber.HeaderXRequestID, detail.RequestID)
	c.Status(status)
	switch {
	case retry > 0:
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(math.Ceil(retry.Seconds()))))
	case status == fiber.StatusServiceUnavailable:
		c.Set(fiber.HeaderRetryAfter, "30")
	}
	if wantsHTML(c) && detail.Code == errSuspended.Code {
		if page, err := closedPage(c); err == nil {
			c.Type("html", "utf-8")
			_ = c.Send(page)
			return
		}
	}
	if wantsHTML(c) {
		page, err := public.Render("error.html", map[string]any{
			"Title": http.StatusText(status), "Status": status, "Message": detail.Message, "RequestID": detail.RequestID,
		})
		if err == nil {
			c.Type("html", "utf-8")
			_ = c.Send(page)
			return
		}
	}
	_ = c.JSON(errorBody{Error: detail})
}

// wantsHTML: a browser navigating to a page (not the API) gets HTML.
func wantsHTML(c *fiber.Ctx) bool {
	if strings.Contains(string(c.Request().URI().Path()), "/api/") {
		return false
	}
	return strings.Contains(c.Get(fiber.HeaderAccept), "text/html")
}

// closedPage is a suspended shop's page for browsers: the shop's name and
// that it is closed for now, in the shop's default language. Nothing of the
// shop is served meanwhile (not its theme either), so it is plain.
func closedPage(c *fiber.Ctx) ([]byte, error) {
	site := siteOf(c)
	if site == nil || site.Tenant == nil {
		return nil, errSuspended
	}
	text, lang := public.Text(site.Tenant.Shop.DefaultLanguage)
	return public.Render("shop/closed.html", map[string]any{
		"Lang": lang, "Name": site.Tenant.Name, "Title": text["closed.title"], "Body": text["closed.body"],
	})
}

// fiberErrorHandler is Fiber's last resort (errors outside our middleware,
// such as a body over the limit while reading the request).
func (s *server) fiberErrorHandler(c *fiber.Ctx, err error) error {
	s.handleError(c, err)
	return nil
}
