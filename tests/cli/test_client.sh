#!/usr/bin/env bash
# test_client.sh - svabench against a real svabenchd, as a user drives it:
# submit a spec and wait for it; show gives the same document and table as
# `run --offline`; list finds it; export then import gives the same runs;
# cancel of a finished experiment is a conflict; a wrong token, a bad spec,
# an unknown id and a stopped daemon each say what went wrong with the
# right exit status.
#
# SVABENCH: the CLI under test (default build/svabench). SVABENCHD: the
# daemon (default: svabenchd next to SVABENCH). Needs python3.
set -u
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"
var=$tmp/var

# The environment must not pick the server or token for us.
unset SVABENCH_TOKEN SVABENCH_URL

need_built "binary" "$SVABENCH"
need_built "daemon binary" "$SVABENCHD"
need_tools client python3

# --- usage: refused before any request ---
sv submit
expect "submit without SPEC" 2 "missing SPEC"
sv wait
expect "wait without ID" 2 "missing ID"
sv wait e1 --timeout 0
expect "wait --timeout 0" 2 "--timeout: '0'"
sv list --limit lots
expect "list --limit lots" 2 "--limit: 'lots'"
sv show e1 --server ftp://example
expect "--server must be http(s)" 2 "not an http:// or https:// URL"
sv submit "$tmp/nope.json"
expect "submit a missing file" 2 "cannot open"
sv export
expect "export without ID" 2 "missing ID"
printf '{"experiment": ' >"$tmp/broken.json"
sv import "$tmp/broken.json"
expect "import of broken JSON names the line" 2 "not JSON: line 1"
sv --help
grep -q '^  submit SPEC' "$tmp/out" && grep -q '^  import FILE' "$tmp/out" &&
	ok "--help lists the daemon commands" || not_ok "--help lists the daemon commands" "exit $rc"

# --- a daemon of our own on a free loopback port ---
if ! start_daemon "$var"; then
	not_ok "svabenchd starts" "$(daemon_tail)"
	exit 1
fi
ok "svabenchd starts on $url"
export SVABENCH_URL=$url
[ -s "$var/token" ] && ok "svabenchd made var/token" || not_ok "svabenchd made var/token" "missing"

tiny='{"workload": "rw-reuse", "strategies": ["none", "pri-inv", "notifier"],
 "params": {"duration_us": 200, "pages": 16, "ats": [false, true]}, "repetitions": 2,
 "seed": 7, "label": "cli-client", "name": "client test"}'
printf '%s' "$tiny" >"$tmp/tiny.json"

# --- submit, wait, show ---
sv submit "$tmp/tiny.json" --var "$var"
id=$(cat "$tmp/out")
if [ "$rc" -eq 0 ] && [[ $id =~ ^[A-Za-z0-9_-]+$ ]]; then
	ok "submit prints the new id ($id)"
else
	not_ok "submit prints the new id" "exit $rc, stdout '$id' ($(first_err))"
	exit 1
fi
sv wait "$id" --timeout 120
[ "$rc" -eq 0 ] && [ ! -s "$tmp/out" ] && ok "wait exits 0 when the experiment is done" ||
	not_ok "wait exits 0 when the experiment is done" "exit $rc ($(first_err))"

sv show "$id" --json
cp "$tmp/out" "$tmp/show.json"
"$SVABENCH" run --offline --json "$tmp/tiny.json" >"$tmp/offline.json" 2>/dev/null
py "show --json is run --offline --json but for ids, timings and daemon-only keys" '
d, o = load(sys.argv[1]), load(sys.argv[2])
de, oe = d["experiment"], o["experiment"]
assert de["status"] == "done", de["status"]
for k, v in oe.items():
    if k == "id":
        continue
    assert k in de, "experiment." + k + " missing"
    if k == "host":
        # the same machine; the daemon may say more about it
        for hk, hv in v.items():
            assert de[k].get(hk) == hv, "host." + hk
    else:
        assert de[k] == v, "experiment.%s: %r != %r" % (k, de[k], v)
assert len(d["runs"]) == len(o["runs"]) == 12, len(d["runs"])
for i, (dr, orun) in enumerate(zip(d["runs"], o["runs"])):
    for k, v in orun.items():
        if k == "id":
            continue
        assert k in dr, "runs[%d].%s missing" % (i, k)
        if k == "metrics":
            dm, om = dict(dr[k]), dict(v)
            dm.pop("sim.wall_ns", None)
            om.pop("sim.wall_ns", None)
            assert dm == om, "runs[%d].metrics differ: %r" % (i, [m for m in set(dm) | set(om) if dm.get(m) != om.get(m)][:5])
        else:
            assert dr[k] == v, "runs[%d].%s: %r != %r" % (i, k, dr[k], v)
' "$tmp/show.json" "$tmp/offline.json"

sv show "$id"
cp "$tmp/out" "$tmp/show.txt"
"$SVABENCH" run --offline "$tmp/tiny.json" >"$tmp/offline.txt" 2>/dev/null
if [ "$rc" -eq 0 ] && cmp -s "$tmp/show.txt" "$tmp/offline.txt"; then
	ok "show prints the table run --offline prints"
else
	not_ok "show prints the table run --offline prints" \
		"exit $rc: $(diff "$tmp/show.txt" "$tmp/offline.txt" | head -n 4 | tr '\n' ' ')"
fi

# --- list ---
rc=0
"$SVABENCH" submit - --var "$var" --wait --timeout 120 <"$tmp/tiny.json" >"$tmp/out" 2>"$tmp/err" || rc=$?
id2=$(cat "$tmp/out")
[ "$rc" -eq 0 ] && [[ $id2 =~ ^[A-Za-z0-9_-]+$ ]] && [ "$id2" != "$id" ] &&
	ok "submit - --wait reads stdin, prints the id, waits" ||
	not_ok "submit - --wait reads stdin, prints the id, waits" "exit $rc, '$id2' ($(first_err))"

sv list
if [ "$rc" -eq 0 ] && head -n 1 "$tmp/out" | grep -q '^id  *status  *runs  *workload  *label  *name  *created' &&
	grep -q "^$id  *done  *12/12  *rw-reuse  *cli-client  *client test " "$tmp/out"; then
	ok "list shows the experiment in a table"
else
	not_ok "list shows the experiment in a table" "exit $rc: $(head -c 300 "$tmp/out")"
fi
sv list --json --label cli-client --status done --workload rw-reuse --target sim
cp "$tmp/out" "$tmp/list.json"
py "list --json with filters" '
d = load(sys.argv[1])
ids = [e["id"] for e in d["experiments"]]
assert set(ids) >= {sys.argv[2], sys.argv[3]}, ids
assert all(e["label"] == "cli-client" for e in d["experiments"])' "$tmp/list.json" "$id" "$id2"
sv list --json --limit 1
cp "$tmp/out" "$tmp/list1.json"
py "list --limit 1 gives one, the newest" '
d = load(sys.argv[1])
assert [e["id"] for e in d["experiments"]] == [sys.argv[2]], d' "$tmp/list1.json" "$id2"
sv list --json --label no-such-label
cp "$tmp/out" "$tmp/list0.json"
py "list of nothing is empty" '
assert load(sys.argv[1]) == {"experiments": []}' "$tmp/list0.json"
sv list --status bogus
expect "list --status bogus is refused by svabenchd" 2 "status: unknown status"

# --- export, import ---
sv export "$id"
cp "$tmp/out" "$tmp/export.json"
[ "$rc" -eq 0 ] && ok "export exits 0" || not_ok "export exits 0" "exit $rc ($(first_err))"
sv export "$id" -o "$tmp/export2.json"
[ "$rc" -eq 0 ] && [ ! -s "$tmp/out" ] && cmp -s "$tmp/export.json" "$tmp/export2.json" &&
	ok "export -o FILE writes the same document" ||
	not_ok "export -o FILE writes the same document" "exit $rc ($(first_err))"
sv import "$tmp/export.json" --var "$var"
[ "$rc" -ne 0 ] && grep -q "already, as $id" "$tmp/err" &&
	ok "import of a document the store holds already fails naming $id (409)" ||
	not_ok "import of a document the store holds fails naming it" "exit $rc ($(first_err))"
# a copy under another label is another document
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
d["experiment"]["spec"]["label"] = sys.argv[3]
json.dump(d, open(sys.argv[2], "w"))' "$tmp/export.json" "$tmp/copy.json" copy-1
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
d["experiment"]["spec"]["label"] = sys.argv[3]
json.dump(d, open(sys.argv[2], "w"))' "$tmp/export.json" "$tmp/copy2.json" copy-2
sv import "$tmp/copy.json" --var "$var"
idi=$(cat "$tmp/out")
[ "$rc" -eq 0 ] && [[ $idi =~ ^[A-Za-z0-9_-]+$ ]] && [ "$idi" != "$id" ] &&
	ok "import prints a new id ($idi)" || not_ok "import prints a new id" "exit $rc, '$idi' ($(first_err))"
sv show "$idi" --json
cp "$tmp/out" "$tmp/imported.json"
py "the imported experiment has the same runs and metrics" '
a, b = load(sys.argv[1]), load(sys.argv[2])
assert b["experiment"]["status"] == a["experiment"]["status"] == "done"
assert b["experiment"]["spec"] == dict(a["experiment"]["spec"], label="copy-1")
assert len(a["runs"]) == len(b["runs"]) == 12
for ra, rb in zip(a["runs"], b["runs"]):
    for k in ("cell", "strategy", "repetition", "seed", "status", "metrics", "examples"):
        assert ra[k] == rb[k], k' "$tmp/export.json" "$tmp/imported.json"
rc=0
"$SVABENCH" import - --var "$var" <"$tmp/copy2.json" >"$tmp/out" 2>"$tmp/err" || rc=$?
[ "$rc" -eq 0 ] && [ -s "$tmp/out" ] && ok "import - reads standard input" ||
	not_ok "import - reads standard input" "exit $rc ($(first_err))"
printf '{"experiment": {}, "runs": []}' >"$tmp/empty-doc.json"
sv import "$tmp/empty-doc.json" --var "$var"
[ "$rc" -eq 2 ] && [ -s "$tmp/err" ] && [ ! -s "$tmp/out" ] &&
	ok "import of a document that does not fit exits 2" ||
	not_ok "import of a document that does not fit exits 2" "exit $rc ($(first_err))"

# --- errors from svabenchd ---
sv cancel "$id" --var "$var"
expect "cancel of a finished experiment: 409, exit 1" 1 "409"
sv show no-such-id
expect "show of an unknown id: 404, exit 2" 2 "404"
sv wait no-such-id
expect "wait of an unknown id: 404, exit 2" 2 "404"
rc=0
SVABENCH_TOKEN=bad "$SVABENCH" submit "$tmp/tiny.json" >"$tmp/out" 2>"$tmp/err" || rc=$?
if { [ "$rc" -eq 1 ] || [ "$rc" -eq 2 ]; } && grep -q "401" "$tmp/err" && [ ! -s "$tmp/out" ]; then
	ok "submit with a wrong token: 401"
else
	not_ok "submit with a wrong token: 401" "exit $rc ($(first_err))"
fi
mkdir -p "$tmp/empty"
sv submit "$tmp/tiny.json" --var "$tmp/empty"
expect "submit without a token says where it looked" 1 "no token: cannot read $tmp/empty/token"
printf '{"workload": "rw-reuse", "params": {"pages": 0}}' >"$tmp/bad.json"
sv submit "$tmp/bad.json" --var "$var"
if [ "$rc" -eq 2 ] && [ ! -s "$tmp/out" ] &&
	grep -qF "svabench: params.pages: 0 is out of range, allowed 1..1048576 pages" "$tmp/err"; then
	ok "a bad spec: exit 2 naming the field, as run --offline does"
else
	not_ok "a bad spec: exit 2 naming the field" "exit $rc ($(first_err))"
fi

# --- wait --timeout, cancel of a running experiment ---
printf '{"workload": "rw-reuse", "params": {"duration_us": 1000000, "pages": 4096}, "repetitions": 40}' \
	>"$tmp/long.json"
sv submit "$tmp/long.json" --var "$var"
idl=$(cat "$tmp/out")
sv wait "$idl" --timeout 0.6
expect "wait --timeout: exit 1 when it is not finished" 1 "timed out after 0.6 s"
sv cancel "$idl" --var "$var"
[ "$rc" -eq 0 ] && grep -q "^$idl cancel" "$tmp/out" && ok "cancel of a running experiment" ||
	not_ok "cancel of a running experiment" "exit $rc ($(first_err))"
sv wait "$idl" --timeout 60
expect "wait of a cancelled experiment: exit 1" 1 "cancelled"

# --- the server from --server wins over SVABENCH_URL ---
rc=0
SVABENCH_URL=http://127.0.0.1:1 "$SVABENCH" list --server "$url" >"$tmp/out" 2>"$tmp/err" || rc=$?
[ "$rc" -eq 0 ] && grep -q "^$id " "$tmp/out" && ok "--server overrides SVABENCH_URL" ||
	not_ok "--server overrides SVABENCH_URL" "exit $rc ($(first_err))"

# --- a stopped daemon ---
stop_daemon
sv list
expect "a stopped daemon: cannot reach, exit 1" 1 \
	"svabench: cannot reach svabenchd at $url (is it running? make run starts it)"
check_daemon_clean "svabenchd ran clean"

exit $failed
