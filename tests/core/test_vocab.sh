#!/usr/bin/env bash
# test_vocab.sh - one metric vocabulary (lib/vocab.c), served by describe.
# Every metric the sim, qemu (bare mode) and host targets emit, on every
# workload, has an entry in `svabench describe --json`'s "metrics" (by name,
# or by a pattern such as perf.*); the entries are well formed (unit,
# direction, display scale, views, a column head for the table, a family
# for /metrics, derived parts that exist); GET /api/v1/targets serves the
# same vocabulary and roles as the CLI, and each target's strategies carry
# their role. A planted metric no entry covers is caught.
#
# Skips only the targets that cannot run here, with describe's reason.
. "$(dirname "$0")/../lib.sh"

need_tools "metric vocabulary" python3
need_built "metric vocabulary" "$SVABENCH" "$SVABENCHD"

sv describe --json
if [ "$rc" -ne 0 ]; then
	not_ok "describe --json" "exit $rc: $(first_err)"
	exit 1
fi
cp "$tmp/out" "$tmp/describe.json"

# The entries themselves.
py "describe: every vocabulary entry has a unit, a direction, a display scale, views and help" '
d = load(sys.argv[1])
ms = d["metrics"]
assert len(ms) > 50, len(ms)
names = [m["name"] for m in ms]
assert len(names) == len(set(names)), "duplicate entries"
views = {"compare", "table", "report", "prom", "alerts", "history", "plots", "page"}
for m in ms:
    assert m["unit"] and m["display_unit"] and m["help"], m
    assert m["direction"] in ("lower", "higher", "none"), m
    assert m["scale"] > 0, m
    assert set(m["views"]) <= views, m
    if "table" in m["views"]:
        assert m.get("column"), ("a table metric needs a column head", m["name"])
    if "prom" in m["views"]:
        assert m.get("prom", "").startswith("svabench_"), ("a /metrics family", m["name"])
    for p in m.get("parts", []):
        assert p in names, ("derived from an unknown metric", m["name"], p)
for v in views:
    assert any(v in m["views"] for m in ms), ("no metric in view", v)
assert [m["name"] for m in ms if m.get("correctness")] == ["dma.livelocked", "oracle.coherence_violations"]
heads = sorted((m["headline"], m["name"]) for m in ms if "headline" in m)
assert heads[0][1] == "cost.total_ns_per_op", heads
' "$tmp/describe.json"

py "describe: strategy roles: Fix A, Fix B, the bug, the broken variant, each with a colour" '
d = load(sys.argv[1])
r = {s["name"]: s for s in d["strategies"]}
assert r["pri-inv"]["fix"] == "A" and r["pri-inv"]["role"] == "fix" and r["pri-inv"].get("reference"), r["pri-inv"]
assert r["notifier"]["fix"] == "B" and r["notifier-seed"]["fix"] == "B", r
assert r["none"]["role"] == "baseline", r["none"]
assert r["pri-inv-no-atc"]["role"] == "broken variant", r["pri-inv-no-atc"]
cs = [s["colour"] for s in d["strategies"]] + d["other_colours"]
assert len(set(cs)) == len(cs), ("colours repeat", cs)
assert all(len(c) == 7 and c[0] == "#" for c in cs), cs
' "$tmp/describe.json"

# covered FILE... - every metric name of the result documents FILE... has
# an entry; prints how many distinct names.
cat >"$tmp/covered.py" <<'PY'
import fnmatch, json, sys
vocab = json.load(open(sys.argv[1]))["metrics"]
exact = {m["name"] for m in vocab if not m.get("pattern")}
pats = [m["name"] for m in vocab if m.get("pattern")]
seen = set()
for path in sys.argv[2:]:
    for run in json.load(open(path))["runs"]:
        seen.update((run.get("metrics") or {}).keys())
missing = sorted(n for n in seen if n not in exact and not any(fnmatch.fnmatchcase(n, p) for p in pats))
assert seen, "no run reported a metric"
assert not missing, "no vocabulary entry for " + ", ".join(missing)
print(len(seen))
PY

# target_runs TARGET PARAMS - runs each of TARGET's workloads (1 repetition,
# its default strategies) offline; the documents in $tmp/TARGET-*.json.
target_runs() {
	local t=$1 params=$2 w
	sv describe "$t" --json
	for w in $(json_value "$tmp/out" '" ".join(x["name"] for x in d["workloads"])'); do
		printf '{"target": "%s", "workload": "%s", "repetitions": 1, "seed": 3, "params": %s}' \
			"$t" "$w" "$params" >"$tmp/$t-$w.spec"
		rc=0
		"$SVABENCH" run --offline --json --jobs 2 "$tmp/$t-$w.spec" >"$tmp/$t-$w.json" 2>"$tmp/err" </dev/null || rc=$?
		# a workload no strategy can run on this machine (exit 2) has no document
		[ "$rc" -eq 2 ] && grep -q "can run workload" "$tmp/err" && rm -f "$tmp/$t-$w.json"
	done
}

# check_target TARGET PARAMS - ok when every emitted metric has an entry.
check_target() {
	local t=$1 n why
	why=$(json_value "$tmp/describe.json" '"".join(x["reason"] for x in d["targets"] if x["name"] == "'"$t"'" and not x["available"])')
	if [ -n "$why" ]; then
		skip "$t: every emitted metric has a vocabulary entry" "unavailable: $why"
		return
	fi
	target_runs "$t" "$2"
	if n=$(python3 "$tmp/covered.py" "$tmp/describe.json" "$tmp/$t"-*.json 2>&1); then
		ok "$t: every metric its workloads emit ($n names) has a vocabulary entry"
	else
		not_ok "$t: every emitted metric has a vocabulary entry" "$(echo "$n" | tail -n 1)"
	fi
}

check_target sim '{"duration_us": 200}'
check_target host '{"iterations": 50, "warmup": 5}'
sv describe qemu --json
if json_value "$tmp/out" 'd["detect"]["bare"]["present"]' | grep -q True; then
	check_target qemu '{"pages": 8}'
else
	skip "qemu: every emitted metric has a vocabulary entry" \
		"bare mode unavailable: $(json_value "$tmp/out" 'd["detect"]["bare"]["reason"]')"
fi

# The check itself catches a name nobody described.
python3 - "$tmp/planted.json" <<'PY'
import json, sys
json.dump({"runs": [{"metrics": {"dma.transactions": 1, "dma.made_up_ns": 2}}]}, open(sys.argv[1], "w"))
PY
if why=$(python3 "$tmp/covered.py" "$tmp/describe.json" "$tmp/planted.json" 2>&1); then
	not_ok "a planted metric without an entry is caught" "accepted: $why"
elif grep -q "dma.made_up_ns" <<<"$why"; then
	ok "a planted metric without an entry is caught, by name"
else
	not_ok "a planted metric without an entry is caught" "$(echo "$why" | tail -n 1)"
fi

# The API serves the same vocabulary; each target's strategies carry their role.
if ! start_daemon "$tmp/var"; then
	not_ok "svabenchd starts" "$(daemon_tail)"
	exit 1
fi
py "GET /api/v1/targets serves the vocabulary and roles describe prints" '
s, d = get("/api/v1/targets")
cli = load(sys.argv[1])
assert s == 200, s
assert d["metrics"] == cli["metrics"], "metrics differ"
assert d["strategies"] == cli["strategies"] and d["other_colours"] == cli["other_colours"]
s, t = get("/api/v1/targets/sim")
roles = {x["name"]: x for x in d["strategies"]}
for x in t["strategies"]:
    if x["name"] in roles:
        assert x["role"] == roles[x["name"]]["role"] and x["colour"] == roles[x["name"]]["colour"], x
assert {x["name"] for x in t["strategies"]} >= set(roles), "a role for a strategy the sim lacks"
' "$tmp/describe.json"

# The dashboard reads it on every page load: gzip'd, revalidated by its ETag.
req GET /api/v1/targets -H 'Accept-Encoding: gzip'
etag=$(header ETag)
enc=$(header Content-Encoding)
req GET /api/v1/targets -H 'Accept-Encoding: gzip' -H "If-None-Match: $etag"
[ "$enc" = gzip ] && [ -n "$etag" ] && [ "$code" = 304 ] &&
	ok "GET /api/v1/targets: gzip'd with an ETag, 304 on revalidation" ||
	not_ok "GET /api/v1/targets: gzip'd with an ETag, 304 on revalidation" "encoding '$enc' etag '$etag' then $code"

sv describe --metrics
if [ "$rc" -eq 0 ] && grep -q "^  cost.total_ns_per_op .*lower.*compare" "$tmp/out" && grep -q "pri-inv-no-atc.*broken variant" "$tmp/out"; then
	ok "describe --metrics prints the vocabulary and the roles"
else
	not_ok "describe --metrics prints the vocabulary and the roles" "exit $rc: $(head -c 200 "$tmp/out" | tr '\n' ' ') $(first_err)"
fi
sv describe sim --metrics
expect "describe: --metrics with a TARGET is a usage error" 2 "--metrics or a TARGET"
exit "$failed"
