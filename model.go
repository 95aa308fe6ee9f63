// Package bazaar holds what the repository root ships inside the binary: the
// Casbin authorization model (casbin_model.conf), kept at the root so it is
// found and reviewed as the one statement of how permissions are decided.
package bazaar

import _ "embed"

// CasbinModel is the text of casbin_model.conf.
//
//go:embed casbin_model.conf
var CasbinModel string
