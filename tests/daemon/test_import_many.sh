#!/usr/bin/env bash
# test_import_many.sh - many imports into one configuration answer without
# waiting on the alert analysis (issue 19: the analysis walked the
# configuration's whole history on the HTTP thread, so each import's answer
# took longer than the last; fuzz_http hit its 60 s limit after a few
# hundred). No wall-clock threshold: the work is counted instead.
# - 40 documents of one configuration (different labels) imported
#   in turn: each answer is 201 and says "alert_analysis": "queued";
# - once the daemon has drained its queue, exactly 40 analyses ran, all on
#   the history thread (svabenchd_history_analyses_total equals
#   svabenchd_alert_analyses_total, which counts every thread's): no answer
#   ran one;
# - the analyses still did their job: the series (a x2 step in two metrics
#   from the 31st import on) has its alert, made after the answers;
# - a kill loses no analysis: after a kill -9, with every experiment made
#   pending again and the alerts deleted in the store (a daemon killed after
#   the imports committed, before any analysis ran), the next start queues
#   the 40 again and the same alert comes back.
#
# SVABENCH: the CLI (default build/svabench); SVABENCHD: the daemon under
# test. Needs curl, python3.
set -u

# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"
at_exit() { stop_daemon; }

need_tools import_many curl python3
need_built import_many "$SVABENCHD"
unset SVABENCH_TOKEN SVABENCH_URL

n=40
spec='{"target": "sim", "workload": "rw-reuse", "strategies": ["pri-inv"],
  "params": {"duration_us": 200}, "repetitions": 3, "seed": 1,
  "kernel": {"version": "6.6", "config": "defconfig"}}'
if ! printf '%s' "$spec" | "$SVABENCH" run --offline - --json >"$tmp/raw.json" 2>"$tmp/err"; then
	not_ok "an offline document" "$(head -c 300 "$tmp/err")"
	exit 1
fi
if ! start_daemon "$tmp/var"; then
	not_ok "svabenchd starts" "$(daemon_tail)"
	exit 1
fi

metric() { curl -s "$url/metrics" | awk -v n="$1" '$1 == n { print $2 }'; }

# N imports over one connection; prints one line per answer: status, alert_analysis
python3 - "$url" "$(token)" "$tmp/raw.json" "$n" >"$tmp/answers" 2>"$tmp/err" <<'EOF_PY'
import copy, http.client, json, sys, urllib.parse
url, token, raw, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
u = urllib.parse.urlparse(url)
conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
base = json.load(open(raw))
for i in range(n):
    d = copy.deepcopy(base)
    d['experiment']['spec']['label'] = f'nightly-{i + 1:03d}'
    d['experiment']['label'] = f'nightly-{i + 1:03d}'
    for r in d['runs']:
        for m in ('cpu.invalidation_ns', 'cmdq.sync_wait_ns'):
            if r['metrics'].get(m) is not None:
                r['metrics'][m] = round(r['metrics'][m] * (2 if i >= 30 else 1) + r['repetition'])
    d['samples'] = []
    conn.request('POST', '/api/v1/import', body=json.dumps(d),
                 headers={'Host': f'127.0.0.1:{u.port}', 'Authorization': 'Bearer ' + token,
                          'Content-Type': 'application/json'})
    r = conn.getresponse()
    body = json.loads(r.read() or b'{}')
    print(r.status, body.get('alert_analysis'), body.get('id'), json.dumps(body.get('error')))
EOF_PY
good=$(awk '$1 == 201 && $2 == "queued"' "$tmp/answers" | wc -l)
if [ "$good" = "$n" ]; then
	ok "$n imports into one configuration: each 201, \"alert_analysis\": \"queued\""
else
	not_ok "$n imports answered queued" "$good of $n: $(grep -v '^201 queued' "$tmp/answers" | head -3 | tr '\n' ' ') $(head -c 300 "$tmp/err")"
fi

if wait_analysed 120; then
	hist=$(metric svabenchd_history_analyses_total)
	all=$(metric svabenchd_alert_analyses_total)
	if [ "$hist" = "$n" ] && [ "$all" = "$n" ]; then
		ok "the $n analyses ran after the answers, all on the history thread (none in an HTTP answer)"
	else
		not_ok "analyses on the history thread only" "history thread $hist, any thread $all, imports $n"
	fi
else
	not_ok "the analysis queue drains" "svabenchd_history_pending: $(metric svabenchd_history_pending)"
fi

# check_alert NAME - the one alert of the series: the step, a regression at nightly-031
check_alert() {
	req GET "/api/v1/alerts?workload=rw-reuse&limit=1000"
	check "$1" "
a = d['alerts']
assert len(a) == 1, [(x['label'], x['direction']) for x in a]
assert a[0]['direction'] == 'regression' and a[0]['label'] == 'nightly-031', a[0]"
}
check_alert "the queued analyses made the step's alert (a regression at nightly-031)"

# ---- a kill does not lose a queued analysis (schema/006_alerts_pending.sql) ----

db=$tmp/var/svabench.db
sql() { python3 -c "import sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=30)
print(c.execute(sys.argv[2]).fetchone()[0] if sys.argv[2].startswith('SELECT') else c.executescript(sys.argv[2]) and '')
c.commit()" "$db" "$1"; }

stop_daemon KILL
pending=$(sql "SELECT count(*) FROM experiments WHERE alerts_pending = 1")
if [ "$pending" = 0 ]; then
	ok "every analysed experiment is recorded as analysed (alerts_pending 0 for all $n)"
else
	not_ok "analysed experiments recorded" "$pending of $n still pending after the queue drained"
fi

# The daemon killed after the imports committed, before any analysis ran:
# every experiment pending, no alert yet. The next start queues them again.
sql "UPDATE experiments SET alerts_pending = 1; DELETE FROM alert_changes; DELETE FROM alerts;" >/dev/null
if ! start_daemon "$tmp/var"; then
	not_ok "svabenchd starts again" "$(daemon_tail)"
	exit 1
fi
if wait_analysed 120; then
	hist=$(metric svabenchd_history_analyses_total)
	if [ "$hist" = "$n" ] && grep -q "$n alert analyses left by the last run queued again" "$daemon_err"; then
		ok "after a kill, the $n pending analyses run at the next start (logged)"
	else
		not_ok "pending analyses queued again" "history thread $hist of $n; log: $(grep -c 'queued again' "$daemon_err") lines"
	fi
else
	not_ok "the requeued analyses drain" "svabenchd_history_pending: $(metric svabenchd_history_pending)"
fi
check_alert "the requeued analyses made the same alert again (nightly-031, a regression)"
pending=$(sql "SELECT count(*) FROM experiments WHERE alerts_pending = 1")
[ "$pending" = 0 ] && ok "none pending after the requeued analyses" ||
	not_ok "none pending after the requeued analyses" "$pending still pending"

stop_daemon
