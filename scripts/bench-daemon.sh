#!/usr/bin/env bash
# bench-daemon.sh - svabenchd's serving figures (`make bench` runs it):
#   1. requests/s and p99 of a cached GET /api/v1/experiments/ID under wrk
#      (64 connections), beside nginx serving the same bytes as a static
#      file in the same run (goal >= 0.5x nginx);
#   2. the daemon's RSS idle and with 1000 open connections (goals 50 / 200 MB);
#   3. sample ingest rows/s into the store (build/tests/daemon/bench_store).
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

wrk_run() { # URL -> "reqs p99"
	wrk -t2 -c64 -d"${duration}s" --latency "$1" 2>/dev/null | awk '
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
