#!/usr/bin/env bash
# test_resilience.sh - svabenchd loses nothing: kill -9 of the daemon in the
# middle of an experiment, kill -9 of a worker, a full disk under --var.
#
# env: SVABENCH (the CLI under test; the daemon is the svabenchd beside it
# unless SVABENCHD says otherwise).
set -uo pipefail

# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"
mounted=

at_exit() {
	stop_daemon KILL
	pkill -9 -f "$tmp" 2>/dev/null
	[ -n "$mounted" ] && umount "$mounted" 2>/dev/null
}

# strip what legitimately differs between two result documents
norm='
import json, sys
d = json.load(open(sys.argv[1]))
for r in d["runs"]:
    for k in ("id", "started_at", "finished_at", "attempts"):
        r.pop(k, None)
    r["metrics"].pop("sim.wall_ns", None)
print(json.dumps([d["runs"]], sort_keys=True))
'

need_built "svabenchd exists" "$SVABENCHD"

# ---- 1. kill -9 of the daemon in the middle of an experiment ----
var=$tmp/var1
# runs long enough (tens of ms of CPU each) that the worker pool is still
# busy when the kill lands, however fast the daemon drains small runs
spec='{"workload": "rw-reuse", "strategies": ["pri-inv", "notifier"], "repetitions": 30,
       "params": {"duration_us": 600000, "sample_us": 10000}, "seed": 5}'
if start_daemon "$var"; then
	id=$(submit_spec "$spec")
	total=$(exp_field "$id" runs_total)
	for _ in $(seq 1 300); do
		d=$(exp_field "$id" runs_done)
		[ "${d:-0}" -ge 4 ] && break
		sleep 0.02
	done
	stop_daemon KILL
	before=$d
	if start_daemon "$var" && wait_experiment "$id" 120; then
		st=$status
		db=$var/svabench.db
		counts=$(sqlite3 "$db" "SELECT count(*), count(DISTINCT id), sum(status='done') FROM runs;")
		integ=$(sqlite3 "$db" "PRAGMA integrity_check;")
		if [ "$st" = done ] && [ "$counts" = "$total|$total|$total" ] && [ "$integ" = ok ] &&
			[ "${before:-0}" -lt "$total" ]; then
			ok "kill -9 mid-experiment ($before/$total done), restart: every run done once, integrity ok"
		else
			not_ok "kill -9 mid-experiment, restart" "status=$st runs(total|distinct|done)=$counts of $total integrity=$integ before=$before"
		fi
		curl -s "$url/api/v1/experiments/$id" >"$tmp/daemon.json"
		echo "$spec" | "$SVABENCH" run --offline - --json >"$tmp/offline.json" 2>/dev/null
		if [ "$(python3 -c "$norm" "$tmp/daemon.json")" = "$(python3 -c "$norm" "$tmp/offline.json")" ]; then
			ok "re-run interrupted runs give the offline results exactly"
		else
			not_ok "re-run interrupted runs give the offline results" "documents differ"
		fi
	else
		not_ok "kill -9 mid-experiment, restart" "the experiment did not finish after the restart"
	fi
	stop_daemon
else
	not_ok "daemon starts" "$(daemon_tail)"
fi

# ---- 2. kill -9 of a worker ----
var=$tmp/var2
spec='{"workload": "mixed", "strategies": ["pri-inv"], "repetitions": 6,
       "params": {"duration_us": 3000000, "sample_us": 1000}, "seed": 6}'
if start_daemon "$var"; then
	id=$(submit_spec "$spec")
	victim=
	for _ in $(seq 1 200); do
		victim=$(pgrep -P "$pid" | head -n 1)
		[ -n "$victim" ] && break
		sleep 0.02
	done
	if [ -n "$victim" ]; then
		kill -9 "$victim"
		if wait_experiment "$id" 300; then
			reasons=$(curl -s "$url/api/v1/experiments/$id" | pyjson - '
runs = d["runs"]
print(sum(r["status"] == "failed" for r in runs), sum(r["status"] == "done" for r in runs),
      [r["reason"] for r in runs if r["status"] == "failed"])')
			code=$(curl -s -o /dev/null -w '%{http_code}' "$url/api/v1/targets")
			case $reasons in
			"1 5 "*signal\ 9*) [ "$code" = 200 ] && ok "kill -9 of a worker: that run failed with the reason, 5 others done, daemon serving" ||
				not_ok "daemon serving after a worker kill" "GET /api/v1/targets -> $code" ;;
			*) not_ok "kill -9 of a worker" "failed/done/reasons: $reasons" ;;
			esac
		else
			not_ok "kill -9 of a worker" "experiment did not finish"
		fi
	else
		not_ok "kill -9 of a worker" "no worker process seen"
	fi
	stop_daemon
else
	not_ok "daemon starts (worker test)" "$(daemon_tail)"
fi

# ---- 3. a full disk: a small tmpfs as --var ----
var=$tmp/var3
mkdir -p "$var"
if [ "$(id -u)" -ne 0 ] || ! mount -t tmpfs -o size=1500k tmpfs "$var" 2>/dev/null; then
	skip "full disk" "needs root to mount a small tmpfs"
else
	mounted=$var
	spec='{"workload": "rw-reuse", "strategies": ["pri-inv", "notifier"], "repetitions": 8,
	       "params": {"duration_us": 20000, "sample_us": 10}, "seed": 7}'
	if start_daemon "$var"; then
		id=$(submit_spec "$spec")
		full=
		for _ in $(seq 1 300); do
			if grep -q "store write failed" "$daemon_err"; then full=1; break; fi
			sleep 0.05
		done
		api=$(curl -s "$url/metrics" | grep -E '^svabenchd_store_failing' | awk '{print $2}')
		integ=$(sqlite3 "file:$var/svabench.db?mode=ro" "PRAGMA integrity_check;" 2>&1)
		if [ -n "$full" ] && [ "$api" = 1 ] && [ "$integ" = ok ]; then
			ok "full disk: reported in the log and on the API (/metrics store_failing 1), database intact"
		else
			not_ok "full disk reported" "log=${full:-no} metrics store_failing=$api integrity=$integ"
		fi
		mount -o remount,size=200m "$var"
		if wait_experiment "$id" 120 && [ "$status" = done ] &&
			[ "$(exp_field "$id" runs_done)" = "$(exp_field "$id" runs_total)" ]; then
			ok "space returns: the experiment resumes and every run is done"
		else
			not_ok "work resumes after space returns" "status=$(exp_field "$id" status) done=$(exp_field "$id" runs_done)"
		fi
		stop_daemon
	else
		not_ok "daemon starts on a small tmpfs" "$(daemon_tail)"
	fi
fi

exit $failed
