package vendor

import (
	"strings"
	"testing"

	"github.com/bazaar/bazaar/internal/fault"
)

const header = "vendor_name,subdomain,owner_name,owner_email,owner_phone,business_address,business_city,business_postal_code,business_country,letzshop_csv_url,initial_password\n"

func TestReadBulkFile(t *testing.T) {
	lim := BulkLimits{MaxBytes: 4096, MaxRows: 3}
	t.Run("Accepted", func(t *testing.T) {
		for name, file := range map[string]string{
			"comma":           header + "Shop,shop-a,Ann A,ann@a.test,,,,,LU,, secret with spaces \n",
			"bom, semicolons": "\ufeff" + strings.ReplaceAll(header, ",", ";") + "Shop;shop-a;Ann A;ann@a.test;;;;;LU;; secret with spaces \n",
			"columns moved, upper case, CRLF": "SUBDOMAIN,Vendor_Name,owner_name,owner_email,owner_phone,business_address,business_city,business_postal_code,business_country,letzshop_csv_url,initial_password\r\n" +
				"shop-a,Shop,Ann A,ann@a.test,,,,,LU,, secret with spaces \r\n",
		} {
			rows, err := ReadBulkFile(strings.NewReader(file), lim)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			r := rows[0]
			if len(rows) != 1 || r.Line != 2 || r.VendorName != "Shop" || r.Subdomain != "shop-a" || r.Country != "LU" || r.Password != " secret with spaces " {
				t.Errorf("%s: %+v", name, rows)
			}
		}
	})
	t.Run("QuotedFields", func(t *testing.T) {
		rows, err := ReadBulkFile(strings.NewReader(header+
			`"Shop, ""Ltd""",shop-a,"Ann
Two Lines",ann@a.test,,,,,LU,,`+"\n"+`Next,shop-b,Bo B,bo@b.test,,,,,LU,,`+"\n"), lim)
		if err != nil {
			t.Fatal(err)
		}
		if rows[0].VendorName != `Shop, "Ltd"` || rows[1].Line != 4 {
			t.Errorf("%+v", rows)
		}
	})
	for _, tt := range []struct {
		name, file string
		kind       fault.Kind
		want       []string
	}{
		{"Empty", "", fault.Invalid, []string{"no header"}},
		{"HeaderOnly", header, fault.Invalid, []string{"no rows"}},
		{"MissingAndUnknownColumns", "vendor_name,subdomain,owner,owner_email\nx,y,z,w\n", fault.Invalid,
			[]string{"line 1", `column 3 "owner" is not one of`, `"owner_name" is missing`, `"initial_password" is missing`}},
		{"RepeatedColumn", strings.TrimSuffix(header, "\n") + ",subdomain\n", fault.Invalid, []string{`"subdomain" appears twice`}},
		{"TooFewFields", header + "Shop,shop-a\n", fault.Invalid, []string{"line 2: 2 fields, the header names 11"}},
		{"BrokenQuote", header + "\"Shop,shop-a,Ann,ann@a.test,,,,,LU,,\n", fault.Invalid, []string{"line 2, column"}},
		{"BareQuote", header + "Sh\"op,shop-a,Ann,ann@a.test,,,,,LU,,\n", fault.Invalid, []string{"line 2, column 3"}},
		{"NotUTF8", header + "Sh\xffop,shop-a,Ann,ann@a.test,,,,,LU,,\n", fault.Invalid, []string{"line 2, column 1 (vendor_name): not UTF-8"}},
		{"NUL", header + "Shop,shop\x00a,Ann,ann@a.test,,,,,LU,,\n", fault.Invalid, []string{"line 2, column 2 (subdomain)"}},
		{"TooManyRows", header + strings.Repeat("Shop,shop-a,Ann,ann@a.test,,,,,LU,,\n", 4), fault.Invalid, []string{"line 5: more than 3 rows"}},
		{"TooLarge", header + strings.Repeat("x", 5000), fault.TooLarge, []string{"larger than 4096 bytes"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadBulkFile(strings.NewReader(tt.file), lim)
			fe, ok := fault.As(err)
			if !ok || fe.Kind != tt.kind {
				t.Fatalf("err = %v, want a %s error", err, tt.kind)
			}
			for _, w := range tt.want {
				if !strings.Contains(fe.Message, w) {
					t.Errorf("%q does not mention %q", fe.Message, w)
				}
			}
			if tt.kind == fault.Invalid && fe.Fields["file"] == "" {
				t.Errorf("the error names no field: %+v", fe)
			}
		})
	}
}

func TestSplitName(t *testing.T) {
	for in, want := range map[string][2]string{
		"Anna Alpha": {"Anna", "Alpha"}, "Marie-Claire  Dupont Weber": {"Marie-Claire Dupont", "Weber"}, "Cher": {"Cher", ""}, "": {"", ""},
	} {
		if f, l := splitName(in); f != want[0] || l != want[1] {
			t.Errorf("splitName(%q) = %q, %q", in, f, l)
		}
	}
}
