package authz_test

import (
	"testing"

	"github.com/bazaar/bazaar/tenantdb/tenanttest"
)

func TestMain(m *testing.M) { tenanttest.Main(m) }
