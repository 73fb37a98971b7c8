#!/usr/bin/env bash
# test_plots.sh - svabenchd's plots over HTTP, fed hostile text: a spec
# whose name and label hold backquotes, system("touch MARKER"), newlines,
# quotes and the datablock terminator runs to done; every plot of it is
# 200 image/svg+xml, parses as XML, shows that text as text, and the marker
# file never appears. A second request is a cache hit (X-Plot-Cache, ETag
# and 304); an experiment without a 2-D sweep has no crossover (409
# no_data); unknown plots are 404 and bad queries 400 naming the field.
#
# SVABENCH: the CLI (default build/svabench); SVABENCHD: the daemon under
# test (default: svabenchd beside SVABENCH). Needs curl, python3, gnuplot.
set -u

# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

need_tools plots curl python3 gnuplot
need_built plots "$SVABENCHD"

if ! start_daemon "$tmp/var"; then
	not_ok "svabenchd starts" "$(daemon_tail)"
	exit 1
fi
ok "svabenchd starts on $url"

marker=$tmp/MARKER
# The hostile text, as JSON string content: every way out of a datablock or into a command.
evil="INJECT \`touch $marker\` system(\\\"touch $marker\\\") \\\"q\\\" 'q'\\nEOD\\nEOD_x\\r\\n]]> <b>&amp; @x \\\\"

# A 2-D sweep (a crossover) and a 1-D one (none); tiny runs (4 repetitions: 2 cannot reach a verdict).
cat >"$tmp/spec2d.json" <<EOF
{"target": "sim", "workload": "mixed", "strategies": ["pri-inv", "notifier"],
 "params": {"duration_us": 300, "sample_us": 20,
            "device_fault_rate_hz": [5000, 300000], "cpu_upgrade_rate_hz": [2000, 500000]},
 "repetitions": 4, "seed": 11, "name": "n $evil", "label": "l $evil"}
EOF
cat >"$tmp/spec1d.json" <<EOF
{"target": "sim", "workload": "rw-reuse", "strategies": ["pri-inv", "notifier"],
 "params": {"duration_us": 300, "ats": [false, true]}, "repetitions": 2, "seed": 12,
 "name": "plain", "label": "l $evil"}
EOF

# submit FILE - POSTs the spec in FILE; the response in $tmp/submit.json, prints the status.
submit() {
	curl -s -o "$tmp/submit.json" -w '%{http_code}' -X POST \
		-H "Authorization: Bearer $(token)" \
		-H 'Content-Type: application/json' --data-binary @"$1" "$url/api/v1/experiments"
}

code=$(submit "$tmp/spec2d.json")
id2=$(json_value "$tmp/submit.json" 'd["id"]' 2>/dev/null)
[ "$code" = 202 ] && [ -n "$id2" ] && ok "a spec with hostile name and label is accepted ($id2)" ||
	not_ok "a spec with hostile name and label is accepted" "$code $(head -c 300 "$tmp/submit.json")"
code=$(submit "$tmp/spec1d.json")
id1=$(json_value "$tmp/submit.json" 'd["id"]' 2>/dev/null)
[ "$code" = 202 ] && [ -n "$id1" ] && ok "a 1-D sweep is accepted ($id1)" ||
	not_ok "a 1-D sweep is accepted" "$code $(head -c 300 "$tmp/submit.json")"

# wait_done ID - until the experiment is done (120 s at most).
wait_done() { wait_experiment "$1" 120 && [ "$status" = done ]; }
wait_done "$id2" && wait_done "$id1" && ok "both experiments finish" ||
	{ not_ok "both experiments finish" "status of $id2/$id1 never became done"; exit 1; }

# get NAME PATH - GET into $tmp/NAME.{svg,h}; prints the status.
get() {
	curl -s -D "$tmp/$1.h" -o "$tmp/$1.svg" -w '%{http_code}' "$url$2"
}

# check_svg NAME PATH WANT_TEXT - 200, image/svg+xml, well-formed, shows WANT_TEXT as text.
check_svg() {
	local name=$1 path=$2 want=$3 code why
	code=$(get "$name" "$path")
	if [ "$code" != 200 ]; then
		not_ok "$name is an SVG" "GET $path: $code $(head -c 300 "$tmp/$name.svg")"
		return
	fi
	if ! grep -qi '^content-type: image/svg+xml' "$tmp/$name.h"; then
		not_ok "$name is an SVG" "content type: $(grep -i '^content-type' "$tmp/$name.h")"
		return
	fi
	if why=$(python3 -c '
import sys, xml.dom.minidom
doc = xml.dom.minidom.parse(sys.argv[1])
assert doc.documentElement.tagName == "svg", doc.documentElement.tagName
text = "".join(t.data for e in doc.getElementsByTagName("text") for t in e.childNodes
               if t.nodeType == t.TEXT_NODE)
want = sys.argv[2]
assert want in text, "%r not drawn; text: %r" % (want, text[:300])
assert not doc.getElementsByTagName("script"), "a script element"
' "$tmp/$name.svg" "$want" 2>&1); then
		ok "$name is a well-formed SVG showing the text as text"
	else
		not_ok "$name is a well-formed SVG showing the text as text" "$(echo "$why" | tail -n 1)"
	fi
}

check_svg comparison "/api/v1/experiments/$id2/plots/comparison.svg" "INJECT \`touch"
# without ?metric= the comparison is drawn on the headline metric, as the answer
grep -q "cost.total_ns_per_op" "$tmp/comparison.svg" &&
	ok "comparison.svg defaults to the headline metric (cost.total_ns_per_op)" ||
	not_ok "comparison.svg defaults to the headline metric" "$(grep -o '<title>[^<]*' "$tmp/comparison.svg" | head -3 | tr '\n' ' ')"
check_svg latency "/api/v1/experiments/$id2/plots/latency.svg?cell=1" "system("
check_svg crossover "/api/v1/experiments/$id2/plots/crossover.svg" "INJECT"
check_svg comparison-1d "/api/v1/experiments/$id1/plots/comparison.svg?metric=cmd.sync&baseline=notifier" "notifier"
check_svg timeseries "/api/v1/runs/$id2-r1/plots/timeseries.svg" "fault.permission"
check_svg timeseries-metrics "/api/v1/runs/$id1-r2/plots/timeseries.svg?metrics=cmd.sync,dma.latency_ns.p99" "cmd.sync"
check_svg history "/api/v1/history/plot.svg?workload=rw-reuse&metric=cpu.invalidation_ns&strategy=notifier" "l INJECT"

[ ! -e "$marker" ] && ok "no marker file: nothing in the labels ran" ||
	not_ok "no marker file: nothing in the labels ran" "$marker exists"

# --- the cache ---
code=$(get again "/api/v1/experiments/$id2/plots/comparison.svg")
if [ "$code" = 200 ] && grep -qi '^x-plot-cache: hit' "$tmp/again.h" &&
	grep -qi '^x-plot-cache: miss' "$tmp/comparison.h" && cmp -s "$tmp/again.svg" "$tmp/comparison.svg"; then
	ok "the same plot again is served from the cache"
else
	not_ok "the same plot again is served from the cache" "$code $(grep -i x-plot-cache "$tmp/comparison.h" "$tmp/again.h" | tr '\n' ' ')"
fi
etag=$(grep -i '^etag:' "$tmp/again.h" | cut -d' ' -f2 | tr -d '\r')
code=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$url/api/v1/experiments/$id2/plots/comparison.svg")
[ -n "$etag" ] && [ "$code" = 304 ] && ok "If-None-Match with the ETag gives 304" ||
	not_ok "If-None-Match with the ETag gives 304" "etag '$etag', status $code"
n=$(find "$tmp/var" -name '*.svg' | wc -l)
[ "$n" = 0 ] && [ ! -e "$tmp/var/plots" ] && ok "rendered plots are cached in memory: a GET writes no file under --var" ||
	not_ok "plot GETs write no file" "$n SVG files under var"

# --- errors ---
# expect_error NAME PATH STATUS CODE FIELD - a JSON error with that status, code and field.
expect_error() {
	local name=$1 path=$2 status=$3 ecode=$4 field=$5 code why
	code=$(curl -s -o "$tmp/err.json" -w '%{http_code}' "$url$path")
	if [ "$code" != "$status" ]; then
		not_ok "$name" "status $code, want $status: $(head -c 300 "$tmp/err.json")"
		return
	fi
	if why=$(python3 -c '
import json, sys
e = json.load(open(sys.argv[1]))["error"]
assert e["code"] == sys.argv[2], e
assert (e["field"] or "") == sys.argv[3], e
assert e["message"], e
' "$tmp/err.json" "$ecode" "$field" 2>&1); then
		ok "$name"
	else
		not_ok "$name" "$(echo "$why" | tail -n 1)"
	fi
}

expect_error "a 1-D sweep has no crossover: 409 no_data" \
	"/api/v1/experiments/$id1/plots/crossover.svg" 409 no_data ""
expect_error "an unknown plot is 404" "/api/v1/experiments/$id2/plots/pie.svg" 404 not_found ""
expect_error "an unknown experiment is 404" "/api/v1/experiments/e999/plots/comparison.svg" 404 not_found ""
expect_error "an unknown run is 404" "/api/v1/runs/e999-r1/plots/timeseries.svg" 404 not_found ""
expect_error "a run's unknown plot is 404" "/api/v1/runs/$id2-r1/plots/latency.svg" 404 not_found ""
expect_error "an unknown query parameter is 400 naming it" \
	"/api/v1/experiments/$id2/plots/comparison.svg?colour=red" 400 invalid_query colour
expect_error "a metric name with odd characters is 400 metric" \
	"/api/v1/experiments/$id2/plots/comparison.svg?metric=a%22b%60" 400 invalid_query metric
expect_error "a metric the experiment lacks is 400 metric" \
	"/api/v1/experiments/$id2/plots/comparison.svg?metric=no.such_metric" 400 invalid_query metric
expect_error "an unknown baseline is 400 baseline" \
	"/api/v1/experiments/$id2/plots/comparison.svg?baseline=pri-inv-sync" 400 invalid_query baseline
expect_error "noise out of range is 400 noise" \
	"/api/v1/experiments/$id2/plots/crossover.svg?noise=7" 400 invalid_query noise
expect_error "latency.svg takes no metric" \
	"/api/v1/experiments/$id2/plots/latency.svg?metric=cmd.sync" 400 invalid_query metric
expect_error "a cell past the last is 409 no_data" \
	"/api/v1/experiments/$id2/plots/latency.svg?cell=99" 409 no_data ""
expect_error "a time series of a metric never sampled is 400 metrics" \
	"/api/v1/runs/$id2-r1/plots/timeseries.svg?metrics=fault.permission,no.such" 400 invalid_query metrics
expect_error "history without a workload is 400" \
	"/api/v1/history/plot.svg?metric=cpu.invalidation_ns&strategy=notifier" 400 invalid_query workload

[ ! -e "$marker" ] && ok "still no marker file" || not_ok "still no marker file" "$marker exists"
exit $failed
