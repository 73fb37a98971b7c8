#!/usr/bin/env bash
# test_history.sh - regression tracking as a CI maintainer uses it.
#
# - A step across eight kernel versions: the same rw-reuse experiment run
#   offline with seeds 1..8, kernel.version 6.1..6.8, labels that do not
#   sort (nightly-N), CMD_SYNC costs x1.5 from 6.5 on; imported with
#   `svabench import` out of version order. History orders the points by
#   kernel version; exactly one alert, a regression at 6.5 with 6.4 on the
#   other side, grouped over the metrics and strategies it moved, each
#   change with a CI; tentative while 6.5 was the newest point, confirmed
#   once 6.7 came. A jump at the newest point alone is tentative and is
#   dropped when the next point does not confirm it.
# - Configurations: experiments differing only in preset, or only in one
#   fixed parameter (ats), under the same labels, are separate series and
#   raise no alert; /history/configs lists them with their experiments.
# - A flat noisy series over 20 seeds raises nothing.
# - GETs never make alerts; triage (POST /api/v1/alerts/ID) needs the
#   token, names a bad field, persists across a restart.
# - Bad queries get 400 naming the parameter; the report; migration of a
#   schema-1 store (configuration keys filled in).
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
assert e['field'] == '$2', e
assert '$2' in e['message'], e"
}

# check_ids NAME PYTHON - check, with ids the name -> experiment id map.
echo '{}' >"$tmp/ids.json"
check_ids() { check "$1" "ids = load(sys.argv[2])
$2" "$tmp/ids.json"; }
remember() {
	pyjson "$tmp/ids.json" "d[sys.argv[2]] = sys.argv[3]
json.dump(d, open(sys.argv[1], 'w'))" "$1" "$2"
}

# ---- a step across eight kernel versions, imported out of order ----

# version_doc VERSION SEED FACTOR - an offline rw-reuse document of kernel
# VERSION whose CMD_SYNC cost metrics are multiplied by FACTOR.
version_doc() {
	local spec
	spec="{\"target\": \"sim\", \"workload\": \"rw-reuse\", \"strategies\": [\"pri-inv\", \"notifier\"],"
	spec+=" \"params\": {\"duration_us\": 500}, \"repetitions\": 3, \"seed\": $2,"
	spec+=" \"label\": \"nightly-$2\", \"kernel\": {\"version\": \"$1\", \"config\": \"defconfig\"}}"
	printf '%s' "$spec" | "$SVABENCH" run --offline - --json >"$tmp/raw.json" 2>"$tmp/err" ||
		return 1
	python3 - "$tmp/raw.json" "$3" >"$tmp/v$1.json" <<'EOF_PY'
import json, sys
d = json.load(open(sys.argv[1]))
f = float(sys.argv[2])
for r in d['runs']:
    for m in ('cpu.invalidation_ns', 'cmdq.sync_wait_ns'):
        if r['metrics'].get(m) is not None:
            r['metrics'][m] = round(r['metrics'][m] * f)
json.dump(d, sys.stdout)
EOF_PY
}

# import_version VERSION SEED FACTOR
import_version() {
	local id
	if ! version_doc "$@"; then
		not_ok "offline run of $1" "$(head -c 300 "$tmp/err")"
		return 1
	fi
	if ! id=$("$SVABENCH" import "$tmp/v$1.json" --server "$url" --var "$tmp/var" 2>"$tmp/err"); then
		not_ok "import of $1" "$(head -c 300 "$tmp/err")"
		return 1
	fi
	# alerts are made on the history thread after the import's answer
	if ! wait_analysed; then
		not_ok "alert analysis after the import of $1" "svabenchd_history_pending not 0 in 60 s"
		return 1
	fi
	remember "$1" "$id"
}

alerts_of() { req GET "/api/v1/alerts?workload=rw-reuse&limit=1000$1"; }

ok_all=1
for v in 6.2 6.1 6.3 6.4 6.5; do
	f=1
	case $v in 6.[5-8]) f=1.5 ;; esac
	import_version "$v" "${v#6.}" "$f" || ok_all=0
done
alerts_of ""
check_ids "the step at 6.5, the newest point: one tentative regression" "
a = d['alerts']
assert len(a) == 1, [(x['label'], x['tentative']) for x in a]
x = a[0]
assert x['experiment'] == ids['6.5'] and x['tentative'] is True, x
assert x['direction'] == 'regression' and x['status'] == 'new', x"
for v in 6.7 6.6 6.8; do
	import_version "$v" "${v#6.}" 1.5 || ok_all=0
done
[ $ok_all = 1 ] && ok "eight versions 6.1..6.8 imported out of order (6.2 6.1 6.3 6.4 6.5 6.7 6.6 6.8)"

req GET "/api/v1/history?workload=rw-reuse&metric=cpu.invalidation_ns&strategy=notifier"
[ "$code" = 200 ] || not_ok "history: 200" "status $code: $(snippet)"
check_ids "history: one series, points in kernel-version order, imported, labels kept" "
assert len(d['series']) == 1, len(d['series'])
s = d['series'][0]
assert s['cell'] == {} and len(s['config']) == 16, s['config']
c = s['configuration']
assert c['workload'] == 'rw-reuse' and c['preset']['name'] == 'default', c
assert c['kernel_config'] == 'defconfig' and c['params'] == {'duration_us': 500}, c
vs = [p['version'] for p in s['points']]
assert vs == ['6.%d' % i for i in range(1, 9)], vs
assert [p['label'] for p in s['points']] == ['nightly-%d' % i for i in range(1, 9)]
assert [p['experiment'] for p in s['points']] == [ids['6.%d' % i] for i in range(1, 9)]
assert all(p['imported'] is True and p['n'] == 3 for p in s['points']), s['points']"
check_ids "history: the step is one change point, at 6.5, a regression, with a CI" "
cps = d['series'][0]['change_points']
assert len(cps) == 1, cps
c = cps[0]
assert c['index'] == 4 and c['experiment'] == ids['6.5'] and c['previous'] == ids['6.4'], c
assert c['direction'] == 'regression' and c['tentative'] is False, c
assert 0.3 < c['change'] < 0.7 and c['p'] < 0.01, c
lo, hi = c['ci']
assert lo < c['change'] < hi and lo > 0, c"

alerts_of ""
cp "$tmp/body" "$tmp/alerts.json"
check_ids "alerts: exactly one, at 6.5 (6.4 before it), confirmed, grouped over metrics and strategies" "
a = d['alerts']
assert len(a) == 1, [(x['label'], x['experiment']) for x in a]
x = a[0]
assert x['experiment'] == ids['6.5'] and x['previous']['experiment'] == ids['6.4'], x
assert x['kernel']['version'] == '6.5' and x['previous']['kernel']['version'] == '6.4', x
assert x['label'] == 'nightly-5' and x['imported'] is True, x
assert x['direction'] == 'regression' and x['tentative'] is False and x['status'] == 'new', x
ch = {(c['metric'], c['strategy']) for c in x['changes']}
want = {(m, s) for m in ('cpu.invalidation_ns', 'cmdq.sync_wait_ns') for s in ('pri-inv', 'notifier')}
assert want <= ch, ch
for c in x['changes']:
    assert c['direction'] == 'regression' and c['ci'][0] <= c['change'] <= c['ci'][1], c
m = x['magnitude']
# a metric with no spread (pri-inv's cmdq.sync_wait_ns is the binding's CMD_SYNCs)
# has a point CI: the magnitude may be that one
assert m['change'] > 0.3 and m['ci'][0] <= m['change'] <= m['ci'][1], m
assert x['configuration']['workload'] == 'rw-reuse', x"

# the newest point alone jumps: tentative; the next point does not confirm it
import_version 6.9 9 3 || true
alerts_of ""
check_ids "a jump at the newest point (6.9): a second, tentative alert" "
a = sorted(d['alerts'], key=lambda x: x['id'])
assert len(a) == 2, [(x['kernel'], x['tentative']) for x in a]
assert a[1]['experiment'] == ids['6.9'] and a[1]['tentative'] is True, a[1]
assert a[0]['experiment'] == ids['6.5'] and a[0]['tentative'] is False, a[0]"
import_version 6.10 10 1.5 || true
alerts_of ""
check_ids "6.10 back at the 6.5 level: the unconfirmed 6.9 alert is dropped" "
a = d['alerts']
assert [x['experiment'] for x in a] == [ids['6.5']], [(x['kernel'], x['tentative']) for x in a]"

# ---- GETs never make alerts ----

count_alerts() {
	python3 -c "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT count(*) FROM alerts').fetchone()[0])" "$tmp/var/svabench.db"
}
before=$(count_alerts)
for q in "min_change=0&alpha=0.5&window=2" "min_change=0.001&alpha=0.9"; do
	req GET "/api/v1/history?workload=rw-reuse&metric=cpu.invalidation_ns&strategy=notifier&$q"
	req GET "/api/v1/history?workload=rw-reuse&metric=dma.latency_ns.p99&strategy=pri-inv&$q"
	req GET "/api/v1/history/plot.svg?workload=rw-reuse&metric=cpu.invalidation_ns&strategy=notifier&$q"
done
req GET "/api/v1/alerts"
after=$(count_alerts)
if [ "$before" = "$after" ] && [ "$before" -ge 1 ]; then
	ok "GETs of history (loose alpha, min_change 0), its plot and alerts store nothing ($after alerts)"
else
	not_ok "GETs store no alerts" "$before alerts before, $after after"
fi

# ---- triage ----

aid=$(json_value "$tmp/alerts.json" "d['alerts'][0]['id']")
req POST "/api/v1/alerts/$aid" -H 'Content-Type: application/json' --data '{"status": "acknowledged"}'
if [ "$code" = 401 ]; then ok "triage without the token: 401"; else not_ok "triage without the token" "status $code"; fi
req POST "/api/v1/alerts/$aid" -H "Authorization: Bearer $(token)" -H 'Content-Type: application/json' \
	--data '{"status": "looked-at"}'
if [ "$code" = 400 ]; then
	check "triage with an unknown status: 400 naming status" "assert d['error']['field'] == 'status', d"
else
	not_ok "triage with an unknown status: 400" "status $code: $(snippet)"
fi
req POST "/api/v1/alerts/99999" -H "Authorization: Bearer $(token)" -H 'Content-Type: application/json' \
	--data '{"status": "invalid"}'
if [ "$code" = 404 ]; then ok "triage of an unknown alert: 404"; else not_ok "triage of an unknown alert: 404" "status $code"; fi
req POST "/api/v1/alerts/$aid" -H "Authorization: Bearer $(token)" -H 'Content-Type: application/json' \
	--data '{"status": "acknowledged", "note": "bisected to <b>\"sync\"</b>"}'
if [ "$code" = 200 ]; then
	check "triage: acknowledged with a note" "
assert d['status'] == 'acknowledged' and d['note'] == 'bisected to <b>\"sync\"</b>', d
assert d['status_at'].endswith('Z'), d"
else
	not_ok "triage: 200" "status $code: $(snippet)"
fi
req GET "/api/v1/alerts?status=acknowledged"
check "alerts?status=acknowledged lists it" "assert [a['id'] for a in d['alerts']] == [$aid], d"
req GET "/api/v1/alerts?status=new&workload=rw-reuse"
check "alerts?status=new no longer does" "assert d['alerts'] == [], d"

# ---- configurations: presets and fixed params never share a series ----

# submit NAME SPEC_EXTRA LABEL SEED - a first-touch experiment, waited for.
submit() {
	local spec id
	spec="{\"target\": \"sim\", \"workload\": \"first-touch\", \"strategies\": [\"pri-inv\", \"notifier\"],"
	spec+=" \"params\": {\"duration_us\": 500$2}, \"repetitions\": 3, \"seed\": $4, \"label\": \"$3\""
	spec+="${5:-}}"
	if ! id=$(printf '%s' "$spec" | "$SVABENCH" submit - --wait --timeout 120 \
		--server "$url" --var "$tmp/var" 2>"$tmp/err"); then
		not_ok "submit $1" "$(head -c 300 "$tmp/err")"
		return 1
	fi
	remember "$1" "$id"
}

ok_all=1
for i in 1 2 3 4; do
	submit "default/v6.$i" "" "v6.$i" "$i" || ok_all=0
	submit "thor/v6.$i" "" "v6.$i" "$i" ', "preset": "thor-6.8"' || ok_all=0
	submit "ats/v6.$i" ', "ats": true' "v6.$i" "$i" || ok_all=0
done
[ $ok_all = 1 ] && ok "first-touch under v6.1..v6.4: default, preset thor-6.8, and ats on"
req GET "/api/v1/history?workload=first-touch&metric=cpu.invalidation_ns&strategy=notifier"
check_ids "history: three configurations, three series of four points each" "
s = d['series']
assert len(s) == 3, [x['configuration'] for x in s]
assert len({x['config'] for x in s}) == 3
for x in s:
    assert [p['label'] for p in x['points']] == ['v6.1', 'v6.2', 'v6.3', 'v6.4'], x['points']
    c = x['configuration']
    e = {p['experiment'] for p in x['points']}
    if c['preset']['name'] == 'thor-6.8':
        assert e == {ids['thor/v6.%d' % i] for i in range(1, 5)} and c['params'] == {'duration_us': 500}, c
    elif c['params'].get('ats') is True:
        assert e == {ids['ats/v6.%d' % i] for i in range(1, 5)} and c['preset']['name'] == 'default', c
    else:
        assert e == {ids['default/v6.%d' % i] for i in range(1, 5)} and c['params'] == {'duration_us': 500}, c"
cfg=$(json_value "$tmp/body" "[x['config'] for x in d['series'] if x['configuration']['preset']['name'] == 'thor-6.8'][0]")
req GET "/api/v1/history?workload=first-touch&metric=cpu.invalidation_ns&strategy=notifier&config=$cfg"
check "history?config=ID: that configuration's series only" "
assert d['config'] == '$cfg' and [x['config'] for x in d['series']] == ['$cfg'], d"
req GET "/api/v1/history/configs?workload=first-touch"
check_ids "history/configs: three configurations with their experiments" "
c = {x['config']: x for x in d['configs']}
assert len(c) == 3, d
x = c['$cfg']
assert sorted(x['experiments']) == sorted(ids['thor/v6.%d' % i] for i in range(1, 5)), x
assert sorted(x['labels']) == ['v6.1', 'v6.2', 'v6.3', 'v6.4'], x"
req GET "/api/v1/alerts?workload=first-touch"
check "no alert across configurations" "assert d['alerts'] == [], [(a['label'], a['changes'][0]) for a in d['alerts']]"

# ---- a flat noisy series over 20 seeds ----

last=""
ok_all=1
for i in $(seq 1 20); do
	spec="{\"target\": \"sim\", \"workload\": \"mprotect-toggle\", \"strategies\": [\"pri-inv\", \"notifier\"],"
	spec+=" \"params\": {\"duration_us\": 500}, \"repetitions\": 3, \"seed\": $((1000 + i)), \"label\": \"v6.$i\"}"
	last=$(printf '%s' "$spec" | "$SVABENCH" submit - --server "$url" --var "$tmp/var" 2>"$tmp/err") || ok_all=0
done
if [ $ok_all = 1 ] && "$SVABENCH" wait "$last" --timeout 300 --server "$url" --var "$tmp/var" >/dev/null 2>&1; then
	ok "twenty mprotect-toggle experiments, only the seed differs"
else
	not_ok "twenty mprotect-toggle experiments" "$(head -c 300 "$tmp/err")"
fi
req GET "/api/v1/history?workload=mprotect-toggle&metric=cpu.invalidation_ns&strategy=notifier"
check "flat history: 20 points, values that vary" "
s = d['series']
assert len(s) == 1 and len(s[0]['points']) == 20, s
assert len({p['median'] for p in s[0]['points']}) > 1, 'no noise at all'"
req GET "/api/v1/alerts?workload=mprotect-toggle"
check "flat noisy history (20 seeds): no alert" "assert d['alerts'] == [], [(a['label'], a['magnitude']) for a in d['alerts']]"

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
expect_400 "history: a config that is not an id" config \
	"/api/v1/history?workload=rw-reuse&metric=x&strategy=notifier&config=xyz"
expect_400 "history/configs without workload" workload "/api/v1/history/configs"
expect_400 "alerts: limit=0" limit "/api/v1/alerts?limit=0"
expect_400 "alerts: status=maybe" status "/api/v1/alerts?status=maybe"
expect_400 "alerts: direction=up" direction "/api/v1/alerts?direction=up"

# a bad kernel identity is refused naming the field
spec='{"target": "sim", "workload": "rw-reuse", "kernel": {"version": "6.6", "commit": "XYZ"}}'
req POST /api/v1/experiments -H "Authorization: Bearer $(token)" -H 'Content-Type: application/json' \
	--data "$spec"
check "spec kernel.commit that is not hex: 400 naming kernel.commit" "
assert d['error']['field'] == 'kernel.commit', d"

# ---- the report ----

spec='{"target": "sim", "workload": "rw-reuse", "strategies": ["pri-inv", "notifier"],'
spec+=' "params": {"duration_us": 500, "cmd_sync_ns": 1200}, "repetitions": 3, "seed": 5, "label": "v6.5"}'
v65=$(printf '%s' "$spec" | "$SVABENCH" submit - --wait --timeout 120 --server "$url" --var "$tmp/var" 2>"$tmp/err")
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

# ---- alerts and their triage survive a restart (they are in the store) ----

stop_daemon
if start_daemon "$tmp/var"; then
	req GET "/api/v1/alerts/$aid"
	check "the triaged alert survives a restart, acknowledged" "
assert d['id'] == $aid and d['status'] == 'acknowledged' and d['note'].startswith('bisected'), d"
else
	not_ok "svabenchd restarts" "$(daemon_tail)"
fi

# ---- a store of schema 1 gains configuration keys, its data kept ----

stop_daemon
mkdir -p "$tmp/old"
python3 - "$root/schema/001_init.sql" "$tmp/old/svabench.db" <<'EOF_PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[2])
db.executescript(open(sys.argv[1]).read())
spec = '{"target": "sim", "workload": "rw-reuse", "params": {"pages": 32}}'
db.execute("INSERT INTO experiments (spec, target, workload, label, preset, host,"
           " svabench_version, status, runs_total, created_at) VALUES"
           " (?, 'sim', 'rw-reuse', 'v6.0', 'null', '{}', '0.0.1', 'done', 0, 0)", (spec,))
db.execute("PRAGMA user_version = 1")
db.commit()
EOF_PY
mv "$tmp/var" "$tmp/var.new"
mv "$tmp/old" "$tmp/var"
cp "$tmp/var.new/token" "$tmp/var/token"
nschema=$(find "$root/schema" -name '[0-9]*.sql' | wc -l)
if start_daemon "$tmp/var"; then
	req GET "/api/v1/alerts"
	version=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('PRAGMA user_version').fetchone()[0])" "$tmp/var/svabench.db")
	check "a schema-1 store is migrated: alerts answer, user_version $nschema" "
assert d['alerts'] == [], d
assert '$version' == '$nschema', 'user_version $version'"
	req GET "/api/v1/history/configs?workload=rw-reuse"
	check "the migrated experiment has its configuration key" "
c = d['configs']
assert len(c) == 1 and c[0]['experiments'] == ['e1'], d
assert c[0]['configuration']['params'] == {'pages': 32}, c"
	req GET "/api/v1/experiments"
	check "the migrated store keeps its experiments" "
assert [e['label'] for e in d['experiments']] == ['v6.0'], d"
else
	not_ok "svabenchd opens a schema-1 store" "$(daemon_tail)"
fi

exit $failed
