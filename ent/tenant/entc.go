//go:build ignore

// entc.go generates the tenant graph. Run it with `go generate ./ent/...`.
package main

import (
	"log"

	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
)

func main() {
	err := entc.Generate("./schema", &gen.Config{
		Package: "github.com/bazaar/bazaar/ent/tenant",
		Target:  ".",
		Features: []gen.Feature{
			gen.FeatureVersionedMigration,
			gen.FeatureSchemaConfig, // unqualified by default; bench and cross-tenant tooling qualify
			gen.FeatureUpsert,
			gen.FeatureLock,
			gen.FeatureModifier,
			gen.FeatureExecQuery,
		},
	})
	if err != nil {
		log.Fatalf("generate tenant graph: %v", err)
	}
}
