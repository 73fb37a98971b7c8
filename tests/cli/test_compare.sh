#!/usr/bin/env bash
# test_compare.sh - the comparison through a real svabenchd, as a user
# gets it: submit the crossover sweep (mixed, device fault rate x CPU
# upgrade rate, pri-inv vs notifier), wait, then GET .../comparison gives
# every cell and a 2 x 2 crossover map; bad queries are refused naming the
# parameter; `svabench compare ID` prints the tables and the map within
# 110 columns and exits 0.
#
# SVABENCH: the CLI under test (default build/svabench). SVABENCHD: the
# daemon (default: svabenchd next to SVABENCH). Needs python3.
set -u

# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"
var=$tmp/var

unset SVABENCH_TOKEN SVABENCH_URL

need_built binaries "$SVABENCH" "$SVABENCHD"
need_tools compare python3

# --- usage, before any request ---
sv compare
expect "compare without ID: exit 2" 2 "missing ID"
sv compare e1 --noise
expect "compare --noise without a value: exit 2" 2 "--noise needs a value"
sv --help
grep -q '^  compare ID' "$tmp/out" && ok "--help lists compare" || not_ok "--help lists compare" "missing"

# --- a daemon of our own on a free loopback port ---
if ! start_daemon "$var"; then
	not_ok "svabenchd starts" "$(daemon_tail)"
	exit 1
fi
ok "svabenchd starts on $url"
export SVABENCH_URL=$url

# The crossover sweep: pri-inv's cost follows device faults, notifier's CPU upgrades.
cat >"$tmp/cross.json" <<'EOF'
{"workload": "mixed", "strategies": ["pri-inv", "notifier"],
 "params": {"duration_us": 500, "device_fault_rate_hz": [1000, 200000],
            "cpu_upgrade_rate_hz": [1000, 200000]},
 "repetitions": 5, "seed": 3, "label": "compare-test"}
EOF
rc=0
"$SVABENCH" submit "$tmp/cross.json" --var "$var" --wait --timeout 120 >"$tmp/out" 2>"$tmp/err" || rc=$?
id=$(cat "$tmp/out")
if [ "$rc" -eq 0 ] && [[ $id =~ ^[A-Za-z0-9_-]+$ ]]; then
	ok "the crossover sweep runs to the end ($id)"
else
	not_ok "the crossover sweep runs to the end" "exit $rc, '$id' ($(first_err))"
	exit 1
fi

py "GET comparison: 200, four cells, both strategies, a 2 x 2 crossover" '
st, d = get("/api/v1/experiments/" + sys.argv[1] + "/comparison")
assert st == 200, (st, d)
assert d["experiment"] == sys.argv[1] and d["baseline"] == "pri-inv", d["baseline"]
assert len(d["cells"]) == 4, len(d["cells"])
names = [m["name"] for m in d["metrics"]]
assert "cpu.invalidation_ns" in names and "dma.throughput_bps" in names, names
verdicts = {"baseline", "better", "worse", "within noise", "insufficient data", "broken", "not a fix"}
for c in d["cells"]:
    assert set(c["strategies"]) == {"pri-inv", "notifier"}, c["strategies"].keys()
    for s, ms in c["strategies"].items():
        for m, e in ms.items():
            assert e["verdict"] in verdicts, e
            assert e["n"] == 5, (s, m, e)
            assert (e["verdict"] == "baseline") == (s == "pri-inv"), (s, e)
            assert e["ci"] is None or (len(e["ci"]) == 2 and e["ci"][0] <= e["ci"][1]), e
x = d["crossover"]
assert x and x["x"] == "device_fault_rate_hz" and x["y"] == "cpu_upgrade_rate_hz", x
assert x["xs"] == [1000, 200000] and x["ys"] == [1000, 200000], x
assert x["a"] == "pri-inv" and x["b"] == "notifier" and x["metric"] == "cost.total_ns_per_op", x
assert x["strategies"] == ["pri-inv", "notifier"], x
assert all(w in (None, "pri-inv", "notifier") for r in x["winner"] for w in r), x["winner"]
assert len(x["grid"]) == 2 and all(len(r) == 2 for r in x["grid"]), x["grid"]
assert all(v in ("A", "B", "=") for r in x["grid"] for v in r), x["grid"]
assert all(w.startswith("unequal work") for w in d["warnings"]), d["warnings"]
' "$id"

py "GET comparison twice: the same answer (cached or not)" '
a = get("/api/v1/experiments/" + sys.argv[1] + "/comparison")
b = get("/api/v1/experiments/" + sys.argv[1] + "/comparison")
assert a == b and a[0] == 200
' "$id"

py "GET comparison with baseline, noise, alpha, metrics" '
st, d = get("/api/v1/experiments/" + sys.argv[1] +
            "/comparison?baseline=notifier&noise=0.1&alpha=0.01&metrics=cmd.sync,cmd.tlbi_total")
assert st == 200, (st, d)
assert d["baseline"] == "notifier" and d["noise"] == 0.1 and d["alpha"] == 0.01, d
assert [m["name"] for m in d["metrics"]] == ["cmd.sync", "cmd.tlbi_total"], d["metrics"]
assert d["crossover"]["metric"] == "cmd.sync" and d["crossover"]["a"] == "notifier", d["crossover"]
' "$id"

py "GET comparison?metric=: the crossover on any reported metric; an unknown one is 400 naming metric" '
st, d = get("/api/v1/experiments/" + sys.argv[1] + "/comparison?metric=dma.throughput_bps")
assert st == 200 and d["crossover"]["metric"] == "dma.throughput_bps", (st, d.get("crossover"))
assert d["crossover"]["better"] == "higher", d["crossover"]
assert "cost.total_ns_per_op" in [m["name"] for m in d["metrics"]], d["metrics"]
st, d = get("/api/v1/experiments/" + sys.argv[1] + "/comparison?metric=dma.nope")
assert st == 400 and d["error"]["field"] == "metric" and "dma.nope" in d["error"]["message"], (st, d)
' "$id"

py "GET comparison?baseline=bogus: 400 naming baseline and the strategies" '
st, d = get("/api/v1/experiments/" + sys.argv[1] + "/comparison?baseline=bogus")
e = d["error"]
assert st == 400 and e["code"] == "invalid_query" and e["field"] == "baseline", (st, d)
assert "bogus" in e["message"] and "pri-inv, notifier" in e["message"], e["message"]
' "$id"

py "GET comparison: bad noise, alpha, metrics, baseline, non-UTF-8 and unknown parameters are 400 naming them" '
base = "/api/v1/experiments/" + sys.argv[1] + "/comparison?"
for q, field in (("noise=2", "noise"), ("noise=x", "noise"), ("alpha=0", "alpha"),
                 ("alpha=0.9", "alpha"), ("metrics=dma.nope", "metrics"), ("metrics=a,,b", "metrics"),
                 ("bogus=1", "bogus"), ("noise=0.1&noise=0.2", "noise"), ("baseline=", "baseline"),
                 ("metric=%ff", "metric"), ("noise=%20.1", "noise")):
    st, d = get(base + q)
    assert st == 400 and d["error"]["field"] == field, (q, st, d)
    assert d["error"]["code"] == "invalid_query", (q, d)
' "$id"

py "GET comparison of an unknown experiment: 404" '
st, d = get("/api/v1/experiments/e999999/comparison")
assert st == 404 and d["error"]["code"] == "not_found", (st, d)
'

# --- the CLI ---
sv compare "$id"
cp "$tmp/out" "$tmp/table.txt"
if [ "$rc" -eq 0 ] && grep -q "^cell 1/4: device_fault_rate_hz=1000, cpu_upgrade_rate_hz=1000$" "$tmp/table.txt" &&
	grep -q "^strategy  " "$tmp/table.txt" && grep -q "^notifier  " "$tmp/table.txt" &&
	grep -q "^crossover on cost.total_ns_per_op" "$tmp/table.txt" &&
	grep -qE "^ *200000 \| +[AB=] +[AB=]$" "$tmp/table.txt"; then
	ok "compare ID prints the tables and the crossover map, exit 0"
else
	not_ok "compare ID prints the tables and the crossover map, exit 0" \
		"exit $rc ($(first_err)): $(head -c 600 "$tmp/table.txt")"
fi
# the answer first, the report's sentence, before any table
if head -n 1 "$tmp/table.txt" | grep -qE "^answer +(pri-inv|notifier) \(Fix [AB]\)" &&
	[ "$(grep -n '^answer ' "$tmp/table.txt" | cut -d: -f1)" -lt "$(grep -n '^cell 1/4' "$tmp/table.txt" | cut -d: -f1)" ]; then
	ok "compare ID opens with the report's answer, before the tables"
else
	not_ok "compare ID opens with the report's answer, before the tables" "$(head -c 400 "$tmp/table.txt")"
fi
long=$(awk 'length > 110' "$tmp/table.txt" | head -n 1)
[ -z "$long" ] && ok "compare's tables stay within 110 columns" ||
	not_ok "compare's tables stay within 110 columns" "'$long'"
sv compare "$id" --json --baseline notifier --metrics cmd.sync
cp "$tmp/out" "$tmp/cmp.json"
py "compare --json --baseline --metrics passes them to svabenchd" '
d = load(sys.argv[1])
assert d["baseline"] == "notifier" and [m["name"] for m in d["metrics"]] == ["cmd.sync"], d
' "$tmp/cmp.json"
sv compare "$id" --baseline bogus
if [ "$rc" -eq 2 ] && grep -qF "baseline" "$tmp/err" && grep -qF "bogus" "$tmp/err"; then
	ok "compare --baseline bogus: exit 2 naming it"
else
	not_ok "compare --baseline bogus: exit 2 naming it" "exit $rc ($(first_err))"
fi
sv compare no-such-id
expect "compare of an unknown id: 404, exit 2" 2 "404"

check_daemon_clean "svabenchd ran clean"

exit $failed
