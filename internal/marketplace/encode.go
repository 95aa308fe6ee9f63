package marketplace

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"slices"

	"github.com/bazaar/bazaar/internal/letzshop"
)

// How staged rows are encoded and compared.

// display is the searchable copy of a staged product's primary language.
type display struct {
	title, brand, availability, category, group, currency string
	price                                                 sql.NullInt64
}

func displayOf(it *letzshop.Item) display {
	d := display{title: it.Title, brand: it.Brand, availability: string(it.Availability), group: it.ItemGroupID}
	d.category = it.GoogleCategory
	if d.category == "" {
		d.category = it.ProductType
	}
	if it.Price != nil {
		d.price = sql.NullInt64{Int64: it.Price.Cents, Valid: true}
		d.currency = it.Price.Currency
	}
	return d
}

func rawOf(rec *letzshop.Record) json.RawMessage {
	cells := make([][2]string, len(rec.Fields))
	for i, f := range rec.Fields {
		cells[i] = [2]string{f.Name, f.Value}
	}
	b, _ := json.Marshal(cells)
	return b
}

// one builds {"<lang>": value}; lang is a validated two-letter code.
func one(lang string, v []byte) string {
	var b bytes.Buffer
	b.Grow(len(v) + 8)
	b.WriteString(`{"`)
	b.WriteString(lang)
	b.WriteString(`":`)
	b.Write(v)
	b.WriteByte('}')
	return b.String()
}

// itemDiff names the item fields that differ (JSON keys), nil when none.
func itemDiff(prev json.RawMessage, next []byte) []string {
	// The usual answer on a re-import is "nothing": jsonb hands the stored
	// item back re-spaced and re-ordered, so re-encode it the way next was
	// encoded and compare bytes before comparing field by field.
	var it letzshop.Item
	if json.Unmarshal(prev, &it) == nil {
		if again, err := json.Marshal(&it); err == nil && bytes.Equal(again, next) {
			return nil
		}
	}
	var a, b map[string]json.RawMessage
	if json.Unmarshal(prev, &a) != nil || json.Unmarshal(next, &b) != nil {
		return []string{"item"}
	}
	var out []string
	for k, v := range b {
		if w, ok := a[k]; !ok || !jsonEqual(v, w) {
			out = append(out, k)
		}
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// jsonEqual compares values jsonb may have re-spaced.
func jsonEqual(a, b json.RawMessage) bool {
	if bytes.Equal(a, b) {
		return true
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return bytes.Equal(xb, yb)
}

func sameRaw(old json.RawMessage, next []byte) bool {
	var a, b [][2]string
	if json.Unmarshal(old, &a) != nil || json.Unmarshal(next, &b) != nil {
		return false
	}
	return slices.Equal(a, b)
}
