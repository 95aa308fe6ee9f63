package order

import (
	"context"
	"fmt"
	"strings"

	"github.com/bazaar/bazaar/internal/mail"
)

// The order's mails, in the order's language (English when the shop's
// language has no text here). They are written in the order's transaction
// (mail.EnqueueTenant): they exist exactly when the order does, and leave
// after it commits.

type mailText struct {
	confirmSubject, confirmHello, confirmBody, total, payBank, payCard, pickup, shipTo, thanks string
	bankHolder, bankLater                                                                      string
	statusSubject, statusBody                                                                  string
	statuses                                                                                   map[string]string
}

var mailTexts = map[string]mailText{
	"en": {
		confirmSubject: "Your order %d at %s", confirmHello: "Hello %s,",
		confirmBody: "thank you for your order %d. Here is what you ordered:", total: "Total (VAT included)",
		payBank: "Please pay by bank transfer, quoting the reference %d. We send your order once the payment has arrived.",
		payCard: "Your card payment is being confirmed; we will let you know when it has gone through.",
		pickup:  "You collect your order at the shop.", shipTo: "We ship it to:", thanks: "Thank you for shopping at %s.",
		bankHolder: "Account holder", bankLater: "We send you our bank details in a separate message.",
		statusSubject: "Your order %d: %s", statusBody: "your order %d is now: %s.",
		statuses: map[string]string{"paid": "paid", "fulfilled": "sent", "completed": "completed", "cancelled": "cancelled", "refunded": "refunded"},
	},
	"fr": {
		confirmSubject: "Votre commande %d chez %s", confirmHello: "Bonjour %s,",
		confirmBody: "merci pour votre commande %d. Voici ce que vous avez commandé :", total: "Total (TVA comprise)",
		payBank: "Veuillez payer par virement bancaire en indiquant la référence %d. Nous expédions votre commande dès réception du paiement.",
		payCard: "Votre paiement par carte est en cours de confirmation ; nous vous prévenons dès qu'il est accepté.",
		pickup:  "Vous retirez votre commande en magasin.", shipTo: "Nous l'expédions à :", thanks: "Merci de votre achat chez %s.",
		bankHolder: "Titulaire du compte", bankLater: "Nous vous envoyons nos coordonnées bancaires dans un message séparé.",
		statusSubject: "Votre commande %d : %s", statusBody: "votre commande %d est maintenant : %s.",
		statuses: map[string]string{"paid": "payée", "fulfilled": "expédiée", "completed": "terminée", "cancelled": "annulée", "refunded": "remboursée"},
	},
	"de": {
		confirmSubject: "Ihre Bestellung %d bei %s", confirmHello: "Hallo %s,",
		confirmBody: "vielen Dank für Ihre Bestellung %d. Das haben Sie bestellt:", total: "Summe (inkl. MwSt.)",
		payBank: "Bitte zahlen Sie per Überweisung mit dem Verwendungszweck %d. Wir versenden Ihre Bestellung nach Zahlungseingang.",
		payCard: "Ihre Kartenzahlung wird bestätigt; wir melden uns, sobald sie durchgegangen ist.",
		pickup:  "Sie holen Ihre Bestellung im Geschäft ab.", shipTo: "Wir senden sie an:", thanks: "Vielen Dank für Ihren Einkauf bei %s.",
		bankHolder: "Kontoinhaber", bankLater: "Unsere Bankverbindung senden wir Ihnen in einer eigenen Nachricht.",
		statusSubject: "Ihre Bestellung %d: %s", statusBody: "Ihre Bestellung %d ist jetzt: %s.",
		statuses: map[string]string{"paid": "bezahlt", "fulfilled": "versandt", "completed": "abgeschlossen", "cancelled": "storniert", "refunded": "erstattet"},
	},
}

func textsFor(lang string) mailText {
	if t, ok := mailTexts[lang]; ok {
		return t
	}
	return mailTexts["en"]
}

// mailPlaced queues the shopper's confirmation and the shop's notice.
func (s *Service) mailPlaced(ctx context.Context, v *View, shop Shop) error {
	t := textsFor(v.Language)
	var b strings.Builder
	name := firstName(v.BillingAddress.Name)
	fmt.Fprintf(&b, t.confirmHello+"\n\n", name)
	fmt.Fprintf(&b, t.confirmBody+"\n\n", v.Number)
	writeLines(&b, v)
	fmt.Fprintf(&b, "\n%s: %s\n\n", t.total, money(v.TotalCents, v.Currency))
	switch v.PaymentMethod {
	case BankTransfer:
		fmt.Fprintf(&b, t.payBank+"\n", v.Number)
		if acc := shop.Bank; acc.Set() {
			fmt.Fprintf(&b, "  %s: %s\n  IBAN: %s\n", t.bankHolder, acc.Holder, acc.IBANGrouped())
			if acc.BIC != "" {
				fmt.Fprintf(&b, "  BIC: %s\n", acc.BIC)
			}
		} else {
			b.WriteString(t.bankLater + "\n")
		}
		b.WriteString("\n")
	case Card:
		b.WriteString(t.payCard + "\n\n")
	}
	if v.ShippingAddress == nil {
		b.WriteString(t.pickup + "\n\n")
	} else {
		a := v.ShippingAddress
		fmt.Fprintf(&b, "%s\n%s\n%s\n%s %s\n%s\n\n", t.shipTo, a.Name, a.Line1, a.PostalCode, a.City, a.Country)
	}
	fmt.Fprintf(&b, t.thanks+"\n", shop.Name)
	if shop.BaseURL != "" {
		b.WriteString(shop.BaseURL + "\n")
	}
	mails := []mail.Message{{Kind: "order_confirmation", To: v.Email,
		Subject: clipText(fmt.Sprintf(t.confirmSubject, v.Number, shop.Name), 300), Body: b.String()}}
	if shop.Email == "" {
		return mail.EnqueueTenant(ctx, mails...)
	}
	var n strings.Builder
	fmt.Fprintf(&n, "New order %d from %s: %s (%s).\n\n", v.Number, v.Email, money(v.TotalCents, v.Currency), v.PaymentMethod)
	if v.PaymentMethod == BankTransfer && !shop.Bank.Set() {
		fmt.Fprintf(&n, "Your shop's settings hold no bank account yet: send %s your bank details, or add them in the back office's settings for the next orders.\n\n", v.Email)
	}
	writeLines(&n, v)
	if shop.BaseURL != "" {
		fmt.Fprintf(&n, "\n%s/api/v1/orders/%d\n", shop.BaseURL, v.ID)
	}
	mails = append(mails, mail.Message{Kind: "order_notice", To: shop.Email,
		Subject: clipText(fmt.Sprintf("New order %d: %s", v.Number, money(v.TotalCents, v.Currency)), 300), Body: n.String()})
	return mail.EnqueueTenant(ctx, mails...)
}

// mailStatus tells the shopper their order moved on.
func (s *Service) mailStatus(ctx context.Context, v *View, shopName string) error {
	t := textsFor(v.Language)
	st := t.statuses[v.Status]
	if st == "" {
		return nil
	}
	body := fmt.Sprintf(t.confirmHello+"\n\n"+t.statusBody+"\n", firstName(v.BillingAddress.Name), v.Number, st)
	if v.TrackingNumber != "" && v.Status == "fulfilled" {
		body += "\nTracking: " + v.TrackingNumber + "\n"
	}
	body += "\n" + fmt.Sprintf(t.thanks, shopName) + "\n"
	return mail.EnqueueTenant(ctx, mail.Message{Kind: "order_status", To: v.Email,
		Subject: clipText(fmt.Sprintf(t.statusSubject, v.Number, st), 300), Body: body})
}

func writeLines(b *strings.Builder, v *View) {
	for _, l := range v.Lines {
		fmt.Fprintf(b, "  %d × %s (%s)  %s\n", l.Quantity, l.Title, l.SKU, money(l.TotalCents, v.Currency))
	}
	if v.ShippingCents > 0 {
		fmt.Fprintf(b, "  %s  %s\n", v.ShippingName, money(v.ShippingCents, v.Currency))
	}
}
