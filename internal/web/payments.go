package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/bazaar/bazaar/internal/authz"
	"github.com/bazaar/bazaar/internal/payment"
)

// paymentHandlers read and change how the shop is paid: its Stripe
// account. The keys are the shop's own; the API takes them and never gives
// a secret back (whether each is set, the secret key's last four
// characters). The Stripe webhook and the checkout are the orders'.
type paymentHandlers struct {
	caller
	payments *payment.Service
}

func (h *paymentHandlers) routes() []route {
	return []route{
		{"GET", "/api/v1/settings/payments", Permission(authz.SettingsEdit), readTx, h.account},
		{"PUT", "/api/v1/settings/payments", Permission(authz.SettingsEdit), writeTx, h.setStripe},
	}
}

// account: GET /api/v1/settings/payments.
func (h *paymentHandlers) account(c *fiber.Ctx) error {
	v, err := h.payments.Account(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(v)
}

// setStripe: PUT /api/v1/settings/payments takes enabled, publishable_key,
// secret_key and webhook_secret; fields left out keep their value, an empty
// key is removed. It answers what GET does.
func (h *paymentHandlers) setStripe(c *fiber.Ctx) error {
	var in payment.StripeInput
	if err := bind(c, &in); err != nil {
		return err
	}
	v, err := h.payments.SetStripe(c.UserContext(), h.paymentActor(c), in)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

// paymentActor describes the caller to the payment service.
func (cl caller) paymentActor(c *fiber.Ctx) payment.Actor {
	a := payment.Actor{IP: cl.clientIP(c), RequestID: requestID(c)}
	if p := principalOf(c); p != nil {
		a.UserID, a.Email = p.UserID, p.Email
	}
	return a
}
