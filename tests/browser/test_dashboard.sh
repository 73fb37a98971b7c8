#!/usr/bin/env bash
# test_dashboard.sh - the dashboard in Debian's chromium, driven by npm's
# playwright-core (dashboard.mjs), against a svabenchd of our own on a free
# loopback port serving this tree's web/. Screenshots of each page go to
# build/artifacts/ (build/artifacts/asan/ for the ASan daemon).
#
# SVABENCH: the CLI under test (default build/svabench); the daemon is the
# svabenchd beside it. Needs /usr/bin/chromium (or CHROMIUM), node >= 18
# and tests/browser/node_modules (scripts/deps.sh --browser installs all
# three). SVABENCH_SKIP_BROWSER=1 skips the test instead of failing it.
set -u

root=$(cd "$(dirname "$0")/../.." && pwd)
SVABENCH=${SVABENCH:-$root/build/svabench}
SVABENCHD=${SVABENCHD:-$(dirname "$SVABENCH")/svabenchd}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
here=$root/tests/browser
tmp=$(mktemp -d)
daemon_pid=""

stop_daemon() {
	if [ -n "$daemon_pid" ]; then
		kill "$daemon_pid" 2>/dev/null
		wait "$daemon_pid" 2>/dev/null
		daemon_pid=""
	fi
}
trap 'stop_daemon; rm -rf "$tmp"' EXIT

fix="run scripts/deps.sh --browser (as root), or set SVABENCH_SKIP_BROWSER=1 to skip"

# The browser's prerequisites: skip when asked, else a "not ok" naming the fix.
missing=""
[ -x "$CHROMIUM" ] || missing="$CHROMIUM is not installed (Debian package chromium)"
if [ -z "$missing" ] && ! command -v node >/dev/null 2>&1; then
	missing="node is not installed (Debian package nodejs)"
fi
if [ -z "$missing" ] && [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 18 ]; then
	missing="node $(node --version) is too old for playwright-core (need >= 18)"
fi
if [ -z "$missing" ] && [ ! -f "$here/node_modules/playwright-core/package.json" ]; then
	missing="tests/browser/node_modules/playwright-core is missing (npm ci --prefix tests/browser)"
fi
if [ -n "$missing" ]; then
	if [ "${SVABENCH_SKIP_BROWSER:-0}" = 1 ]; then
		echo "skip - dashboard in chromium: SVABENCH_SKIP_BROWSER=1 ($missing)"
		exit 0
	fi
	echo "not ok - dashboard in chromium: $missing; $fix"
	exit 1
fi
if [ "${SVABENCH_SKIP_BROWSER:-0}" = 1 ]; then
	echo "skip - dashboard in chromium: SVABENCH_SKIP_BROWSER=1"
	exit 0
fi
if [ ! -x "$SVABENCHD" ]; then
	echo "not ok - daemon binary: $SVABENCHD is missing; run make"
	exit 1
fi

free_port() {
	node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => {
		console.log(s.address().port); s.close(); });'
}

# Starts svabenchd on a free port; 0 once it serves, 1 if it died or took too long.
start_daemon() {
	port=$(free_port)
	url="http://127.0.0.1:$port"
	: >"$tmp/daemon.log"
	"$SVABENCHD" --listen "127.0.0.1:$port" --var "$tmp/var" --no-default-suite --workers 2 \
		--web "$root/web" >>"$tmp/daemon.log" 2>&1 &
	daemon_pid=$!
	for _ in $(seq 1 300); do
		grep -q "svabenchd: serving http://127.0.0.1:$port/" "$tmp/daemon.log" && return 0
		kill -0 "$daemon_pid" 2>/dev/null || break
		sleep 0.1
	done
	stop_daemon
	return 1
}

started=0
for _ in 1 2 3; do
	start_daemon && { started=1; break; }
done
if [ $started -eq 0 ]; then
	echo "not ok - svabenchd starts: $(tail -n 5 "$tmp/daemon.log" | tr '\n' ' ')"
	exit 1
fi
echo "ok - svabenchd serves the dashboard on $url"

artifacts=$root/build/artifacts
[[ $SVABENCHD == */asan/* ]] && artifacts=$root/build/artifacts/asan

rc=0
(cd "$here" && SVABENCH_URL=$url SVABENCH_TOKEN=$(cat "$tmp/var/token") ARTIFACTS=$artifacts \
	CHROMIUM=$CHROMIUM node dashboard.mjs) || rc=$?
if [ $rc -ne 0 ]; then
	echo "# daemon log (last lines):"
	tail -n 8 "$tmp/daemon.log" | sed 's/^/#   /'
fi
stop_daemon
exit $rc
