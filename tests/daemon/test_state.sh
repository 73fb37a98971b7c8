#!/usr/bin/env bash
# test_state.sh - one owner of the daemon's state (struct svabenchd,
# daemon/svabenchd.c). The local presets' directory is <var>/presets for
# the daemon and for every worker it starts, given on their command line
# and not through the environment: with SVABENCH_PRESETS pointing at a
# directory holding a different preset of the same name, the daemon's runs
# are the runs `svabench run --offline` gives with <var>/presets, metric
# for metric, and not those of the environment's preset. The daemon sets no
# environment variable and keeps no cache in file statics: the only
# file-scope (or function-scope) mutable statics in daemon/ are the ones
# listed here with their reason. The comparison cache still answers a
# repeat identically.
set -u
. "$(dirname "$0")/../lib.sh"

need_tools "daemon state" python3 curl
need_built "daemon state" "$SVABENCH" "$SVABENCHD"

# preset DIR IRQ_NS - a local preset "tuned" with irq_ns IRQ_NS in DIR.
preset() {
	mkdir -p "$1"
	printf '{"name": "tuned", "description": "test_state", "extends": "default", "values": {"irq_ns": {"value": %s, "confidence": "local", "source": "test_state.sh"}}}\n' "$2" >"$1/tuned.json"
}
var=$tmp/var
preset "$var/presets" 20000
preset "$tmp/env-presets" 500
spec='{"target": "sim", "workload": "rw-reuse", "preset": "tuned", "strategies": ["pri-inv", "notifier"], "repetitions": 2, "seed": 5, "params": {"duration_us": 300}}'
printf '%s' "$spec" >"$tmp/spec.json"

run_offline() { # DIR OUT
	rc=0
	SVABENCH_PRESETS=$1 "$SVABENCH" run --offline --json --jobs 2 "$tmp/spec.json" >"$2" 2>"$tmp/err" </dev/null || rc=$?
}
run_offline "$var/presets" "$tmp/var.json"
[ "$rc" -eq 0 ] || { not_ok "offline run with the var's preset" "exit $rc: $(first_err)"; exit 1; }
run_offline "$tmp/env-presets" "$tmp/env.json"
[ "$rc" -eq 0 ] || { not_ok "offline run with the environment's preset" "exit $rc: $(first_err)"; exit 1; }

export SVABENCH_PRESETS=$tmp/env-presets
if ! start_daemon "$var"; then
	not_ok "svabenchd starts" "$(daemon_tail)"
	exit 1
fi
unset SVABENCH_PRESETS
id=$(submit_spec "@$tmp/spec.json")
if [ -z "$id" ] || ! wait_experiment "$id" 60 || [ "$status" != done ]; then
	not_ok "the daemon runs a spec naming a preset of <var>/presets" "id '$id' status '$status' $(daemon_tail)"
	exit 1
fi
curl -s "$url/api/v1/experiments/$id" >"$tmp/daemon.json"
py "the daemon's workers read <var>/presets, not \$SVABENCH_PRESETS: the runs equal the offline ones with it" '
d, v, e = load(sys.argv[1]), load(sys.argv[2]), load(sys.argv[3])
key = lambda r: (json.dumps(r["cell"], sort_keys=True), r["strategy"], r["repetition"])
runs = lambda doc: {key(r): r["metrics"] for r in doc["runs"]}
got, want, other = runs(d), runs(v), runs(e)
assert d["experiment"]["preset"]["values"]["irq_ns"]["value"] == 20000, d["experiment"]["preset"]["values"]["irq_ns"]
assert len(got) == len(want) == 4, (len(got), len(want))
skip = {"sim.wall_ns"}
for k in want:
    a = {m: x for m, x in got[k].items() if m not in skip}
    b = {m: x for m, x in want[k].items() if m not in skip}
    assert a == b, ("run", k, [m for m in b if a.get(m) != b[m]][:5])
assert any({m: x for m, x in got[k].items() if m not in skip} != {m: x for m, x in other[k].items() if m not in skip} for k in want), "the two presets give the same runs: the check proves nothing"
' "$tmp/daemon.json" "$tmp/var.json" "$tmp/env.json"

req GET "/api/v1/experiments/$id/comparison"
cp "$tmp/body" "$tmp/cmp1"
req GET "/api/v1/experiments/$id/comparison"
[ "$code" = 200 ] && cmp -s "$tmp/cmp1" "$tmp/body" && ok "the daemon's comparison cache answers a repeat identically" ||
	not_ok "the daemon's comparison cache answers a repeat identically" "$code $(snippet)"
stop_daemon
[ "$daemon_rc" = 0 ] && ok "the daemon closes its state and exits 0" || not_ok "the daemon closes its state and exits 0" "exit $daemon_rc $(daemon_tail)"

# No setenv in the daemon; mutable statics only where listed.
if grep -nE '\b(setenv|putenv)\(' "$root"/daemon/*.c >"$tmp/setenv"; then
	not_ok "the daemon sets no environment variable" "$(head -n 2 "$tmp/setenv" | tr '\n' ' ')"
else
	ok "the daemon sets no environment variable"
fi
# FILE:NAME of each allowed mutable static, and why:
#   log.c         the process-wide logger (one per process, like redis' log)
#   worker.c      the worker process's own (one job stream per process)
#   calibrate.c   the one calibration a worker runs: its state
#   api_robustness.c  the one robustness analysis a worker runs: its progress and state
#   plot.c:seq    a counter that keeps temporary file names unique
#   history.c:analyses  a diagnostic counter of alert analyses on any thread (/metrics)
allowed='history.c:analyses log.c:log_fd log.c:term_fd log.c:pipe_rd log.c:tee_thread log.c:tee_running log.c:dropped_lines log.c:dropped_term log.c:unreported log.c:file_mid_line log.c:buf worker.c:out_mu worker.c:sent calibrate.c:mu calibrate.c:state calibrate.c:preset_path calibrate.c:cal_iterations api_robustness.c:mu api_robustness.c:job plot.c:seq'
python3 - "$root/daemon" "$allowed" >"$tmp/statics" 2>&1 <<'PY'
import os, re, sys
d, allowed = sys.argv[1], set(sys.argv[2].split())
bad = []
for f in sorted(os.listdir(d)):
    if not f.endswith(".c"):
        continue
    src = re.sub(r"/\*.*?\*/", "", open(os.path.join(d, f)).read(), flags=re.S)
    for m in re.finditer(r"^[ \t]*static\s+(?!const\b)(?!inline\b)[^;{(]*?(?:\{|;|=)", src, re.M):
        if m.group(0).endswith("{"):
            # a struct with its body: the variable after the closing brace
            var = re.match(r"\}\s*(\w+)", src[src.index("}", m.end()):])
            name = var.group(1) if var else "?"
        else:
            # the first declarator: the last word before [ = , or ;
            name = re.findall(r"(\w+)\s*(?:\[[^]]*\]\s*)*(?:=|,|;)", src[m.start():src.index(";", m.start()) + 1])[0]
        if "%s:%s" % (f, name) not in allowed:
            bad.append("%s:%s" % (f, name))
if bad:
    print("mutable statics not owned by struct svabenchd: " + " ".join(bad))
    sys.exit(1)
PY
[ $? -eq 0 ] && ok "no daemon state in file statics besides the listed owners (logger, worker, calibration, robustness)" ||
	not_ok "no daemon state in file statics besides the listed owners" "$(tail -n 1 "$tmp/statics")"
exit "$failed"
