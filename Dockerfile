# syntax=docker/dockerfile:1
# Build a static binary, then ship it alone on scratch with CA certificates.
# tools/build.sh is the release build, as `make build` and the tests run
# it, so the binary measured and tested is the one shipped.
FROM --platform=$BUILDPLATFORM golang:1.26.10-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
# Cross-compile for the target platform rather than build under emulation.
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
