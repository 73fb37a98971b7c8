#!/usr/bin/env bash
# test_lava.sh - svabench on LAVA, end to end on an emulated arm64 board:
# every job lava/jobs/ ships validates with lava_common.schemas.validate
# (strict), the qemu job runs under lava-run (Debian's arm64 kernel, the
# project's ramdisk with the arm64 CLI), its test cases carry measurements
# and units in per-strategy test sets, `svabench import-lava` brings its
# documents into a svabenchd with board and kernel identity, damaged and
# truncated logs are refused naming the document, and a job whose kernel
# panics is reported failed with LAVA's reason. Emulated timings: this
# tests the plumbing, not the costs.
#
# Needs `scripts/deps.sh --lava` (lava-run, the arm64 libraries) and
# Debian's mirror for the kernel and lava-server's device-type templates
# (cached: SVABENCH_CACHE, SVABENCH_LAVA_CACHE). tests/run.sh runs it for
# both CLI builds; the ASan pass reuses the plain pass's job log when the
# job's inputs are the same (SVABENCH_LAVA_RERUN=1 runs it again).
. "$(dirname "$0")/../lib.sh"

need_built "lava" "$SVABENCH" "$SVABENCHD"
need_tools "lava" lava-run aarch64-linux-gnu-gcc aarch64-linux-gnu-readelf cpio gzip
if ! /usr/bin/python3 -c 'import lava_common.schemas, jinja2, yaml' 2>/dev/null; then
	skip "lava" "Debian's python3 has no lava_common (scripts/deps.sh --lava)"
	exit 0
fi
if [ ! -w /var/lib/lava/dispatcher ] && ! mkdir -p /var/lib/lava/dispatcher 2>/dev/null; then
	skip "lava" "lava-run needs a writable /var/lib/lava/dispatcher (run as root)"
	exit 0
fi

lava=$root/build/lava
mkdir -p "$lava/test"

# ---- the ramdisk and the device-type templates ----

t0=$(date +%s.%N)
if ! "$root/lava/build-ramdisk.sh" 2>"$tmp/ramdisk.err"; then
	if grep -q 'unavailable:' "$tmp/ramdisk.err"; then
		skip "lava" "$(grep -m1 'unavailable:' "$tmp/ramdisk.err")"
		exit 0
	fi
	not_ok "lava ramdisk" "$(tail -n 3 "$tmp/ramdisk.err" | tr '\n' ' ')"
	exit 1
fi
ok "lava ramdisk: $(stat -c %s "$lava/ramdisk.cpio.gz") bytes, kernel $(cat "$lava/kernel-release")"
if ! types=$("$root/lava/device-types.sh" 2>"$tmp/types.err"); then
	skip "lava" "$(head -n 1 "$tmp/types.err")"
	exit 0
fi
kernel_release=$(cat "$lava/kernel-release")

# job JOB.yaml OUT NAME=VALUE... - lava/job.sh into OUT
job() {
	local src=$1 out=$2
	shift 2
	"$root/lava/job.sh" "$src" "$@" >"$out" 2>"$tmp/job.err"
}

# ---- every shipped job validates (strict), a broken one does not ----

examples=(KERNEL_URL=file://$lava/vmlinuz RAMDISK_URL=file://$lava/ramdisk.cpio.gz
	DTB_URL=http://lab.example/dtbs/board.dtb DEVICE_TYPE=juno-r2 KERNEL_LABEL=v6.6-fixB
	KERNEL_COMMIT=0123456789ab CALLBACK_URL=http://svabench.example:8470/api/v1/lava/callback
	CALLBACK_TOKEN=svabench-callback)
validate() {
	/usr/bin/python3 -c '
import sys, yaml
from lava_common.schemas import validate
validate(yaml.safe_load(open(sys.argv[1])), strict=True, extra_context_variables=[])
' "$1" 2>&1 | tail -n 1
	return "${PIPESTATUS[0]}"
}
for src in "$root"/lava/jobs/*.yaml; do
	name=$(basename "$src" .yaml)
	if ! job "$src" "$tmp/$name.yaml" "${examples[@]}"; then
		not_ok "lava job $name fills" "$(cat "$tmp/job.err")"
	elif why=$(validate "$tmp/$name.yaml"); then
		ok "lava job $name validates (lava_common.schemas, strict)"
	else
		not_ok "lava job $name validates (lava_common.schemas, strict)" "$why"
	fi
done
if why=$(/usr/bin/python3 -c '
import sys, yaml
from lava_common.schemas.test.testdef import validate
validate(yaml.safe_load(open(sys.argv[1])))
' "$root/lava/tests/svabench.yaml" 2>&1 | tail -n 1); then
	ok "lava/tests/svabench.yaml validates (lava_common testdef schema)"
else
	not_ok "lava/tests/svabench.yaml validates (lava_common testdef schema)" "$why"
fi
# The validation is not vacuous: a key LAVA does not know is refused.
sed 's/^priority: medium$/priority: medium\nsvabench_unknown: 1/' "$tmp/qemu-arm64.yaml" >"$tmp/bad.yaml"
if validate "$tmp/bad.yaml" >"$tmp/why"; then
	not_ok "lava strict validation refuses an unknown key" "it passed"
else
	ok "lava strict validation refuses an unknown key ($(head -c 120 "$tmp/why"))"
fi
if job "$root/lava/jobs/qemu-arm64.yaml" "$tmp/x.yaml" KERNEL_URL=file:///x; then
	not_ok "lava/job.sh names a missing value" "it filled the job"
elif grep -q 'no value for @RAMDISK_URL@' "$tmp/job.err"; then
	ok "lava/job.sh names a missing value"
else
	not_ok "lava/job.sh names a missing value" "$(cat "$tmp/job.err")"
fi

# ---- the qemu job under lava-run ----

# run_job NAME RAMDISK - lava-run of the qemu job with that ramdisk: the log
# (JSON lines) in $lava/test/NAME.log, its exit status in job_rc.
job_rc=0
run_job() {
	local name=$1 ramdisk=$2 dir=$lava/test/$1 id
	job "$root/lava/jobs/qemu-arm64.yaml" "$dir.yaml" KERNEL_URL="file://$lava/vmlinuz" \
		RAMDISK_URL="file://$ramdisk" KERNEL_COMMIT=debian-"$kernel_release" || return 1
	/usr/bin/python3 "$root/lava/render-device.py" "$root/lava/devices/qemu-arm64.jinja2" \
		"$dir.yaml" "$types" >"$dir.device.yaml" || return 1
	rm -rf "$dir"
	id=$((($$ % 100000) * 10 + ${#name} % 10))
	job_rc=0
	timeout 900 lava-run --job-id "$id" --output-dir "$dir" --device "$dir.device.yaml" \
		"$dir.yaml" >"$dir.log" 2>&1 </dev/null || job_rc=$?
}

inputs=$(cat "$lava/ramdisk.cpio.gz" "$lava/vmlinuz" "$root/lava/jobs/qemu-arm64.yaml" \
	"$root/lava/devices/qemu-arm64.jinja2" | sha256sum | cut -c1-16)
log=$lava/test/good.log
if [[ $SVABENCH == */asan/* ]] && [ "${SVABENCH_LAVA_RERUN:-0}" != 1 ] &&
	[ "$(cat "$lava/test/good.inputs" 2>/dev/null)" = "$inputs" ] && [ -s "$log" ]; then
	ok "lava-run qemu job: the plain pass's log of the same inputs reused"
else
	rm -f "$lava/test/good.inputs"
	s0=$(date +%s.%N)
	run_job good "$lava/ramdisk.cpio.gz"
	s1=$(date +%s.%N)
	if [ "$job_rc" = 0 ] && grep -q '"msg": {"case": "job", "definition": "lava", "result": "pass"}' "$log"; then
		echo "$inputs" >"$lava/test/good.inputs"
		ok "lava-run qemu job passes (lava-run $(awk "BEGIN {printf \"%.1f\", $s1 - $s0}") s, with the ramdisk $(awk "BEGIN {printf \"%.1f\", $s1 - $t0}") s; emulated timings)"
	else
		not_ok "lava-run qemu job passes" "exit $job_rc: $(grep -m1 '"case": "job"' "$log" | head -c 300)"
	fi
fi

# LAVA's results: measurements with units, sets per strategy, the document markers.
py "lava test cases carry measurements and units, grouped per strategy" '
cases = []
for line in open(sys.argv[1]):
    try:
        e = json.loads(line.replace(": ! \"", ": \""))  # YAML tags in the log lines
    except ValueError:
        continue
    m = e.get("msg")
    if e.get("lvl") == "results" and isinstance(m, dict) and m.get("definition") == "0_svabench":
        cases.append(m)
byname = {(c.get("set"), c["case"]): c for c in cases}
c = byname[("none", "01-sim-livelock.dma.livelocked")]
assert c["result"] == "pass" and c["units"] == "transactions", c
assert float(c["measurement"]) > 0, c   # the bug livelocks
for s in ("pri-inv", "notifier"):
    c = byname[(s, "01-sim-livelock.dma.livelocked")]
    assert c["result"] == "pass" and float(c["measurement"]) == 0, c
    assert float(byname[(s, "01-sim-livelock.dma.latency_ns.p99")]["measurement"]) > 0
c = byname[("unbound", "02-host-reuse-after-fork.op.latency_ns.p50")]
assert c["units"] == "ns" and float(c["measurement"]) > 0, c
assert byname[(None, "04-host-reuse-after-fork.bound")]["result"] == "skip"
' "$log"

# ---- import-lava into a daemon of our own ----

if ! start_daemon "$tmp/var"; then
	not_ok "lava daemon starts" "$(daemon_tail)"
	exit 1
fi
sv import-lava --dry-run "$log"
if [ "$rc" = 0 ] && [ "$(wc -l <"$tmp/out")" = 3 ] && grep -q "label $kernel_release" "$tmp/out"; then
	ok "import-lava --dry-run finds the 3 documents"
else
	not_ok "import-lava --dry-run finds the 3 documents" "exit $rc: $(head -c 300 "$tmp/out") $(first_err)"
fi
sv import-lava "$log" --server "$url" --var "$tmp/var"
if [ "$rc" = 0 ] && [ "$(grep -c '^e[0-9]*$' "$tmp/out")" = 3 ]; then
	ok "import-lava imports the job's documents through the daemon"
else
	not_ok "import-lava imports the job's documents through the daemon" "exit $rc: $(cat "$tmp/out") $(first_err)"
fi
ids=$(tr '\n' ' ' <"$tmp/out")
py "imported runs keep board and kernel identity, labelled by kernel" '
ids = sys.argv[1].split()
for i in ids:
    st, d = get("/api/v1/experiments/" + i)
    assert st == 200, (i, st)
    e = d["experiment"]
    h = e["host"]
    assert e["spec"]["label"] == sys.argv[2] == h["kernel"], (e["spec"].get("label"), h["kernel"])
    assert e["spec"]["kernel"] == {"version": sys.argv[2]}, e["spec"]["kernel"]
    assert h["machine"] == "aarch64", h
    assert h["board"]["name"] == "qemu-virt-smmuv3" and h["board"]["model"], h["board"]
    k = h["kernel_identity"]
    assert k["release"] == sys.argv[2] and k["machine"] == "aarch64" and k["version"], k
    assert k["commit"] == "debian-" + sys.argv[2], k
    assert h["lava"]["job_id"] and h["lava"]["document"], h["lava"]
st, d = get("/api/v1/experiments/" + ids[0])
runs = d["runs"]
assert [r["metrics"]["dma.livelocked"] > 0 for r in runs if r["strategy"] == "none"] == [True] * 3
st, h = get("/api/v1/history?workload=rw-reuse&metric=dma.livelocked&strategy=none")
assert st == 200 and any(p["label"] == sys.argv[2] for s in h["series"] for p in s["points"]), h
' "$ids" "$kernel_release"
sv list --server "$url" --label "$kernel_release"
if [ "$rc" = 0 ] && [ "$(grep -c "$kernel_release" "$tmp/out")" -ge 3 ]; then
	ok "svabench list shows the imported runs by the kernel label"
else
	not_ok "svabench list shows the imported runs by the kernel label" "exit $rc: $(head -c 300 "$tmp/out")"
fi

# ---- the same job from a LAVA server's REST API (a stand-in server) ----

cat >"$tmp/lava_rest.py" <<'EOF2'
import http.server, json, sys
log = "".join("- " + l for l in open(sys.argv[1]) if l.startswith("{"))
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass
    def do_GET(self):
        if self.headers.get("Authorization") != "Token s3cret":
            body, code, ctype = b'{"detail": "Invalid token."}', 401, "application/json"
        elif self.path == "/api/v0.2/jobs/4711/":
            body, code, ctype = json.dumps({"id": 4711, "actual_device": "qemu-rest-01",
                "requested_device_type": "qemu", "health": "Complete",
                "failure_comment": None}).encode(), 200, "application/json"
        elif self.path == "/api/v0.2/jobs/4711/logs/":
            body, code, ctype = log.encode(), 200, "application/yaml"
        else:
            body, code, ctype = b'{"detail": "Not found."}', 404, "application/json"
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
s = http.server.HTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
EOF2
python3 "$tmp/lava_rest.py" "$log" >"$tmp/rest.port" 2>"$tmp/rest.err" &
rest_pid=$!
at_exit() { kill "$rest_pid" 2>/dev/null; }
for _ in $(seq 50); do [ -s "$tmp/rest.port" ] && break; sleep 0.1; done
rest=http://127.0.0.1:$(cat "$tmp/rest.port")
sv import-lava --lava "$rest" 4711 --lava-token wrong --dry-run
expect "import-lava --lava: a wrong LAVA token is named" 1 "HTTP 401 (--lava-token or \$LAVA_TOKEN)"
LAVA_TOKEN=s3cret sv import-lava --lava "$rest" 4711 --dry-run
if [ "$rc" = 0 ] && [ "$(grep -c "job 4711" "$tmp/out")" = 3 ]; then
	ok "import-lava --lava URL JOB reads the job and its log from the REST API"
else
	not_ok "import-lava --lava URL JOB reads the job and its log from the REST API" "exit $rc: $(head -c 200 "$tmp/out") $(first_err)"
fi
sv import-lava --lava "$rest" 4712 --lava-token s3cret --dry-run
expect "import-lava --lava: an unknown job is named" 1 "(no such job)"

# ---- damaged, truncated, empty ----

# One base64 character of the first document changed (keeps it base64).
python3 - "$log" "$tmp/damaged.log" <<'EOF'
import sys
lines = open(sys.argv[1]).read().split("\n")
inside = False
for i, l in enumerate(lines):
    if "SVABENCH-LAVA-DOC-BEGIN" in l:
        inside = True
        continue
    if inside and '"lvl": "target"' in l:
        j = l.index('"msg": "') + 20
        lines[i] = l[:j] + ("A" if l[j] != "A" else "B") + l[j + 1:]
        break
open(sys.argv[2], "w").write("\n".join(lines))
EOF
sv import-lava "$tmp/damaged.log" --server "$url" --var "$tmp/var"
expect "import-lava refuses a damaged document by its cksum" 2 "document 01-sim-livelock"
grep -n 'SVABENCH-LAVA-DOC-END name=01-sim-livelock' "$log" | cut -d: -f1 >"$tmp/endline"
head -n "$(($(cat "$tmp/endline") - 1))" "$log" >"$tmp/cut.log"
sv import-lava "$tmp/cut.log" --server "$url" --var "$tmp/var"
expect "import-lava refuses a log cut inside a document" 2 "no END marker"
sv list --server "$url" --json
if [ "$(json_value "$tmp/out" 'len(d["experiments"])' 2>/dev/null)" = 3 ]; then
	ok "refused logs store nothing"
else
	not_ok "refused logs store nothing" "$(head -c 300 "$tmp/out")"
fi

# ---- LAVA's notify callback into the daemon ----

# callback LOG OUT [ID] - the JSON LAVA's callback (dataset: all) posts for
# a job with that log: its log as lava-server stores it ("- {...}" lines).
callback() {
	python3 - "$1" "$2" "${3:-4242}" <<'EOF2'
import json, sys
log = "".join("- " + l for l in open(sys.argv[1]) if l.startswith("{"))
failed = '"case": "job", "definition": "lava", "error_msg"' in log
json.dump({"id": int(sys.argv[3]), "submit_time": "2026-12-04 10:00:00+00:00",
           "health_string": "incomplete" if failed else "complete",
           "state_string": "Finished", "actual_device_id": "qemu-svabench-01",
           "failure_comment": None, "definition": "device_type: qemu",
           "token": "not stored", "log": log,
           "results": {"0_svabench": "- {}"}}, open(sys.argv[2], "w"))
EOF2
}
lava_token=$(cat "$tmp/var/lava/token" 2>/dev/null)
if [ -n "$lava_token" ] && [ "$(stat -c %a "$tmp/var/lava/token")" = 600 ] && [ "$lava_token" != "$(token)" ]; then
	ok "svabenchd made var/lava/token (0600), not the API token"
else
	not_ok "svabenchd made var/lava/token (0600), not the API token" "$(ls -l "$tmp/var/lava" 2>&1)"
fi
callback "$log" "$tmp/cb.json"
post_cb() { # FILE [CURL ARGS...]
	local f=$1
	shift
	req POST /api/v1/lava/callback -H 'Content-Type: application/json' --data-binary "@$f" "$@"
}
post_cb "$tmp/cb.json"
[ "$code" = 401 ] && ok "callback without a token: 401" || not_ok "callback without a token: 401" "$code $(snippet)"
post_cb "$tmp/cb.json" -H "Authorization: Bearer $(token)"
[ "$code" = 401 ] && ok "callback with the API token: 401" || not_ok "callback with the API token: 401" "$code $(snippet)"
req POST /api/v1/import -H 'Content-Type: application/json' -H "Authorization: Bearer $lava_token" --data-binary '{}'
[ "$code" = 401 ] && ok "the LAVA token is no API token: 401" || not_ok "the LAVA token is no API token: 401" "$code $(snippet)"
callback "$tmp/damaged.log" "$tmp/cb-damaged.json" 4243
post_cb "$tmp/cb-damaged.json" -H "Authorization: $lava_token"
if [ "$code" = 400 ] && grep -q '01-sim-livelock' "$tmp/body"; then
	ok "callback with a damaged document: 400 naming it"
else
	not_ok "callback with a damaged document: 400 naming it" "$code $(snippet)"
fi
before=$(curl -s "$url/api/v1/experiments?limit=1000" | json_value - 'len(d["experiments"])')
post_cb "$tmp/cb.json" -H "Authorization: $lava_token"
if [ "$code" = 201 ] && [ "$(json_value "$tmp/body" 'len(d["imported"])')" = 3 ]; then
	ok "callback imports the job's 3 documents: 201"
else
	not_ok "callback imports the job's 3 documents: 201" "$code $(snippet)"
fi
cb_first=$(json_value "$tmp/body" 'd["imported"][0]' 2>/dev/null)
py "callback's runs keep LAVA's job and device, board and kernel" '
st, d = get("/api/v1/experiments/" + sys.argv[1])
h = d["experiment"]["host"]
assert h["lava"]["job_id"] == "4242" and h["lava"]["device"] == "qemu-svabench-01", h["lava"]
assert h["lava"]["health"] == "complete" and "token" not in json.dumps(h["lava"]), h["lava"]
assert h["board"]["name"] == "qemu-virt-smmuv3" and h["kernel_identity"]["release"] == sys.argv[2]
' "$cb_first" "$kernel_release"
post_cb "$tmp/cb.json" -H "Authorization: Bearer $lava_token"
if [ "$code" = 409 ] && grep -q 'imported already' "$tmp/body"; then
	ok "a replayed callback: 409"
else
	not_ok "a replayed callback: 409" "$code $(snippet)"
fi
after=$(curl -s "$url/api/v1/experiments?limit=1000" | json_value - 'len(d["experiments"])')
[ "$after" = $((before + 3)) ] && ok "refused callbacks store nothing" ||
	not_ok "refused callbacks store nothing" "$before experiments before, $after after (want +3)"

# ---- a job whose kernel panics: no /init in its ramdisk ----

mkdir -p "$tmp/empty/etc"
(cd "$tmp/empty" && find . | cpio -o -H newc -R 0:0 --quiet | gzip -9n) >"$lava/test/noinit.cpio.gz"
if [[ $SVABENCH == */asan/* ]] && [ "${SVABENCH_LAVA_RERUN:-0}" != 1 ] && [ -s "$lava/test/panic.log" ] &&
	[ "$(cat "$lava/test/panic.inputs" 2>/dev/null)" = "$inputs" ]; then
	job_rc=1
else
	rm -f "$lava/test/panic.inputs"
	run_job panic "$lava/test/noinit.cpio.gz"
	echo "$inputs" >"$lava/test/panic.inputs"
fi
if [ "$job_rc" != 0 ] && grep -q '"case": "job".*"result": "fail"' "$lava/test/panic.log"; then
	ok "lava-run reports the panicking job failed"
else
	not_ok "lava-run reports the panicking job failed" "exit $job_rc"
fi
sv import-lava "$lava/test/panic.log" --server "$url" --var "$tmp/var"
expect "import-lava reports the panicking job failed with LAVA's reason" 1 "the LAVA job failed: "
if grep -qi 'panic' "$tmp/err"; then
	ok "the reason names the kernel panic ($(head -c 200 "$tmp/err"))"
else
	not_ok "the reason names the kernel panic" "$(first_err)"
fi
callback "$lava/test/panic.log" "$tmp/cb-panic.json" 4244
post_cb "$tmp/cb-panic.json" -H "Authorization: $lava_token"
if [ "$code" = 200 ] && json_value "$tmp/body" 'd["failed"] and not d["imported"] and "panic" in d["reason"].lower()' | grep -q True; then
	ok "callback of the panicking job: nothing stored, the reason said"
else
	not_ok "callback of the panicking job: nothing stored, the reason said" "$code $(snippet)"
fi

check_daemon_clean "lava daemon clean"
exit "$failed"
