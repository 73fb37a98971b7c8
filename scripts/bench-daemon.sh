#!/usr/bin/env bash
# bench-daemon.sh - svabenchd's serving figures (`make bench` runs it):
#   1. requests/s and p99 of a cached GET /api/v1/experiments/ID under wrk
#      (64 connections), beside nginx serving the same bytes as a static
#      file in the same run (goal >= 0.5x nginx);
#   2. the daemon's RSS idle and with 1000 open connections (goals 50 / 200 MB);
#   3. sample ingest values/s into the store (build/tests/daemon/bench_store);
#   4. runs through the daemon beside the offline runner (issue 15): tiny-run
#      throughput (goal: the daemon >= 0.5x offline --jobs 2), the default
#      suite's wall time (goal: within 1.5x of offline and under 10 s),
#      submit-to-done latency of a one-run experiment (p50, p99), and reads'
#      p99 while 50 clients submit past --queue-max (admission engaged);
#      tiny runs and the suite also in CPU seconds, offline beside the
#      daemon and its workers (less at the mercy of a shared machine's load).
# Prints figures; the goals are for reading, not asserted.
set -euo pipefail

# shellcheck source=SCRIPTDIR/../tests/lib.sh
. "$(dirname "$0")/../tests/lib.sh"
cd "$root"
SVABENCHD=$root/build/svabenchd # the plain build, whatever SVABENCH says
npid=
at_exit() {
	stop_daemon
	[ -z "$npid" ] || { kill "$npid" 2>/dev/null; wait "$npid" 2>/dev/null; }
}

rss_mb() { awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
duration=${BENCH_SECONDS:-5}

start_daemon "$tmp/var" || { echo "svabenchd did not start: $(daemon_tail)" >&2; exit 1; }
echo "daemon RSS idle: $(rss_mb "$pid") MB (goal <= 50 MB)"

id=$(submit_spec @suites/default/01-livelock.json)
wait_experiment "$id" 60 || :
curl -s "$url/api/v1/experiments/$id" >"$tmp/doc.json"
echo "experiment $id ($status), document $(stat -c %s "$tmp/doc.json") bytes"

# nginx serving the same bytes
nport=$(free_port)
mkdir -p "$tmp/nginx/www"
cp "$tmp/doc.json" "$tmp/nginx/www/doc.json"
cat >"$tmp/nginx/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $tmp/nginx;
  proxy_temp_path $tmp/nginx;
  fastcgi_temp_path $tmp/nginx;
  uwsgi_temp_path $tmp/nginx;
  scgi_temp_path $tmp/nginx;
  default_type application/json;
  server { listen 127.0.0.1:$nport; root $tmp/nginx/www; }
}
EOF
nginx -c "$tmp/nginx/nginx.conf" -p "$tmp/nginx" &
npid=$!
sleep 0.5

wrk_run() { wrk_run_c 64 "$1"; }
wrk_run_c() { # CONNECTIONS URL -> "reqs p99"
	wrk -t2 -c"$1" -d"${duration}s" --latency "$2" 2>/dev/null | awk '
		/Requests\/sec/ { r = $2 }
		/^ *99%/ { p = $2 }
		END { print r, p }'
}
read -r d_rps d_p99 < <(wrk_run "$url/api/v1/experiments/$id")
read -r n_rps n_p99 < <(wrk_run "http://127.0.0.1:$nport/doc.json")
echo "cached GET /api/v1/experiments/$id: $d_rps req/s, p99 $d_p99 (wrk -t2 -c64 -d${duration}s)"
echo "nginx, same bytes as a static file:  $n_rps req/s, p99 $n_p99"
awk -v a="$d_rps" -v b="$n_rps" 'BEGIN { if (b > 0) printf "svabenchd / nginx: %.2fx (goal >= 0.5x)\n", a / b }'

# 1000 open connections
python3 - "$port" "$pid" <<'EOF'
import socket, sys, time
port, pid = int(sys.argv[1]), sys.argv[2]
socks = []
for _ in range(1000):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /api/v1/targets HTTP/1.1\r\nHost: x\r\n")  # headers left open
    socks.append(s)
time.sleep(1.0)
rss = [l for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS")][0].split()[1]
print(f"daemon RSS with 1000 open connections: {int(rss) / 1024:.1f} MB (goal <= 200 MB)")
for s in socks:
    s.close()
EOF

if [ -x build/tests/daemon/bench_store ]; then
	build/tests/daemon/bench_store
else
	echo "build/tests/daemon/bench_store is missing (tests/daemon/bench_store.c)" >&2
	exit 1
fi

# ---- 4. runs: the daemon beside the offline runner ----
stop_daemon
runs_py=$root/scripts/bench-daemon-runs.py
ntiny=${BENCH_TINY_RUNS:-2000}
tiny='{"workload": "rw-reuse", "strategies": ["pri-inv", "notifier"], "repetitions": '$((ntiny / 2))',
       "params": {"pages": 1, "duration_us": 100}, "seed": 1}'
one='{"workload": "rw-reuse", "strategies": ["pri-inv"], "repetitions": 1,
      "params": {"pages": 1, "duration_us": 100}, "seed": 1}'
echo "$tiny" >"$tmp/tiny.json"
echo "$one" >"$tmp/one.json"
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }
# The same work in CPU seconds (user + system), which a shared machine's
# load changes less than wall time: offline, the runner and its children;
# through the daemon, svabenchd and its workers (live, or reaped).
timed() { # COMMAND... -> "WALL CPU" seconds
	local t0 t1
	t0=$(date +%s.%N)
	/usr/bin/time -f '%U %S' -o "$tmp/time" "$@" >/dev/null 2>&1
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" '{ printf "%.3f %.2f\n", b - a, $1 + $2 }' "$tmp/time"
}
proc_cpu() { # PID -> CPU seconds of PID and its children so far
	local t=0 p
	for p in "$1" $(pgrep -P "$1"); do
		t=$((t + $(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$p/stat" 2>/dev/null || echo 0)))
	done
	awk -v t="$t" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", t / hz }'
}
cpu_line() { # OFFLINE_CPU DAEMON_CPU -> a line with both and their ratio
	awk -v o="$1" -v d="$2" 'BEGIN { printf "  CPU seconds: offline %.2f, svabenchd and its workers %.2f (%.1fx)\n",
		o, d, (o > 0 ? d / o : 0) }'
}
read -r off1 _ < <(timed "$root/build/svabench" run --offline "$tmp/tiny.json" --jobs 1)
read -r off2 off2c < <(timed "$root/build/svabench" run --offline "$tmp/tiny.json" --jobs 2)
start_daemon "$tmp/runs" || { echo "svabenchd did not start: $(daemon_tail)" >&2; exit 1; }
c0=$(proc_cpu "$pid")
read -r dn dsec < <(python3 "$runs_py" "$url" "$(token)" throughput "$tmp/tiny.json")
c1=$(proc_cpu "$pid")
echo "tiny runs ($ntiny x one-page rw-reuse, 100 us simulated):"
echo "  offline --jobs 1: $(rate "$ntiny" "$off1") runs/s; offline --jobs 2: $(rate "$ntiny" "$off2") runs/s"
echo "  svabenchd (2 workers, samples stored): $(rate "$dn" "$dsec") runs/s ($dn runs in $dsec s)"
awk -v a="$(rate "$dn" "$dsec")" -v b="$(rate "$ntiny" "$off2")" \
	'BEGIN { printf "  daemon / offline --jobs 2: %.2fx (goal >= 0.5x)\n", a / b }'
cpu_line "$off2c" "$(awk -v a="$c0" -v b="$c1" 'BEGIN { print b - a }')"
curl -s "$url/metrics" | awk '/^svabenchd_(workers_started|ingest_batches|runs_finished)_total / {
	printf "  %s %s\n", $1, $2 }'
read -r p50 p99 < <(python3 "$runs_py" "$url" "$(token)" latency 200 "$tmp/one.json")
echo "submit-to-done of a one-run experiment (200 in turn): p50 $p50 ms, p99 $p99 ms"
stop_daemon

# the default suite: offline (one spec after another, --jobs 2) and through the daemon
read -r offs offsc < <(timed scripts/offline-suite.sh --jobs 2)
start_daemon "$tmp/suite" || { echo "svabenchd did not start: $(daemon_tail)" >&2; exit 1; }
c0=$(proc_cpu "$pid")
t0=$(date +%s.%N)
for f in suites/default/*.json; do
	curl -s -o /dev/null -X POST -H "Authorization: Bearer $(token)" \
		-H 'Content-Type: application/json' --data-binary "@$f" "$url/api/v1/experiments"
done
read -r nexp nruns < <(python3 "$runs_py" "$url" "$(token)" suite)
t1=$(date +%s.%N)
c1=$(proc_cpu "$pid")
dsuite=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
echo "default suite: offline (scripts/offline-suite.sh --jobs 2) $offs s; svabenchd ($nexp experiments, $nruns runs) $dsuite s"
awk -v d="$dsuite" -v o="$offs" \
	'BEGIN { printf "  daemon / offline: %.2fx (goal <= 1.5x and under 10 s)\n", d / o }'
cpu_line "$offsc" "$(awk -v a="$c0" -v b="$c1" 'BEGIN { print b - a }')"
stop_daemon

# reads while 50 clients submit past --queue-max
qmax=${BENCH_QUEUE_MAX:-20}
start_daemon "$tmp/load" --queue-max "$qmax" ||
	{ echo "svabenchd did not start: $(daemon_tail)" >&2; exit 1; }
# ten runs of 1 ms simulated each: past what the workers drain, so the
# bound is reached however fast they are (one-run experiments of 100 us
# stopped reaching it once each run's bookkeeping got cheaper)
body='{"workload": "rw-reuse", "strategies": ["pri-inv"], "repetitions": 10, "params": {"pages": 1, "duration_us": 1000}, "seed": 1}'
cat >"$tmp/post.lua" <<EOF
wrk.method = "POST"
wrk.body = '$body'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $(token)"
EOF
wrk -t1 -c50 -d"${duration}s" -s "$tmp/post.lua" "$url/api/v1/experiments" >"$tmp/post.out" 2>&1 &
wpid=$!
read -r r_rps r_p99 < <(wrk_run_c 4 "$url/api/v1/experiments?limit=20")
wait "$wpid" || :
posts=$(awk '/requests in/ { print $1 }' "$tmp/post.out")
refused=$(awk '/Non-2xx/ { print $NF }' "$tmp/post.out")
echo "reads while 50 clients submit (--queue-max $qmax; wrk -c50 POST beside wrk -c4 GET /api/v1/experiments?limit=20, ${duration} s):"
echo "  reads: $r_rps req/s, p99 $r_p99; submissions: ${posts:-0}, refused with 429: ${refused:-0}"
curl -s "$url/metrics" | awk '/^svabenchd_(runs_queued|submissions_refused_total|runs_finished_total) / {
	printf "  %s %s\n", $1, $2 }'
stop_daemon
