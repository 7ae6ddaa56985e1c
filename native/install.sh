#!/usr/bin/env bash
# The native variant's first step (native/action.yml): puts a deploytrack
# binary for this runner on it, and writes its path to the step's output
# "path" for the next step to run.
#
# On a release commit, action.yml holds the version (DEPLOYTRACK_VERSION),
# where the release's assets are (DEPLOYTRACK_RELEASE_URL) and each
# binary's SHA-256 (DEPLOYTRACK_SHA256_<OS>_<ARCH>), written by tools/pin.sh.
# The binary is downloaded with curl into the runner's tool cache,
# $RUNNER_TOOL_CACHE/deploytrack/<version>/<arch>/ (with <arch>.complete
# beside it, as actions/tool-cache lays it out), and checked against its
# sum before it is kept, and again each time it is used: no binary runs
# unverified, and the job's later steps download nothing.
#
# On any other ref the pins are empty: there is no release to download
# from, and the binary is built from this checkout with go, when the
# runner has it.
#
# It runs under bash 3.2 (macOS) and Git Bash (Windows) alike, and needs
# only curl, sha256sum (or shasum), mkdir, mktemp, mv, chmod and rm; go and
# dirname to build from source; cygpath on Windows.
set -euo pipefail

say() { printf 'deploytrack/native: %s\n' "$*"; }
fail() {
	printf '::error title=deploytrack/native::%s\n' "$*"
	exit 1
}

case ${RUNNER_OS:-} in
Linux) goos=linux ;;
macOS) goos=darwin ;;
Windows) goos=windows ;;
*) fail "no deploytrack binary for runner OS '${RUNNER_OS:-}': the native variant runs on Linux, macOS and Windows" ;;
esac
case ${RUNNER_ARCH:-} in
X64) goarch=amd64 arch=x64 ;;
ARM64) goarch=arm64 arch=arm64 ;;
*) fail "no deploytrack binary for runner processor '${RUNNER_ARCH:-}': the native variant runs on X64 and ARM64" ;;
esac
exe=
if [ "$goos" = windows ]; then
	exe=.exe
fi

# unixpath turns the Windows paths the runner hands Git Bash into its own.
unixpath() {
	if command -v cygpath >/dev/null 2>&1; then
		cygpath -u "$1"
	else
		printf '%s\n' "$1"
	fi
}

# sha256 prints the SHA-256 of a file, in hex.
sha256() {
	local out
	if command -v sha256sum >/dev/null 2>&1; then
		out=$(sha256sum <"$1")
	else
		out=$(shasum -a 256 <"$1")
	fi
	printf '%s\n' "${out%% *}"
}

from_source() {
	local root
	root=$(unixpath "${GITHUB_ACTION_PATH:?}")/..
	if ! command -v go >/dev/null 2>&1; then
		fail "this ref of deploytrack/native is not a release (its action.yml pins no version), so there is no binary to download, and go is not on the PATH to build one from source: use a release, deploytrack/deploytrack/native@v1, or set up Go before this step (actions/setup-go)"
	fi
	bin=$(unixpath "${RUNNER_TEMP:?}")/deploytrack-source/deploytrack$exe
	say "not a release: building the binary from source with $(go version)"
	GOOS=$goos GOARCH=$goarch bash "$root/tools/build.sh" "$bin"
}

from_release() {
	local want base asset cache got
	case $goos-$goarch in
	linux-amd64) want=${DEPLOYTRACK_SHA256_LINUX_AMD64:-} ;;
	linux-arm64) want=${DEPLOYTRACK_SHA256_LINUX_ARM64:-} ;;
	darwin-amd64) want=${DEPLOYTRACK_SHA256_DARWIN_AMD64:-} ;;
	darwin-arm64) want=${DEPLOYTRACK_SHA256_DARWIN_ARM64:-} ;;
	windows-amd64) want=${DEPLOYTRACK_SHA256_WINDOWS_AMD64:-} ;;
	windows-arm64) want=${DEPLOYTRACK_SHA256_WINDOWS_ARM64:-} ;;
	esac
	if ! [[ $want =~ ^[0-9a-f]{64}$ ]]; then
		fail "deploytrack $version's action.yml pins no SHA-256 for $goos-$goarch, so no binary can be verified: the release is incomplete"
	fi
	base=${DEPLOYTRACK_RELEASE_URL:-}
	if [ -z "$base" ]; then
		fail "deploytrack $version's action.yml does not say where the release's binaries are (DEPLOYTRACK_RELEASE_URL)"
	fi
	if ! command -v sha256sum >/dev/null 2>&1 && ! command -v shasum >/dev/null 2>&1; then
		fail "neither sha256sum nor shasum is on the PATH, so the binary cannot be verified, and is not downloaded"
	fi
	asset=deploytrack-$goos-$goarch$exe
	cache=$(unixpath "${RUNNER_TOOL_CACHE:-${RUNNER_TEMP:?}}")/deploytrack/${version#v}/$arch
	bin=$cache/deploytrack$exe

	if [ -f "$cache.complete" ] && [ -f "$bin" ]; then
		got=$(sha256 "$bin")
		if [ "$got" != "$want" ]; then
			fail "the tool cache's $bin has SHA-256 $got, but deploytrack $version pins $want: it changed after it was verified, and is not run. Delete $cache to download it again."
		fi
		say "deploytrack $version ($goos-$goarch) from the tool cache, SHA-256 verified: $bin"
		return
	fi

	mkdir -p "$cache"
	tmp=$(mktemp "$cache/.download.XXXXXX")
	trap 'rm -f "$tmp"' EXIT
	say "downloading $base/$asset"
	if ! curl --fail --silent --show-error --location --retry 3 --output "$tmp" "$base/$asset"; then
		fail "could not download $base/$asset"
	fi
	got=$(sha256 "$tmp")
	if [ "$got" != "$want" ]; then
		fail "checksum mismatch: $asset from $base has SHA-256 $got, but deploytrack $version pins $want in its action.yml. It is not the binary the release built: it was deleted, and not run."
	fi
	chmod +x "$tmp"
	mv -f "$tmp" "$bin"
	trap - EXIT
	: >"$cache.complete"
	say "deploytrack $version ($goos-$goarch) downloaded and SHA-256 verified: $bin"
}

version=${DEPLOYTRACK_VERSION:-}
if [ -z "$version" ]; then
	from_source
else
	from_release
fi
printf 'path=%s\n' "$bin" >>"${GITHUB_OUTPUT:?}"
