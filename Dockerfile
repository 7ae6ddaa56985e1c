# syntax=docker/dockerfile:1
# Build a static binary, then ship it alone on scratch with CA certificates.
# tools/build.sh is the release build, as `make build` and the tests run
# it, so the binary measured and tested is the one shipped.

# The builder runs on the build machine's platform and cross-compiles for
# the target (TARGETOS, TARGETARCH) rather than build under emulation.
# BuildKit sets BUILDPLATFORM. The classic builder (DOCKER_BUILDKIT=0: Docker
# 20.10 on self-hosted runners, which build `uses: ./` with a plain `docker
# build`) sets no platform ARG and rejects an empty --platform; "linux"
# alone means the machine's own architecture, and Go, given empty GOOS and
# GOARCH, builds for it. make test-image builds this file with both.
FROM --platform=${BUILDPLATFORM:-linux} golang:1.26.10-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
ARG TARGETOS TARGETARCH
RUN GOOS=$TARGETOS GOARCH=$TARGETARCH tools/build.sh /out/deploytrack
# action.yml's post-entrypoint: the same binary under the name that makes it
# the post step. A link copied with its directory stays a link (a link named
# as COPY's source would be followed, doubling the image).
RUN ln -s deploytrack /out/deploytrack-post

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/ /
# No USER: the runner mounts its files as root and expects the entrypoint to run as root.
ENTRYPOINT ["/deploytrack"]
