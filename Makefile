# idsync — the two commands that matter are `make demo` and `make test` (see README.md).

SWIFT ?= swift

.PHONY: all build deps test demo bench clean

all: build

deps:
	scripts/install-deps

build: deps
	$(SWIFT) build

# Installs the servers the tests use (Samba AD DC, scim2-server), builds, and runs every test.
# The tests start and stop their own servers on 127.0.0.1.
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test

# Provisions a local demo domain and SCIM server, runs a sync, and prints what landed in the SCIM server.
demo: build
	scripts/demo

# The performance benchmark against OpenLDAP and scim2-server (release build; N = 1k and 10k, BENCH_N=100000
# for the big one). Prints the figures beside the targets.
bench: deps
	scripts/bench

clean:
	rm -rf .build .demo .bench
