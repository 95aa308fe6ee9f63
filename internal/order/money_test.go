package order

import (
	"math/big"
	"math/rand/v2"
	"testing"
)

// refVAT is the VAT inside gross at rate bp, computed exactly with
// math/big and rounded half up: the reference the integer code must match.
func refVAT(gross int64, bp int) *big.Rat {
	return new(big.Rat).Mul(big.NewRat(gross, 1), big.NewRat(int64(bp), int64(10000+bp)))
}

func roundHalfUp(r *big.Rat) int64 {
	// floor(r + 1/2) for r >= 0
	x := new(big.Rat).Add(r, big.NewRat(1, 2))
	q := new(big.Int).Quo(x.Num(), x.Denom())
	return q.Int64()
}

// TestTotalsMatchExactReference prices 10,000 random carts and checks every
// figure against a reference computed with math/big: the lines' totals, the
// VAT per rate (rounded half up once per rate), the order's VAT and total,
// and that the lines' VAT shares add up to their rate's VAT exactly, each
// within a cent of its exact share.
func TestTotalsMatchExactReference(t *testing.T) {
	rates := []int{1700, 1400, 800, 300, 0}
	rng := rand.New(rand.NewPCG(12, 2026))
	for n := range 10000 {
		lines := make([]pricedLine, 1+rng.IntN(8))
		for i := range lines {
			lines[i] = pricedLine{ProductID: i + 1, Quantity: 1 + rng.IntN(20), UnitCents: int64(rng.IntN(50000)), VATRateBP: rates[rng.IntN(len(rates))]}
		}
		shipping := int64(0)
		if rng.IntN(2) == 0 {
			shipping = int64(rng.IntN(2000))
		}
		shipBP := rates[rng.IntN(len(rates))]
		got, ok := price(lines, shipping, shipBP)
		if !ok {
			t.Fatalf("cart %d: refused", n)
		}
		gross := map[int]*big.Int{}
		sub := new(big.Int)
		units := 0
		for _, l := range lines {
			lt := new(big.Int).Mul(big.NewInt(l.UnitCents), big.NewInt(int64(l.Quantity)))
			if l.TotalCents != lt.Int64() {
				t.Fatalf("cart %d: line total %d, want %s", n, l.TotalCents, lt)
			}
			sub.Add(sub, lt)
			units += l.Quantity
			if gross[l.VATRateBP] == nil {
				gross[l.VATRateBP] = new(big.Int)
			}
			gross[l.VATRateBP].Add(gross[l.VATRateBP], lt)
		}
		if shipping > 0 {
			if gross[shipBP] == nil {
				gross[shipBP] = new(big.Int)
			}
			gross[shipBP].Add(gross[shipBP], big.NewInt(shipping))
		}
		if got.Subtotal != sub.Int64() || got.Total != sub.Int64()+shipping || got.Units != units {
			t.Fatalf("cart %d: subtotal %d total %d units %d; want %s, %d, %d", n, got.Subtotal, got.Total, got.Units, sub, sub.Int64()+shipping, units)
		}
		vat := int64(0)
		if len(got.Breakdown) != len(gross) {
			t.Fatalf("cart %d: %d rates in the breakdown, want %d", n, len(got.Breakdown), len(gross))
		}
		for _, b := range got.Breakdown {
			g := gross[b.RateBP].Int64()
			want := roundHalfUp(refVAT(g, b.RateBP))
			if b.GrossCents != g || b.VATCents != want || b.NetCents != g-want {
				t.Fatalf("cart %d rate %d: gross %d vat %d net %d; want %d, %d, %d", n, b.RateBP, b.GrossCents, b.VATCents, b.NetCents, g, want, g-want)
			}
			vat += want
			lineVAT := int64(0)
			for _, l := range lines {
				if l.VATRateBP != b.RateBP {
					continue
				}
				lineVAT += l.VATCents
				// its share of the rate's rounded VAT: vat × line / gross
				share := new(big.Rat).Mul(big.NewRat(want, 1), big.NewRat(l.TotalCents, max(g, 1)))
				diff := new(big.Rat).Sub(big.NewRat(l.VATCents, 1), share)
				if diff.Abs(diff).Cmp(big.NewRat(1, 1)) >= 0 {
					t.Fatalf("cart %d: a line's VAT %d is a cent or more from its share %s", n, l.VATCents, share.FloatString(3))
				}
			}
			linesPart := want // all of it, unless shipping is at this rate
			if shipping > 0 && shipBP == b.RateBP {
				linesPart = roundHalfUp(new(big.Rat).Mul(big.NewRat(want, 1), big.NewRat(g-shipping, g)))
			}
			if lineVAT != linesPart {
				t.Fatalf("cart %d rate %d: the lines' VAT adds up to %d, want %d", n, b.RateBP, lineVAT, linesPart)
			}
		}
		if got.VAT != vat {
			t.Fatalf("cart %d: VAT %d, want %d", n, got.VAT, vat)
		}
	}
}

func TestPriceRefusesWhatCouldOverflow(t *testing.T) {
	for _, tc := range []struct {
		name     string
		lines    []pricedLine
		shipping int64
	}{
		{"unit price beyond the bound", []pricedLine{{Quantity: 1, UnitCents: maxOrderCents + 1, VATRateBP: 1700}}, 0},
		{"quantity times price beyond it", []pricedLine{{Quantity: 999, UnitCents: maxOrderCents / 10, VATRateBP: 1700}}, 0},
		{"lines adding up beyond it", []pricedLine{{Quantity: 1, UnitCents: maxOrderCents, VATRateBP: 1700}, {Quantity: 1, UnitCents: 1, VATRateBP: 0}}, 0},
		{"shipping beyond it", []pricedLine{{Quantity: 1, UnitCents: maxOrderCents, VATRateBP: 1700}}, 1},
		{"no quantity", []pricedLine{{Quantity: 0, UnitCents: 100, VATRateBP: 1700}}, 0},
	} {
		if _, ok := price(tc.lines, tc.shipping, 1700); ok {
			t.Errorf("%s: priced, want refused", tc.name)
		}
	}
	// The bound itself is fine, and its VAT share does not overflow.
	if got, ok := price([]pricedLine{{Quantity: 1, UnitCents: maxOrderCents, VATRateBP: 1700}}, 0, 1700); !ok || got.VAT != roundHalfUp(refVAT(maxOrderCents, 1700)) {
		t.Errorf("an order at the bound: ok=%v vat=%d", ok, got.VAT)
	}
}
