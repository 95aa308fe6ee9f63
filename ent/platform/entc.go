//go:build ignore

// entc.go generates the platform graph. Run it with `go generate ./ent/...`.
package main

import (
	"log"

	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
)

func main() {
	err := entc.Generate("./schema", &gen.Config{
		Package: "github.com/bazaar/bazaar/ent/platform",
		Target:  ".",
		Features: []gen.Feature{
			gen.FeatureVersionedMigration,
			gen.FeatureSchemaConfig, // platform tables are always schema-qualified
			gen.FeatureUpsert,
			gen.FeatureLock,
			gen.FeatureModifier,
			gen.FeatureExecQuery,
		},
	})
	if err != nil {
		log.Fatalf("generate platform graph: %v", err)
	}
}
