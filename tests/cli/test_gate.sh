#!/usr/bin/env bash
# test_gate.sh - the CLI's promises for CI and people, through a real
# svabenchd: `svabench help [COMMAND]` and `COMMAND --help` (the same text,
# with examples) for every command; `compare|report --fail-on
# broken|worse` exit 3 naming the finding when it holds and 0 when it does
# not; bad conditions are usage errors; --noise is a percentage ("5" and
# "5%"), out of range refused; `report --full` adds the per-cell tables;
# tables fit the terminal's width (COLUMNS) unless --wide; `run SPEC`
# without --offline submits to the daemon, says so, waits and prints the
# table; `wait` ends with a one-line summary.
#
# SVABENCH: the CLI under test (default build/svabench). SVABENCHD: the
# daemon (default: svabenchd next to SVABENCH).
set -u

# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"
var=$tmp/var

unset SVABENCH_TOKEN SVABENCH_URL

need_built binaries "$SVABENCH" "$SVABENCHD"

# --- help ---
for c in describe collectors run calibrate submit list show wait cancel compare report \
	export import help; do
	sv help "$c"
	h1=$(cat "$tmp/out")
	r1=$rc
	sv "$c" --help
	if [ "$r1" -eq 0 ] && [ "$rc" -eq 0 ] && [ "$h1" = "$(cat "$tmp/out")" ] &&
		grep -q "^usage: svabench $c" "$tmp/out" && grep -q "^examples:" "$tmp/out" &&
		grep -q "^  svabench $c" "$tmp/out"; then
		ok "svabench help $c = svabench $c --help: usage and examples"
	else
		not_ok "svabench help $c" "exit $r1/$rc: $(head -c 200 "$tmp/out")"
	fi
done
sv help
if [ "$rc" -eq 0 ] && grep -q "^  report ID" "$tmp/out" && grep -q "svabench help \[COMMAND\]" "$tmp/out"; then
	ok "svabench help lists the commands"
else
	not_ok "svabench help lists the commands" "exit $rc"
fi
sv help frobnicate
expect "svabench help of an unknown command: exit 2" 2 "'frobnicate' is not a svabench command"

# --- tables fit the terminal ---
COLUMNS=80 sv run --offline "$root/suites/default/01-livelock.json"
long=$(awk 'length($0) > 80' "$tmp/out" | head -n 1)
if [ "$rc" -eq 0 ] && [ -z "$long" ] && grep -q "^hidden to fit 80 columns: .*(--wide)" "$tmp/out" &&
	grep -q "^medians over repetitions" "$tmp/out" && grep -q "^none .* broken$" "$tmp/out"; then
	ok "COLUMNS=80: the table within 80 columns, medians, what was hidden named, none broken"
else
	not_ok "COLUMNS=80 table" "exit $rc; long line '$long'"
fi
COLUMNS=80 sv run --offline "$root/suites/default/01-livelock.json" --wide
if [ "$rc" -eq 0 ] && ! grep -q "^hidden to fit" "$tmp/out" && grep -q "ATC_INV" "$tmp/out" &&
	[ -n "$(awk 'length($0) > 80' "$tmp/out")" ]; then
	ok "--wide: every column, wider than the terminal"
else
	not_ok "--wide" "exit $rc"
fi

# --- usage, before any request ---
sv report e1 --fail-on
expect "report --fail-on without a value: exit 2" 2 "--fail-on needs broken, worse"
sv report e1 --fail-on faster
expect "report --fail-on faster: exit 2 naming it" 2 "unknown condition 'faster'"
sv compare e1 --fail-on broken,slow
expect "compare --fail-on broken,slow: exit 2 naming it" 2 "unknown condition 'slow'"
sv compare e1 --noise 200
expect "compare --noise 200: a percentage below 100, exit 2" 2 "a percentage, 0 <= X < 100"
sv compare e1 --noise 5x
expect "compare --noise 5x: exit 2" 2 "--noise '5x'"

if ! start_daemon "$var"; then
	not_ok "svabenchd starts" "$(daemon_tail)"
	exit 1
fi
ok "svabenchd starts on $url"
export SVABENCH_URL=$url

submit() { # NAME SPECFILE - the new id in $id, or exit
	rc=0
	"$SVABENCH" submit "$2" --var "$var" --wait --timeout 120 >"$tmp/out" 2>"$tmp/err" || rc=$?
	id=$(cat "$tmp/out")
	if [ "$rc" -ne 0 ]; then
		not_ok "$1 runs" "exit $rc ($(first_err))"
		exit 1
	fi
}

# The bug (none livelocks) beside the fix; the 2 x 2 crossover.
cat >"$tmp/oracle.json" <<'EOF'
{"workload": "rw-reuse", "strategies": ["none", "pri-inv"],
 "params": {"duration_us": 2000, "negative_caching": true},
 "repetitions": 3, "seed": 5}
EOF
cat >"$tmp/cross.json" <<'EOF'
{"workload": "mixed", "strategies": ["pri-inv", "notifier"],
 "params": {"duration_us": 500, "device_fault_rate_hz": [1000, 200000],
            "cpu_upgrade_rate_hz": [1000, 200000]},
 "repetitions": 5, "seed": 3}
EOF
submit "the livelock experiment" "$tmp/oracle.json"
broken=$id
submit "the crossover" "$tmp/cross.json"
cross=$id

sv report "$broken" --fail-on broken --var "$var"
if [ "$rc" -eq 3 ] && grep -q "^answer " "$tmp/out" &&
	grep -q -- "--fail-on broken: none is broken" "$tmp/err"; then
	ok "report --fail-on broken: prints the report, exit 3 naming none"
else
	not_ok "report --fail-on broken" "exit $rc: $(first_err)"
fi
sv compare "$broken" --fail-on broken --var "$var"
expect "compare --fail-on broken: exit 3 naming none" 3 "none is broken"

sv report "$cross" --fail-on broken --var "$var"
if [ "$rc" -eq 0 ] && [ ! -s "$tmp/err" ]; then
	ok "report --fail-on broken of a correct experiment: exit 0"
else
	not_ok "report --fail-on broken of a correct experiment" "exit $rc: $(first_err)"
fi
sv compare "$cross" --fail-on worse --var "$var"
expect "compare --fail-on worse: exit 3 naming notifier worse than pri-inv" 3 \
	"notifier is worse than pri-inv"
sv compare "$cross" --fail-on worse --baseline notifier --metrics cmd.sync --var "$var"
if [ "$rc" -eq 0 ]; then
	ok "compare --fail-on worse where nothing is worse: exit 0"
else
	not_ok "compare --fail-on worse where nothing is worse" "exit $rc: $(first_err)"
fi

COLUMNS=80 sv compare "$cross" --var "$var"
long=$(awk 'length($0) > 80' "$tmp/out" | head -n 1)
COLUMNS=80 sv compare "$cross" --var "$var" --wide
if [ -z "$long" ] && [ -n "$(awk 'length($0) > 80' "$tmp/out")" ]; then
	ok "compare fits COLUMNS=80; --wide does not"
else
	not_ok "compare's width" "long line at 80: '$long'"
fi
sv compare "$cross" --noise 5 --var "$var"
a=$(cat "$tmp/out")
sv compare "$cross" --noise 5% --var "$var"
if [ "$rc" -eq 0 ] && [ "$a" = "$(cat "$tmp/out")" ] && grep -q "< 5%" "$tmp/out"; then
	ok "compare --noise 5 and 5% are the same 5 % threshold"
else
	not_ok "compare --noise in percent" "exit $rc: $(head -c 300 "$tmp/out")"
fi

# run without --offline: submitted, waited for, the table
rc=0
COLUMNS=80 "$SVABENCH" run "$tmp/cross.json" --var "$var" >"$tmp/out" 2>"$tmp/err" || rc=$?
if [ "$rc" -eq 0 ] && grep -q "^submitted to svabenchd at $url as " "$tmp/err" &&
	grep -q "^cell 4/4: " "$tmp/out" && grep -q "^pri-inv " "$tmp/out"; then
	ok "run SPEC submits to the running svabenchd, says so, waits, prints the table"
else
	not_ok "run SPEC through the daemon" "exit $rc: $(first_err)"
fi
# show's table: the last column is the comparison's ratio and verdict, not a ratio of its own
sv show "$cross" --wide --var "$var"
cp "$tmp/out" "$tmp/show.txt"
sv compare "$cross" --json --metrics cost.total_ns_per_op --var "$var"
py "show's table gives the comparison's verdict per cell and strategy (ratio and word)" '
import re
text, cmp = open(sys.argv[1]).read(), load(sys.argv[2])
word = {"better": "better", "worse": "worse", "within noise": "~", "insufficient data": "?"}
blocks = re.split(r"^cell \d+/\d+: .*$", text, flags=re.M)[1:]
assert len(blocks) == len(cmp["cells"]) == 4, (len(blocks), len(cmp["cells"]))
assert "cost/" + cmp["baseline"] in blocks[0], blocks[0][:300]
for b, c in zip(blocks, cmp["cells"]):
    for s, ms in c["strategies"].items():
        e = ms["cost.total_ns_per_op"]
        row = next(l for l in b.split("\n") if l.split() and l.split()[0] == s)
        if e["verdict"] == "baseline":
            want = "1.00x"
        else:
            x = e["ratio"]
            want = ("%.0fx" if x >= 100 else "%.1fx" if x >= 10 else "%.2fx") % x + " " + word[e["verdict"]]
        assert row.rstrip().endswith(want), (s, row, want)
assert "the comparison" in text and "verdict" in text, "no legend"
' "$tmp/show.txt" "$tmp/out"
sv wait "$cross" --var "$var"
if [ "$rc" -eq 0 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] &&
	grep -q "^$cross: done, 40 of 40 runs, 0 failed, waited " "$tmp/err"; then
	ok "wait ends with a one-line summary"
else
	not_ok "wait's summary" "exit $rc: $(first_err)"
fi

# The host target: its per-operation latencies in the table, the comparison
# and the report, with the running kernel as the kernel under test.
cat >"$tmp/host.json" <<'EOF'
{"target": "host", "workload": "mprotect-upgrade", "strategies": ["unbound"],
 "repetitions": 2, "params": {"iterations": 50, "warmup": 5}}
EOF
rc=0
COLUMNS=80 "$SVABENCH" run "$tmp/host.json" --var "$var" >"$tmp/out" 2>"$tmp/err" || rc=$?
hid=$(sed -n 's/^submitted to svabenchd at .* as \([^;]*\);.*/\1/p' "$tmp/err")
if [ "$rc" -eq 0 ] && grep -q "op p50 us" "$tmp/out" && grep -Eq "^unbound +50 +[0-9.]+ " "$tmp/out"; then
	ok "host: run's table shows its operations and per-operation latencies"
else
	not_ok "host: run's table" "exit $rc: $(head -c 400 "$tmp/out") $(first_err)"
fi
if curl -s "$url/metrics" | grep -qE '^svabench_op_latency_p50_seconds\{.*target="host",workload="mprotect-upgrade",.*strategy="unbound"\} [0-9]'; then
	ok "host: /metrics has its op.latency_ns.p50"
else
	not_ok "host: /metrics" "$(curl -s "$url/metrics" | grep svabench_op_latency | head -c 400)"
fi
sv report "$hid" --var "$var"
if [ "$rc" -eq 0 ] && grep -q "^kernel      Linux $(uname -r) (this machine's running kernel" "$tmp/out" &&
	grep -Eq "^  op.latency_ns.p50 +[0-9.]+" "$tmp/out"; then
	ok "host: the report names the running kernel and shows op.latency_ns.p50"
else
	not_ok "host: the report" "exit $rc: $(head -c 600 "$tmp/out")"
fi

# A finished experiment's document and comparison: ETag (304 when the
# client has it) and gzip for clients that take it.
curl -s --compressed -D "$tmp/h1" -o "$tmp/c1.json" "$url/api/v1/experiments/$cross/comparison"
etag=$(sed -n 's/^ETag: *\(.*\)\r$/\1/Ip' "$tmp/h1")
code=$(curl -s --compressed -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" \
	"$url/api/v1/experiments/$cross/comparison")
if grep -qi '^Content-Encoding: gzip' "$tmp/h1" && [ -n "$etag" ] && [ "$code" = 304 ] &&
	python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert len(d["cells"]) == 4' "$tmp/c1.json"; then
	ok "a finished comparison: gzip, an ETag, 304 when revalidated"
else
	not_ok "comparison ETag and gzip" "etag '$etag', revalidation $code: $(head -c 300 "$tmp/h1")"
fi
curl -s -D "$tmp/h2" -o "$tmp/c2.json" "$url/api/v1/experiments/$cross?runs=false"
if ! grep -qi '^Content-Encoding' "$tmp/h2" && grep -qi '^ETag' "$tmp/h2" &&
	python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$tmp/c2.json"; then
	ok "without Accept-Encoding: plain JSON, with an ETag"
else
	not_ok "plain JSON without Accept-Encoding" "$(head -c 300 "$tmp/h2")"
fi

sv report "$cross" --var "$var"
plain=$(wc -l <"$tmp/out")
if grep -q "^to reproduce (svabench [0-9.]*, commit [0-9a-f]" "$tmp/out" &&
	grep -q '^  svabench run --offline spec.json$' "$tmp/out"; then
	ok "report: a to-reproduce block with the svabench version and commit"
else
	not_ok "report: to reproduce" "$(grep -A2 'to reproduce' "$tmp/out" | head -c 300)"
fi
sv report "$cross" --full --var "$var"
if [ "$rc" -eq 0 ] && grep -q "^cell 4 of 4: " "$tmp/out" && [ "$(wc -l <"$tmp/out")" -ge "$plain" ] &&
	awk 'length($0) > 80 { exit 1 }' "$tmp/out"; then
	ok "report --full: every cell's table, within 80 columns"
else
	not_ok "report --full" "exit $rc: $(first_err)"
fi
exit "$failed"
