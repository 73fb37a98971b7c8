#!/usr/bin/env bash
# bench-drain.sh - runs/s while svabenchd drains a backlog of one-run
# experiments (`make bench` runs it; issue 14: the bookkeeping after each
# run, history's alert check, must not grow with the backlog).
#
# Queues N (default 10,000; BENCH_DRAIN=N) one-run experiments of one
# configuration through the API behind a long "blocker" experiment that
# keeps the one worker busy (so nothing drains while they are queued),
# stops the daemon, starts it again with the whole backlog queued, cancels
# the blocker, and counts finished runs in the store every 50 ms: the rate
# over the first and the last 10 % of the drain, and their ratio (target:
# the end within 20 % of the start). Prints figures; the target is for
# reading, not asserted.
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
def ended():
    return con.execute("SELECT count(*) FROM runs r JOIN experiments e ON e.id = r.experiment"
                       " WHERE e.label = 'drain' AND r.status IN ('done', 'failed', 'cancelled')"
                       ).fetchone()[0]
t0 = time.monotonic()
marks = [(0.0, ended())]
start_backlog = n - marks[0][1]
while marks[-1][1] < n and time.monotonic() - t0 < 1800:
    time.sleep(0.05)
    marks.append((time.monotonic() - t0, ended()))
def rate(lo, hi):
    a = next(m for m in marks if m[1] >= lo)
    b = next(m for m in marks if m[1] >= hi)
    return (b[1] - a[1]) / (b[0] - a[0]) if b[0] > a[0] else float("nan")
done0 = marks[0][1]
tenth = max(1, (n - done0) // 10)
start = rate(done0, done0 + tenth)
end = rate(n - tenth, n) if marks[-1][1] >= n else float("nan")
print("drain of %d queued one-run experiments (one configuration): %.0f s" % (start_backlog, marks[-1][0]))
print("runs/s at the start (backlog %d..%d): %.1f" % (start_backlog, start_backlog - tenth, start))
print("runs/s at the end   (backlog %d..0): %.1f" % (tenth, end))
print("end / start: %.2f (target: within 20 %%, >= 0.80)" % (end / start))
EOF_PY
