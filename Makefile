# idsync — the two commands that matter are `make demo` and `make test` (see README.md).

SWIFT ?= swift

.PHONY: all build deps test demo bench fuzz clean

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

# The property-based fuzzing of the configuration parser, DN and filter handling and the SCIM response
# decoder, with many more cases than the test run's 200 (FUZZ_COUNT, default 20000).
FUZZ_COUNT ?= 20000
fuzz:
	$(SWIFT) build --build-tests
	IDSYNC_FUZZ_COUNT=$(FUZZ_COUNT) $(SWIFT) test --skip-build --filter FuzzTests

clean:
	rm -rf .build .demo .bench
