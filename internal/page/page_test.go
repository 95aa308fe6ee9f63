package page_test

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"testing"

	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/internal/page"
)

func raw(json string) string { return base64.RawURLEncoding.EncodeToString([]byte(json)) }

type position struct {
	Sort string `json:"s"`
	ID   int    `json:"i"`
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name   string
		cursor string
		ok     bool
	}{
		{"WhatEncodeMade", page.Encode(position{"sku", 7}), true},
		{"TrailingWhiteSpace", raw(`{"s":"sku","i":7}  `), true},
		{"NotBase64", "!!!", false},
		{"StandardAlphabetWithPadding", base64.StdEncoding.EncodeToString([]byte(`{"s":"?>","i":1}`)), false},
		{"NotJSON", raw(`s=sku,i=7`), false},
		{"UnknownField", raw(`{"s":"sku","i":7,"x":1}`), false},
		{"AnotherValueAfter", raw(`{"s":"sku","i":7}{"s":"sku","i":8}`), false},
		{"GarbageAfter", raw(`{"s":"sku","i":7}]`), false},
		{"WrongType", raw(`{"s":"sku","i":"7"}`), false},
		{"Fraction", raw(`{"s":"sku","i":7.5}`), false},
		{"TooBig", raw(`{"s":"sku","i":1e300}`), false},
		{"AnArray", raw(`[1,2]`), false},
		{"Empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p position
			if got := page.Decode(tt.cursor, &p); got != tt.ok {
				t.Errorf("Decode(%q) = %v, want %v (%+v)", tt.cursor, got, tt.ok, p)
			}
			if tt.ok && p != (position{"sku", 7}) {
				t.Errorf("Decode(%q) read %+v", tt.cursor, p)
			}
		})
	}
}

func TestBoundsSize(t *testing.T) {
	b := page.Bounds{Default: 20, Max: 100}
	for _, tt := range []struct {
		limit, want int
		bad         bool
	}{
		{0, 20, false}, {1, 1, false}, {100, 100, false},
		{-1, 20, true}, {101, 20, true},
	} {
		bad := map[string]string{}
		if got := b.Size(tt.limit, bad); got != tt.want || (bad["limit"] != "") != tt.bad {
			t.Errorf("Size(%d) = %d, problems %v; want %d, a problem: %v", tt.limit, got, bad, tt.want, tt.bad)
		}
	}
}

func TestOf(t *testing.T) {
	view := func(n int) string { return strconv.Itoa(n) }
	next := func(n int) string { return "after " + strconv.Itoa(n) }
	t.Run("MoreRowsThanTheLimitGiveACursorAfterTheLast", func(t *testing.T) {
		p := page.Of([]int{1, 2, 3}, 2, view, next)
		if len(p.Items) != 2 || p.Items[1] != "2" || p.NextCursor != "after 2" {
			t.Errorf("%+v", p)
		}
	})
	t.Run("TheLastPageHasNoCursor", func(t *testing.T) {
		if p := page.Of([]int{1, 2}, 2, view, next); len(p.Items) != 2 || p.NextCursor != "" {
			t.Errorf("%+v", p)
		}
	})
	t.Run("AnEmptyPageListsNoItemsRatherThanNull", func(t *testing.T) {
		b, err := json.Marshal(page.Of(nil, 2, view, next))
		if err != nil || string(b) != `{"items":[]}` {
			t.Errorf("%s %v", b, err)
		}
	})
}

func TestByID(t *testing.T) {
	jobs := page.ByID{List: "imports", Bounds: page.Bounds{Default: 20, Max: 100}}
	audit := page.ByID{List: "audit", Bounds: page.Bounds{Default: 100, Max: 200}}
	tests := []struct {
		name         string
		r            page.Request
		limit, after int
		bad          string // the field named, if any
	}{
		{"FirstPage", page.Request{}, 20, 0, ""},
		{"ItsOwnCursor", page.Request{Limit: 5, Cursor: jobs.Cursor(42)}, 5, 42, ""},
		{"AnotherListsCursor", page.Request{Cursor: audit.Cursor(42)}, 0, 0, "cursor"},
		{"ZeroID", page.Request{Cursor: raw(`{"l":"imports","i":0}`)}, 0, 0, "cursor"},
		{"NegativeID", page.Request{Cursor: raw(`{"l":"imports","i":-3}`)}, 0, 0, "cursor"},
		{"NoList", page.Request{Cursor: raw(`{"i":3}`)}, 0, 0, "cursor"},
		{"Garbage", page.Request{Cursor: "%%%"}, 0, 0, "cursor"},
		{"LimitAboveMax", page.Request{Limit: 101}, 0, 0, "limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := map[string]string{}
			limit, after := jobs.Start(tt.r, bad)
			err := page.Invalid(bad)
			if tt.bad != "" {
				fe, ok := fault.As(err)
				if !ok || fe.Kind != fault.Invalid || fe.Fields[tt.bad] == "" {
					t.Fatalf("Start(%+v): %v, want a problem naming %s", tt.r, err, tt.bad)
				}
				return
			}
			if err != nil || limit != tt.limit || after != tt.after {
				t.Errorf("Start(%+v) = %d, %d, %v; want %d, %d", tt.r, limit, after, err, tt.limit, tt.after)
			}
		})
	}
}
