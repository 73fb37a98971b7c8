#!/usr/bin/env bash
# bench-drain.sh - runs/s while svabenchd drains a backlog of one-run
# experiments (`make bench` runs it; issue 14: the bookkeeping after each
# run, history's alert check, must not grow with the backlog).
#
# Queues N (default 10,000; BENCH_DRAIN=N) one-run experiments of one
# configuration through the API behind a long "blocker" experiment that
# keeps the one worker busy (so nothing drains while they are queued),
# stops the daemon, starts it again with the whole backlog queued, cancels
# the blocker, waits for the drain, and reads each run's end from the
# store: the rate over the first and the last fifth of the drain, and their
# ratio (target: the end within 20 % of the start). Prints figures; the
# target is for reading, not asserted.
set -euo pipefail

# shellcheck source=SCRIPTDIR/../tests/lib.sh
. "$(dirname "$0")/../tests/lib.sh"
cd "$root"
SVABENCHD=$root/build/svabenchd # the plain build, whatever SVABENCH says
n=${BENCH_DRAIN:-10000}

start_daemon "$tmp/var" --workers 1 || { echo "svabenchd did not start: $(daemon_tail)" >&2; exit 1; }
blocker=$(submit_spec '{"target": "sim", "workload": "mixed", "strategies": ["pri-inv"], "params": {"duration_us": 60000000, "sample_us": 5000}, "repetitions": 100, "seed": 1, "label": "blocker"}')
python3 - "$url" "$(token)" "$n" <<'EOF_PY'
import http.client, sys, urllib.parse
url, token, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
u = urllib.parse.urlparse(url)
c = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
spec = ('{"target": "sim", "workload": "rw-reuse", "strategies": ["pri-inv"],'
        ' "params": {"duration_us": 100}, "repetitions": 1, "seed": %d, "label": "drain"}')
for i in range(n):
    c.request("POST", "/api/v1/experiments", spec % (i + 1),
              {"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    r = c.getresponse()
    r.read()
    if r.status != 202:
        sys.exit("submission %d: status %d" % (i, r.status))
EOF_PY
stop_daemon
start_daemon "$tmp/var" || { echo "svabenchd did not restart: $(daemon_tail)" >&2; exit 1; }
curl -s -o /dev/null -X POST -H "Authorization: Bearer $(token)" "$url/api/v1/experiments/$blocker/cancel"
python3 - "$tmp/var/svabench.db" "$n" <<'EOF_PY'
import sqlite3, sys, time
db, n = sys.argv[1], int(sys.argv[2])
con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=30)
drain = ("FROM runs r JOIN experiments e ON e.id = r.experiment"
         " WHERE e.label = 'drain' AND r.status IN ('done', 'failed', 'cancelled')")
def ended():
    return con.execute("SELECT count(*) " + drain).fetchone()[0]
t0 = time.monotonic()
done0 = ended()
while ended() < n and time.monotonic() - t0 < 1800:
    time.sleep(0.2)
# Each run's own end (runs.finished_at, Unix ms, when its worker reported
# it), over the first and the last fifth of the backlog: polling the count
# every 50 ms measured a tenth of a drain of ~7,000 runs/s (0.13 s) to
# +-30 %, and a tenth is still within the workers' first 0.2 s.
t = [row[0] for row in con.execute("SELECT r.finished_at " + drain + " ORDER BY r.finished_at")]
if len(t) < n:
    sys.exit("drain: %d of %d runs ended in 1800 s" % (len(t), n))
start_backlog = n - done0
fifth = max(1, start_backlog // 5)
def rate(lo, hi):  # runs per second between the lo-th and the hi-th end
    return (hi - lo) / ((t[hi] - t[lo]) / 1000.0) if t[hi] > t[lo] else float("nan")
start = rate(done0, done0 + fifth)
end = rate(n - 1 - fifth, n - 1)
print("drain of %d queued one-run experiments (one configuration): %.1f s by the runs' ends"
      % (start_backlog, (t[n - 1] - t[done0]) / 1000.0))
print("runs/s at the start (backlog %d..%d): %.1f" % (start_backlog, start_backlog - fifth, start))
print("runs/s at the end   (backlog %d..0): %.1f" % (fifth, end))
print("end / start: %.2f (target: within 20 %%, >= 0.80)" % (end / start))
EOF_PY
