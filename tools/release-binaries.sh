#!/bin/sh
# The native variant's binaries, as the release attaches them:
#
#   tools/release-binaries.sh DIR
#
# builds deploytrack with tools/build.sh (the one release build; VERSION
# and COMMIT from the environment) for every system and processor the
# native variant runs on, as DIR/deploytrack-<goos>-<goarch>, with .exe
# for Windows, and writes their SHA-256 sums to DIR/SHA256SUMS in
# sha256sum's format. The release pins those sums into native/action.yml
# (tools/pin.sh); make test runs this script too (internal/e2e).
set -eu
dir=${1:?usage: tools/release-binaries.sh DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)

# Every GitHub-hosted runner: Linux, macOS and Windows, x64 and ARM64.
targets="linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64"

names=
for target in $targets; do
	goos=${target%/*}
	goarch=${target#*/}
	name=deploytrack-$goos-$goarch
	if [ "$goos" = windows ]; then
		name=$name.exe
	fi
	GOOS=$goos GOARCH=$goarch sh "$root/tools/build.sh" "$dir/$name"
	names="$names $name"
done

# sha256sum's text format, "<hex>  <name>", written out here: a Windows
# sha256sum marks binary files with "*", macOS has shasum.
cd "$dir"
: >SHA256SUMS.tmp
for name in $names; do
	if command -v sha256sum >/dev/null 2>&1; then
		sum=$(sha256sum <"$name")
	else
		sum=$(shasum -a 256 <"$name")
	fi
	printf '%s  %s\n' "${sum%% *}" "$name" >>SHA256SUMS.tmp
done
mv SHA256SUMS.tmp SHA256SUMS
cat SHA256SUMS
