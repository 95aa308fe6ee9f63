// Package archive is the file format of a tenant backup: one vendor's tables
// as PostgreSQL COPY text, its platform rows as JSON, and a manifest that
// checks them, in one zstd-compressed stream written and read in a single
// pass (a backup never holds a table in memory, a restore never seeks).
//
// The stream, after decompression:
//
//	magic "BAZAAR-TENANT-BACKUP\n", format version (1 byte)
//	record*   kind (1 byte), name (uvarint length + bytes),
//	          data as chunks (uvarint length + bytes), ended by a 0 length
//
// Records come in a fixed order: the header ('H', JSON: who, when, which
// revision, which tables with which columns), the platform rows ('P',
// JSON), one 'T' record per table in restore order, then the manifest ('M',
// JSON: rows, bytes and SHA-256 of every table and of the header and
// platform records). A reader checks each record against the manifest as it
// reaches it, so a damaged byte is reported with the table it damaged and a
// truncated file with where it ends.
//
// COPY text has one row per line (a newline inside a value is written as
// the two characters \n), so a reader counts rows without a database.
package archive

import (
	"encoding/json"
	"fmt"
	"time"
)

// Format names the file format in its header; Version is the format version
// this code writes and the newest it reads.
const (
	Format  = "bazaar-tenant-backup"
	Version = 1
	magic   = "BAZAAR-TENANT-BACKUP\n"
)

// Record kinds.
const (
	kindHeader   = 'H'
	kindPlatform = 'P'
	kindTable    = 'T'
	kindManifest = 'M'
)

// maxChunk bounds one chunk, so a damaged length cannot make a reader
// allocate gigabytes; writers emit 64 KiB.
const (
	chunkSize = 64 << 10
	maxChunk  = 1 << 20
	maxName   = 255
	// maxMeta bounds the header, platform and manifest records, which a
	// reader holds in memory.
	maxMeta = 64 << 20
)

// Header opens a backup: enough to decide whether this binary can restore it
// before any table is read.
type Header struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	// Slug and VendorID name the vendor backed up.
	Slug     string `json:"slug"`
	VendorID int    `json:"vendor_id"`
	// Revision is the newest tenant migration applied to its schema: a
	// restore makes a schema at exactly this revision, fills it, then
	// migrates it forward.
	Revision string    `json:"revision"`
	Created  time.Time `json:"created_at"`
	// Source says where it was taken: the cluster's name in Bazaar's
	// configuration, the server's address (never its password) and version.
	Source Source `json:"source"`
	// Tables in restore order: a table comes after the tables its foreign
	// keys reference.
	Tables []Table `json:"tables"`
}

// Source is where a backup was taken.
type Source struct {
	Cluster       string `json:"cluster"`
	Server        string `json:"server"`
	ServerVersion string `json:"server_version"`
	Database      string `json:"database"`
	Schema        string `json:"schema"`
}

// Table is one table as the header lists it.
type Table struct {
	Name    string   `json:"name"`
	Columns []string `json:"columns"`
}

// Manifest closes a backup: what each record held.
type Manifest struct {
	Tables   []TableSum `json:"tables"`
	Header   Sum        `json:"header"`
	Platform Sum        `json:"platform"`
	Finished time.Time  `json:"finished_at"`
}

// TableSum is what a table record held.
type TableSum struct {
	Name string `json:"name"`
	Sum
}

// Sum is the size, row count and SHA-256 (hex) of a record's data.
type Sum struct {
	Rows   int64  `json:"rows"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// Table returns the manifest's entry for name.
func (m *Manifest) Table(name string) (TableSum, bool) {
	for _, t := range m.Tables {
		if t.Name == name {
			return t, true
		}
	}
	return TableSum{}, false
}

// Rows is the total row count of the manifest's tables.
func (m *Manifest) Rows() int64 {
	var n int64
	for _, t := range m.Tables {
		n += t.Rows
	}
	return n
}

// Platform is a vendor's rows outside its schema, as JSON objects keyed by
// column name (row_to_json): the registry row, its custom domains, its team
// (each membership with its user's e-mail) and what its tenant role reported
// (tenant_reports rows). A restore writes them back by column name, so a
// backup survives platform migrations that add columns.
type Platform struct {
	Vendor      json.RawMessage              `json:"vendor"`
	Domains     []json.RawMessage            `json:"domains"`
	Memberships []Member                     `json:"memberships"`
	Reports     map[string][]json.RawMessage `json:"reports"`
}

// Member is one membership and the e-mail of its user (user ids are the
// platform's own and mean nothing elsewhere).
type Member struct {
	Email      string          `json:"email"`
	Membership json.RawMessage `json:"membership"`
}

// Error is a problem with a backup file. Table names the table it concerns,
// when there is one.
type Error struct {
	Table string
	Msg   string
}

func (e *Error) Error() string {
	if e.Table != "" {
		return fmt.Sprintf("backup file: table %s: %s", e.Table, e.Msg)
	}
	return "backup file: " + e.Msg
}

func errorf(table, format string, args ...any) error {
	return &Error{Table: table, Msg: fmt.Sprintf(format, args...)}
}
