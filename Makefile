# The front door: make test, make test-image, make demo, make build, make lint, make bench.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)

export VERSION COMMIT
export CGO_ENABLED := 0

.PHONY: all build test test-image fuzz lint vuln demo bench clean

all: lint test

# tools/build.sh is the one definition of the release build.
build:
	tools/build.sh bin/deploytrack

# go vet once, then every test in a shuffled order, with the race
# detector where cgo has a C compiler (CI and the project's machines; a
# machine with only Go runs without it; RACE= turns it off). The
# end-to-end tests spend most of their time waiting (on timeouts,
# Retry-After, the binary): run more of them at once than there are CPUs.
# The native variant runs the binary on macOS and Windows too: go vet
# also reads the code and its tests as built there, and internal/e2e
# cross-compiles the six release binaries (tools/release-binaries.sh).
# (internal/bench, which measures processes on this Linux machine with
# its system calls, is vetted for Linux only.) go vet compiles with
# -trimpath, as tools/build.sh does, so that the release builds reuse
# what it compiled.
NOT_BENCH = $(shell $(GO) list ./... | grep -v /internal/bench)
RACE ?= $(shell command -v "$$($(GO) env CC)" >/dev/null 2>&1 && echo -race)
test:
	$(GO) vet -trimpath ./...
	GOOS=windows $(GO) vet -trimpath $(NOT_BENCH)
	GOOS=darwin $(GO) vet -trimpath $(NOT_BENCH)
	CGO_ENABLED=$(if $(RACE),1,0) $(GO) test -count=1 -shuffle=on -parallel 8 $(RACE) ./...

# The image on a real Docker engine: tools/test-image.sh starts a private
# dockerd (Debian's docker.io; without it, or without root, it skips with
# one line), then runs internal/e2e's TestImage*: the image built from the
# release build and run by docker run with the runner's options, on a job
# network, and the Dockerfile built by the classic builder and BuildKit.
test-image:
	tools/test-image.sh

# Every fuzz target, each for FUZZTIME (go test fuzzes one target at a
# time); make test runs only their seeds. An input that fails is written
# under the package's testdata/fuzz, which go test then replays; the
# directory is not committed: make a finding a seed or a test.
FUZZTIME ?= 30s
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
		for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
			echo "== $$pkg $$target ($(FUZZTIME))"; \
			$(GO) test -run '^$$' -fuzz "^$$target\$$" -fuzztime $(FUZZTIME) $$pkg; \
		done; \
	done

# staticcheck and actionlint are pinned tool dependencies of tools/go.mod,
# a module of their own so that the action's go.mod stays lean.
TOOL := $(GO) tool -modfile=tools/go.mod

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(TOOL) staticcheck ./...
	# actionlint looks for runs.post-entrypoint in the checkout; it is a link
	# inside the image (see the Dockerfile), which TestDockerfileStructure checks.
	$(TOOL) actionlint -ignore 'file "/deploytrack-post" does not exist' .github/workflows/*.yml

# govulncheck (pinned in tools/go.mod) over the code and the Go that builds
# it, against the Go vulnerability database as of the golang.org/x/vulndb
# pinned there: the module proxy serves it where the database's own host
# is out of reach, and Dependabot moves it with the other tools. It fails
# when the code reaches a known vulnerability, in a module or in the
# standard library of the Go running it.
vuln:
	@set -e; db=$$(mktemp -d); trap 'rm -rf "$$db"' EXIT; \
	osv=$$($(GO) mod download -modfile=tools/go.mod -json golang.org/x/vulndb | sed -n 's/^\t"Dir": "\(.*\)",$$/\1/p'); \
	$(TOOL) indexdb -vulns "$$osv/data/osv" -out "$$db/db"; \
	$(TOOL) govulncheck -db "file://$$db/db" ./...

demo: build
	$(GO) run ./internal/demo -bin bin/deploytrack

# What a step costs (BENCHMARKS.md): the hot paths' benchmarks with their
# allocations, then internal/bench: the release binary as a whole process
# against the fakes (over HTTP and over HTTPS with a test CA), beside the
# floors it builds (a bare Go binary, and one linking what the action links),
# the growth budgets in process, and, as root with Debian's docker.io, docker
# run of the image on a private dockerd it starts and stops by its pid (-docker
# off skips it). A PASS or FAIL line for each budget; it exits 1 when one
# fails. Not part of make test.
bench: build
	$(GO) test -run '^$$' -bench . -benchmem -count=1 ./...
	$(GO) run ./internal/bench -bin bin/deploytrack

clean:
	rm -rf bin
