package archive

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"hash"
	"io"

	"github.com/klauspost/compress/zstd"
)

// zstdMagic starts every zstd frame.
var zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}

// Reader reads one backup in order: NewReader reads the header and the
// platform rows, Next hands out each table, and the Next after the last
// table reads the manifest and checks every record against it.
type Reader struct {
	zr       *zstd.Decoder
	br       *bufio.Reader
	header   Header
	platform Platform
	sums     map[string]Sum // what this reader saw, by record
	manifest *Manifest
	next     int
	cur      *TableReader
}

// NewReader opens a backup: it checks that src is one, in a format version
// this code reads, and reads its header and platform rows. Close it.
func NewReader(src io.Reader) (*Reader, error) {
	in := bufio.NewReaderSize(src, 64<<10)
	head, err := in.Peek(len(zstdMagic))
	if err != nil || !bytes.Equal(head, zstdMagic) {
		if len(head) == 0 {
			return nil, errorf("", "the file is empty")
		}
		if err != nil && bytes.HasPrefix(zstdMagic, head) {
			return nil, errorf("", "the file is truncated: it ends before its header")
		}
		return nil, errorf("", "not a Bazaar tenant backup (not zstd-compressed)")
	}
	zr, err := zstd.NewReader(in, zstd.WithDecoderConcurrency(2), zstd.WithDecoderMaxWindow(64<<20))
	if err != nil {
		return nil, err
	}
	r := &Reader{zr: zr, br: bufio.NewReaderSize(zr, 64<<10), sums: map[string]Sum{}}
	if err := r.start(); err != nil {
		zr.Close()
		return nil, err
	}
	return r, nil
}

func (r *Reader) start() error {
	m := make([]byte, len(magic)+1)
	if _, err := io.ReadFull(r.br, m); err != nil {
		return r.streamError("", err, "before its header")
	}
	if string(m[:len(magic)]) != magic {
		return errorf("", "not a Bazaar tenant backup (zstd-compressed, but not this format)")
	}
	if v := int(m[len(magic)]); v > Version || v < 1 {
		return errorf("", "format version %d: this Bazaar reads version %d (the file was written by a newer Bazaar)", v, Version)
	}
	if err := r.meta(kindHeader, "header", &r.header); err != nil {
		return err
	}
	if r.header.Format != Format {
		return errorf("", "header names format %q, not %q", r.header.Format, Format)
	}
	return r.meta(kindPlatform, "platform", &r.platform)
}

// Header is the backup's header.
func (r *Reader) Header() Header { return r.header }

// Platform is the vendor's platform rows as the backup holds them (checked
// against the manifest only once every table has been read).
func (r *Reader) Platform() Platform { return r.platform }

// Next returns the next table, in the header's order; the caller reads it to
// its end before calling Next again (Next finishes a table left unread).
// After the last table it reads the manifest and checks every record's rows,
// size and SHA-256 against it, and returns io.EOF when all agree.
func (r *Reader) Next() (*TableReader, error) {
	if r.cur != nil {
		if _, err := io.Copy(io.Discard, r.cur); err != nil {
			return nil, err
		}
		r.cur = nil
	}
	if r.manifest != nil {
		return nil, io.EOF
	}
	if r.next == len(r.header.Tables) {
		var m Manifest
		if err := r.meta(kindManifest, "manifest", &m); err != nil {
			return nil, err
		}
		if err := r.check(&m); err != nil {
			return nil, err
		}
		// The end of the stream is where the compressor checks its own
		// checksum of the frame: read up to it.
		switch _, err := r.br.ReadByte(); {
		case err == nil:
			return nil, errorf("", "data after the manifest (the file is damaged or two files were joined)")
		case err != io.EOF:
			return nil, r.streamError("", err, "inside its manifest")
		}
		r.manifest = &m
		return nil, io.EOF
	}
	t := r.header.Tables[r.next]
	after := "before its first table"
	if r.next > 0 {
		after = "after table " + r.header.Tables[r.next-1].Name
	}
	if err := r.expect(kindTable, t.Name, after); err != nil {
		return nil, err
	}
	r.next++
	r.cur = &TableReader{Table: t, r: r, h: sha256.New()}
	return r.cur, nil
}

// Finish reads the rest of the backup, unused, and checks it against the
// manifest: after a table failed to load, it tells a damaged file (the
// error, naming the table) from one that is as it was written (nil).
func (r *Reader) Finish() error {
	for {
		_, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// Manifest is the checked manifest, once Next has returned io.EOF.
func (r *Reader) Manifest() *Manifest { return r.manifest }

// Close releases the decompressor.
func (r *Reader) Close() { r.zr.Close() }

// check compares what was read with the manifest: the first disagreement,
// naming its table, is the error.
func (r *Reader) check(m *Manifest) error {
	if err := compare("", "header", m.Header, r.sums["header"]); err != nil {
		return err
	}
	if err := compare("", "platform rows", m.Platform, r.sums["platform"]); err != nil {
		return err
	}
	if len(m.Tables) != len(r.header.Tables) {
		return errorf("", "the manifest lists %d tables, the header %d", len(m.Tables), len(r.header.Tables))
	}
	for _, t := range r.header.Tables {
		want, ok := m.Table(t.Name)
		if !ok {
			return errorf(t.Name, "missing from the manifest")
		}
		if err := compare(t.Name, "data", want.Sum, r.sums["T:"+t.Name]); err != nil {
			return err
		}
	}
	return nil
}

func compare(table, what string, want, got Sum) error {
	switch {
	case got.Rows != want.Rows:
		return errorf(table, "%s has %d rows, the manifest says %d (the file is damaged)", what, got.Rows, want.Rows)
	case got.Bytes != want.Bytes:
		return errorf(table, "%s has %d bytes, the manifest says %d (the file is damaged)", what, got.Bytes, want.Bytes)
	case got.SHA256 != want.SHA256:
		return errorf(table, "%s does not match its SHA-256 in the manifest (the file is damaged)", what)
	}
	return nil
}

// meta reads a whole JSON record of the given kind into v.
func (r *Reader) meta(kind byte, name string, v any) error {
	if err := r.expect(kind, name, "before its "+name); err != nil {
		return err
	}
	rr := &recordReader{r: r, name: name, h: sha256.New()}
	b, err := io.ReadAll(io.LimitReader(rr, maxMeta+1))
	if err != nil {
		return err
	}
	if len(b) > maxMeta {
		return errorf("", "the %s record is larger than %d bytes", name, maxMeta)
	}
	r.sums[name] = rr.sum()
	if err := json.Unmarshal(b, v); err != nil {
		return errorf("", "the %s record is not valid JSON (the file is damaged): %v", name, err)
	}
	return nil
}

// expect reads a record's kind and name and checks them.
func (r *Reader) expect(kind byte, name, where string) error {
	table := ""
	if kind == kindTable {
		table = name
	}
	k, err := r.br.ReadByte()
	if err != nil {
		return r.streamError(table, err, where)
	}
	n, err := binary.ReadUvarint(r.br)
	if err != nil {
		return r.streamError(table, err, where)
	}
	if n > maxName {
		return errorf(table, "damaged record (name length %d) %s", n, where)
	}
	got := make([]byte, n)
	if _, err := io.ReadFull(r.br, got); err != nil {
		return r.streamError(table, err, where)
	}
	if k != kind || string(got) != name {
		return errorf(table, "expected record %c %q %s, found %c %q (the file is damaged)", kind, name, where, k, got)
	}
	return nil
}

// streamError turns a read error into the file's problem: the stream ended
// (truncated) or the decompressor found it damaged.
func (r *Reader) streamError(table string, err error, where string) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		if table != "" {
			return errorf(table, "the file is truncated: it ends inside this table")
		}
		return errorf("", "the file is truncated: it ends %s", where)
	}
	var ae *Error
	if errors.As(err, &ae) {
		return err
	}
	return errorf(table, "the file is damaged (%v)", err)
}

// TableReader reads one table's COPY text.
type TableReader struct {
	Table
	r   *Reader
	h   hash.Hash
	rr  *recordReader
	eof bool
}

func (t *TableReader) Read(p []byte) (int, error) {
	if t.rr == nil {
		t.rr = &recordReader{r: t.r, name: t.Name, table: true, h: t.h}
	}
	if t.eof {
		return 0, io.EOF
	}
	n, err := t.rr.Read(p)
	if err == io.EOF {
		t.eof = true
		t.r.sums["T:"+t.Name] = t.rr.sum()
	}
	return n, err
}

// recordReader reads a record's chunks up to its end mark, summing them.
type recordReader struct {
	r     *Reader
	name  string
	table bool
	h     hash.Hash
	left  uint64 // bytes left in the current chunk
	done  bool
	rows  int64
	bytes int64
}

func (c *recordReader) Read(p []byte) (int, error) {
	if c.done {
		return 0, io.EOF
	}
	table := ""
	if c.table {
		table = c.name
	}
	for c.left == 0 {
		n, err := binary.ReadUvarint(c.r.br)
		if err != nil {
			return 0, c.r.streamError(table, err, "inside its "+c.name)
		}
		if n == 0 {
			c.done = true
			return 0, io.EOF
		}
		if n > maxChunk {
			return 0, errorf(table, "damaged chunk length %d in %s", n, c.name)
		}
		c.left = n
	}
	if uint64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.br.Read(p)
	c.left -= uint64(n)
	c.h.Write(p[:n])
	c.rows += int64(bytes.Count(p[:n], []byte{'\n'}))
	c.bytes += int64(n)
	if err != nil {
		if n > 0 && err == io.EOF && c.left == 0 {
			return n, nil // the next Read reports the missing end mark
		}
		return n, c.r.streamError(table, err, "inside its "+c.name)
	}
	return n, nil
}

func (c *recordReader) sum() Sum {
	return Sum{Rows: c.rows, Bytes: c.bytes, SHA256: hex.EncodeToString(c.h.Sum(nil))}
}

// Verify reads a whole backup and checks it against its manifest. It returns
// the header and manifest, or the first problem found, naming its table.
func Verify(src io.Reader) (Header, *Manifest, error) {
	r, err := NewReader(src)
	if err != nil {
		return Header{}, nil, err
	}
	defer r.Close()
	for {
		t, err := r.Next()
		if err == io.EOF {
			return r.Header(), r.Manifest(), nil
		}
		if err != nil {
			return r.Header(), nil, err
		}
		if _, err := io.Copy(io.Discard, t); err != nil {
			return r.Header(), nil, err
		}
	}
}
