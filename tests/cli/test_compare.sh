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

root=$(cd "$(dirname "$0")/../.." && pwd)
SVABENCH=${SVABENCH:-$root/build/svabench}
SVABENCHD=${SVABENCHD:-$(dirname "$SVABENCH")/svabenchd}
tmp=$(mktemp -d)
var=$tmp/var
daemon_pid=""
failed=0
rc=0

stop_daemon() {
	if [ -n "$daemon_pid" ]; then
		kill "$daemon_pid" 2>/dev/null
		wait "$daemon_pid" 2>/dev/null
		daemon_pid=""
	fi
}
trap 'stop_daemon; rm -rf "$tmp"' EXIT

ok() { echo "ok - $1"; }
not_ok() { echo "not ok - $1: $2"; failed=1; }

unset SVABENCH_TOKEN SVABENCH_URL

# sv ARGS... - runs svabench; stdout, stderr in $tmp/out, $tmp/err, status in rc.
sv() {
	rc=0
	"$SVABENCH" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null || rc=$?
}

first_err() { head -c 300 "$tmp/err" | tr '\n' ' '; }

# py NAME CODE ARGS... - python3 asserting CODE with sys.argv[1:] = ARGS.
py() {
	local name=$1 code=$2 why
	shift 2
	if why=$(python3 -c "
import json, sys, urllib.request, urllib.error
def load(p):
    with open(p) as f:
        return json.load(f)
def get(path):
    try:
        with urllib.request.urlopen(sys.argv[1] + path, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())
$code
" "$@" 2>&1); then
		ok "$name"
	else
		not_ok "$name" "$(echo "$why" | tail -n 1)"
	fi
}

if [ ! -x "$SVABENCH" ] || [ ! -x "$SVABENCHD" ]; then
	not_ok "binaries" "$SVABENCH or $SVABENCHD is missing; run make"
	exit 1
fi
if ! command -v python3 >/dev/null 2>&1; then
	echo "skip - compare: python3 is not installed"
	exit 0
fi

# --- usage, before any request ---
sv compare
if [ "$rc" -eq 2 ] && grep -qF "missing ID" "$tmp/err"; then
	ok "compare without ID: exit 2"
else
	not_ok "compare without ID: exit 2" "exit $rc ($(first_err))"
fi
sv compare e1 --noise
if [ "$rc" -eq 2 ] && grep -qF -- "--noise needs a value" "$tmp/err"; then
	ok "compare --noise without a value: exit 2"
else
	not_ok "compare --noise without a value: exit 2" "exit $rc ($(first_err))"
fi
sv --help
grep -q '^  compare ID' "$tmp/out" && ok "--help lists compare" || not_ok "--help lists compare" "missing"

# --- a daemon of our own on a free loopback port ---
free_port() {
	python3 -c '
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

start_daemon() {
	port=$(free_port)
	url="http://127.0.0.1:$port"
	: >"$tmp/daemon.log"
	"$SVABENCHD" --listen "127.0.0.1:$port" --var "$var" --no-default-suite --workers 2 \
		>>"$tmp/daemon.log" 2>&1 &
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
	not_ok "svabenchd starts" "$(tail -n 5 "$tmp/daemon.log" | tr '\n' ' ')"
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
st, d = get("/api/v1/experiments/" + sys.argv[2] + "/comparison")
assert st == 200, (st, d)
assert d["experiment"] == sys.argv[2] and d["baseline"] == "pri-inv", d["baseline"]
assert len(d["cells"]) == 4, len(d["cells"])
names = [m["name"] for m in d["metrics"]]
assert "cpu.invalidation_ns" in names and "dma.throughput_bps" in names, names
verdicts = {"baseline", "better", "worse", "within noise", "no data"}
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
assert x["a"] == "pri-inv" and x["b"] == "notifier" and x["metric"] == "cpu.invalidation_ns", x
assert len(x["grid"]) == 2 and all(len(r) == 2 for r in x["grid"]), x["grid"]
assert all(v in ("A", "B", "=") for r in x["grid"] for v in r), x["grid"]
assert d["warnings"] == [], d["warnings"]
' "$url" "$id"

py "GET comparison twice: the same answer (cached or not)" '
a = get("/api/v1/experiments/" + sys.argv[2] + "/comparison")
b = get("/api/v1/experiments/" + sys.argv[2] + "/comparison")
assert a == b and a[0] == 200
' "$url" "$id"

py "GET comparison with baseline, noise, alpha, metrics" '
st, d = get("/api/v1/experiments/" + sys.argv[2] +
            "/comparison?baseline=notifier&noise=0.1&alpha=0.01&metrics=cmd.sync,cmd.tlbi_total")
assert st == 200, (st, d)
assert d["baseline"] == "notifier" and d["noise"] == 0.1 and d["alpha"] == 0.01, d
assert [m["name"] for m in d["metrics"]] == ["cmd.sync", "cmd.tlbi_total"], d["metrics"]
assert d["crossover"]["metric"] == "cmd.sync" and d["crossover"]["a"] == "notifier", d["crossover"]
' "$url" "$id"

py "GET comparison?baseline=bogus: 400 naming baseline and the strategies" '
st, d = get("/api/v1/experiments/" + sys.argv[2] + "/comparison?baseline=bogus")
e = d["error"]
assert st == 400 and e["code"] == "invalid_query" and e["field"] == "baseline", (st, d)
assert "bogus" in e["message"] and "pri-inv, notifier" in e["message"], e["message"]
' "$url" "$id"

py "GET comparison: bad noise, alpha, metrics and unknown parameters are 400 naming them" '
base = "/api/v1/experiments/" + sys.argv[2] + "/comparison?"
for q, field in (("noise=2", "noise"), ("noise=x", "noise"), ("alpha=0", "alpha"),
                 ("alpha=0.9", "alpha"), ("metrics=dma.nope", "metrics"), ("metrics=a,,b", "metrics"),
                 ("bogus=1", "bogus"), ("noise=0.1&noise=0.2", "noise")):
    st, d = get(base + q)
    assert st == 400 and d["error"]["field"] == field, (q, st, d)
    assert d["error"]["code"] == "invalid_query", (q, d)
' "$url" "$id"

py "GET comparison of an unknown experiment: 404" '
st, d = get("/api/v1/experiments/e999999/comparison")
assert st == 404 and d["error"]["code"] == "not_found", (st, d)
' "$url"

# --- the CLI ---
sv compare "$id"
cp "$tmp/out" "$tmp/table.txt"
if [ "$rc" -eq 0 ] && grep -q "^cell 1/4: device_fault_rate_hz=1000, cpu_upgrade_rate_hz=1000$" "$tmp/table.txt" &&
	grep -q "^strategy  " "$tmp/table.txt" && grep -q "^notifier  " "$tmp/table.txt" &&
	grep -q "^crossover on cpu.invalidation_ns" "$tmp/table.txt" &&
	grep -qE "^ *200000 \| +[AB=] +[AB=]$" "$tmp/table.txt"; then
	ok "compare ID prints the tables and the crossover map, exit 0"
else
	not_ok "compare ID prints the tables and the crossover map, exit 0" \
		"exit $rc ($(first_err)): $(head -c 600 "$tmp/table.txt")"
fi
long=$(awk 'length > 110' "$tmp/table.txt" | head -n 1)
[ -z "$long" ] && ok "compare's tables stay within 110 columns" ||
	not_ok "compare's tables stay within 110 columns" "'$long'"
sv compare "$id" --json --baseline notifier --metrics cmd.sync
cp "$tmp/out" "$tmp/cmp.json"
py "compare --json --baseline --metrics passes them to svabenchd" '
d = load(sys.argv[2])
assert d["baseline"] == "notifier" and [m["name"] for m in d["metrics"]] == ["cmd.sync"], d
' "$url" "$tmp/cmp.json"
sv compare "$id" --baseline bogus
if [ "$rc" -eq 2 ] && grep -qF "baseline" "$tmp/err" && grep -qF "bogus" "$tmp/err"; then
	ok "compare --baseline bogus: exit 2 naming it"
else
	not_ok "compare --baseline bogus: exit 2 naming it" "exit $rc ($(first_err))"
fi
sv compare no-such-id
if [ "$rc" -eq 2 ] && grep -qF "404" "$tmp/err"; then
	ok "compare of an unknown id: 404, exit 2"
else
	not_ok "compare of an unknown id: 404, exit 2" "exit $rc ($(first_err))"
fi

stop_daemon
if grep -qE '^==[0-9]+==ERROR: |runtime error: ' "$tmp/daemon.log"; then
	not_ok "svabenchd ran clean" "$(grep -m1 -E 'ERROR: |runtime error: ' "$tmp/daemon.log")"
else
	ok "svabenchd ran clean"
fi

exit $failed
