// Package mailtest runs a real SMTP server (emersion/go-smtp) on loopback for
// tests that follow a mail end to end: it keeps every message it accepts,
// decoded, so a test can read the link a mail carries and open it.
package mailtest

import (
	"bytes"
	"io"
	"log"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Message is a received mail.
type Message struct {
	To      []string
	Subject string
	Body    string // decoded text
}

// Server is the SMTP server.
type Server struct {
	Addr string // 127.0.0.1:port
	Port int

	mu   sync.Mutex
	msgs []Message
	srv  *smtp.Server
}

// Start serves on addr ("" picks a free port) until the test ends or Stop.
func Start(t testing.TB, addr string) *Server {
	t.Helper()
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Addr: ln.Addr().String(), Port: ln.Addr().(*net.TCPAddr).Port}
	s.srv = smtp.NewServer(backend{s})
	s.srv.Domain = "mx.test"
	s.srv.ReadTimeout, s.srv.WriteTimeout = 30*time.Second, 30*time.Second
	s.srv.ErrorLog = log.New(io.Discard, "", 0)
	go s.srv.Serve(ln) //nolint:errcheck // ends with Close
	t.Cleanup(s.Stop)
	return s
}

// FreeAddr returns a loopback address nobody listens on: a mail server that
// is down, which a later Start on the same address brings up.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Stop closes the server.
func (s *Server) Stop() { _ = s.srv.Close() }

// Messages returns what was received so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// To returns the messages received for addr.
func (s *Server) To(addr string) []Message {
	var out []Message
	for _, m := range s.Messages() {
		for _, to := range m.To {
			if to == addr {
				out = append(out, m)
			}
		}
	}
	return out
}

var linkRE = regexp.MustCompile(`https?://[^\s]+`)

// Link is the first URL in the body.
func (m Message) Link() string { return linkRE.FindString(m.Body) }

type backend struct{ s *Server }

func (b backend) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{s: b.s}, nil }

type session struct {
	s  *Server
	to []string
}

func (x *session) Mail(string, *smtp.MailOptions) error { return nil }
func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.to = append(x.to, to)
	return nil
}
func (x *session) Reset()        { x.to = nil }
func (x *session) Logout() error { return nil }

func (x *session) Data(r io.Reader) error {
	m, err := mail.ReadMessage(r)
	if err != nil {
		return err
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	var body io.Reader = m.Body
	if m.Header.Get("Content-Transfer-Encoding") == "quoted-printable" {
		body = quotedprintable.NewReader(m.Body)
	}
	var b bytes.Buffer
	if _, err := io.Copy(&b, body); err != nil {
		return err
	}
	x.s.mu.Lock()
	x.s.msgs = append(x.s.msgs, Message{To: x.to, Subject: subject, Body: b.String()})
	x.s.mu.Unlock()
	return nil
}
