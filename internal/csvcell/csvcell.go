// Package csvcell keeps the CSV files Bazaar hands out safe to open in a
// spreadsheet. Text that came from outside — a feed's line, an e-mail typed
// at a sign-in form, an action's target — may start with what Excel,
// LibreOffice or Google Sheets read as a formula (CSV injection); Defuse
// makes such a cell plain text.
package csvcell

import "strings"

// formulaStarts are the first characters that make a spreadsheet evaluate a
// cell (=, +, -, @) or that a spreadsheet strips before doing so (tab, CR).
const formulaStarts = "=+-@\t\r"

// Defuse returns v with a leading apostrophe when a spreadsheet would read
// it as a formula, and v unchanged otherwise. The apostrophe is what
// spreadsheets themselves use to mark a cell as text.
func Defuse(v string) string {
	if v != "" && strings.IndexByte(formulaStarts, v[0]) >= 0 {
		return "'" + v
	}
	return v
}
