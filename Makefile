# weir — the front door. `make help` lists the targets.
SHELL := /bin/bash
GO ?= go
BIN := bin/weir
PLUGINS := echo mask
C_PLUGINS := mask_c
PLUGIN_WASM := $(PLUGINS:%=build/plugins/%.wasm) $(C_PLUGINS:%=build/plugins/%.wasm)
GO_SOURCES := $(shell find . -name '*.go' -not -path './build/*') go.mod go.sum

.PHONY: help deps build plugins run run-proto run-kafka run-kafka-scaleout run-nats run-swap run-swap-registry docs test test-stress bench check fmt vet tidy clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-8s %s\n", $$1, $$2}'

# Debian packages the build and tests use: wabt (WAT guests), clang-19 with
# wasi-libc (C guests and the C SDK).
APT_PACKAGES := wabt clang-19 lld-19 wasi-libc libclang-rt-19-dev-wasm32

deps: ## install what builds and tests need beyond Go (Debian wabt, clang-19, wasi-libc, rustc, lld-14, redis-server, postgresql-15, chromium; npm assemblyscript; the Redpanda SDK); idempotent
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing $$missing…"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi
	@$(GO) mod download

build: $(BIN) ## build the weir CLI (Benthos + weir plugins) into bin/

$(BIN): $(GO_SOURCES)
	$(GO) build -o $@ ./cmd/weir

plugins: deps # the C, Rust and AssemblyScript toolchains (make run on a fresh machine)
plugins: $(PLUGIN_WASM) ## build the shipped transforms into build/plugins/*.wasm

build/plugins/%.wasm: $(BIN) plugins/%/manifest.json $(GO_SOURCES)
	@mkdir -p build/plugins
	GOOS=wasip1 GOARCH=wasm $(GO) build -buildmode=c-shared -o build/plugins/$*.raw.wasm ./plugins/$*
	$(BIN) transform pack --manifest plugins/$*/manifest.json -o $@ build/plugins/$*.raw.wasm
	@rm -f build/plugins/$*.raw.wasm

# C transforms: the plugin's .c files with the C SDK, built as
# internal/fixtures.BuildC builds them.
C_SOURCES := $(wildcard sdk/c/*.[ch] $(C_PLUGINS:%=plugins/%/*.[ch]))

$(C_PLUGINS:%=build/plugins/%.wasm): build/plugins/%.wasm: $(BIN) plugins/%/manifest.json $(C_SOURCES)
	@mkdir -p build/plugins
	clang-19 --target=wasm32-wasi --sysroot=/usr -O2 -mbulk-memory -flto -Wall -Werror -mexec-model=reactor -o build/plugins/$*.raw.wasm sdk/c/weir.c plugins/$*/*.c
	$(BIN) transform pack --manifest plugins/$*/manifest.json -o $@ build/plugins/$*.raw.wasm
	@rm -f build/plugins/$*.raw.wasm

run: build plugins ## run the orders demo: masked orders on stdout, bad ones to build/dead-letter.jsonl
	@rm -f build/dead-letter.jsonl
	$(BIN) run examples/orders/pipeline.yaml
	@echo "--- dead letters (build/dead-letter.jsonl):"; cat build/dead-letter.jsonl

run-proto: build plugins ## the orders demo bound to a protobuf schema: validated, masked by schema options
	@rm -f build/dead-letter-proto.jsonl
	$(BIN) run examples/orders-proto/pipeline.yaml
	@echo "--- dead letters (build/dead-letter-proto.jsonl):"; cat build/dead-letter-proto.jsonl

bin/weir-devbroker: $(GO_SOURCES)
	$(GO) build -o $@ ./cmd/weir-devbroker

run-kafka: build plugins bin/weir-devbroker ## the orders through Kafka (a dev broker on loopback): orders → mask → orders-masked / orders-dlq
	@bin/weir-devbroker -kafka 127.0.0.1:19092 -kafka-topics orders,orders-masked,orders-dlq & pid=$$!; \
	trap "kill $$pid" EXIT; sleep 1; \
	$(BIN) run examples/kafka/produce.yaml && \
	{ timeout 15 $(BIN) run examples/kafka/pipeline.yaml || true; } && \
	{ timeout 5 $(BIN) run examples/kafka/show.yaml | tail -5 || true; }

run-kafka-scaleout: build plugins bin/weir-devbroker ## three weir processes in one consumer group share the orders' partitions
	@bin/weir-devbroker -kafka 127.0.0.1:19092 -kafka-topics orders,orders-masked,orders-dlq & broker=$$!; \
	sleep 1; pids=""; \
	for i in 1 2 3; do HTTP_ADDRESS=127.0.0.1:0 $(BIN) run examples/kafka/pipeline.yaml & pids="$$pids $$!"; done; \
	trap "kill $$pids; sleep 1; kill $$broker" EXIT; sleep 8; \
	$(BIN) run examples/kafka/produce.yaml && sleep 8 && \
	{ timeout 5 $(BIN) run examples/kafka/show.yaml | tail -3 || true; } && \
	echo "--- three processes in consumer group weir-mask shared the 3 partitions (examples/kafka, TestKafkaScaleOutExample)"

run-nats: build plugins bin/weir-devbroker ## the orders through NATS JetStream (a dev server on loopback): orders.in → mask → orders.masked.default / orders.dlq
	@bin/weir-devbroker -nats 127.0.0.1:14222 -nats-stream 'ORDERS:orders.>' & pid=$$!; \
	trap "kill $$pid" EXIT; sleep 1; \
	$(BIN) run examples/nats/produce.yaml && \
	{ timeout 10 $(BIN) run examples/nats/pipeline.yaml || true; } && \
	echo "--- the pipeline ran; the test suite (examples/nats) checks every subject's content"

run-swap: build plugins ## hot swap with the local store: echo → mask → rollback, under a running pipeline
	examples/hotswap/demo.sh local://weir/orders

run-swap-registry: build plugins bin/weir-devbroker ## the same hot swap through an OCI registry on loopback
	@bin/weir-devbroker -registry 127.0.0.1:15000 & pid=$$!; \
	trap "kill $$pid" EXIT; sleep 1; \
	examples/hotswap/demo.sh oci://127.0.0.1:15000/weir/orders

docs: ## regenerate docs/components/ from the components' ConfigSpecs
	$(GO) run ./cmd/weir-docs docs/components

test: deps fuzz ## run every test, with the race detector (and a short, bounded run of every fuzz target)
	$(GO) test -race -count=1 -timeout 30m ./...

# The packages whose tests wait on pipelines, brokers, registries and
# compiles: the ones a busy machine slows (docs/RATIONALE.md, "How does the
# suite stay green on a busy machine?").
STRESS_PACKAGES := ./host/... ./runtime/... ./registry/... ./cmd/... ./examples/... ./bench/...

test-stress: deps ## run the timing-sensitive packages with -race while a CPU hog busies every core
	@hogs=""; trap 'kill $$hogs 2>/dev/null' EXIT; trap 'exit 130' INT TERM; \
	for i in $$(seq $$(nproc)); do sha256sum /dev/zero & hogs="$$hogs $$!"; done; \
	echo "test-stress: $$(nproc) CPU hogs running; $$(uptime)"; \
	time $(GO) test -race -count=1 -timeout 30m $(STRESS_PACKAGES); \
	status=$$?; echo "test-stress: $$(uptime)"; exit $$status

.PHONY: fuzz
# Budgets are counts of inputs, not durations: a -fuzztime duration races Go
# 1.26's fuzz coordinator on a loaded machine (golang/go#75804, a bare
# "context deadline exceeded" with no crasher). Each count is about ten
# seconds of fuzzing with both cores busy, a smoke run on top of the seeds
# every go test runs (docs/RATIONALE.md, "Why does make fuzz run so few
# inputs?"); FUZZ_SCALE multiplies them all, for a long run.
FUZZ_SCALE ?= 1
fuzzx = $$(( $(1) * $(FUZZ_SCALE) ))x
fuzz: ## a short, bounded run of every fuzz target (their seeds also run in every go test); FUZZ_SCALE=100 for a long one
	$(GO) test -run XXX -fuzz '^FuzzMask$$' -fuzztime $(call fuzzx,10000) ./plugins/mask
	$(GO) test -run XXX -fuzz '^FuzzMaskProto$$' -fuzztime $(call fuzzx,2000) ./plugins/mask
	$(GO) test -run XXX -fuzz '^FuzzScanAgreesWithReference$$' -fuzztime $(call fuzzx,10000) ./sdk/go/jsonpath
	$(GO) test -run XXX -fuzz '^FuzzDecodeProjected$$' -fuzztime $(call fuzzx,5000) ./runtime
	$(GO) test -run XXX -fuzz '^FuzzMaskMatchesGo$$' -fuzztime $(call fuzzx,5000) ./plugins/mask_c/masktest
	$(GO) test -run XXX -fuzz '^FuzzProcessFields$$' -fuzztime $(call fuzzx,5000) ./sdk/go

bench: deps ## run the benchmarks (guests built from source) and write docs/benchmarks.md
	$(GO) run ./bench/cmd/weirbench -out docs/benchmarks.md

check: fmt vet tidy ## format, vet, tidy, and fail on a dirty tree
	@git diff --exit-code --stat || { echo "check: the tree changed (run make check and commit)"; exit 1; }

fmt:
	gofmt -l -w .

vet:
	$(GO) vet ./...
	GOOS=wasip1 GOARCH=wasm $(GO) vet ./sdk/... ./plugins/...

tidy:
	$(GO) mod tidy

clean: ## remove build outputs
	rm -rf bin build

# issue 15: rust
# Rust transforms (sdk/rust): Debian's rustc 1.63 with its wasm32 std,
# linked by wasm-ld-14 (internal/fixtures.BuildRust).
APT_PACKAGES += rustc libstd-rust-dev-wasm32 lld-14
RUST_FLAGS := --edition 2021 --target wasm32-unknown-unknown -C opt-level=3 -C strip=debuginfo -C linker=wasm-ld-14 -C target-feature=+bulk-memory

plugins: build/plugins/mask_rust.wasm

build/rust/libweir.rlib: $(wildcard sdk/rust/weir/src/*.rs)
	@mkdir -p build/rust
	/usr/bin/rustc $(RUST_FLAGS) --crate-type rlib --crate-name weir -o $@ sdk/rust/weir/src/lib.rs

build/plugins/mask_rust.wasm: $(BIN) build/rust/libweir.rlib plugins/mask_rust/manifest.json $(wildcard plugins/mask_rust/*.rs)
	@mkdir -p build/plugins
	/usr/bin/rustc $(RUST_FLAGS) -C lto=fat --crate-type cdylib --crate-name mask_rust --extern weir=build/rust/libweir.rlib -o build/plugins/mask_rust.raw.wasm plugins/mask_rust/lib.rs
	$(BIN) transform pack --manifest plugins/mask_rust/manifest.json -o $@ build/plugins/mask_rust.raw.wasm
	@rm -f build/plugins/mask_rust.raw.wasm

# issue 15: as
ASC_VERSION := 0.28.20

.PHONY: deps-as
deps: deps-as

deps-as: ## install the AssemblyScript compiler (npm assemblyscript, pinned) into build/tools; idempotent
	@command -v npm >/dev/null || { echo "installing nodejs npm…"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq nodejs npm >/dev/null; }
	@v=$$(node -p "require('./build/tools/node_modules/assemblyscript/package.json').version" 2>/dev/null); \
	if [ "$$v" != "$(ASC_VERSION)" ]; then \
		mkdir -p build/tools && npm install --prefix build/tools --no-audit --no-fund --no-save assemblyscript@$(ASC_VERSION); \
	fi
# issue 15: redpanda
deps: deps-redpanda
deps-redpanda: ## fetch the Redpanda Data Transforms SDK the tests build its own examples from (Go module proxy, pinned)
	cd / && GOWORK=off $(GO) mod download github.com/redpanda-data/redpanda/src/transform-sdk/go/transform@v1.1.0
# issue 14: route
# The router ships with its golden fixtures, run before every swap to it.
ROUTE_WASM := build/plugins/route.wasm

plugins: $(ROUTE_WASM)

$(ROUTE_WASM): $(BIN) plugins/route/manifest.json plugins/route/fixtures.json $(GO_SOURCES)
	@mkdir -p build/plugins
	GOOS=wasip1 GOARCH=wasm $(GO) build -buildmode=c-shared -o build/plugins/route.raw.wasm ./plugins/route
	$(BIN) transform pack --manifest plugins/route/manifest.json --fixtures plugins/route/fixtures.json -o $@ build/plugins/route.raw.wasm
	@rm -f build/plugins/route.raw.wasm

.PHONY: fuzz-route
fuzz: fuzz-route
fuzz-route:
	$(GO) test -run XXX -fuzz '^FuzzPlainNumber$$' -fuzztime $(call fuzzx,2000) ./plugins/route

# issue 14: route — enrich and the seed pipelines
plugins: build/plugins/enrich.wasm

run-fraud: build plugins bin/weir-devbroker ## fraud screening through Kafka and Redis (both on loopback): orders → mask → enrich (risk profiles in Redis) → route → orders-review / orders-clean / orders-dlq
	@bin/weir-devbroker -kafka 127.0.0.1:19092 -kafka-topics orders,orders-review,orders-clean,orders-dlq & pid=$$!; \
	redis-server --bind 127.0.0.1 --port 16379 --save "" --appendonly no >/dev/null & rpid=$$!; \
	trap "kill $$pid $$rpid" EXIT; sleep 1; \
	examples/fraud/load-redis.sh 16379 && \
	$(BIN) run examples/fraud/produce.yaml && \
	{ REDIS_URL=redis://127.0.0.1:16379 timeout 45 $(BIN) run -r examples/fraud/risk-redis.yaml examples/fraud/pipeline.yaml || true; } && \
	{ timeout 15 $(BIN) run examples/fraud/show.yaml > build/fraud-shown.txt || true; } ; \
	for topic in orders-review orders-clean orders-dlq; do \
		echo "--- $$topic: $$(grep -c "^$$topic: " build/fraud-shown.txt) records, e.g."; grep -m 2 "^$$topic: " build/fraud-shown.txt || true; done

run-iot: build plugins bin/weir-devbroker ## IoT anomaly routing through Kafka (a dev broker on loopback): readings → enrich (device limits) → route → alerts / readings-ok / readings-dlq
	@bin/weir-devbroker -kafka 127.0.0.1:19092 -kafka-topics readings,alerts,readings-ok,readings-dlq & pid=$$!; \
	trap "kill $$pid" EXIT; sleep 1; \
	$(BIN) run examples/iot/produce.yaml && \
	{ timeout 45 $(BIN) run examples/iot/pipeline.yaml || true; } && \
	{ timeout 15 $(BIN) run examples/iot/show.yaml > build/iot-shown.txt || true; } ; \
	for topic in alerts readings-ok readings-dlq; do \
		echo "--- $$topic: $$(grep -c "^$$topic: " build/iot-shown.txt) records, e.g."; grep -m 2 "^$$topic: " build/iot-shown.txt || true; done

.PHONY: run-fraud run-iot

# issue 14: caps
APT_PACKAGES += redis-server # the weir_redis cache's tests run a real server (internal/testredis)

# issue 14: enrich
# Enrich ships with its golden fixtures (their kv contents served from
# memory by the fixture run), run before every swap to it.
ENRICH_WASM := build/plugins/enrich.wasm

$(ENRICH_WASM): $(BIN) plugins/enrich/manifest.json plugins/enrich/fixtures.json $(GO_SOURCES)
	@mkdir -p build/plugins
	GOOS=wasip1 GOARCH=wasm $(GO) build -buildmode=c-shared -o build/plugins/enrich.raw.wasm ./plugins/enrich
	$(BIN) transform pack --manifest plugins/enrich/manifest.json --fixtures plugins/enrich/fixtures.json -o $@ build/plugins/enrich.raw.wasm
	@rm -f build/plugins/enrich.raw.wasm

# issue 17: console
# The console's browser test (host/console_browser_test.go) drives Debian's
# chromium headless through chromedp.
APT_PACKAGES += chromium

# issue 16: cdc
APT_PACKAGES += postgresql-15 # the postgres_cdc input's tests and make run-cdc run a real cluster (internal/testpg)

pg-up: bin/weir-devbroker ## a PostgreSQL cluster (wal_level=logical) under build/pg on 127.0.0.1:15432, until Ctrl-C
	bin/weir-devbroker -postgres 15432 -postgres-dir build/pg

bin/cdc-loadgen: $(GO_SOURCES)
	$(GO) build -o $@ ./examples/cdc/cmd/loadgen

run-cdc: build plugins bin/weir-devbroker bin/cdc-loadgen ## change data capture: PostgreSQL (a fresh cluster under build/pg-cdc) → postgres_cdc → mask → cdc.public.customers / cdc.public.orders / cdc.dlq (Kafka)
	@rm -rf build/pg-cdc; \
	bin/weir-devbroker -kafka 127.0.0.1:19092 -kafka-topics cdc.public.customers,cdc.public.orders,cdc.dlq -postgres 15432 -postgres-dir build/pg-cdc & pid=$$!; \
	trap "kill $$pid" EXIT; \
	bin/cdc-loadgen -seed && \
	{ timeout 30 $(BIN) run examples/cdc/pipeline.yaml & wpid=$$!; bin/cdc-loadgen -live -wait-slot weir; wait $$wpid || true; } && \
	{ timeout 15 $(BIN) run examples/cdc/show.yaml > build/cdc-shown.txt || true; } ; \
	for topic in cdc.public.customers cdc.public.orders cdc.dlq; do \
		echo "--- $$topic: $$(grep -c "^$$topic: " build/cdc-shown.txt) changes, e.g."; grep -m 2 "^$$topic: " build/cdc-shown.txt || true; done

.PHONY: pg-up run-cdc
