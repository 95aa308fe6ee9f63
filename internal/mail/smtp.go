package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// The TLS modes of Options.TLS.
const (
	tlsNone     = "none"     // plain text; only sensible towards a relay on the same host
	tlsStart    = "starttls" // plain connect, then STARTTLS, which the server must offer
	tlsImplicit = "tls"      // TLS from the first byte (port 465)
)

// heloName is what the sender calls itself in EHLO; the client library's
// default, spelled out so it is the same before and after STARTTLS.
const heloName = "localhost"

// smtpTransport runs one SMTP conversation per mail. A connection per mail
// costs a handshake each, which transactional volumes afford, and keeps one
// mail's trouble (a dropped connection, a confused server) from touching the
// next.
type smtpTransport struct {
	addr      string // host:port
	host      string
	mode      string
	tlsConfig *tls.Config // ServerName set
	username  string
	password  string
	timeout   time.Duration
}

// sendError is a failed conversation: the step it failed at and why. A
// failure before MAIL FROM (connect, TLS, authentication) is the server's or
// the configuration's, not the mail's, and would fail every other mail alike.
type sendError struct {
	step    string
	session bool // failed before the mail itself was offered
	err     error
}

func (e *sendError) Error() string {
	var se *smtp.SMTPError
	if errors.As(e.err, &se) {
		code := ""
		if ec := se.EnhancedCode; ec != smtp.EnhancedCodeNotSet && ec != smtp.NoEnhancedCode {
			code = fmt.Sprintf(" %d.%d.%d", ec[0], ec[1], ec[2])
		}
		return fmt.Sprintf("%s: server answered %d%s %s", e.step, se.Code, code, se.Message)
	}
	return e.step + ": " + e.err.Error()
}

func (e *sendError) Unwrap() error { return e.err }

// send delivers msg from the envelope sender to one recipient. The whole
// conversation, dial included, is bounded by the transport's timeout and by
// ctx.
func (t *smtpTransport) send(ctx context.Context, from, to string, msg []byte) error {
	ctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	fail := func(step string, session bool, err error) error {
		// A conversation cut short by the deadline fails with "use of closed
		// network connection"; say what really happened.
		switch {
		case errors.Is(ctx.Err(), context.DeadlineExceeded):
			err = fmt.Errorf("no answer within %s", t.timeout)
		case ctx.Err() != nil:
			err = ctx.Err()
		}
		return &sendError{step: step, session: session, err: err}
	}

	var conn net.Conn
	var err error
	dialer := &net.Dialer{}
	if t.mode == tlsImplicit {
		conn, err = (&tls.Dialer{NetDialer: dialer, Config: t.tlsConfig}).DialContext(ctx, "tcp", t.addr)
	} else {
		conn, err = dialer.DialContext(ctx, "tcp", t.addr)
	}
	if err != nil {
		return fail("connect", true, err)
	}
	// The client sets and clears a deadline around each command, so closing
	// the connection when ctx ends is what bounds the conversation as a whole
	// (the body upload included) and makes it answer cancellation.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	var c *smtp.Client
	if t.mode == tlsStart {
		if c, err = smtp.NewClientStartTLS(conn, t.tlsConfig); err != nil {
			conn.Close()
			return fail("starttls", true, err)
		}
	} else {
		c = smtp.NewClient(conn)
	}
	defer c.Close()
	c.CommandTimeout, c.SubmissionTimeout = t.timeout, t.timeout
	// The first command after STARTTLS runs the TLS handshake: name its step.
	if err := c.Hello(heloName); err != nil {
		return fail("hello", true, err)
	}
	_, encrypted := c.TLSConnectionState()
	if t.mode != tlsNone && !encrypted {
		return fail("hello", true, errors.New("connection is not encrypted"))
	}
	if t.username != "" {
		// NewSender refuses this configuration too; checking the connection
		// itself keeps the rule true whatever the options said.
		if !encrypted && !isLoopback(t.host) {
			return fail("auth", true, errors.New("refusing to send a password over an unencrypted connection"))
		}
		if !c.SupportsAuth(sasl.Plain) {
			return fail("auth", true, errors.New("server does not offer AUTH PLAIN"))
		}
		if err := c.Auth(sasl.NewPlainClient("", t.username, t.password)); err != nil {
			return fail("auth", true, err)
		}
	}

	var opts *smtp.MailOptions
	if !isASCII(from) || !isASCII(to) {
		opts = &smtp.MailOptions{UTF8: true}
	}
	if err := c.Mail(from, opts); err != nil {
		return fail("mail from", false, err)
	}
	if err := c.Rcpt(to, nil); err != nil {
		return fail("rcpt to", false, err)
	}
	w, err := c.Data()
	if err != nil {
		return fail("data", false, err)
	}
	if _, err := w.Write(msg); err != nil {
		return fail("data", false, err)
	}
	// The answer to the end of data is the server taking the mail or not.
	if err := w.Close(); err != nil {
		return fail("data", false, err)
	}
	_ = c.Quit() // the mail is accepted; a failed goodbye changes nothing
	return nil
}

// isLoopback reports whether host names this machine, where a password on a
// plain connection never crosses a network.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
