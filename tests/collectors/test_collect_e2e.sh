#!/usr/bin/env bash
# test_collect_e2e.sh - a spec's "collect" end to end: offline and through
# svabenchd, counters that exist here are counted, those that do not are
# null metrics with the reason in host.collectors, and the run completes.
#
# env: SVABENCH (the CLI under test; the daemon is the svabenchd beside it
# unless SVABENCHD says otherwise).
set -uo pipefail

# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

spec='{"workload": "rw-reuse", "strategies": ["pri-inv"], "params": {"duration_us": 200000, "sample_us": 1000},
       "collect": {"events": ["faults", "task-clock", "cycles", "no-such-event"], "interval_ms": 2}}'

# --- offline ---
echo "$spec" | "$SVABENCH" run --offline - --json >"$tmp/off.json" 2>"$tmp/off.err"
rc=$?
if [ $rc -eq 0 ] && why=$(pyjson "$tmp/off.json" '
m = d["runs"][0]["metrics"]
assert m["perf.faults"] is not None and m["perf.faults"] >= 0, m.get("perf.faults")
assert m["perf.task-clock"] > 0, m.get("perf.task-clock")
assert m["perf.task-clock.running_ns"] <= m["perf.task-clock.enabled_ns"], "running > enabled"
assert m["perf.no-such-event"] is None, "unknown event not null"
col = {c["name"]: c for c in d["experiment"]["host"]["collectors"]}
assert col["faults"]["available"] is True, col["faults"]
assert col["no-such-event"]["available"] is False and "no-such-event" in col["no-such-event"]["reason"], col["no-such-event"]
if not col["cycles"]["available"]:
    assert m["perf.cycles"] is None and col["cycles"]["reason"], col["cycles"]
' 2>&1); then
	ok "offline: counters counted, missing ones null with their reason, the run completes"
else
	not_ok "offline collect" "exit $rc: $(tail -n 2 <<<"$why") $(head -c 200 "$tmp/off.err")"
fi

echo '{"workload": "rw-reuse", "collect": {"events": []}}' | "$SVABENCH" run --offline - >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q 'collect.events' "$tmp/err" && ok "an empty collect.events is refused naming the field" ||
	not_ok "empty collect.events" "$(cat "$tmp/err")"
echo '{"workload": "rw-reuse", "collect": {"events": ["faults"], "every": 3}}' | "$SVABENCH" run --offline - >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q 'collect.every' "$tmp/err" && ok "an unknown collect field is refused naming it" ||
	not_ok "unknown collect field" "$(cat "$tmp/err")"
echo '{"workload": "rw-reuse", "collect": {"events": ["faults"], "interval_ms": 0}}' | "$SVABENCH" run --offline - >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q 'collect.interval_ms' "$tmp/err" && ok "interval_ms out of range is refused with the range" ||
	not_ok "interval_ms range" "$(cat "$tmp/err")"

"$SVABENCH" collectors --json >"$tmp/list.json" 2>"$tmp/err"
if [ $? -eq 0 ] && why=$(pyjson "$tmp/list.json" '
c = {e["name"]: e for e in d["collectors"]}
assert c["faults"]["available"], c["faults"]
for e in d["collectors"]:
    assert e["available"] or e["reason"], e
' 2>&1); then
	ok "svabench collectors lists events with availability, a reason for each missing one"
else
	not_ok "svabench collectors" "$why $(cat "$tmp/err")"
fi

# --- through the daemon: samples with perf.* names ---
start_daemon "$tmp/var" --workers 1 || not_ok "svabenchd starts" "$(daemon_tail)"
curl -s "$url/api/v1/collectors" >"$tmp/api.json"
pyjson "$tmp/api.json" 'assert any(e["name"] == "faults" and e["available"] for e in d["collectors"])' 2>/dev/null &&
	ok "GET /api/v1/collectors" || not_ok "GET /api/v1/collectors" "$(head -c 200 "$tmp/api.json")"
id=$(submit_spec "$spec")
wait_experiment "$id" 30
curl -s "$url/api/v1/runs/$id-r1/samples?limit=1000" >"$tmp/samples.json"
if [ "$status" = done ] && why=$(pyjson "$tmp/samples.json" '
perf = [s for s in d["samples"] if "perf.task-clock" in s["metrics"]]
sim = [s for s in d["samples"] if "fault.permission" in s["metrics"]]
assert len(perf) >= 2, "perf samples: %d" % len(perf)
assert len(sim) >= 2, "sim samples: %d" % len(sim)
tc = [s["metrics"]["perf.task-clock"] for s in perf]
assert tc == sorted(tc), "task-clock not monotonic"
' 2>&1); then
	ok "daemon: counter samples stream into the run's time series beside the model's"
else
	not_ok "daemon collect samples" "status $status: $(tail -n 1 <<<"$why")"
fi
exit $failed
