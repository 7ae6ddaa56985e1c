#!/bin/sh
# The release build, defined once. `make build`, the Dockerfile, the
# end-to-end tests and the release workflow all run this script, so the
# binary tested and measured is the one shipped.
#
#   tools/build.sh OUTPUT
#
# VERSION and COMMIT (stamped into --version and the User-Agent), GOOS and
# GOARCH come from the environment. The binary is static (CGO_ENABLED=0:
# the image is scratch, with no libc), reproducible (-trimpath) and
# stripped (-s -w).
set -eu
out=${1:?usage: tools/build.sh OUTPUT}
case $out in /*) ;; *) out=$PWD/$out ;; esac
pkg=github.com/deploytrack/deploytrack/internal/step
cd "$(dirname "$0")/.."
CGO_ENABLED=0 exec go build -trimpath \
	-ldflags "-s -w -X $pkg.version=${VERSION:-dev} -X $pkg.commit=${COMMIT:-}" \
	-o "$out" .
