#!/usr/bin/env bash
# bench-page.sh - the default crossover (suites/default/08-crossover.json,
# 64 cells, run offline and imported) in a svabenchd of its own:
#
# 1. its experiment page in Chromium (tests/browser/bench-page.mjs): bytes
#    transferred and time to the answer and to every plot, cold and cached
#    (revalidated by ETag), beside what the page used to fetch (the whole
#    result document and the whole comparison);
# 2. the report: GET .../report's time, cold (the comparison computed) and
#    warm (the comparison cached), and its size.
#
# Needs chromium, node and tests/browser/node_modules for step 1 (else says
# so and goes on). Exits 1 when the daemon or the crossover fails.
set -u

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
SVABENCH=${SVABENCH:-$root/build/svabench}
SVABENCHD=${SVABENCHD:-$root/build/svabenchd}
tmp=$(mktemp -d -t svabench-bench-page.XXXXXX)
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port
"$SVABENCHD" --listen "127.0.0.1:$port" --var "$tmp/var" --no-default-suite --web "$root/web" \
	--body-max 67108864 >"$tmp/out" 2>"$tmp/err" &
pid=$!
for _ in $(seq 100); do
	curl -sf "$url/api/v1" >/dev/null 2>&1 && break
	sleep 0.1
done

if ! "$SVABENCH" run --offline suites/default/08-crossover.json --json --jobs 2 >"$tmp/doc.json" 2>"$tmp/run.err"; then
	echo "the crossover failed: $(head -c 300 "$tmp/run.err")" >&2
	exit 1
fi
id=$(SVABENCH_URL=$url "$SVABENCH" import "$tmp/doc.json" --var "$tmp/var" 2>"$tmp/imp.err")
if [ -z "$id" ]; then
	echo "import failed: $(head -c 300 "$tmp/imp.err")" >&2
	exit 1
fi
echo "the default crossover, imported as $id ($(stat -c %s "$tmp/doc.json") bytes of result document)"

# What the page fetched before it loaded answer first: the whole document
# and the whole comparison.
curl -s -o /dev/null -w 'before: the whole document %{size_download} bytes in %{time_total} s\n' \
	"$url/api/v1/experiments/$id"
curl -s -o /dev/null -w 'before: the whole comparison %{size_download} bytes in %{time_total} s\n' \
	"$url/api/v1/experiments/$id/comparison"

if [ -x /usr/bin/chromium ] && command -v node >/dev/null 2>&1 &&
	[ -f tests/browser/node_modules/playwright-core/package.json ]; then
	(cd tests/browser && node bench-page.mjs "$url" "$id" 1280) ||
		echo "the page load bench failed" >&2
else
	echo "page load: not measured (needs chromium, node and npm ci --prefix tests/browser;" \
		"scripts/deps.sh --browser installs them)"
fi

# the first report computes the default comparison, the second finds it cached
for how in "cold (comparison computed)" "warm (comparison cached)"; do
	curl -s -o "$tmp/report.txt" -w "report, $how: %{time_total} s, %{size_download} bytes\n" \
		"$url/api/v1/experiments/$id/report"
done
echo "report: $(wc -l <"$tmp/report.txt") lines"
