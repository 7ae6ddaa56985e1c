#!/bin/sh
# The release commit's one edit: pins both action.yml files to what the
# release built, in the checkout at the working directory.
#
#   tools/pin.sh VERSION IMAGE RELEASE_URL SUMS
#
#   action.yml          runs.image becomes docker://IMAGE, the pushed image
#                       by digest (name:VERSION@sha256:<64 hex>), which the
#                       runner pulls instead of building the Dockerfile;
#   native/action.yml   DEPLOYTRACK_VERSION becomes VERSION,
#                       DEPLOYTRACK_RELEASE_URL where the release's assets
#                       are downloaded from, and DEPLOYTRACK_SHA256_<OS>_<ARCH>
#                       each binary's sum from SUMS (the SHA256SUMS that
#                       tools/release-binaries.sh writes).
#
# Each line it edits must be there exactly once, and every binary's sum in
# SUMS, or it changes nothing and fails. The release workflow runs it
# before it commits and tags; internal/e2e runs it on copies.
set -eu
usage="usage: tools/pin.sh VERSION IMAGE RELEASE_URL SUMS"
version=${1:?$usage}
image=${2:?$usage}
url=${3:?$usage}
sums=${4:?$usage}

die() {
	echo "tools/pin.sh: $*" >&2
	exit 1
}

echo "$version" | grep -Eq '^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$' ||
	die "version $version is not vMAJOR.MINOR.PATCH[-prerelease]"
case $image in
*:"$version"@sha256:*) ;;
*) die "image $image is not NAME:$version@sha256:DIGEST" ;;
esac
echo "$image" | grep -Eq '^[a-z0-9][a-z0-9./_-]*:[0-9A-Za-z.-]+@sha256:[0-9a-f]{64}$' ||
	die "image $image is not NAME:$version@sha256:DIGEST (64 hex digits)"
echo "$url" | grep -Eq '^(https?|file)://[^|&\\ ]+$' ||
	die "release URL $url is not an http(s) or file URL (without | & \\ or spaces)"
[ -f "$sums" ] || die "no sums file $sums"

# sum prints the SHA-256 SUMS lists for a file, and fails unless exactly
# one well-formed line names it.
sum() {
	count=$(grep -Ec "^[0-9a-f]{64}  $1\$" "$sums" || true)
	[ "$count" = 1 ] || die "$sums has $count lines for $1, want one: <64 hex digits>  $1"
	grep -E "^[0-9a-f]{64}  $1\$" "$sums" | cut -c1-64
}

# set_line FILE PATTERN LINE replaces the one line of FILE that matches
# the extended regular expression PATTERN with LINE.
set_line() {
	count=$(grep -Ec "$2" "$1" || true)
	[ "$count" = 1 ] || die "$(basename "$1" .pinning) has $count lines matching $2, want exactly one"
	awk -v pat="$2" -v line="$3" '$0 ~ pat { print line; next } { print }' "$1" >"$1.new"
	mv "$1.new" "$1"
}

# Edit copies, and put them in place only when every edit was made.
a=action.yml.pinning
n=native/action.yml.pinning
trap 'rm -f "$a" "$a.new" "$n" "$n.new"' EXIT
cp action.yml "$a"
cp native/action.yml "$n"
set_line "$a" '^  image: ' "  image: docker://$image"
set_line "$n" '^        DEPLOYTRACK_VERSION: ' "        DEPLOYTRACK_VERSION: \"$version\""
set_line "$n" '^        DEPLOYTRACK_RELEASE_URL: ' "        DEPLOYTRACK_RELEASE_URL: \"$url\""
for target in linux-amd64 linux-arm64 darwin-amd64 darwin-arm64 windows-amd64 windows-arm64; do
	file=deploytrack-$target
	case $target in windows-*) file=$file.exe ;; esac
	key=DEPLOYTRACK_SHA256_$(echo "$target" | tr 'a-z-' 'A-Z_')
	hex=$(sum "$file")
	set_line "$n" "^        $key: " "        $key: \"$hex\""
done
mv "$a" action.yml
mv "$n" native/action.yml
