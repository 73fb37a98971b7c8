#!/usr/bin/env bash
# test_history.sh - a metric across kernel labels, as a maintainer follows
# it: the same small rw-reuse experiment submitted eight times, labelled
# v6.1..v6.8 (not in label order), where from v6.5 on CMD_SYNC costs twice
# as much. GET /api/v1/history puts the points in label order and finds one
# change point, at v6.5; GET /api/v1/alerts lists it once however often
# the history is read; the same experiment with nothing changed (another
# workload, other seeds) gives no change point and no alert. Bad queries
# get 400 naming the parameter. GET .../report is text for a mail, and
# `svabench report ID` prints it.
#
# SVABENCH: the CLI (default build/svabench); SVABENCHD: the daemon under
# test (default: svabenchd beside SVABENCH). Needs curl, python3.
set -u

# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"
at_exit() {
	stop_daemon
	[ -z "${KEEP:-}" ] || cp -r "$tmp" "$KEEP"
}

need_tools history curl python3
need_built history "$SVABENCHD"
unset SVABENCH_TOKEN SVABENCH_URL

if ! start_daemon "$tmp/var"; then
	not_ok "svabenchd starts" "$(daemon_tail)"
	exit 1
fi
ok "svabenchd starts"

# expect_400 NAME FIELD PATH - a query refused naming FIELD.
expect_400() {
	req GET "$3"
	if [ "$code" != 400 ]; then
		not_ok "$1" "status $code, want 400: $(snippet)"
		return
	fi
	check "$1" "
e = d['error']
assert e['code'] == 'invalid_query', e
assert e['field'] == '$2', e
assert '$2' in e['message'], e"
}

# check_ids NAME PYTHON - check, with ids the label -> experiment id map of
# the submissions.
check_ids() { check "$1" "ids = load(sys.argv[2])
$2" "$tmp/ids.json"; }

# submit LABEL WORKLOAD SYNC_NS SEED - submits and waits; the id goes to ids.
echo '{}' >"$tmp/ids.json"
submit() {
	local spec id
	spec="{\"target\": \"sim\", \"workload\": \"$2\", \"strategies\": [\"pri-inv\", \"notifier\"],"
	spec+=" \"params\": {\"duration_us\": 500, \"cmd_sync_ns\": $3}, \"repetitions\": 3,"
	spec+=" \"seed\": $4, \"label\": \"$1\"}"
	if ! id=$(printf '%s' "$spec" | "$SVABENCH" submit - --wait --timeout 120 \
		--server "$url" --var "$tmp/var" 2>"$tmp/err"); then
		not_ok "submit $1 ($2)" "$(head -c 300 "$tmp/err")"
		return 1
	fi
	pyjson "$tmp/ids.json" "d[sys.argv[2] + '/' + sys.argv[3]] = sys.argv[4]
json.dump(d, open(sys.argv[1], 'w'))" "$2" "$1" "$id"
}

# ---- a step at v6.5: CMD_SYNC 600 ns, then 1200 ns ----

ok_all=1
seed=1
# submitted out of label order: the history orders by label, not by time
for label in v6.2 v6.1 v6.3 v6.4 v6.5 v6.7 v6.6 v6.8; do
	sync=600
	case $label in v6.[5-8]) sync=1200 ;; esac
	submit "$label" rw-reuse "$sync" "$seed" || ok_all=0
	seed=$((seed + 1))
done
[ $ok_all = 1 ] && ok "eight rw-reuse experiments v6.1..v6.8 ran"

req GET "/api/v1/history?workload=rw-reuse&metric=cpu.invalidation_ns&strategy=notifier"
if [ "$code" != 200 ]; then
	not_ok "history: 200" "status $code: $(snippet)"
fi
check_ids "history: one series (no swept params), points in label order v6.1..v6.8" "
assert d['workload'] == 'rw-reuse' and d['metric'] == 'cpu.invalidation_ns', d
assert d['strategy'] == 'notifier' and d['target'] == 'sim', d
assert d['params']['window'] == 5 and d['params']['alpha'] == 0.01, d['params']
assert len(d['series']) == 1, len(d['series'])
s = d['series'][0]
assert s['cell'] == {}, s['cell']
labels = [p['label'] for p in s['points']]
assert labels == ['v6.%d' % i for i in range(1, 9)], labels
assert [p['experiment'] for p in s['points']] == [ids['rw-reuse/' + l] for l in labels]
for p in s['points']:
    assert p['n'] == 3 and len(p['values']) == 3, p
    v = sorted(p['values'])
    assert p['median'] == v[1], p
    assert p['created_at'].endswith('Z'), p"
check_ids "history: the step is one change point, at v6.5, upwards" "
s = d['series'][0]
cps = s['change_points']
assert len(cps) == 1, cps
c = cps[0]
assert c['index'] == 4 and c['label'] == 'v6.5', c
assert c['experiment'] == ids['rw-reuse/v6.5'], (c, ids)
assert c['after'] > c['before'] * 1.2 and c['change'] > 0.2 and c['p'] < 0.01, c
before = max(p['median'] for p in s['points'][:4])
after = min(p['median'] for p in s['points'][4:])
assert after > before, (before, after)"

# read twice more: alerts are stored once per series and experiment
req GET "/api/v1/history?workload=rw-reuse&metric=cpu.invalidation_ns&strategy=notifier"
req GET "/api/v1/history?workload=rw-reuse&metric=cpu.invalidation_ns&strategy=notifier&cell=%7B%7D"
check "history: cell={} selects the same series" "
assert len(d['series']) == 1 and len(d['series'][0]['change_points']) == 1, d"

req GET "/api/v1/alerts?limit=1000"
check_ids "alerts: the step is listed once, at v6.5, status new" "
a = [x for x in d['alerts'] if x['metric'] == 'cpu.invalidation_ns'
     and x['strategy'] == 'notifier' and x['workload'] == 'rw-reuse']
assert len(a) == 1, a
x = a[0]
assert x['experiment'] == ids['rw-reuse/v6.5'] and x['label'] == 'v6.5', x
assert x['status'] == 'new' and x['target'] == 'sim' and x['cell'] == {}, x
assert x['after'] > x['before'] and x['change'] > 0.2 and x['p'] < 0.01, x
assert isinstance(x['id'], int) and x['created_at'].endswith('Z'), x
assert d['next_cursor'] is None, d['next_cursor']"

# pagination walks every alert once
req GET "/api/v1/alerts?limit=1000"
cp "$tmp/body" "$tmp/all_alerts"
total=$(json_value "$tmp/all_alerts" "len(d['alerts'])")
seen="" cursor="" pages=0
while :; do
	req GET "/api/v1/alerts?limit=1${cursor:+&cursor=$cursor}"
	pages=$((pages + 1))
	seen+=$(json_value "$tmp/body" "' '.join(str(a['id']) for a in d['alerts'])")" "
	cursor=$(json_value "$tmp/body" "d['next_cursor'] or ''")
	[ -z "$cursor" ] || [ $pages -gt 100 ] && break
done
if [ "$(echo $seen | wc -w)" = "$total" ] && [ "$total" -ge 1 ]; then
	ok "alerts: limit=1 pages walk all $total alerts"
else
	not_ok "alerts: limit=1 pages walk all alerts" "saw '$seen' of $total"
fi

req GET "/api/v1/alerts?workload=rw-reuse&metric=cpu.invalidation_ns&strategy=notifier"
check "alerts: filtered by workload, metric and strategy" "
assert len(d['alerts']) == 1 and d['alerts'][0]['label'] == 'v6.5', d"

# a looser min_change finds the same step; a huge one finds none
req GET "/api/v1/history?workload=rw-reuse&metric=cpu.invalidation_ns&strategy=notifier&min_change=5"
check "history: min_change=5 (500 %) hides the step" "
assert d['series'][0]['change_points'] == [], d['series'][0]['change_points']
assert d['params']['min_change'] == 5, d['params']"

# ---- nothing changes: no change point, no alert ----

ok_all=1
for i in 1 2 3 4 5 6 7 8; do
	submit "v6.$i" first-touch 600 $((100 + i)) || ok_all=0
done
[ $ok_all = 1 ] && ok "eight first-touch experiments, nothing changed but the seed"

req GET "/api/v1/history?workload=first-touch&metric=cpu.invalidation_ns&strategy=notifier"
check "flat history: eight points, no change point" "
s = d['series']
assert len(s) == 1 and len(s[0]['points']) == 8, s
assert s[0]['change_points'] == [], s[0]['change_points']"
req GET "/api/v1/alerts?workload=first-touch"
check "flat history: no alert" "assert d['alerts'] == [], d['alerts']"

# ---- what is not there is empty, what is wrong is refused ----

req GET "/api/v1/history?workload=rw-reuse&metric=no.such.metric&strategy=notifier"
check "an unknown metric: 200 and no series" "assert d['series'] == [], d"
req GET "/api/v1/history?workload=rw-reuse&metric=cpu.invalidation_ns&strategy=none"
check "a strategy never run: no series" "assert d['series'] == [], d"
expect_400 "history without workload" workload "/api/v1/history?metric=x&strategy=notifier"
expect_400 "history without metric" metric "/api/v1/history?workload=rw-reuse&strategy=notifier"
expect_400 "history without strategy" strategy "/api/v1/history?workload=rw-reuse&metric=x"
expect_400 "history: an unknown parameter" colour \
	"/api/v1/history?workload=rw-reuse&metric=x&strategy=notifier&colour=red"
expect_400 "history: an unknown workload" workload \
	"/api/v1/history?workload=nope&metric=x&strategy=notifier"
expect_400 "history: alpha=2" alpha \
	"/api/v1/history?workload=rw-reuse&metric=x&strategy=notifier&alpha=2"
expect_400 "history: window=0" window \
	"/api/v1/history?workload=rw-reuse&metric=x&strategy=notifier&window=0"
expect_400 "history: min_change=-1" min_change \
	"/api/v1/history?workload=rw-reuse&metric=x&strategy=notifier&min_change=-1"
expect_400 "history: a cell that is not an object" cell \
	"/api/v1/history?workload=rw-reuse&metric=x&strategy=notifier&cell=%5B1%5D"
expect_400 "alerts: limit=0" limit "/api/v1/alerts?limit=0"

# ---- the report ----

v65=$(json_value "$tmp/ids.json" "d['rw-reuse/v6.5']")
req GET "/api/v1/experiments/$v65/report"
ctype=$(header Content-Type)
if [ "$code" = 200 ] && [ "$ctype" = "text/plain; charset=utf-8" ]; then
	ok "report: 200 text/plain; charset=utf-8"
else
	not_ok "report: 200 text/plain" "status $code, content-type '$ctype': $(snippet)"
fi
check "report: nothing over 80 columns; experiment, label, preset sources, tables" "
lines = t.split('\n')
assert all(len(l) <= 80 for l in lines), [l for l in lines if len(l) > 80][0]
assert '$v65' in t and 'v6.5' in t and 'rw-reuse on target sim' in t, t[:300]
assert t.split('\\n')[3].startswith('answer      '), t[:400]
assert 'cmd_sync_ns = 600 (secondary; this experiment' in t and 'sets 1200)' in t, t
assert 'QEMU qpl-compression.rst' in t, 'no preset source'
assert 'pri-inv (baseline)' in t and '  cpu.invalidation_ns ' in t, t
assert 'sim figures are model outputs, not hardware measurements' in t"
cp "$tmp/body" "$tmp/report.http"
expect_400 "report: full=2" full "/api/v1/experiments/$v65/report?full=2"

if "$SVABENCH" report "$v65" --server "$url" --var "$tmp/var" >"$tmp/report.cli" 2>"$tmp/err" &&
	cmp -s "$tmp/report.cli" "$tmp/report.http"; then
	ok "svabench report ID prints the daemon's report"
else
	not_ok "svabench report ID prints the daemon's report" "$(head -c 300 "$tmp/err")"
fi
rc=0
"$SVABENCH" report e999 --server "$url" --var "$tmp/var" >"$tmp/out" 2>"$tmp/err" || rc=$?
if [ $rc = 2 ] && grep -q "no experiment e999" "$tmp/err"; then
	ok "svabench report of an unknown id: exit 2, says so"
else
	not_ok "svabench report of an unknown id" "exit $rc: $(head -c 300 "$tmp/err")"
fi
rc=0
"$SVABENCH" report "$v65" --baseline nope --server "$url" --var "$tmp/var" >"$tmp/out" \
	2>"$tmp/err" || rc=$?
if [ $rc = 2 ] && grep -q "baseline" "$tmp/err"; then
	ok "svabench report --baseline nope: exit 2 naming baseline"
else
	not_ok "svabench report --baseline nope" "exit $rc: $(head -c 300 "$tmp/err")"
fi

# ---- alerts survive a restart (they are in the store) ----

stop_daemon
if start_daemon "$tmp/var"; then
	req GET "/api/v1/alerts?workload=rw-reuse&metric=cpu.invalidation_ns&strategy=notifier"
	check "alerts survive a restart" "assert len(d['alerts']) == 1, d"
else
	not_ok "svabenchd restarts" "$(daemon_tail)"
fi

# ---- a store of schema 1 (before alerts) gains them, its data kept ----

stop_daemon
mkdir -p "$tmp/old"
python3 - "$root/schema/001_init.sql" "$tmp/old/svabench.db" <<'EOF_PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[2])
db.executescript(open(sys.argv[1]).read())
db.execute("INSERT INTO experiments (spec, target, workload, label, preset, host,"
           " svabench_version, status, runs_total, created_at) VALUES"
           " ('{}', 'sim', 'rw-reuse', 'v6.0', 'null', '{}', '0.0.1', 'done', 0, 0)")
db.execute("PRAGMA user_version = 1")
db.commit()
EOF_PY
mv "$tmp/var" "$tmp/var.new"
mv "$tmp/old" "$tmp/var"
cp "$tmp/var.new/token" "$tmp/var/token"
if start_daemon "$tmp/var"; then
	req GET "/api/v1/alerts"
	version=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('PRAGMA user_version').fetchone()[0])" "$tmp/var/svabench.db")
	check "a schema-1 store is migrated: alerts answer, user_version 2" "
assert d['alerts'] == [], d
assert '$version' == '2', 'user_version $version'"
	req GET "/api/v1/experiments"
	check "the migrated store keeps its experiments" "
assert [e['label'] for e in d['experiments']] == ['v6.0'], d"
else
	not_ok "svabenchd opens a schema-1 store" "$(daemon_tail)"
fi

exit $failed
