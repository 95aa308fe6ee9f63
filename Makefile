# Bazaar — see README.md. Every target that needs PostgreSQL runs through
# scripts/with-db: it uses BAZAAR_DATABASE_URL when set, and otherwise starts
# (and on later runs reuses) a project-local cluster in .data/postgres, with
# PgBouncer in transaction mode in front of it for the tests (.data/pgbouncer).

GO      ?= go
BIN     := bin/bazaar
WITH_DB := scripts/with-db

.PHONY: run test test-short bench lint generate migration build db-stop db-status db-psql db-destroy clean

## run: build, migrate, seed the demo vendors and serve on :8080
run: build
	$(WITH_DB) sh -c '$(BIN) migrate && $(BIN) demo && exec $(BIN) serve'

## test: lint, then every test against real PostgreSQL (two local clusters,
## the second for the tests of tenant moves between clusters, and PgBouncer in
## front of the first, for the wall tests through a transaction pooler), the
## browser tests in headless Chromium among them (scripts/chromium prints its
## path, installing Debian's chromium package first when none is found)
test: lint
	chromium="$$(scripts/chromium path)" && \
	BAZAAR_TEST_CHROMIUM="$$chromium" BAZAAR_DEVDB_CLUSTERS=2 BAZAAR_DEVDB_PGBOUNCER=1 $(WITH_DB) $(GO) test -count=1 -race -timeout 30m ./...

## bench: the benchmarks, each with its same-run baseline (see bench/)
bench:
	BAZAAR_DEVDB_CLUSTERS=2 $(WITH_DB) bench/run

## lint: gofmt, go.mod tidy (direct requirements marked as such), go vet
lint:
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.data/*'))"; \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	@$(GO) mod tidy -diff >/dev/null 2>&1 || { echo "go.mod/go.sum are not tidy (run go mod tidy):"; $(GO) mod tidy -diff; exit 1; }
	$(GO) vet ./...

## generate: regenerate the ent code from ent/*/schema (entc's own
## dependencies land in go.sum while it runs; tidy takes them out again)
generate:
	$(GO) generate ./ent/...
	$(GO) mod tidy

## migration: write a versioned migration for schema changes (make migration name=add_x)
migration: generate
	@test -n "$(name)" || { echo "usage: make migration name=<lower_snake_case>"; exit 2; }
	$(WITH_DB) $(GO) run ./cmd/schemadiff $(name)

build:
	$(GO) build -o $(BIN) ./cmd/bazaar

db-stop:
	scripts/pgbouncer stop
	scripts/devdb stop
	DEVDB_INSTANCE=2 scripts/devdb stop
db-status:
	scripts/devdb status
	scripts/pgbouncer status
db-psql:
	scripts/devdb psql
db-destroy:
	scripts/pgbouncer destroy
	scripts/devdb destroy
	DEVDB_INSTANCE=2 scripts/devdb destroy

clean:
	rm -rf bin
