package mail

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// testServer is a real SMTP server on 127.0.0.1 (emersion/go-smtp) that keeps
// every message it accepts.
type testServer struct {
	addr string
	port int

	user, password string // when set, MAIL needs PLAIN authentication first

	// holdFirst makes the first DATA wait until a second session has
	// started, so two senders are provably mid-delivery at the same time.
	holdFirst bool

	mu       sync.Mutex
	msgs     []received
	sessions int
	second   chan struct{} // closed when the second session starts
	held     bool
}

type received struct {
	from string
	to   []string
	raw  []byte
}

type serverOptions struct {
	listener       net.Listener // default: a fresh port on 127.0.0.1
	tls            *tls.Config  // offers STARTTLS when set
	user, password string
	holdFirst      bool
}

func startServer(t *testing.T, o serverOptions) *testServer {
	t.Helper()
	ln := o.listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
	}
	ts := &testServer{
		addr:      ln.Addr().String(),
		port:      ln.Addr().(*net.TCPAddr).Port,
		user:      o.user,
		password:  o.password,
		holdFirst: o.holdFirst,
		second:    make(chan struct{}),
	}
	srv := smtp.NewServer(ts)
	srv.Domain = "mx.test"
	srv.TLSConfig = o.tls
	srv.ReadTimeout = 30 * time.Second
	srv.WriteTimeout = 30 * time.Second
	srv.ErrorLog = log.New(io.Discard, "", 0)
	go srv.Serve(ln) //nolint:errcheck // ends with Close
	t.Cleanup(func() { srv.Close() })
	return ts
}

// reservePort finds a port nobody listens on: the mail server is down.
func reservePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func (ts *testServer) received() []received {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]received(nil), ts.msgs...)
}

func (ts *testServer) count() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return len(ts.msgs)
}

// NewSession implements smtp.Backend.
func (ts *testServer) NewSession(*smtp.Conn) (smtp.Session, error) {
	ts.mu.Lock()
	ts.sessions++
	if ts.sessions == 2 {
		close(ts.second)
	}
	ts.mu.Unlock()
	return &testSession{ts: ts}, nil
}

type testSession struct {
	ts     *testServer
	authed bool
	from   string
	to     []string
}

func (s *testSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *testSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, password string) error {
		if user != s.ts.user || password != s.ts.password {
			// A careless server that quotes what it was given: the
			// sender must still keep the password out of last_error.
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "bad credentials " + password}
		}
		s.authed = true
		return nil
	}), nil
}

func (s *testSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.ts.user != "" && !s.authed {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *testSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *testSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.ts.mu.Lock()
	hold := s.ts.holdFirst && !s.ts.held
	s.ts.held = true
	s.ts.mu.Unlock()
	if hold {
		select {
		case <-s.ts.second:
		case <-time.After(10 * time.Second): // a bound, not an expectation
		}
	}
	s.ts.mu.Lock()
	s.ts.msgs = append(s.ts.msgs, received{from: s.from, to: s.to, raw: raw})
	s.ts.mu.Unlock()
	return nil
}

func (s *testSession) Reset() { s.from, s.to = "", nil }

func (s *testSession) Logout() error { return nil }

// parsed is a received message with its subject and body decoded.
type parsed struct {
	header  mail.Header
	subject string
	body    string
}

func parse(t *testing.T, raw []byte) parsed {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("received message does not parse: %v\n%s", err, raw)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	if cte := m.Header.Get("Content-Transfer-Encoding"); cte != "quoted-printable" {
		t.Fatalf("Content-Transfer-Encoding = %q", cte)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(m.Body))
	if err != nil {
		t.Fatal(err)
	}
	return parsed{header: m.Header, subject: subject, body: string(body)}
}

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "mx.test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool
}

// waitFor polls cond until it holds. The deadline only keeps a broken
// implementation from hanging the run; nothing is measured against it.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatal(errors.New("gave up waiting: " + what))
		case <-time.After(10 * time.Millisecond):
		}
	}
}
