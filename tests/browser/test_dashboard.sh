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

# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
here=$root/tests/browser

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
		skip "dashboard in chromium" "SVABENCH_SKIP_BROWSER=1 ($missing)"
		exit 0
	fi
	not_ok "dashboard in chromium" "$missing; $fix"
	exit 1
fi
if [ "${SVABENCH_SKIP_BROWSER:-0}" = 1 ]; then
	skip "dashboard in chromium" "SVABENCH_SKIP_BROWSER=1"
	exit 0
fi
need_built "daemon binary" "$SVABENCHD"

if ! start_daemon "$tmp/var" --web "$root/web"; then
	not_ok "svabenchd starts" "$(daemon_tail)"
	exit 1
fi
ok "svabenchd serves the dashboard on $url"

artifacts=$root/build/artifacts
[[ $SVABENCHD == */asan/* ]] && artifacts=$root/build/artifacts/asan

rc=0
(cd "$here" && SVABENCH_URL=$url SVABENCH_TOKEN=$(token) ARTIFACTS=$artifacts \
	CHROMIUM=$CHROMIUM node dashboard.mjs) || rc=$?
if [ $rc -ne 0 ]; then
	echo "# daemon log (last lines):"
	tail -q -n 8 "$daemon_out" "$daemon_err" | sed 's/^/#   /'
fi
exit $rc
