#!/usr/bin/env bash
# test_robustness.sh - `svabench robustness` as a user runs it: offline on
# a spec (text and --json, the same output twice, a break-even statement),
# usage errors with exit 2 naming what is wrong; then through svabenchd:
# POST .../robustness needs the token, answers 202 with progress, GET gives
# the stored analysis (the same as offline), `svabench robustness ID` prints
# it, and an unknown experiment is 404.
set -u

# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"
var=$tmp/var

unset SVABENCH_TOKEN SVABENCH_URL

need_built binaries "$SVABENCH" "$SVABENCHD"
need_tools robustness python3

# The planted case of tests/core/test_robustness.c: deterministic rw-reuse,
# within noise at cmd_sync_ns 60, pri-inv wins from ~105 up.
cat >"$tmp/spec.json" <<'JSON'
{"target": "sim", "workload": "rw-reuse", "strategies": ["pri-inv", "notifier"],
 "params": {"duration_us": 5000, "sample_us": 1000, "host_jitter": 0, "cmdq_issue_ns": 15,
            "cmd_sync_ns": 60},
 "repetitions": 4, "seed": 23, "label": "robustness-test"}
JSON

# --- usage ---
sv robustness
expect "robustness without ID: exit 2" 2 "missing ID"
sv robustness --offline
expect "robustness --offline without SPEC: exit 2" 2 "missing SPEC"
sv robustness --offline "$tmp/spec.json" --budget 0
expect "robustness --budget 0: exit 2 naming it" 2 "--budget"
sv robustness --offline "$tmp/spec.json" --input nope --budget 100
expect "robustness --input nope: exit 2 naming the input" 2 "unknown input 'nope'"
sv robustness --help
[ "$rc" -eq 0 ] && grep -q "^usage: svabench robustness ID" "$tmp/out" &&
	ok "robustness --help prints the usage" || not_ok "robustness --help prints the usage" "exit $rc"

# --- offline ---
sv robustness --offline "$tmp/spec.json" --input cmd_sync_ns --budget 2000 --json
cp "$tmp/out" "$tmp/a.json"
sv robustness --offline "$tmp/spec.json" --input cmd_sync_ns --budget 2000 --json
cp "$tmp/out" "$tmp/b.json"
if [ "$rc" -eq 0 ] && cmp -s "$tmp/a.json" "$tmp/b.json"; then
	ok "robustness --offline twice: exit 0, identical documents"
else
	not_ok "robustness --offline twice: exit 0, identical documents" "exit $rc ($(first_err))"
fi
py "robustness --offline: the assumed inputs and cmd_sync_ns, a break-even for cmd_sync_ns" '
d = load(sys.argv[1])
names = [i["name"] for i in d["inputs"]]
assert "cmd_sync_ns" in names and "irq_ns" in names, names
assert d["a"] == "pri-inv" and d["b"] == "notifier" and d["metric"] == "cost.total_ns_per_op", d
assert d["runs_used"] <= d["budget"] == 2000, d
c = d["cells"][0]
be = c["inputs"]["cmd_sync_ns"]["break_even_above"]
assert be and 95 <= be["value"] <= 115 and be["winner_beyond"] == "pri-inv", be
assert "cmd_sync_ns > " in c["statement"], c["statement"]
' "$tmp/a.json"
sv robustness --offline "$tmp/spec.json" --input cmd_sync_ns --budget 2000
if [ "$rc" -eq 0 ] && grep -q "^robustness of notifier vs pri-inv on cost.total_ns_per_op" "$tmp/out" &&
	grep -q "cmd_sync_ns > " "$tmp/out" && head -n 1 "$tmp/out" | grep -q "^robust: no: [0-9]* inputs\{0,1\} flips\{0,1\} the verdict in 1 of 1 cells; most: .*(1 cell)"; then
	ok "robustness --offline prints the answer first, then the statement per cell"
else
	not_ok "robustness --offline prints the statement per cell" "exit $rc: $(head -c 400 "$tmp/out")"
fi

# --- through svabenchd ---
if ! start_daemon "$var"; then
	not_ok "svabenchd starts" "$(daemon_tail)"
	exit 1
fi
export SVABENCH_URL=$url
rc=0
"$SVABENCH" submit "$tmp/spec.json" --var "$var" --wait --timeout 120 >"$tmp/out" 2>"$tmp/err" || rc=$?
id=$(cat "$tmp/out")
[ "$rc" -eq 0 ] && ok "the planted spec runs in svabenchd ($id)" ||
	not_ok "the planted spec runs in svabenchd" "exit $rc ($(first_err))"
sv report "$id" --var "$var"
[ "$rc" -eq 0 ] && ! grep -q "^robust " "$tmp/out" && ok "the report before any analysis has no robust line" ||
	not_ok "the report before any analysis has no robust line" "exit $rc $(grep "^robust" "$tmp/out")"
path=/api/v1/experiments/$id/robustness
req GET "$path"
[ "$code" = 404 ] && ok "GET robustness before any analysis: 404" || not_ok "GET robustness before any analysis: 404" "$code $(snippet)"
req POST "$path" -H 'Content-Type: application/json' --data-binary '{}'
[ "$code" = 401 ] && ok "POST robustness without the token: 401" || not_ok "POST robustness without the token: 401" "$code"
for bad in '{"budget": 0}:budget' '{"inputs": ["pattern"]}:inputs[0]' '{"frob": 1}:frob' '{"tol": 2}:tol'; do
	req POST "$path" -H "Authorization: Bearer $(token)" -H 'Content-Type: application/json' \
		--data-binary "${bad%:*}"
	field=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["error"]["field"])' "$tmp/body" 2>/dev/null)
	[ "$code" = 400 ] && [ "$field" = "${bad##*:}" ] && ok "POST robustness ${bad%:*}: 400 naming ${bad##*:}" ||
		not_ok "POST robustness ${bad%:*}: 400 naming ${bad##*:}" "$code $(snippet)"
done
req POST "$path" -H "Authorization: Bearer $(token)" -H 'Content-Type: application/json' \
	--data-binary '{"inputs": ["cmd_sync_ns"], "budget": 2000}'
if [ "$code" = 202 ] && [ "$(header Location)" = "$path" ]; then
	ok "POST robustness with the token: 202 and its Location"
else
	not_ok "POST robustness with the token: 202 and its Location" "$code $(snippet)"
fi
wait_robustness "$id" 120
cp "$tmp/body" "$tmp/online.json"
py "GET robustness: done, stored, the same cells as offline" '
d = load(sys.argv[1])
assert d["status"] == "done", d
off = load(sys.argv[2])
assert d["result"]["cells"] == off["cells"] and d["result"]["experiment"] == sys.argv[3], "differs"
assert d["runs_used"] == off["runs_used"] and d["options"]["budget"] == 2000, d["options"]
' "$tmp/online.json" "$tmp/a.json" "$id"
py "GET robustness: the summary, answer first: cmd_sync_ns flips the verdict, where and to what" '
s = load(sys.argv[1])["summary"]
assert s["robust"] is False and s["cells"] == 1 and s["cells_changed"] == 1, s
f = {x["input"]: x for x in s["flips"]}["cmd_sync_ns"]
assert f["cells"] == 1 and 95 <= f["break_even_min"] <= 115, f
assert "unless cmd_sync_ns > " in f["where"][0]["statement"] and "(then pri-inv)" in f["where"][0]["statement"], f
' "$tmp/online.json"
sv report "$id" --var "$var"
cp "$tmp/out" "$tmp/report.txt"
py "the report shows the stored analysis right after the answer: not robust, the inputs that flip it, where" '
s = load(sys.argv[1])["summary"]
lines = open(sys.argv[2]).read().split("\n")
i = next(k for k, l in enumerate(lines) if l.startswith("robust "))
assert i < next(k for k, l in enumerate(lines) if l.startswith("experiment ")), "not before what ran"
block = []
for l in lines[i:]:
    if block and not l.startswith("            "):
        break
    block.append(l[12:])
text = " ".join(block)
n = len(s["flips"])
assert text.startswith("no: %d inputs flip the verdict in 1 of 1 cell" % n), text
for f in s["flips"][:3]:
    assert f["input"] + " in 1 cell: " + f["where"][0]["statement"].split(" unless ")[0] in text, (f["input"], text)
if n > 3:
    assert "and %d more input" % (n - 3) in text, text
assert all(len(l) <= 80 for l in lines), "a line over 80 columns"
' "$tmp/online.json" "$tmp/report.txt"
[ -s "$var/robustness/$id.json" ] && ok "the analysis is stored under var/robustness" ||
	not_ok "the analysis is stored under var/robustness" "no $var/robustness/$id.json"
sv robustness "$id" --var "$var" --input cmd_sync_ns --budget 2000
if [ "$rc" -eq 0 ] && grep -q "cmd_sync_ns > " "$tmp/out"; then
	ok "svabench robustness ID: the stored analysis (same options), its statements"
else
	not_ok "svabench robustness ID: the stored analysis" "exit $rc ($(first_err)) $(head -c 300 "$tmp/out")"
fi
sv robustness e99999 --var "$var"
expect "svabench robustness of an unknown experiment: 404, exit 2" 2 "e99999"

check_daemon_clean "svabenchd ran clean"

exit $failed
