package mail

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"time"

	"github.com/bazaar/bazaar/ent/platform"
)

// compose renders an outbox mail as an RFC 5322 message with CRLF line
// endings: plain text in UTF-8, quoted-printable so that any body survives
// 7-bit relays and the 998-byte line limit.
func compose(from *mail.Address, to *mail.Address, m *platform.OutboxMail, now time.Time) []byte {
	var b bytes.Buffer
	header := func(name, value string) {
		b.WriteString(name)
		b.WriteString(": ")
		b.WriteString(value)
		b.WriteString("\r\n")
	}
	header("From", from.String())
	header("To", to.String())
	header("Subject", encodeHeader(m.Subject))
	header("Date", now.Format(time.RFC1123Z))
	header("Message-ID", messageID(from, m))
	// RFC 3834: tells vacation responders not to answer.
	header("Auto-Submitted", "auto-generated")
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	// In text mode the writer turns LF, CR and CRLF alike into CRLF.
	qp := quotedprintable.NewWriter(&b)
	_, _ = qp.Write([]byte(m.Body)) // a bytes.Buffer does not fail
	_ = qp.Close()
	if !bytes.HasSuffix(b.Bytes(), []byte("\r\n")) {
		b.WriteString("\r\n")
	}
	return b.Bytes()
}

// encodeHeader encodes non-ASCII text as RFC 2047 encoded-words and folds
// between them, so that a long non-ASCII subject keeps every header line
// short. Whitespace between adjacent encoded-words is not part of the
// decoded text, so the fold adds nothing to it.
func encodeHeader(s string) string {
	return strings.ReplaceAll(mime.QEncoding.Encode("utf-8", s), "?= =?", "?=\r\n =?")
}

// messageID is derived from the outbox row rather than drawn at random, so a
// mail sent twice (the crash window documented on Sender) carries the same
// Message-ID both times and receivers can fold the duplicates. It is hashed so
// it does not reveal how many mails the platform has sent.
func messageID(from *mail.Address, m *platform.OutboxMail) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%d|%d", m.ID, m.CreatedAt.UnixNano()))
	domain := "bazaar.invalid"
	if at := strings.LastIndexByte(from.Address, '@'); at >= 0 && at < len(from.Address)-1 {
		domain = from.Address[at+1:]
	}
	return "<" + hex.EncodeToString(sum[:16]) + "@" + domain + ">"
}
