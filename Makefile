# checkpost: one entry point. "make run" sets up and serves; "make test" sets
# up and runs every test. Both install missing Debian packages first.

GO        ?= go
BIN       := bin/checkpost
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X main.version=$(VERSION)
ADDR      ?= 127.0.0.1:8080
DB        ?= var/checkpost.db
# Packages with concurrency of their own run again under the race detector;
# the CPU-heavy image and matching packages would take too long there.
RACE_PKGS ?= ./server/... ./cmd/... ./biometric/watchlist ./engine/pipeline
FUZZTIME  ?= 10s
BENCHTIME ?= 1s

.PHONY: all setup build run test bench fuzz clean

all: build

setup:
	@./scripts/setup.sh

build: setup
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/checkpost

run: build
	@mkdir -p $(dir $(DB))
	./$(BIN) serve --addr $(ADDR) --db $(DB)

test: setup
	$(GO) vet ./...
	$(GO) test -timeout 20m ./...
	$(GO) test -race -timeout 10m $(RACE_PKGS)

bench: setup
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) ./...

fuzz: setup
	@./scripts/fuzz.sh $(FUZZTIME)

clean:
	rm -rf bin
