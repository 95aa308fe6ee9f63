package archive

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"time"

	"github.com/klauspost/compress/zstd"
)

// Writer writes one backup: Begin, then Table for each of the header's
// tables in order, then Close. It is not safe for concurrent use.
type Writer struct {
	zw       *zstd.Encoder
	header   Header
	manifest Manifest
	next     int // index of the header's next table
	open     bool
	err      error // sticky: the first write error
}

// NewWriter compresses onto w (the caller closes w after Close).
func NewWriter(w io.Writer) (*Writer, error) {
	// The default level compresses COPY text ~4–6× at a few hundred MB/s per
	// core; the encoder works on its own goroutines, beside the COPY.
	zw, err := zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderCRC(true))
	if err != nil {
		return nil, err
	}
	return &Writer{zw: zw}, nil
}

// Begin writes the magic, the header and the platform rows.
func (w *Writer) Begin(h Header, p Platform) error {
	h.Format, h.Version = Format, Version
	w.header = h
	if _, err := w.zw.Write(append([]byte(magic), Version)); err != nil {
		return w.fail(err)
	}
	var err error
	if w.manifest.Header, err = w.meta(kindHeader, "header", h); err != nil {
		return err
	}
	w.manifest.Platform, err = w.meta(kindPlatform, "platform", p)
	return err
}

// meta writes a JSON record and returns its sum.
func (w *Writer) meta(kind byte, name string, v any) (Sum, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return Sum{}, w.fail(err)
	}
	rw, err := w.record(kind, name)
	if err != nil {
		return Sum{}, err
	}
	if _, err := rw.Write(b); err != nil {
		return Sum{}, err
	}
	return rw.finish()
}

// Table starts the record of the header's next table, which must be name;
// write its COPY text to the returned writer and Close it.
func (w *Writer) Table(name string) (*TableWriter, error) {
	if w.next >= len(w.header.Tables) || w.header.Tables[w.next].Name != name {
		return nil, fmt.Errorf("archive: table %s is not the header's next table", name)
	}
	w.next++
	rw, err := w.record(kindTable, name)
	if err != nil {
		return nil, err
	}
	return &TableWriter{rw: rw, w: w, name: name}, nil
}

// TableWriter takes one table's COPY text.
type TableWriter struct {
	rw   *recordWriter
	w    *Writer
	name string
}

func (t *TableWriter) Write(p []byte) (int, error) { return t.rw.Write(p) }

// Close ends the table's record and enters it in the manifest.
func (t *TableWriter) Close() error {
	s, err := t.rw.finish()
	if err != nil {
		return err
	}
	t.w.manifest.Tables = append(t.w.manifest.Tables, TableSum{Name: t.name, Sum: s})
	return nil
}

// Close writes the manifest and flushes the compressor; it returns the
// manifest written. Every table of the header must have been written.
func (w *Writer) Close() (*Manifest, error) {
	if w.err != nil {
		return nil, w.err
	}
	if w.next != len(w.header.Tables) {
		return nil, fmt.Errorf("archive: %d of %d tables written", w.next, len(w.header.Tables))
	}
	w.manifest.Finished = time.Now().UTC()
	if _, err := w.meta(kindManifest, "manifest", w.manifest); err != nil {
		return nil, err
	}
	if err := w.zw.Close(); err != nil {
		return nil, w.fail(err)
	}
	m := w.manifest
	return &m, nil
}

func (w *Writer) fail(err error) error {
	if w.err == nil {
		w.err = err
	}
	return w.err
}

// record writes a record's kind and name and returns the writer of its data.
func (w *Writer) record(kind byte, name string) (*recordWriter, error) {
	if w.err != nil {
		return nil, w.err
	}
	if w.open {
		return nil, errors.New("archive: the previous record is still open")
	}
	if len(name) > maxName {
		return nil, fmt.Errorf("archive: record name %q too long", name)
	}
	var b bytes.Buffer
	b.WriteByte(kind)
	b.Write(binary.AppendUvarint(nil, uint64(len(name))))
	b.WriteString(name)
	if _, err := w.zw.Write(b.Bytes()); err != nil {
		return nil, w.fail(err)
	}
	w.open = true
	return &recordWriter{w: w, h: sha256.New(), buf: make([]byte, 0, chunkSize)}, nil
}

// recordWriter cuts a record's data into chunks and sums it.
type recordWriter struct {
	w     *Writer
	h     hash.Hash
	buf   []byte
	rows  int64
	bytes int64
}

func (r *recordWriter) Write(p []byte) (int, error) {
	if r.w.err != nil {
		return 0, r.w.err
	}
	r.h.Write(p)
	r.rows += int64(bytes.Count(p, []byte{'\n'}))
	r.bytes += int64(len(p))
	n := len(p)
	for len(p) > 0 {
		k := min(chunkSize-len(r.buf), len(p))
		r.buf = append(r.buf, p[:k]...)
		p = p[k:]
		if len(r.buf) == chunkSize {
			if err := r.flush(); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

func (r *recordWriter) flush() error {
	if len(r.buf) == 0 {
		return nil
	}
	if _, err := r.w.zw.Write(binary.AppendUvarint(nil, uint64(len(r.buf)))); err != nil {
		return r.w.fail(err)
	}
	if _, err := r.w.zw.Write(r.buf); err != nil {
		return r.w.fail(err)
	}
	r.buf = r.buf[:0]
	return nil
}

// finish writes the last chunk and the end mark.
func (r *recordWriter) finish() (Sum, error) {
	if err := r.flush(); err != nil {
		return Sum{}, err
	}
	if _, err := r.w.zw.Write([]byte{0}); err != nil {
		return Sum{}, r.w.fail(err)
	}
	r.w.open = false
	return Sum{Rows: r.rows, Bytes: r.bytes, SHA256: hex.EncodeToString(r.h.Sum(nil))}, nil
}
