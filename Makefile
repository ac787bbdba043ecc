# idsync — the two commands that matter are `make demo` and `make test` (see README.md).

SWIFT ?= swift

.PHONY: all build deps test demo clean

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

clean:
	rm -rf .build .demo
