#!/usr/bin/env bash
# test_calibrate.sh - `svabench calibrate` end to end: it writes a local
# preset from the host target's measurements, the sim accepts it
# (SVABENCH_PRESETS) and names it in its result document with values of
# confidence local; then POST /api/v1/calibrate on a svabenchd of our own
# (token required, 202, one at a time) ends "done" with
# <var>/presets/local.json, which the daemon's specs can then name.
#
# Needs the host target (`svabench describe host`) and python3.
set -u

# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

unset SVABENCH_TOKEN SVABENCH_URL SVABENCH_PRESETS

need_built binaries "$SVABENCH" "$SVABENCHD"
need_tools calibrate python3 curl

sv calibrate --iterations 0
expect "calibrate --iterations 0: exit 2" 2 "--iterations"
sv calibrate --name default
expect "calibrate --name default: exit 2" 2 "built-in"
sv --help
grep -q '^  calibrate' "$tmp/out" && ok "--help lists calibrate" || not_ok "--help lists calibrate" "missing"

sv describe host
if [ "$rc" -ne 0 ]; then
	# Not built in yet: calibrate must say so.
	sv calibrate --out "$tmp/p/local.json" --iterations 10
	expect "calibrate without the host target fails naming it" 1 "host target"
	skip "calibrate end to end" "svabench describe host failed: no host target ($(first_err))"
	exit "$failed"
fi

dir=$tmp/presets
sv calibrate --out "$dir/local.json" --iterations 100
if [ "$rc" -ne 0 ] || [ ! -s "$dir/local.json" ]; then
	not_ok "calibrate writes the preset" "exit $rc: $(first_err)"
	exit 1
fi
ok "calibrate writes the preset"
cp "$tmp/out" "$tmp/calib.out"
grep -q 'cpu_tlbi_ns' "$tmp/out" && grep -q 'wrote preset "local"' "$tmp/out" &&
	ok "calibrate prints what it measured and wrote" ||
	not_ok "calibrate prints what it measured and wrote" "$(head -c 300 "$tmp/out")"
# the notifier dispatch: measured where KVM can register a secondary MMU, else said why
if grep -q '^mn_dispatch_ns ' "$tmp/out" && python3 -c '
import json, sys
v = json.load(open(sys.argv[1]))["values"]["mn_dispatch_ns"]
sys.exit(0 if v["value"] >= 0 and "secondary-mmu" in v["source"] and v["spread"]["runs"] == 3 else 1)' "$dir/local.json"; then
	ok "calibrate writes mn_dispatch_ns from secondary-mmu minus unbound"
elif grep -q 'mn_dispatch_ns not measured (the default preset.s 0 stays): ' "$tmp/out" &&
	! grep -q mn_dispatch_ns "$dir/local.json"; then
	ok "calibrate says why mn_dispatch_ns is not measured here"
else
	not_ok "calibrate writes mn_dispatch_ns or says why not" "$(grep -i dispatch "$tmp/out" | head -c 300)"
fi

echo '{"workload": "rw-reuse", "preset": "local", "params": {"duration_us": 200}}' >"$tmp/spec.json"
rc=0
SVABENCH_PRESETS=$dir "$SVABENCH" run --offline "$tmp/spec.json" --json >"$tmp/doc.json" 2>"$tmp/err" || rc=$?
if [ "$rc" -ne 0 ]; then
	not_ok "the sim runs with preset local" "exit $rc: $(first_err)"
else
	ok "the sim runs with preset local"
	got=$(python3 -c '
import json, os, sys
p = json.load(open(sys.argv[1]))["experiment"]["preset"]
want = "local" if os.uname().machine in ("aarch64", "arm64") else "local-foreign-arch"
local = [k for k, v in p["values"].items() if v["confidence"] == want]
print(p["name"], "local" if "cpu_fault_ns" in local and "measured by svabench calibrate" in p["values"]["cpu_fault_ns"]["source"] else "none")
' "$tmp/doc.json" 2>&1)
	[ "$got" = "local local" ] && ok "the result names preset local with local values (local-foreign-arch off arm64)" ||
		not_ok "the result names preset local with local values (local-foreign-arch off arm64)" "$got"
fi

# The CPU fault is charged once: the sim adds cpu_fault_ns and fault_reuse_ns
# for a CPU reuse fault, so the two must add up to the measured fault, not
# each be it; every value has its run-to-run spread around it.
got=$(python3 -c '
import json, re, sys
v = json.load(open(sys.argv[1]))["values"]
out = open(sys.argv[2]).read()
p50 = float(re.search(r"^reuse-after-fork +\d+ +op.latency_ns.p50 +([0-9.]+)", out, re.M).group(1))
s = v["cpu_fault_ns"]["value"] + v["fault_reuse_ns"]["value"]
ok = abs(s - p50) <= 2 and v["cpu_fault_ns"]["value"] < p50
ok &= all(x["spread"]["min"] <= x["value"] <= x["spread"]["max"] and x["spread"]["runs"] == 3 for x in v.values())
print("yes" if ok else "no: %g + %g vs %g" % (v["cpu_fault_ns"]["value"], v["fault_reuse_ns"]["value"], p50))
' "$dir/local.json" "$tmp/calib.out" 2>&1)
[ "$got" = yes ] && ok "calibrate: cpu_fault_ns + fault_reuse_ns = the measured fault (no double count); spreads recorded" ||
	not_ok "calibrate: cpu_fault_ns + fault_reuse_ns = the measured fault (no double count); spreads recorded" "$got"
if [ "$(uname -m)" != aarch64 ]; then
	grep -q "not the arm64 the sim models" "$tmp/calib.out" && grep -q "local-foreign-arch" "$dir/local.json" &&
		ok "calibrate off arm64 says so and marks the values local-foreign-arch" ||
		not_ok "calibrate off arm64 says so and marks the values local-foreign-arch" "$(tail -n 3 "$tmp/calib.out")"
fi

# --- the daemon endpoint ---
var=$tmp/var
if ! start_daemon "$var"; then
	not_ok "daemon starts" "$(daemon_tail)"
	exit 1
fi
req GET /api/v1/calibrate
[ "$code" = 200 ] && grep -q '"idle"' "$tmp/body" && ok "GET calibrate: idle" ||
	not_ok "GET calibrate: idle" "$code $(snippet)"
req POST /api/v1/calibrate
[ "$code" = 401 ] && ok "POST calibrate without the token: 401" ||
	not_ok "POST calibrate without the token: 401" "$code $(snippet)"
req POST '/api/v1/calibrate?iterations=100' -H "Authorization: Bearer $(token)"
[ "$code" = 202 ] && grep -q '"running"' "$tmp/body" && ok "POST calibrate: 202 running" ||
	not_ok "POST calibrate: 202 running" "$code $(snippet)"
req POST '/api/v1/calibrate?iterations=100' -H "Authorization: Bearer $(token)"
case $code in
409) ok "a second POST while running: 409" ;;
202) skip "a second POST while running: 409" "the first calibration had already finished" ;;
*) not_ok "a second POST while running: 409" "$code $(snippet)" ;;
esac
st=""
for _ in $(seq 600); do
	st=$(curl -s "$url/api/v1/calibrate" | json_value - 'd["status"]' 2>/dev/null)
	[ "$st" = running ] || break
	sleep 0.1
done
[ "$st" = done ] && [ -s "$var/presets/local.json" ] && ok "the daemon's calibration ends done" ||
	not_ok "the daemon's calibration ends done" "status $st: $(curl -s "$url/api/v1/calibrate")"
n=$(curl -s "$url/metrics" | awk '$1 == "svabenchd_worker_tasks_total{kind=\"calibrate\",outcome=\"done\"}" { print $2 }')
[ "$n" = 1 ] && ok "the calibration ran in a worker process (/metrics)" ||
	not_ok "the calibration ran in a worker process (/metrics)" "calibrate tasks done: '$n'"
id=$(submit_spec '{"workload": "rw-reuse", "preset": "local", "params": {"duration_us": 200}}')
if [ -n "$id" ] && wait_experiment "$id" 60 && [ "$status" = done ]; then
	name=$(curl -s "$url/api/v1/experiments/$id?runs=false" | json_value - 'd["experiment"]["preset"]["name"]')
	[ "$name" = local ] && ok "the daemon runs a spec with preset local" ||
		not_ok "the daemon runs a spec with preset local" "preset $name"
else
	not_ok "the daemon runs a spec with preset local" "id '$id' status '$status' $(daemon_tail)"
fi
check_daemon_clean "daemon clean after calibrate"
exit "$failed"
