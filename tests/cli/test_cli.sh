#!/usr/bin/env bash
# test_cli.sh - svabench as a user runs it: bad specs exit 2 naming the
# field with nothing on stdout and nothing run; describe lists what the sim
# offers; run --offline prints the result document or a table; - reads the
# spec from stdin; exit 1 when a run fails.
#
# SVABENCH: the binary under test (default build/svabench). Needs python3.
set -u

root=$(cd "$(dirname "$0")/../.." && pwd)
SVABENCH=${SVABENCH:-$root/build/svabench}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
rc=0

ok() { echo "ok - $1"; }
not_ok() { echo "not ok - $1: $2"; failed=1; }

# sv ARGS... - runs svabench; stdout, stderr in $tmp/out, $tmp/err, status in rc.
sv() {
	rc=0
	"$SVABENCH" "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
}

first_err() { head -c 300 "$tmp/err" | tr '\n' ' '; }

# expect_usage NAME WANT - exit 2, WANT in stderr, stdout empty.
expect_usage() {
	if [ "$rc" -ne 2 ]; then
		not_ok "$1" "exit $rc, want 2 ($(first_err))"
	elif [ -s "$tmp/out" ]; then
		not_ok "$1" "stdout not empty: $(head -c 200 "$tmp/out")"
	elif ! grep -qF -- "$2" "$tmp/err"; then
		not_ok "$1" "stderr lacks '$2': $(first_err)"
	else
		ok "$1"
	fi
}

# bad_spec NAME WANT SPEC - the spec is refused with WANT on stderr.
bad_spec() {
	printf '%s' "$3" >"$tmp/spec.json"
	sv run --offline "$tmp/spec.json"
	expect_usage "bad spec: $1" "$2"
}

# py NAME FILE CODE - python3 with the JSON of FILE as d; CODE asserts.
py() {
	local why
	if why=$(python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
$3
" "$2" 2>&1); then
		ok "$1"
	else
		not_ok "$1" "$(echo "$why" | tail -n 1)"
	fi
}

if [ ! -x "$SVABENCH" ]; then
	not_ok "binary" "$SVABENCH is missing; run make"
	exit 1
fi
if ! command -v python3 >/dev/null 2>&1; then
	echo "skip - cli: python3 is not installed"
	exit 0
fi

# --- usage ---
sv --version
[ "$rc" -eq 0 ] && grep -q '^svabench [0-9]' "$tmp/out" && ok "--version" ||
	not_ok "--version" "exit $rc: $(head -c 100 "$tmp/out")"
sv --help
[ "$rc" -eq 0 ] && grep -q 'describe' "$tmp/out" && grep -q 'run --offline' "$tmp/out" &&
	grep -q 'submit' "$tmp/out" && ok "--help lists describe, run and the daemon's commands" ||
	not_ok "--help" "exit $rc"
sv
expect_usage "no command: usage" "usage: svabench"
sv submit
expect_usage "submit without SPEC" "missing SPEC"
sv frobnicate
expect_usage "an unknown command" "'frobnicate' is not a svabench command"
sv --frobnicate
expect_usage "unknown global option" "unknown option '--frobnicate'"
sv run "$root/suites/default/01-livelock.json" --server http://127.0.0.1:9
if [ "$rc" -eq 1 ] && grep -q "cannot reach svabenchd" "$tmp/err" &&
	grep -q "svabench run --offline" "$tmp/err"; then
	ok "run without --offline and no daemon: exit 1, says how to run it offline"
else
	not_ok "run without --offline and no daemon" "exit $rc: $(first_err)"
fi
sv run --jobs 2 "$root/suites/default/01-livelock.json"
expect_usage "run --jobs without --offline" "--jobs goes with --offline"
sv run --offline
expect_usage "run without SPEC" "missing SPEC"
sv run --offline "$tmp/does-not-exist.json"
expect_usage "missing spec file" "cannot open"
sv run --offline --jobs 0 -
expect_usage "--jobs 0" "--jobs"
sv run --offline --jobs=lots -
expect_usage "--jobs=lots" "--jobs"
sv run --offline --bogus x
expect_usage "run: unknown option" "unknown option '--bogus'"
sv describe nosuch
expect_usage "describe: unknown target" 'unknown target "nosuch"; allowed: sim'

# --- bad specs: exit 2, the field on stderr, nothing on stdout ---
bad_spec "not JSON" "svabench: not JSON: line 1" '{"workload": '
bad_spec "duplicate key" "duplicate" '{"workload": "rw-reuse", "workload": "mixed"}'
bad_spec "unknown top-level key" "svabench: bogus: unknown key" '{"workload": "rw-reuse", "bogus": 1}'
bad_spec "unknown param" "svabench: params.bogus: unknown parameter; see 'svabench describe sim'" \
	'{"workload": "rw-reuse", "params": {"bogus": 1}}'
bad_spec "wrong type" "svabench: params.ats: expected true or false" \
	'{"workload": "rw-reuse", "params": {"ats": "yes"}}'
bad_spec "int out of range" "svabench: params.pages: 0 is out of range, allowed 1..1048576 pages" \
	'{"workload": "rw-reuse", "params": {"pages": 0}}'
bad_spec "real out of range" "svabench: params.overlap: 2 is out of range, allowed 0..1" \
	'{"workload": "rw-reuse", "params": {"overlap": 2}}'
bad_spec "non-integral int" "svabench: params.pages: 1.5 is not an integer" \
	'{"workload": "rw-reuse", "params": {"pages": 1.5}}'
bad_spec "enum by name" 'svabench: params.granule: unknown value "2m"; allowed: 4k, 16k, 64k' \
	'{"workload": "rw-reuse", "params": {"granule": "2m"}}'
bad_spec "empty sweep" "svabench: params.pages: empty list" \
	'{"workload": "rw-reuse", "params": {"pages": []}}'
bad_spec "unknown workload" 'svabench: workload: unknown workload "foo"; allowed: rw-reuse, first-touch' \
	'{"workload": "foo"}'
bad_spec "missing workload" "svabench: workload: missing" '{}'
bad_spec "unknown strategy" 'svabench: strategies[1]: unknown strategy "fix-c"; allowed: none, pri-inv' \
	'{"workload": "rw-reuse", "strategies": ["none", "fix-c"]}'
bad_spec "empty strategies" "svabench: strategies: empty list" '{"workload": "rw-reuse", "strategies": []}'
bad_spec "duplicate strategy" "svabench: strategies[1]: \"none\" is listed twice" \
	'{"workload": "rw-reuse", "strategies": ["none", "none"]}'
bad_spec "unknown preset" 'svabench: preset: unknown preset "x"; allowed: default' \
	'{"workload": "rw-reuse", "preset": "x"}'
bad_spec "unknown target" 'svabench: target: unknown target "nosuch"; allowed: sim, host, qemu' \
	'{"target": "nosuch", "workload": "rw-reuse"}'
bad_spec "repetitions out of range" "svabench: repetitions: 0 is out of range, allowed 1..1000" \
	'{"workload": "rw-reuse", "repetitions": 0}'
bad_spec "too many runs" "too many runs" \
	'{"workload": "rw-reuse", "repetitions": 1000, "params": {"pages": [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17]}}'
bad_spec "check_cell: txn_bytes larger than a 4k page" "svabench: params.txn_bytes:" \
	'{"workload": "rw-reuse", "params": {"txn_bytes": 8192}}'
python3 -c 'print("{\"workload\": \"rw-reuse\", \"name\": \"" + "x" * 1100000 + "\"}")' >"$tmp/big.json"
sv run --offline "$tmp/big.json"
expect_usage "spec over 1 MiB" "1 MiB"
printf '{"workload": "nope"}' | { "$SVABENCH" run --offline - >"$tmp/out" 2>"$tmp/err"; echo $? >"$tmp/rc"; }
rc=$(cat "$tmp/rc")
expect_usage "bad spec from stdin" "svabench: workload: unknown workload"

# --- describe ---
sv describe
[ "$rc" -eq 0 ] && grep -q '^  sim ' "$tmp/out" && ok "describe lists the targets" ||
	not_ok "describe lists the targets" "exit $rc"
sv describe --json
cp "$tmp/out" "$tmp/targets.json"
py "describe --json parses" "$tmp/targets.json" '
assert [t["name"] for t in d["targets"]] == ["sim", "host", "qemu"], d
assert d["targets"][0]["available"] is True'
sv describe sim
cp "$tmp/out" "$tmp/sim.txt"
missing=""
for w in rw-reuse first-touch cpu-upgrade-churn mixed mprotect-toggle munmap-large \
	none pri-inv pri-inv-sync notifier notifier-seed pri-inv-no-atc duration_us txn_bytes; do
	grep -q -- "^  $w " "$tmp/sim.txt" || missing+=" $w"
done
[ "$rc" -eq 0 ] && [ -z "$missing" ] && ok "describe sim lists workloads, strategies, params" ||
	not_ok "describe sim lists workloads, strategies, params" "exit $rc, missing:$missing"
sv describe sim --json
cp "$tmp/out" "$tmp/sim.json"
py "describe sim --json: seven workloads, six strategies, typed params" "$tmp/sim.json" '
assert [w["name"] for w in d["workloads"]] == ["rw-reuse", "first-touch", "cpu-upgrade-churn", "mixed", "mprotect-toggle", "munmap-large", "dma-unmap"], d["workloads"]
assert [s["name"] for s in d["strategies"]] == ["none", "pri-inv", "pri-inv-sync", "notifier", "notifier-seed", "pri-inv-no-atc"]
p = {x["name"]: x for x in d["params"]}
assert p["pages"]["type"] == "int" and p["pages"]["min"] == 1 and p["pages"]["max"] == 1048576 and p["pages"]["unit"] == "pages", p["pages"]
assert p["granule"]["type"] == "enum" and p["granule"]["default"] == "4k" and p["granule"]["choices"] == ["4k", "16k", "64k"]
assert p["ats"]["type"] == "bool" and p["ats"]["default"] is False
assert p["write_fraction"]["type"] == "real"
assert all(k in d for k in ("name", "description", "available", "reason", "capabilities", "presets"))
assert d["presets"][0]["name"] == "default"
v = d["presets"][0]["values"]["irq_ns"]
assert {"value", "source", "confidence"} <= set(v), v
# the effective default has the default preset applied
assert p["irq_ns"]["default"] == v["value"]
assert d["workloads"][0]["defaults"] == {"pattern": "read-then-write"}, d["workloads"][0]'

# --- run ---
tiny='{"workload": "rw-reuse", "strategies": ["none", "pri-inv", "notifier"],
 "params": {"duration_us": 200, "pages": 16, "ats": [false, true]}, "repetitions": 2, "seed": 42, "label": "cli-test"}'
printf '%s' "$tiny" >"$tmp/tiny.json"
sv run --offline --json "$tmp/tiny.json"
cp "$tmp/out" "$tmp/doc.json"
[ "$rc" -eq 0 ] && ok "run --offline --json exits 0" || not_ok "run --offline --json exits 0" "exit $rc ($(first_err))"
py "run --offline --json prints the result document" "$tmp/doc.json" '
e = d["experiment"]
for k in ("id", "spec", "status", "runs_total", "runs_done", "preset", "host", "target", "workload", "label", "name"):
    assert k in e, k
assert e["status"] == "done" and e["runs_total"] == 12 and e["runs_done"] == 12, e["status"]
assert e["spec"]["label"] == "cli-test" and e["label"] == "cli-test"
assert e["host"]["svabench_version"] and e["preset"]["name"] == "default"
runs = d["runs"]
assert len(runs) == 12
for r in runs:
    for k in ("id", "cell", "strategy", "repetition", "seed", "status", "reason", "metrics", "examples"):
        assert k in r, k
    assert r["status"] == "done" and r["reason"] is None
    assert isinstance(r["seed"], int)
    assert all(v is None or isinstance(v, (int, float)) for v in r["metrics"].values())
assert runs[0]["cell"] == {"ats": False} and runs[6]["cell"] == {"ats": True}
assert [r["strategy"] for r in runs[:3]] == ["none", "pri-inv", "notifier"]
assert runs[0]["seed"] == runs[1]["seed"] == runs[2]["seed"] != runs[3]["seed"]
assert isinstance(runs[1]["metrics"]["dma.transactions"], int)'

"$SVABENCH" run --offline --json - <"$tmp/tiny.json" >"$tmp/stdin.json" 2>"$tmp/err"
rc=$?
python3 -c '
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:])
for d in (a, b):
    for r in d["runs"]:
        r["metrics"].pop("sim.wall_ns", None)
assert a == b
' "$tmp/doc.json" "$tmp/stdin.json" 2>/dev/null && [ "$rc" -eq 0 ] &&
	ok "the spec from stdin (-) gives the same document" ||
	not_ok "the spec from stdin (-) gives the same document" "exit $rc ($(first_err))"

sv run --offline --jobs 2 "$tmp/tiny.json"
if [ "$rc" -eq 0 ] && grep -q '^cell 1/2: ats=false' "$tmp/out" && grep -q '^pri-inv ' "$tmp/out" &&
	grep -q '^strategy .*MB/s' "$tmp/out" && grep -q 'not hardware measurements' "$tmp/out"; then
	ok "run prints a table per cell with a row per strategy"
else
	not_ok "run prints a table per cell with a row per strategy" "exit $rc: $(head -c 300 "$tmp/out")"
fi
long=$(awk 'length($0) > 120 && !/^    /' "$tmp/out" | head -n 1)
[ -z "$long" ] && ok "table rows fit in 120 columns" || not_ok "table rows fit in 120 columns" "$long"

printf '{"workload": "rw-reuse", "strategies": ["pri-inv"], "params": {"max_events": 1000, "duration_us": [200, 100000]}}' >"$tmp/fail.json"
sv run --offline --json "$tmp/fail.json"
cp "$tmp/out" "$tmp/fail.out"
[ "$rc" -eq 1 ] && ok "a failed run exits 1" || not_ok "a failed run exits 1" "exit $rc"
py "a failed run is in the document with its reason" "$tmp/fail.out" '
assert d["experiment"]["status"] == "failed"
assert [r["status"] for r in d["runs"]] == ["done", "failed"], [r["status"] for r in d["runs"]]
assert d["runs"][1]["reason"]'

exit $failed
