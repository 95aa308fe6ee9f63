package web

import (
	"encoding/json"

	"github.com/gofiber/fiber/v2"

	"github.com/bazaar/bazaar/internal/authz"
	"github.com/bazaar/bazaar/internal/vendor"
)

// settingsHandlers read and change the shop's settings: its name, contact
// details, languages, currency and theme. The settings are the vendor's
// platform registry row; the vendor service keeps it.
type settingsHandlers struct {
	caller
	vendor *vendor.Service
}

func (h *settingsHandlers) routes() []route {
	return []route{
		{"GET", "/api/v1/settings", Permission(authz.SettingsEdit), readTx, h.settings},
		{"PUT", "/api/v1/settings", Permission(authz.SettingsEdit), writeTx, h.updateSettings},
		// Reads and writes nothing: no transaction.
		{"POST", "/api/v1/settings/theme/preview", Permission(authz.SettingsEdit), noTx, h.previewTheme},
	}
}

// settings: GET /api/v1/settings.
func (h *settingsHandlers) settings(c *fiber.Ctx) error {
	s, err := h.vendor.Settings(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(s)
}

// updateSettings: PUT /api/v1/settings takes the document GET answers;
// fields left out are kept, theme_config replaces the whole theme.
func (h *settingsHandlers) updateSettings(c *fiber.Ctx) error {
	var in vendor.SettingsInput
	if err := bind(c, &in); err != nil {
		return err
	}
	s, err := h.vendor.UpdateSettings(c.UserContext(), h.vendorActor(c), in)
	if err != nil {
		return err
	}
	return c.JSON(s)
}

// previewTheme: POST /api/v1/settings/theme/preview {theme_config} answers
// {vars}, the CSS variables the shop front would write for that theme —
// its colours as shoppers see them, adjusted for contrast — or the theme's
// errors, by JSON path, as PUT would name them. Nothing is saved.
func (h *settingsHandlers) previewTheme(c *fiber.Ctx) error {
	var in struct {
		ThemeConfig json.RawMessage `json:"theme_config"`
	}
	if err := bind(c, &in); err != nil {
		return err
	}
	vars, err := vendor.PreviewTheme(in.ThemeConfig)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"vars": vars})
}
