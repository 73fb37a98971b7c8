#!/usr/bin/env bash
# test_api.sh - svabenchd's HTTP API as a client sees it, on a loopback port
# of its own: every bad input gets its status and an error naming the field
# or the limit, and stores nothing; a tiny spec is accepted, runs to done
# and reads back as `svabench run --offline --json` prints it; /metrics is
# Prometheus text; limit=1 pages walk every experiment; imports round-trip.
#
# SVABENCH: the CLI for the offline comparison (default build/svabench);
# SVABENCHD: the daemon under test (default: svabenchd beside SVABENCH, so
# the ASan pass of tests/run.sh tests the ASan daemon). Needs curl, python3.
set -u

# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"
req_max_time=30

need_tools api curl python3
need_built api "$SVABENCHD"

if ! start_daemon "$tmp/var"; then
	not_ok "svabenchd starts and prints its URL" "$(daemon_tail)"
	exit 1
fi
ok "svabenchd starts and prints its URL"
token=$(token)
auth="Authorization: Bearer $token"
json="Content-Type: application/json"

# post PATH BODY [CURL ARGS...] - an authorized JSON POST.
post() {
	local path=$1
	printf '%s' "$2" >"$tmp/req.json"
	shift 2
	req POST "$path" -H "$auth" -H "$json" --data-binary @"$tmp/req.json" "$@"
}

# stored_nothing NAME - the experiment list is still empty.
stored_nothing() {
	local saved=$code
	cp "$tmp/body" "$tmp/body.saved"
	req GET /api/v1/experiments
	check "$1: nothing stored" "assert d['experiments'] == [], d"
	cp "$tmp/body.saved" "$tmp/body"
	code=$saved
}

# expect_error NAME STATUS CODE FIELD [TEXT] - the last response is an error
# with this status and code, naming FIELD ("-": null) with TEXT in its message.
expect_error() {
	local name=$1 status=$2 ecode=$3 field=$4 text=${5:-}
	if [ "$code" != "$status" ]; then
		not_ok "$name" "status $code, want $status: $(snippet)"
		return
	fi
	check "$name" "
e = d['error']
assert e['code'] == '$ecode', 'code %r, want $ecode' % e['code']
want = None if '$field' == '-' else '$field'
assert e['field'] == want, 'field %r, want %r' % (e['field'], want)
assert isinstance(e['message'], str) and e['message'], 'no message'
assert '''$text''' in e['message'], 'message %r lacks %r' % (e['message'], '''$text''')"
}

# bad_spec NAME FIELD TEXT SPEC CODE - POST /experiments refuses SPEC: 400 CODE.
bad_spec() {
	post /api/v1/experiments "$4"
	expect_error "bad spec: $1" 400 "$5" "$2" "$3"
	stored_nothing "bad spec: $1"
}

# ---- bad input: 400, naming the field ----

bad_spec "malformed JSON" - "not JSON" '{"workload": "rw-reuse",' invalid_json
bad_spec "duplicate key" - "duplicate" '{"workload": "rw-reuse", "workload": "mixed"}' invalid_json
bad_spec "not an object" - "JSON object" '["rw-reuse"]' invalid_json
bad_spec "empty body" - "not JSON" '' invalid_json
bad_spec "unknown field" bogus "unknown key" '{"workload": "rw-reuse", "bogus": 1}' invalid_spec
bad_spec "wrong type" repetitions "integer" '{"workload": "rw-reuse", "repetitions": "3"}' invalid_spec
bad_spec "out-of-range param" params.pages "1..1048576" \
	'{"workload": "rw-reuse", "params": {"pages": 0}}' invalid_param
bad_spec "unknown param" params.bogus "unknown parameter" \
	'{"workload": "rw-reuse", "params": {"bogus": 1}}' invalid_param
bad_spec "unknown target" target "unknown target" '{"target": "nope", "workload": "rw-reuse"}' \
	invalid_spec
bad_spec "unknown workload" workload "unknown workload" '{"workload": "nope"}' invalid_spec
bad_spec "unknown strategy" "strategies[1]" "unknown strategy" \
	'{"workload": "rw-reuse", "strategies": ["none", "nope"]}' invalid_spec

# ---- bad query parameters ----

req GET "/api/v1/experiments?limit=0"
expect_error "limit=0 is out of range" 400 invalid_query limit "1..1000"
req GET "/api/v1/experiments?limit=1001"
expect_error "limit=1001 is out of range" 400 invalid_query limit "1..1000"
req GET "/api/v1/experiments?limit=ten"
expect_error "limit=ten is not a number" 400 invalid_query limit "1..1000"
req GET "/api/v1/experiments?cursor=x"
expect_error "a bad cursor" 400 invalid_query cursor
req GET "/api/v1/experiments?colour=blue"
expect_error "an unknown query parameter" 400 invalid_query colour "colour"
req GET "/api/v1/experiments?status=sleeping"
expect_error "an unknown status" 400 invalid_query status "sleeping"

# ---- 413: the body cap, before the body is read ----

python3 - "$port" "$token" >"$tmp/early413" 2>&1 <<'EOF'
import socket, sys
port, token = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.sendall(("POST /api/v1/experiments HTTP/1.1\r\nHost: 127.0.0.1\r\n"
           "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
           "Content-Length: 2000000\r\n\r\n" % token).encode())
# Nothing of the body is sent: the answer must come from the headers alone.
data = b""
while b"\r\n\r\n" not in data:
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
print(data.split(b"\r\n")[0].decode())
EOF
if grep -q "^HTTP/1.1 413" "$tmp/early413"; then
	ok "413 from Content-Length before the body is sent"
else
	not_ok "413 from Content-Length before the body is sent" "$(head -c 300 "$tmp/early413")"
fi

python3 -c 'import sys; sys.stdout.write("{\"label\": \"" + "x" * 2000000 + "\"}")' >"$tmp/big.json"
req POST /api/v1/experiments -H "$auth" -H "$json" --data-binary @"$tmp/big.json"
expect_error "413 for a 2 MB body" 413 payload_too_large - "1048576"
stored_nothing "413 for a 2 MB body"

python3 -c 'import sys; sys.stdout.write("{\"label\": \"" + "x" * 1100000 + "\"}")' >"$tmp/big.json"
req POST /api/v1/experiments -H "$auth" -H "$json" -H "Transfer-Encoding: chunked" \
	--data-binary @"$tmp/big.json"
expect_error "413 for a chunked body over the cap" 413 payload_too_large - "1048576"
stored_nothing "413 for a chunked body over the cap"

# ---- 415, 401, 404, 405 ----

printf '{"workload": "rw-reuse"}' >"$tmp/req.json"
req POST /api/v1/experiments -H "$auth" -H "Content-Type: text/plain" --data-binary @"$tmp/req.json"
expect_error "415 for text/plain" 415 unsupported_media_type -
stored_nothing "415 for text/plain"
req POST /api/v1/experiments -H "$auth" -H "Content-Type: application/x-www-form-urlencoded" \
	--data-binary @"$tmp/req.json"
expect_error "415 for a form" 415 unsupported_media_type -

req POST /api/v1/experiments -H "$json" --data-binary @"$tmp/req.json"
expect_error "401 without a token" 401 unauthorized -
if header WWW-Authenticate | grep -q '^Bearer'; then
	ok "401 carries WWW-Authenticate: Bearer"
else
	not_ok "401 carries WWW-Authenticate: Bearer" "got '$(header WWW-Authenticate)'"
fi
stored_nothing "401 without a token"
req POST /api/v1/experiments -H "Authorization: Bearer 0123456789abcdef" -H "$json" \
	--data-binary @"$tmp/req.json"
expect_error "401 with a wrong token" 401 unauthorized -
req POST /api/v1/experiments -H "Authorization: Bearer ${token}0" -H "$json" \
	--data-binary @"$tmp/req.json"
expect_error "401 with the token and a suffix" 401 unauthorized -
req POST /api/v1/experiments -H "Authorization: Bearer ${token:0:63}" -H "$json" \
	--data-binary @"$tmp/req.json"
expect_error "401 with a prefix of the token" 401 unauthorized -
printf '{not json' >"$tmp/bad.json"
req POST /api/v1/experiments -H "Content-Type: text/plain" --data-binary @"$tmp/bad.json"
expect_error "401 comes before the body is looked at" 401 unauthorized -
req POST /api/v1/experiments/e1/cancel
expect_error "401 for cancel without a token" 401 unauthorized -
req POST /api/v1/import -H "$json" --data-binary @"$tmp/req.json"
expect_error "401 for import without a token" 401 unauthorized -
stored_nothing "401 for import without a token"

req GET /api/v1/experiments/e999
expect_error "404 for an unknown experiment" 404 not_found -
req GET /api/v1/experiments/e999/runs
expect_error "404 for the runs of an unknown experiment" 404 not_found -
req GET /api/v1/runs/e999-r1/samples
expect_error "404 for the samples of an unknown run" 404 not_found -
req POST /api/v1/experiments/e999/cancel -H "$auth"
expect_error "404 for cancelling an unknown experiment" 404 not_found -
req GET /api/v1/targets/nope
expect_error "404 for an unknown target" 404 not_found -
req GET /api/v1/nothing-here
expect_error "404 for an unknown path" 404 not_found -

req DELETE /api/v1/experiments -H "$auth"
expect_error "405 for DELETE /api/v1/experiments" 405 method_not_allowed -
allow=$(header Allow)
if [[ $allow == *GET* && $allow == *POST* ]]; then
	ok "405 carries Allow"
else
	not_ok "405 carries Allow" "got '$allow'"
fi
req GET /api/v1/experiments/e1/cancel
expect_error "405 for GET .../cancel" 405 method_not_allowed -
[ "$(header Allow)" = POST ] && ok "Allow: POST for cancel" || not_ok "Allow: POST for cancel" "got '$(header Allow)'"
req PUT /api/v1/import -H "$auth"
expect_error "405 for PUT /api/v1/import" 405 method_not_allowed -
stored_nothing "after every refused request"

# ---- reads ----

req GET /api/v1/targets
check "GET /api/v1/targets lists sim" "
assert [t['name'] for t in d['targets']].count('sim') == 1, d"
req GET /api/v1/targets/sim
check "GET /api/v1/targets/sim describes it" "
assert d['name'] == 'sim' and 'rw-reuse' in json.dumps(d['workloads']), list(d)"
ctype=$(header Content-Type)
[[ $ctype == application/json* ]] && ok "JSON is served as application/json" ||
	not_ok "JSON is served as application/json" "got '$ctype'"
req GET /api/v1
check "GET /api/v1 lists the endpoints" "assert any(e['path'] == '/metrics' for e in d['endpoints']), d"

# ---- a tiny experiment, end to end ----

spec='{"target": "sim", "workload": "rw-reuse", "strategies": ["none", "pri-inv"],
 "params": {"duration_us": 200, "pages": 16}, "seed": 7, "label": "api-test"}'
printf '%s' "$spec" >"$tmp/spec.json"
post /api/v1/experiments "$spec"
location=$(header Location)
if [ "$code" = 202 ] && [[ $location == /api/v1/experiments/* ]]; then
	ok "a valid spec is accepted: 202 + Location"
else
	not_ok "a valid spec is accepted: 202 + Location" "status $code, Location '$location': $(snippet)"
fi
id=${location##*/}
check "the 202 body names the experiment" "
assert d['id'] == '$id' and d['status'] == 'queued' and d['runs_total'] == 2, d"
[ "$(header Cache-Control)" = no-store ] && ok "Cache-Control: no-store" ||
	not_ok "Cache-Control: no-store" "got '$(header Cache-Control)'"

wait_experiment "$id" 60
if [ "$status" = done ]; then
	ok "the experiment runs to done"
else
	not_ok "the experiment runs to done" "status '$status' (60 s at most)"
fi
req GET "/api/v1/experiments/$id?runs=false"
check "?runs=false: the experiment without its runs (for polling)" "
assert d['experiment']['id'] == '$id' and d['experiment']['runs_total'] == 2 and 'runs' not in d, d"
req GET "/api/v1/experiments/$id?runs=maybe"
expect_error "?runs=maybe is refused" 400 invalid_query runs "true or false"
req GET "/api/v1/experiments/$id" # the full document, for what follows
cp "$tmp/body" "$tmp/daemon.json"

if "$SVABENCH" run --offline --json "$tmp/spec.json" >"$tmp/offline.json" 2>"$tmp/offline.err"; then
	if why=$(python3 - "$tmp/daemon.json" "$tmp/offline.json" 2>&1 <<'EOF'
import json, sys
daemon = json.load(open(sys.argv[1]))
offline = json.load(open(sys.argv[2]))
TIMINGS = {"created_at", "started_at", "finished_at", "updated_at", "queued_at",
           "attempts", "wall_ns", "elapsed_ns", "duration_ns"}

def norm_run(run):
    run = {k: v for k, v in run.items() if k != "id" and k not in TIMINGS}
    run["metrics"] = {k: v for k, v in (run.get("metrics") or {}).items() if k != "sim.wall_ns"}
    return run

oe, de = offline["experiment"], daemon["experiment"]
exp_d = {k: v for k, v in de.items() if k in oe and k != "id"}
exp_o = {k: v for k, v in oe.items() if k != "id"}
for k in exp_o:
    if exp_d.get(k) != exp_o[k]:
        sys.exit("experiment.%s: daemon %r, offline %r" % (k, exp_d.get(k), exp_o[k]))
if len(daemon["runs"]) != len(offline["runs"]):
    sys.exit("%d runs, offline %d" % (len(daemon["runs"]), len(offline["runs"])))
for i, (a, b) in enumerate(zip(daemon["runs"], offline["runs"])):
    a, b = norm_run(a), norm_run(b)
    for k in sorted(set(a) | set(b)):
        if a.get(k) != b.get(k):
            if k == "metrics":
                diff = [m for m in sorted(set(a[k]) | set(b[k])) if a[k].get(m) != b[k].get(m)]
                sys.exit("runs[%d].metrics differ at %s: daemon %r, offline %r"
                         % (i, diff[0], a[k].get(diff[0]), b[k].get(diff[0])))
            sys.exit("runs[%d].%s: daemon %r, offline %r" % (i, k, a.get(k), b.get(k)))
EOF
	); then
		ok "GET /experiments/ID equals svabench run --offline --json"
	else
		not_ok "GET /experiments/ID equals svabench run --offline --json" "$(echo "$why" | tail -n 1)"
	fi
else
	not_ok "GET /experiments/ID equals svabench run --offline --json" \
		"offline run failed: $(head -c 200 "$tmp/offline.err")"
fi

req POST "/api/v1/experiments/$id/cancel" -H "$auth"
expect_error "cancelling a finished experiment is a conflict" 409 conflict -

req GET "/api/v1/experiments/$id/runs"
check "GET .../runs lists its runs" "
assert len(d['runs']) == 2, d
assert sorted(r['strategy'] for r in d['runs']) == ['none', 'pri-inv'], d"
run_id=$(json_value "$tmp/body" 'd["runs"][0]["id"]' 2>/dev/null)
req GET "/api/v1/runs/$run_id/samples"
check "GET /runs/ID/samples has its time series" "
assert d['run'] == '$run_id', d.get('run')
assert len(d['samples']) > 0 and 't_ns' in d['samples'][0], d['samples'][:1]"

# ---- pagination ----

for label in page-a page-b; do
	post /api/v1/experiments "{\"workload\": \"rw-reuse\", \"strategies\": [\"none\"],
		\"params\": {\"duration_us\": 50, \"pages\": 4}, \"label\": \"$label\"}"
	[ "$code" = 202 ] || not_ok "submit $label" "status $code: $(snippet)"
done
seen=""
cursor=""
pages=0
while :; do
	req GET "/api/v1/experiments?limit=1${cursor:+&cursor=$cursor}"
	[ "$code" = 200 ] || { not_ok "limit=1 pages" "status $code: $(snippet)"; break; }
	page=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d["experiments"]) <= 1, d
print(" ".join(e["id"] for e in d["experiments"]))
print(d["next_cursor"] if d["next_cursor"] is not None else "")' "$tmp/body") || break
	seen="$seen $(echo "$page" | head -n 1)"
	cursor=$(echo "$page" | sed -n 2p)
	pages=$((pages + 1))
	[ -n "$cursor" ] && [ $pages -lt 10 ] || break
done
req GET "/api/v1/experiments?limit=1000"
all=$(json_value "$tmp/body" '" ".join(e["id"] for e in d["experiments"])')
if [ "$(echo $seen)" = "$(echo $all)" ] && [ "$(echo $all | wc -w)" = 3 ]; then
	ok "limit=1 pages walk every experiment with next_cursor"
else
	not_ok "limit=1 pages walk every experiment with next_cursor" "pages '$seen', all '$all'"
fi
req GET "/api/v1/experiments?label=page-b"
check "?label= filters" "assert [e['label'] for e in d['experiments']] == ['page-b'], d"

# ---- import round trip ----

req POST /api/v1/import -H "$auth" -H "$json" --data-binary @"$tmp/daemon.json"
if [ "$code" = 409 ]; then
	check "import of a document the store holds already: 409 with its id" "
assert d['error']['code'] == 'already_imported' and d['id'].startswith('e'), d"
else
	not_ok "import of a document the store holds: 409" "status $code: $(snippet)"
fi
# a copy under another label is another document
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
d["experiment"]["spec"]["label"] = "a copy"
json.dump(d, open(sys.argv[2], "w"))' "$tmp/daemon.json" "$tmp/daemon-copy.json"
req POST /api/v1/import -H "$auth" -H "$json" --data-binary @"$tmp/daemon-copy.json"
location=$(header Location)
if [ "$code" = 201 ] && [[ $location == /api/v1/experiments/* ]]; then
	ok "import: 201 + Location"
	req GET "$location"
	cp "$tmp/body" "$tmp/imported.json"
	if python3 - "$tmp/daemon.json" "$tmp/imported.json" <<'EOF'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
strip = lambda d: [{k: v for k, v in r.items() if k in ("cell", "strategy", "seed", "status", "metrics")}
                   for r in d["runs"]]
sys.exit(strip(a) != strip(b))
EOF
	then
		ok "import keeps the runs' results"
	else
		not_ok "import keeps the runs' results" "the imported runs differ"
	fi
else
	not_ok "import: 201 + Location" "status $code, Location '$location': $(snippet)"
fi
post /api/v1/import '{"experiment": {}, "runs": 3}'
expect_error "import refuses a document that does not fit, naming the field" 400 invalid_document runs
post /api/v1/import '{"experiment": '
expect_error "import refuses malformed JSON" 400 invalid_json -

# ---- /metrics ----

req GET /metrics
ctype=$(header Content-Type)
[[ $ctype == "text/plain; version=0.0.4"* ]] && ok "/metrics is text/plain; version=0.0.4" ||
	not_ok "/metrics is text/plain; version=0.0.4" "got '$ctype'"
check "/metrics parses as Prometheus text" "
import re
name = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
label = r'[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\\n]|\\\\[\"\\\\n])*\"'
value = r'(?:[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|NaN|[-+]Inf)'
sample = re.compile(r'^%s(?:\{(?:%s(?:,%s)*,?)?\})? %s(?: -?[0-9]+)?$' % (name, label, label, value))
comment = re.compile(r'^# (?:HELP %s .*|TYPE %s (?:counter|gauge|histogram|summary|untyped)|.*)$' % (name, name))
types = set()
for n, line in enumerate(t.split('\n'), 1):
    if not line:
        continue
    if line.startswith('#'):
        assert comment.match(line), 'line %d: %r' % (n, line)
        m = re.match(r'^# TYPE (\S+)', line)
        if m:
            assert m.group(1) not in types, 'line %d: TYPE %s twice' % (n, m.group(1))
            types.add(m.group(1))
        continue
    assert sample.match(line), 'line %d: %r' % (n, line)
for want in ('svabenchd_up 1', 'svabenchd_http_requests_total{code=\"404\"}',
             'svabenchd_runs{status=\"done\"}', 'svabenchd_queue_depth', 'svabenchd_workers_max',
             'svabenchd_store_file_bytes', 'svabenchd_store_failing', 'svabenchd_build_info{version=',
             'svabench_result_info{experiment=\"e', 'svabench_cpu_invalidation_seconds{experiment=\"e',
             ',target=\"sim\",workload=\"rw-reuse\",cell=\"'):
    assert want in t, 'no %s' % want"

check_daemon_clean "the daemon ran clean"
exit $failed
