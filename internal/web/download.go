package web

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/gofiber/fiber/v2"
)

// download streams a generated file (a CSV report) after the handler
// returns: write fills it, under a context of its own bounded by timeout
// (the request's ends with the handler). The connection's write deadline
// (http.write_timeout) is moved on with each write, so it bounds each
// stretch of the stream — a client that stops reading is still dropped —
// rather than a whole file that takes longer. A file cut short closes the
// connection before the response's last chunk, so the download fails
// instead of looking whole.
func download(c *fiber.Ctx, log *slog.Logger, writeTimeout, timeout time.Duration, what string, write func(ctx context.Context, w io.Writer) error) {
	conn, reqID := c.Context().Conn(), requestID(c)
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		if err := write(ctx, &deadlineWriter{w: w, conn: conn, timeout: writeTimeout}); err != nil {
			log.Error(what+" cut short", "request_id", reqID, "err", err)
			_ = conn.Close()
		}
	})
}

// deadlineWriter moves conn's write deadline on before each write to w.
type deadlineWriter struct {
	w       *bufio.Writer
	conn    net.Conn
	timeout time.Duration // 0: the server sets no write deadline
}

func (d *deadlineWriter) Write(p []byte) (int, error) {
	if d.timeout > 0 {
		if err := d.conn.SetWriteDeadline(time.Now().Add(d.timeout)); err != nil {
			return 0, err
		}
	}
	return d.w.Write(p)
}
