#!/usr/bin/env bash
# test_pool.sh - svabenchd's workers that stay, and what they must keep:
# runs share few worker processes; a worker killed mid-run fails only that
# run; a worker that closes its stdout and hangs is still killed at
# --run-timeout (with what it started) while other runs go on; no worker
# outlives a kill -9 of the daemon; a kill -9 during batched ingest leaves
# every run done exactly once; past --queue-max submissions get 429 with
# Retry-After and nothing is stored (the CLI waits and retries); a spec
# without `collect` never initialises libpfm4; an exclusive target's runs
# (host) run alone.
#
# env: SVABENCH (the CLI under test; the daemon is the svabenchd beside it
# unless SVABENCHD says otherwise).
set -uo pipefail

# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

need_built "svabenchd exists" "$SVABENCHD"

# metric NAME - the value of an unlabelled sample of the daemon's /metrics.
metric() { curl -s "$url/metrics" | awk -v n="$1" '$1 == n { print $2 }'; }

# alive PID - 0 when PID runs (a zombie is not running).
alive() { [ -e "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }

# worker pids of the running daemon, one per line
workers() { pgrep -P "$pid" 2>/dev/null; }

# runs_where ID PYEXPR - how many runs r of experiment ID satisfy PYEXPR.
runs_where() {
	curl -s "$url/api/v1/experiments/$1" | pyjson - "print(sum(1 for r in d['runs'] if $2))"
}

tiny='{"workload": "rw-reuse", "strategies": ["pri-inv", "notifier"], "repetitions": 30,
       "params": {"pages": 1, "duration_us": 100}, "seed": 3}'
long='{"workload": "mixed", "strategies": ["pri-inv"], "repetitions": 4,
       "params": {"duration_us": 4000000, "sample_us": 10000}, "seed": 4}'

# ---- 1. workers stay; no libpfm4 without collect ----
if start_daemon "$tmp/v1"; then
	id=$(submit_spec "$tiny")
	if wait_experiment "$id" 60 && [ "$status" = done ]; then
		started=$(metric svabenchd_workers_started_total)
		if [ "${started:-99}" -le 2 ]; then
			ok "60 runs on 2 workers started $started worker processes"
		else
			not_ok "workers stay" "$started worker processes for 60 runs"
		fi
		pfm=$(metric svabenchd_worker_libpfm_inits_total)
		[ "$pfm" = 0 ] && ok "a spec without collect never initialises libpfm4 in a worker" ||
			not_ok "no libpfm4 without collect" "svabenchd_worker_libpfm_inits_total=$pfm"
		id2=$(submit_spec '{"workload": "rw-reuse", "strategies": ["pri-inv"], "repetitions": 1,
			"params": {"pages": 1, "duration_us": 100}, "collect": {"events": ["task-clock"]}, "seed": 3}')
		wait_experiment "$id2" 60
		pfm=$(metric svabenchd_worker_libpfm_inits_total)
		[ "$pfm" = 1 ] && ok "a spec with collect initialises libpfm4 once, in its worker" ||
			not_ok "libpfm4 with collect" "svabenchd_worker_libpfm_inits_total=$pfm ($status)"
	else
		not_ok "tiny runs on the pool" "status=$status"
	fi
	check_daemon_clean "the pool's daemon stops cleanly (exit 0, no sanitizer report)"
else
	not_ok "daemon starts" "$(daemon_tail)"
fi

# ---- 2. a worker killed mid-run fails only that run ----
if start_daemon "$tmp/v2" --workers 1; then
	id=$(submit_spec "$long")
	victim=
	for _ in $(seq 1 200); do
		victim=$(workers | head -n 1)
		[ -n "$victim" ] && [ "$(exp_field "$id" status)" = running ] && break
		sleep 0.05
	done
	sleep 0.3
	kill -9 "$victim" 2>/dev/null
	if wait_experiment "$id" 120; then
		nfail=$(runs_where "$id" "r['status'] == 'failed' and 'signal 9' in (r['reason'] or '')")
		done_=$(runs_where "$id" "r['status'] == 'done'")
		started=$(metric svabenchd_workers_started_total)
		if [ "$nfail" = 1 ] && [ "$done_" = 3 ] && [ "$started" = 2 ]; then
			ok "worker killed mid-run: that run failed (signal 9), the next 3 done on a fresh worker"
		else
			not_ok "worker killed mid-run" "failed=$nfail done=$done_ workers started=$started"
		fi
	else
		not_ok "worker killed mid-run" "experiment did not end ($status)"
	fi
	stop_daemon
else
	not_ok "daemon starts" "$(daemon_tail)"
fi

# ---- 3. a worker that closes stdout and hangs: killed at the timeout, group and all ----
cat >"$tmp/hang-once.sh" <<EOF
#!/bin/sh
# the first worker closes its stdout, starts a child and hangs; later ones are real
if mkdir "$tmp/hung" 2>/dev/null; then
	exec >&-
	sleep 300 &
	echo \$! >"$tmp/hung/child"
	echo \$\$ >"$tmp/hung/self"
	exec sleep 301
fi
exec "$SVABENCHD" "\$@"
EOF
chmod +x "$tmp/hang-once.sh"
if SVABENCHD_WORKER_EXEC=$tmp/hang-once.sh start_daemon "$tmp/v3" --run-timeout 2; then
	id=$(submit_spec "$tiny")
	if wait_experiment "$id" 60; then
		nfail=$(runs_where "$id" "r['status'] == 'failed' and 'run-timeout' in (r['reason'] or '')")
		done_=$(runs_where "$id" "r['status'] == 'done'")
		self=$(cat "$tmp/hung/self" 2>/dev/null) child=$(cat "$tmp/hung/child" 2>/dev/null)
		sleep 0.2
		if [ "$nfail" = 1 ] && [ "$done_" = 59 ] && [ -n "$self" ] && ! alive "$self" &&
			! alive "$child"; then
			ok "a worker that closed stdout and hung: killed at --run-timeout with its child, 59 other runs done"
		else
			not_ok "hung worker" "failed=$nfail done=$done_ self=$self child=$child"
		fi
	else
		not_ok "hung worker" "experiment did not end ($status)"
	fi
	stop_daemon
else
	not_ok "daemon starts" "$(daemon_tail)"
fi

# ---- 4. no worker outlives kill -9 of the daemon ----
if start_daemon "$tmp/v4"; then
	id=$(submit_spec "$long")
	ws=
	for _ in $(seq 1 200); do
		ws=$(workers | tr '\n' ' ')
		[ "$(echo "$ws" | wc -w)" -ge 2 ] && break
		sleep 0.05
	done
	stop_daemon KILL
	sleep 1
	left=
	for w in $ws; do alive "$w" && left="$left $w"; done
	if [ -n "$ws" ] && [ -z "$left" ]; then
		ok "kill -9 of the daemon: none of its workers ($ws) left 1 s later"
	else
		not_ok "workers die with the daemon" "workers '$ws', left:$left"
		for w in $left; do kill -9 "$w"; done
	fi
else
	not_ok "daemon starts" "$(daemon_tail)"
fi

# ---- 5. kill -9 during batched ingest: every run done exactly once ----
# (runs of 2 ms simulated: with 200 us, all 2,000 were done before the first kill)
var=$tmp/v5
many='{"workload": "rw-reuse", "strategies": ["pri-inv", "notifier"], "repetitions": 1000,
       "params": {"pages": 1, "duration_us": 2000}, "seed": 9}'
if start_daemon "$var"; then
	id=$(submit_spec "$many")
	kills=0 before=
	for at in 200 600 1000; do
		for _ in $(seq 1 400); do
			d=$(exp_field "$id" runs_done)
			[ "${d:-0}" -ge "$at" ] && break
			sleep 0.01
		done
		before="$before $d"
		stop_daemon KILL
		kills=$((kills + 1))
		start_daemon "$var" || break
	done
	if [ -n "$pid" ] && wait_experiment "$id" 120; then
		db=$var/svabench.db
		counts=$(sqlite3 "$db" "SELECT count(*), count(DISTINCT id), sum(status = 'done') FROM runs;")
		bad=$(sqlite3 "$db" "SELECT count(*) FROM runs r WHERE r.samples <>
			(SELECT count(DISTINCT t_ns) FROM sample_points s WHERE s.run = r.id)
			OR EXISTS (SELECT 1 FROM sample_points p JOIN sample_sets q ON q.id = p.sset
				WHERE p.run = r.id AND length(p.vals) <> 2 * length(q.metrics))
			OR NOT EXISTS (SELECT 1 FROM run_metrics m JOIN sample_sets q ON q.id = m.sset
				WHERE m.run = r.id AND length(m.vals) = 2 * length(q.metrics)
				AND length(m.vals) > 0);")
		integ=$(sqlite3 "$db" "PRAGMA integrity_check;")
		batches=$(metric svabenchd_ingest_batches_total)
		requeued=$(grep -c "interrupted run(s) re-queued" "$daemon_err")
		if [ "$counts" = "2000|2000|2000" ] && [ "$bad" = 0 ] && [ "$integ" = ok ] &&
			[ "$requeued" -ge 1 ]; then
			ok "kill -9 x$kills during batched ingest (at$before done; $requeued restarts re-queued runs): 2000 runs done once, samples whole, integrity ok"
		else
			not_ok "kill -9 during batched ingest" "runs(total|distinct|done)=$counts bad=$bad integrity=$integ at$before, restarts that re-queued runs: $requeued"
		fi
		echo "# ingest transactions after the last restart: $batches (runs each: $(metric svabenchd_runs_finished_total))"
	else
		not_ok "kill -9 during batched ingest" "did not finish ($status)"
	fi
	stop_daemon
else
	not_ok "daemon starts" "$(daemon_tail)"
fi

# ---- 6. the queue bound: 429 with Retry-After, nothing stored ----
if start_daemon "$tmp/v6" --queue-max 6 --workers 1; then
	id=$(submit_spec "$long")
	n0=$(sqlite3 "$tmp/v6/svabench.db" "SELECT count(*) FROM experiments; SELECT count(*) FROM runs;" | tr '\n' ' ')
	req POST /api/v1/experiments -H "Authorization: Bearer $(token)" \
		-H 'Content-Type: application/json' --data-binary "$long"
	ra=$(header Retry-After)
	n1=$(sqlite3 "$tmp/v6/svabench.db" "SELECT count(*) FROM experiments; SELECT count(*) FROM runs;" | tr '\n' ' ')
	check "past --queue-max: 429 with Retry-After, a JSON error naming queue_max, nothing stored" "
assert sys.argv[2] == '429', sys.argv[2]
assert sys.argv[3].isdigit() and 1 <= int(sys.argv[3]) <= 60, 'Retry-After ' + repr(sys.argv[3])
e = d['error']
assert e['code'] == 'queue_full' and e['field'] == 'queue_max' and '--queue-max is 6' in e['message'], e
assert sys.argv[4] == sys.argv[5], 'stored: ' + sys.argv[4] + ' -> ' + sys.argv[5]
" "$code" "$ra" "$n0" "$n1"
	[ "$(metric svabenchd_submissions_refused_total)" = 1 ] &&
		ok "/metrics counts the refusal" || not_ok "/metrics counts the refusal" "$(metric svabenchd_submissions_refused_total)"
	req POST /api/v1/experiments -H "Authorization: Bearer $(token)" \
		-H 'Content-Type: application/json' --data-binary "${long/\"repetitions\": 4/\"repetitions\": 7}"
	check "a plan larger than --queue-max is a 400 naming the bound" "
assert sys.argv[2] == '400', sys.argv[2]
assert '--queue-max 6' in d['error']['message'], d
" "$code"
	rc=0
	# as many runs as the bound: it fits only once nothing waits, so it must
	# wait; once it has been refused, the first experiment is cancelled, so
	# the queue drains whatever the machine's speed (not on the runs' timing)
	echo "${long/\"repetitions\": 4/\"repetitions\": 6}" |
		SVABENCH_URL=$url "$SVABENCH" submit - --var "$tmp/v6" >"$tmp/out" 2>"$tmp/err" &
	cli=$!
	for _ in $(seq 1 200); do
		grep -q "retrying in" "$tmp/err" 2>/dev/null && break
		kill -0 "$cli" 2>/dev/null || break
		sleep 0.05
	done
	req POST "/api/v1/experiments/$id/cancel" -H "Authorization: Bearer $(token)"
	wait "$cli" || rc=$?
	n2=$(sqlite3 "$tmp/v6/svabench.db" "SELECT count(*) FROM experiments;")
	if [ "$rc" = 0 ] && grep -q "429: its queue is full); retrying in" "$tmp/err" && [ "$n2" = 2 ]; then
		ok "svabench submit waits out a 429 (Retry-After) and its experiment is queued"
	else
		not_ok "svabench submit retries on 429" "exit $rc, experiments $n2: $(first_err)"
	fi
	for e in $(sqlite3 "$tmp/v6/svabench.db" "SELECT id FROM experiments;"); do
		curl -s -X POST -H "Authorization: Bearer $(token)" "$url/api/v1/experiments/e$e/cancel" >/dev/null
	done
	stop_daemon
else
	not_ok "daemon starts" "$(daemon_tail)"
fi

# ---- 7. exclusive targets run alone ----
sv describe host --json
if ! grep -q '"available": *true' "$tmp/out"; then
	skip "host runs alone" "the host target is unavailable here"
elif start_daemon "$tmp/v7"; then
	a=$(submit_spec '{"workload": "mixed", "strategies": ["pri-inv"], "repetitions": 3,
		"params": {"duration_us": 1000000, "sample_us": 10000}, "seed": 1}')
	b=$(submit_spec '{"target": "host", "workload": "munmap", "repetitions": 3, "seed": 1}')
	c=$(submit_spec '{"workload": "mixed", "strategies": ["pri-inv"], "repetitions": 3,
		"params": {"duration_us": 1000000, "sample_us": 10000}, "seed": 2}')
	if wait_experiment "$a" 120 && wait_experiment "$b" 120 && wait_experiment "$c" 120; then
		overlap=$(sqlite3 "$tmp/v7/svabench.db" "SELECT count(*) FROM runs h JOIN experiments he
			ON he.id = h.experiment AND he.target = 'host' JOIN runs o ON o.id <> h.id
			WHERE o.started_at < h.finished_at AND h.started_at < o.finished_at;")
		nhost=$(sqlite3 "$tmp/v7/svabench.db" "SELECT count(*) FROM runs r JOIN experiments e
			ON e.id = r.experiment WHERE e.target = 'host' AND r.status = 'done';")
		[ "$overlap" = 0 ] && [ "$nhost" = "$(exp_field "$b" runs_total)" ] && [ "$nhost" -ge 3 ] &&
			ok "host (exclusive) runs shared the machine with no other run" ||
			not_ok "exclusive runs alone" "overlapping pairs=$overlap host runs done=$nhost"
	else
		not_ok "exclusive runs alone" "experiments did not end"
	fi
	stop_daemon
fi

exit $failed
