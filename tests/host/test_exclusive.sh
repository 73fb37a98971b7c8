#!/usr/bin/env bash
# test_exclusive.sh - host runs never share the machine offline: with
# --jobs 2 the runner runs them one at a time and says so on stderr (each
# run's own wall time, host.run_wall_ns, then adds up to no more than the
# command's); sim runs still go two at a time, silently. The cpu parameter
# pins a run (host.cpu) and a CPU this process cannot use is refused naming
# params.cpu. Every run reports its noise, op.latency_cv.
#
# SVABENCH: the CLI under test (default build/svabench). Needs python3.
set -u

# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

need_built binaries "$SVABENCH"
need_tools exclusive python3

spec='{"target": "host", "workload": "cow-copy", "strategies": ["unbound"], "repetitions": 4,
       "params": {"iterations": 3000, "range_pages": 8}}'
t0=$(date +%s%N)
rc=0
printf '%s' "$spec" | "$SVABENCH" run --offline - --json --jobs 2 >"$tmp/out" 2>"$tmp/err" || rc=$?
t1=$(date +%s%N)
if [ "$rc" -ne 0 ]; then
	not_ok "host, 4 repetitions, --jobs 2: runs" "exit $rc: $(first_err)"
	exit 1
fi
ok "host, 4 repetitions, --jobs 2: runs"
if grep -q "host runs are exclusive" "$tmp/err" && grep -q "4 runs one at a time, not 2 at once" "$tmp/err"; then
	ok "host --jobs 2: stderr says the runs go one at a time"
else
	not_ok "host --jobs 2: stderr says the runs go one at a time" "stderr: $(first_err)"
fi
if why=$(python3 -c '
import json, sys
runs = json.load(open(sys.argv[1]))["runs"]
walls = [r["metrics"]["host.run_wall_ns"] for r in runs]
elapsed = int(sys.argv[2])
if len(walls) != 4 or sum(walls) > elapsed:
    print("runs %d, sum of run walls %.0f ms > the command'"'"'s %.0f ms" % (len(walls), sum(walls) / 1e6, elapsed / 1e6))
    sys.exit(1)
' "$tmp/out" $((t1 - t0))); then
	ok "host --jobs 2: the runs did not overlap (their wall times add up within the command's)"
else
	not_ok "host --jobs 2: the runs did not overlap (their wall times add up within the command's)" "$why"
fi
if why=$(python3 -c '
import json, sys
for r in json.load(open(sys.argv[1]))["runs"]:
    cv = r["metrics"].get("op.latency_cv")
    if cv is None or not cv > 0:
        print("op.latency_cv %r" % cv); sys.exit(1)
' "$tmp/out"); then
	ok "every host run reports op.latency_cv > 0"
else
	not_ok "every host run reports op.latency_cv > 0" "$why"
fi

rc=0
printf '{"workload": "rw-reuse", "repetitions": 2}' |
	"$SVABENCH" run --offline - --json --jobs 2 >"$tmp/out" 2>"$tmp/err" || rc=$?
if [ "$rc" -eq 0 ] && ! grep -q "exclusive" "$tmp/err"; then
	ok "sim --jobs 2: runs in parallel without the exclusive note"
else
	not_ok "sim --jobs 2: runs in parallel without the exclusive note" "exit $rc: $(first_err)"
fi

rc=0
printf '{"target": "host", "workload": "munmap", "params": {"iterations": 50, "cpu": 0}}' |
	"$SVABENCH" run --offline - --json >"$tmp/out" 2>"$tmp/err" || rc=$?
if [ "$rc" -eq 0 ] && python3 -c '
import json, sys
sys.exit(0 if all(r["metrics"]["host.cpu"] == 0 for r in json.load(open(sys.argv[1]))["runs"]) else 1)' "$tmp/out"; then
	ok "cpu 0: the run is pinned (host.cpu 0)"
else
	not_ok "cpu 0: the run is pinned (host.cpu 0)" "exit $rc: $(first_err)"
fi

rc=0
printf '{"target": "host", "workload": "munmap", "params": {"cpu": 4095}}' |
	"$SVABENCH" run --offline - >"$tmp/out" 2>"$tmp/err" || rc=$?
expect "cpu 4095: refused naming params.cpu" 2 "params.cpu: cpu 4095 is not one this process may run on"

exit "$failed"
