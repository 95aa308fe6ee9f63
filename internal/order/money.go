package order

import (
	"slices"
	"strconv"

	"github.com/bazaar/bazaar/ent/tenant/schema"
)

// Money is integer cents of the shop's currency, VAT included in every
// price (Luxembourg's shops show gross prices). The VAT inside a gross
// amount at rate r (basis points) is gross × r / (10000 + r), rounded half
// up to the cent, computed once per rate over the rate's whole gross — the
// breakdown an invoice shows — and then shared out over the lines of that
// rate by largest remainder, so the lines' VAT adds up to the breakdown's
// exactly, and the breakdown to the order's.

// maxOrderCents bounds an order's total (ten million in the shop's
// currency): far above any real basket, and low enough that sharing VAT out
// (a rate's VAT × a line's gross, at most 1.5e8 × 1e9) cannot overflow an
// int64.
const maxOrderCents = 1_000_000_000

// pricedLine is one line to charge.
type pricedLine struct {
	ProductID  int
	SKU        string
	Title      string
	Quantity   int
	UnitCents  int64
	VATRateBP  int
	TotalCents int64 // UnitCents × Quantity
	VATCents   int64 // its share of its rate's VAT
}

// totals are an order's sums.
type totals struct {
	Subtotal  int64 // the lines
	Shipping  int64
	VAT       int64
	Total     int64
	Units     int
	Breakdown []schema.VATLine
}

// vatIn is the VAT inside gross at rate bp, rounded half up.
func vatIn(gross int64, bp int) int64 {
	if bp == 0 || gross == 0 {
		return 0
	}
	d := int64(10000 + bp)
	return (2*gross*int64(bp) + d) / (2 * d)
}

// price fills the lines' totals and VAT and sums the order; shipping is
// charged at shippingBP. It reports false when the total is out of bounds.
func price(lines []pricedLine, shipping int64, shippingBP int) (totals, bool) {
	var t totals
	gross := map[int]int64{}
	for i := range lines {
		l := &lines[i]
		if l.Quantity <= 0 || l.UnitCents < 0 || l.UnitCents > maxOrderCents {
			return totals{}, false
		}
		l.TotalCents = l.UnitCents * int64(l.Quantity)
		if l.TotalCents > maxOrderCents {
			return totals{}, false
		}
		t.Subtotal += l.TotalCents
		if t.Subtotal > maxOrderCents {
			return totals{}, false
		}
		t.Units += l.Quantity
		gross[l.VATRateBP] += l.TotalCents
	}
	if shipping < 0 || shipping > maxOrderCents {
		return totals{}, false
	}
	t.Shipping = shipping
	t.Total = t.Subtotal + shipping
	if t.Total > maxOrderCents {
		return totals{}, false
	}
	if shipping > 0 {
		gross[shippingBP] += shipping
	}
	rates := make([]int, 0, len(gross))
	for r := range gross {
		rates = append(rates, r)
	}
	slices.Sort(rates)
	t.Breakdown = make([]schema.VATLine, 0, len(rates))
	for _, r := range rates {
		v := vatIn(gross[r], r)
		t.Breakdown = append(t.Breakdown, schema.VATLine{RateBP: r, GrossCents: gross[r], VATCents: v, NetCents: gross[r] - v})
		t.VAT += v
		shareVAT(lines, r, v, gross[r], shipping, shippingBP)
	}
	return t, true
}

// shareVAT gives each line of rate r its share of the rate's VAT v
// (over gross, which includes the shipping when it is charged at r):
// floor(v × line / gross) each, then the cents left over one by one to the
// largest remainders (ties to the earlier line). Shipping's share is what the
// lines do not take.
func shareVAT(lines []pricedLine, r int, v, gross, shipping int64, shippingBP int) {
	if gross == 0 {
		return
	}
	type rem struct {
		i int
		r int64
	}
	var rems []rem
	given := int64(0)
	for i := range lines {
		if lines[i].VATRateBP != r {
			continue
		}
		n := v * lines[i].TotalCents
		lines[i].VATCents = n / gross
		given += lines[i].VATCents
		rems = append(rems, rem{i, n % gross})
	}
	share := v // the lines' part of v: all of it unless shipping is at this rate
	if shipping > 0 && shippingBP == r {
		linesGross := gross - shipping
		share = v * linesGross / gross // shipping keeps the rest (its floor share and the odd cents)
		if (v*linesGross)%gross*2 >= gross {
			share++ // round the lines' part half up, as the whole is
		}
	}
	slices.SortStableFunc(rems, func(a, b rem) int {
		switch {
		case a.r > b.r:
			return -1
		case a.r < b.r:
			return 1
		}
		return 0
	})
	for k := 0; given < share && k < len(rems); k++ {
		lines[rems[k].i].VATCents++
		given++
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
