#!/usr/bin/env bash
# test_bare.sh - the qemu target's bare mode as a user runs it: the seed's
# rw-reuse on QEMU's SMMUv3, driven by our bare-metal agent. `none`
# livelocks (QEMU's IOTLB keeps the read-only entry the device's read
# cached), pri-inv and notifier do not and the written data lands; without
# the read before the write `none` does not livelock (QEMU never caches a
# failed walk). The same spec and seed give the same metrics twice. A hung
# agent and one that powers off without metrics end the run failed with
# the UART tail, within the timeout, with no QEMU left behind. A bad job is
# refused by the agent, naming the field.
#
# Skips (with the reason) only when qemu-system-aarch64 or the agent is
# missing. SVABENCH: the CLI under test (default build/svabench).
. "$(dirname "$0")/../lib.sh"

need_built "qemu bare" "$SVABENCH"
need_qemu_mode "qemu bare" bare

# run_spec NAME JSON - runs the spec offline; the result document in $tmp/NAME.json.
run_spec() {
	printf '%s' "$2" >"$tmp/$1.spec"
	rc=0
	"$SVABENCH" run --offline --json "$tmp/$1.spec" >"$tmp/$1.json" 2>"$tmp/$1.err" </dev/null || rc=$?
}

# check NAME FILE CODE - python3 with runs = {strategy: run} of FILE; CODE asserts.
check() {
	local why
	if why=$(python3 - "$2" 2>&1 <<PY
import json, sys
d = json.load(open(sys.argv[1]))
runs = {r["strategy"]: r for r in d["runs"]}
def m(s, name):
    return runs[s]["metrics"][name]
$3
PY
); then
		ok "$1"
	else
		not_ok "$1" "$(echo "$why" | tail -n 1)"
	fi
}

spec='{"target": "qemu", "workload": "rw-reuse", "seed": 11,
 "strategies": ["none", "pri-inv", "notifier"],
 "params": {"pages": 16, "passes": 2, "livelock_k": 16, "trace": false}}'
run_spec rw "$spec"
check "rw-reuse: every strategy's run completes" "$tmp/rw.json" '
for s, r in runs.items():
    assert r["status"] == "done", (s, r["status"], r.get("reason"))'
check "rw-reuse none: the read-only IOTLB entry livelocks the write, with an example" "$tmp/rw.json" '
assert m("none", "dma.livelocked") > 0, m("none", "dma.livelocked")
assert m("none", "fault.spurious") > 0
assert any("livelocked" in e for e in runs["none"]["examples"]), runs["none"]["examples"]'
check "rw-reuse pri-inv, notifier: no livelock and the data lands" "$tmp/rw.json" '
for s in ("pri-inv", "notifier"):
    assert m(s, "dma.livelocked") == 0, (s, m(s, "dma.livelocked"))
    assert m(s, "data.checked") == 32, (s, "checked", m(s, "data.checked"))
    assert m(s, "data.mismatches") == 0, (s, "mismatches", m(s, "data.mismatches"))
    assert m(s, "dma.errors") == 0, (s, "errors", m(s, "dma.errors"))'
check "rw-reuse: commands by opcode as each strategy sends them" "$tmp/rw.json" '
# 16 pages, 2 passes, re-protect by fork once: 16 per-page TLBIs (pre-6.6)
# or one TLBI_NH_ASID (notifier) + SYNC; pri-inv: TLBI + SYNC + RESUME per
# fault; notifier: TLBI + SYNC per upgrade, RESUME per fault
want = {
    "pri-inv": {"cmd.tlbi_nh_va": 48, "cmd.tlbi_nh_asid": 0, "cmd.sync": 33, "cmd.resume": 32},
    "notifier": {"cmd.tlbi_nh_va": 32, "cmd.tlbi_nh_asid": 1, "cmd.sync": 33, "cmd.resume": 32},
}
for s, w in want.items():
    for c, v in w.items():
        assert m(s, c) == v, (s, c, m(s, c), "want", v)
assert m("none", "cmd.tlbi_nh_va") == 16 and m("none", "cmd.sync") == 1, (m("none", "cmd.tlbi_nh_va"), m("none", "cmd.sync"))'

run_spec rw2 "$spec"
check "rw-reuse: the same spec and seed give the same metrics (icount)" "$tmp/rw2.json" '
first = {r["strategy"]: r for r in json.load(open(sys.argv[1].replace("rw2", "rw")))["runs"]}
for s, r in runs.items():
    a = {k: v for k, v in first[s]["metrics"].items() if not k.endswith("wall_ns")}
    b = {k: v for k, v in r["metrics"].items() if not k.endswith("wall_ns")}
    assert a == b, (s, sorted(k for k in a if a.get(k) != b.get(k)))'

run_spec nor '{"target": "qemu", "workload": "rw-reuse", "seed": 11, "strategies": ["none"],
 "params": {"pages": 16, "passes": 2, "livelock_k": 16, "read_before_write": false, "trace": false}}'
check "rw-reuse none without the read: no livelock (a failed walk is never cached), data lands" "$tmp/nor.json" '
assert runs["none"]["status"] == "done", runs["none"].get("reason")
assert m("none", "dma.livelocked") == 0, m("none", "dma.livelocked")
assert m("none", "fault.permission") == 32, m("none", "fault.permission")
assert m("none", "data.checked") == 32 and m("none", "data.mismatches") == 0'

run_spec traced '{"target": "qemu", "workload": "rw-reuse", "seed": 11,
 "strategies": ["none", "pri-inv", "pri-inv-sync", "notifier", "notifier-seed"],
 "params": {"pages": 8, "passes": 2, "livelock_k": 8, "ril": true}}'
check "rw-reuse traced: the agent's commands by opcode equal QEMU's trace, pmcg counts present" "$tmp/traced.json" '
for s, r in runs.items():
    assert r["status"] == "done", (s, r.get("reason"))
    assert m(s, "qemu.cmd_mismatch") == 0, (s, r["examples"])
    assert m(s, "pmcg.transaction") > 0, (s, "pmcg.transaction")'

run_spec traced2 "$(cat "$tmp/traced.spec")"
check "rw-reuse traced: the same spec and seed give the same metrics, trace counts included" "$tmp/traced2.json" '
first = {r["strategy"]: r for r in json.load(open(sys.argv[1].replace("traced2", "traced")))["runs"]}
for s, r in runs.items():
    assert r["status"] == "done" and first[s]["status"] == "done", (s, r.get("reason"))
    a = {k: v for k, v in first[s]["metrics"].items() if not k.endswith("wall_ns")}
    b = {k: v for k, v in r["metrics"].items() if not k.endswith("wall_ns")}
    assert a == b, (s, sorted(k for k in a if a.get(k) != b.get(k)))'

# ---- agents that misbehave: built here from a few instructions ----
if ! command -v aarch64-linux-gnu-gcc >/dev/null 2>&1; then
	skip "qemu bare: hung and crashing agents" "aarch64-linux-gnu-gcc is not installed"
	exit "$failed"
fi

# fake_agent DIR EXIT - an agent.elf that prints one line, then spins (EXIT=0)
# or powers off through PSCI without a metrics line (EXIT=1).
fake_agent() {
	mkdir -p "$1"
	cat >"$1/agent.S" <<ASM
	.global _start
_start:	ldr	x1, =0x09000000
	adr	x2, msg
1:	ldrb	w3, [x2], #1
	cbz	w3, 2f
	str	w3, [x1]
	b	1b
2:	.if $2
	ldr	x0, =0x84000008
	hvc	#0
	.endif
3:	b	3b
msg:	.asciz	"fake agent $1 says goodbye\n"
ASM
	aarch64-linux-gnu-gcc -nostdlib -nostartfiles -static -Wl,-Ttext=0x40080000 \
		-Wl,--build-id=none -o "$1/agent.elf" "$1/agent.S"
}

fake_run() {
	local t0 t1
	t0=$(date +%s%N)
	SVABENCH_QEMU_DIR=$1 run_spec "$2" '{"target": "qemu", "workload": "rw-reuse", "seed": 1,
	 "strategies": ["none"], "params": {"timeout_s": 2}}'
	t1=$(date +%s%N)
	elapsed_ms=$(((t1 - t0) / 1000000))
}

fake_agent "$tmp/hang" 0
fake_run "$tmp/hang" hang
check "hung agent: the run fails with the UART tail as its reason, within the timeout" "$tmp/hang.json" "
r = runs['none']
assert r['status'] == 'failed', r['status']
assert 'timeout' in r['reason'] and 'says goodbye' in r['reason'], r['reason']
assert $elapsed_ms < 6000, ('took', $elapsed_ms, 'ms')"
if [ "$rc" -ne 1 ]; then
	not_ok "hung agent: svabench exits 1" "exit $rc"
else
	ok "hung agent: svabench exits 1"
fi
# qemu_left PATH - the pids of QEMUs whose command line names PATH (from /proc: no procps needed).
qemu_left() {
	python3 - "$1" <<'PY'
import os, sys
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        argv = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
    except OSError:
        continue
    if argv and b"qemu-system" in os.path.basename(argv[0]) and any(sys.argv[1].encode() in a for a in argv):
        print(pid)
PY
}
left=$(qemu_left "$tmp/hang/agent.elf")
if [ -n "$left" ]; then
	not_ok "hung agent: no QEMU left behind" "pids $left"
else
	ok "hung agent: no QEMU left behind"
fi

fake_agent "$tmp/crash" 1
fake_run "$tmp/crash" crash
check "crashing agent: powered off with no metrics, the run fails with the UART tail" "$tmp/crash.json" "
r = runs['none']
assert r['status'] == 'failed', r['status']
assert 'no metrics' in r['reason'] and 'says goodbye' in r['reason'], r['reason']"

# The agent itself, given a job that is not one: an error line naming the field.
agent=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["detect"]["bare"]["device"])' "$tmp/out" 2>/dev/null | sed 's/^the bare-metal agent //')
qemu=$(command -v qemu-system-aarch64 || true)
if [ -n "$qemu" ] && [ -f "$agent" ]; then
	head -c 88 /dev/zero >"$tmp/zero.job"
	timeout 20 "$qemu" -M virt,iommu=smmuv3,highmem=off,gic-version=2 -cpu cortex-a57 -m 256M \
		-nographic -nodefaults -no-reboot -serial stdio -device edu -kernel "$agent" \
		-icount shift=0,sleep=off -device loader,file="$tmp/zero.job",addr=0x4ff00000,force-raw=on \
		>"$tmp/zero.out" 2>&1 </dev/null || true
	if grep -q '{"error":"job: magic 0 ' "$tmp/zero.out"; then
		ok "bad job: the agent names the field and powers off"
	else
		not_ok "bad job: the agent names the field and powers off" "$(head -c 200 "$tmp/zero.out")"
	fi
else
	skip "bad job: the agent names the field" "no qemu-system-aarch64 on PATH or agent at '$agent'"
fi

exit "$failed"
