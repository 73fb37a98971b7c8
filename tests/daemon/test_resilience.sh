#!/usr/bin/env bash
# test_resilience.sh - svabenchd loses nothing: kill -9 of the daemon in the
# middle of an experiment, kill -9 of a worker, a full disk under --var.
#
# env: SVABENCH (the CLI under test; the daemon is the svabenchd beside it
# unless SVABENCHD says otherwise).
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cli=${SVABENCH:-$root/build/svabench}
daemon=${SVABENCHD:-$(dirname "$cli")/svabenchd}
tmp=$(mktemp -d /tmp/svabench-resilience.XXXXXX)
pid=
mounted=
failed=0

ok() { echo "ok - $1"; }
nok() { echo "not ok - $1: $2"; failed=1; }
skip() { echo "skip - $1: $2"; }

cleanup() {
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	pkill -9 -f "$tmp" 2>/dev/null
	[ -n "$mounted" ] && umount "$mounted" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start VAR: starts the daemon, sets pid and url, waits until it serves
start() {
	local var=$1 port
	port=$(free_port)
	url=http://127.0.0.1:$port
	"$daemon" --listen "127.0.0.1:$port" --var "$var" --no-default-suite --workers 2 \
		>"$var.out" 2>>"$tmp/daemon.log" &
	pid=$!
	for _ in $(seq 1 200); do
		grep -q "serving" "$var.out" 2>/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

token() { cat "$1/token"; }

submit() { # VAR SPEC -> prints the id
	curl -s -X POST -H "Authorization: Bearer $(token "$1")" -H 'Content-Type: application/json' \
		--data-binary "$2" "$url/api/v1/experiments" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
}

field() { # ID KEY -> experiment.KEY
	curl -s "$url/api/v1/experiments/$1" |
		python3 -c "import json,sys; print(json.load(sys.stdin)['experiment']['$2'])" 2>/dev/null
}

wait_status() { # ID SECONDS -> 0 when done|failed|cancelled
	local s
	for _ in $(seq 1 $(($2 * 10))); do
		s=$(field "$1" status)
		case $s in done|failed|cancelled) return 0 ;; esac
		sleep 0.1
	done
	return 1
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

[ -x "$daemon" ] || { nok "svabenchd exists" "$daemon is missing"; exit 1; }

# ---- 1. kill -9 of the daemon in the middle of an experiment ----
var=$tmp/var1
spec='{"workload": "rw-reuse", "strategies": ["pri-inv", "notifier"], "repetitions": 30,
       "params": {"duration_us": 60000, "sample_us": 1000}, "seed": 5}'
if start "$var"; then
	id=$(submit "$var" "$spec")
	total=$(field "$id" runs_total)
	for _ in $(seq 1 300); do
		d=$(field "$id" runs_done)
		[ "${d:-0}" -ge 4 ] && break
		sleep 0.02
	done
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	pid=
	before=$d
	if start "$var" && wait_status "$id" 120; then
		st=$(field "$id" status)
		db=$var/svabench.db
		counts=$(sqlite3 "$db" "SELECT count(*), count(DISTINCT id), sum(status='done') FROM runs;")
		integ=$(sqlite3 "$db" "PRAGMA integrity_check;")
		if [ "$st" = done ] && [ "$counts" = "$total|$total|$total" ] && [ "$integ" = ok ] &&
			[ "${before:-0}" -lt "$total" ]; then
			ok "kill -9 mid-experiment ($before/$total done), restart: every run done once, integrity ok"
		else
			nok "kill -9 mid-experiment, restart" "status=$st runs(total|distinct|done)=$counts of $total integrity=$integ before=$before"
		fi
		curl -s "$url/api/v1/experiments/$id" >"$tmp/daemon.json"
		echo "$spec" | "$cli" run --offline - --json >"$tmp/offline.json" 2>/dev/null
		if [ "$(python3 -c "$norm" "$tmp/daemon.json")" = "$(python3 -c "$norm" "$tmp/offline.json")" ]; then
			ok "re-run interrupted runs give the offline results exactly"
		else
			nok "re-run interrupted runs give the offline results" "documents differ"
		fi
	else
		nok "kill -9 mid-experiment, restart" "the experiment did not finish after the restart"
	fi
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	pid=
else
	nok "daemon starts" "$(tail -3 "$tmp/daemon.log")"
fi

# ---- 2. kill -9 of a worker ----
var=$tmp/var2
spec='{"workload": "mixed", "strategies": ["pri-inv"], "repetitions": 6,
       "params": {"duration_us": 3000000, "sample_us": 1000}, "seed": 6}'
if start "$var"; then
	id=$(submit "$var" "$spec")
	victim=
	for _ in $(seq 1 200); do
		victim=$(pgrep -P "$pid" | head -n 1)
		[ -n "$victim" ] && break
		sleep 0.02
	done
	if [ -n "$victim" ]; then
		kill -9 "$victim"
		if wait_status "$id" 300; then
			reasons=$(curl -s "$url/api/v1/experiments/$id" | python3 -c '
import json, sys
d = json.load(sys.stdin)
runs = d["runs"]
print(sum(r["status"] == "failed" for r in runs), sum(r["status"] == "done" for r in runs),
      [r["reason"] for r in runs if r["status"] == "failed"])')
			code=$(curl -s -o /dev/null -w '%{http_code}' "$url/api/v1/targets")
			case $reasons in
			"1 5 "*signal\ 9*) [ "$code" = 200 ] && ok "kill -9 of a worker: that run failed with the reason, 5 others done, daemon serving" ||
				nok "daemon serving after a worker kill" "GET /api/v1/targets -> $code" ;;
			*) nok "kill -9 of a worker" "failed/done/reasons: $reasons" ;;
			esac
		else
			nok "kill -9 of a worker" "experiment did not finish"
		fi
	else
		nok "kill -9 of a worker" "no worker process seen"
	fi
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	pid=
else
	nok "daemon starts (worker test)" "$(tail -3 "$tmp/daemon.log")"
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
	if start "$var"; then
		id=$(submit "$var" "$spec")
		full=
		for _ in $(seq 1 300); do
			if grep -q "store write failed" "$tmp/daemon.log"; then full=1; break; fi
			sleep 0.05
		done
		api=$(curl -s "$url/metrics" | grep -E '^svabenchd_store_failing' | awk '{print $2}')
		integ=$(sqlite3 "file:$var/svabench.db?mode=ro" "PRAGMA integrity_check;" 2>&1)
		if [ -n "$full" ] && [ "$api" = 1 ] && [ "$integ" = ok ]; then
			ok "full disk: reported in the log and on the API (/metrics store_failing 1), database intact"
		else
			nok "full disk reported" "log=${full:-no} metrics store_failing=$api integrity=$integ"
		fi
		mount -o remount,size=200m "$var"
		if wait_status "$id" 120 && [ "$(field "$id" status)" = done ] &&
			[ "$(field "$id" runs_done)" = "$(field "$id" runs_total)" ]; then
			ok "space returns: the experiment resumes and every run is done"
		else
			nok "work resumes after space returns" "status=$(field "$id" status) done=$(field "$id" runs_done)"
		fi
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		pid=
	else
		nok "daemon starts on a small tmpfs" "$(tail -3 "$tmp/daemon.log")"
	fi
fi

exit $failed
