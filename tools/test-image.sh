#!/bin/sh
# make test-image: the image on a real Docker engine, run the way the
# runner runs it, and the Dockerfile built by both builders
# (internal/e2e/image*_test.go).
#
#   tools/test-image.sh [go test flags]
#
# It starts a Docker engine of its own for this run, and stops it by its
# pid at the end. It never uses the machine's default socket
# (/var/run/docker.sock): another process may be using that engine.
#
#   dockerd --host unix://$dir/docker.sock   its own socket, named to the
#                                            tests in DEPLOYTRACK_DOCKER_HOST
#           --data-root $dir/data            images and containers
#           --exec-root $dir/exec            its containerd and runc state
#           --pidfile $dir/docker.pid
#           --storage-driver overlay2        vfs where overlay2 cannot mount
#           --iptables=false --ip6tables=false
#                                            leaves the machine's firewall alone
#           --bridge=none                    no docker0: the tests make a
#                                            user-defined bridge network, as
#                                            the runner does for a job
#
# No registry is reachable: the tests build every image from files on
# this machine. Without Debian's docker.io, or without root (dockerd
# needs it), it skips with one line; .ci/run installs docker.io.
set -eu
cd "$(dirname "$0")/.."

dockerd=$(PATH=$PATH:/usr/sbin:/sbin command -v dockerd || true)
if [ -z "$dockerd" ]; then
	echo "test-image: skipped: no Docker engine (apt-get install docker.io)"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "test-image: skipped: dockerd needs root"
	exit 0
fi
# The CLI packaged with the engine (docker.io's /usr/bin/docker), which
# speaks its API and has its builders; else the first in PATH.
docker=$(dirname "$(dirname "$dockerd")")/bin/docker
[ -x "$docker" ] || docker=$(command -v docker) || { echo "test-image: no docker CLI beside $dockerd"; exit 1; }

start=$(date +%s)
dir=$(mktemp -d /tmp/deploytrack-docker.XXXXXX)
pid=
stop() {
	if [ -n "$pid" ]; then
		# A network's bridge interface outlives the engine (in the
		# machine's network namespace, holding its subnet): remove the
		# tests' containers and networks first, from this engine alone.
		"$docker" ps --all --quiet 2>/dev/null | xargs -r "$docker" rm --force >/dev/null 2>&1 || true
		"$docker" network ls --quiet --filter type=custom 2>/dev/null | xargs -r "$docker" network rm >/dev/null 2>&1 || true
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		pid=
	fi
}
finish() {
	stop
	# A daemon that failed to start can leave its data root mounted.
	awk -v d="$dir/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r | xargs -r -n 1 umount 2>/dev/null || true
	rm -rf "$dir"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

export DOCKER_HOST="unix://$dir/docker.sock" DOCKER_CONFIG="$dir/config"
for driver in overlay2 vfs; do
	"$dockerd" --host "$DOCKER_HOST" --data-root "$dir/data" --exec-root "$dir/exec" \
		--pidfile "$dir/docker.pid" --storage-driver "$driver" \
		--iptables=false --ip6tables=false --bridge=none >"$dir/dockerd.log" 2>&1 &
	pid=$!
	up=
	for _ in $(seq 150); do
		kill -0 "$pid" 2>/dev/null || break
		if "$docker" version >/dev/null 2>&1; then up=1; break; fi
		sleep 0.2
	done
	[ -n "$up" ] && break
	echo "test-image: dockerd with --storage-driver $driver did not come up:"
	tail -n 5 "$dir/dockerd.log"
	stop
done
if [ -z "$up" ]; then
	exit 1
fi
echo "test-image: $("$docker" version --format 'engine {{.Server.Version}}, CLI {{.Client.Version}}') ($docker), storage driver $driver, pid $pid"

status=0
DEPLOYTRACK_DOCKER_HOST=$DOCKER_HOST DEPLOYTRACK_DOCKER=$docker \
	go test -count=1 -run '^TestImage' "$@" ./internal/e2e || status=$?
if [ "$status" != 0 ]; then
	echo "test-image: the engine's log ends:"
	grep -E "level=(warning|error|fatal)" "$dir/dockerd.log" | tail -n 20 || true
fi
echo "test-image: $(($(date +%s) - start)) s"
exit "$status"
