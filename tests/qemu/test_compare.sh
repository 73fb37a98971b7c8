#!/usr/bin/env bash
# test_compare.sh - the same rw-reuse spec on `sim` (our model) and on
# `qemu` bare (QEMU's SMMUv3, driven by our agent) gives the same verdicts
# (livelock or not, per strategy) and the same commands by opcode where the
# model and the agent send the same commands (model.md section 7, item 6).
#
# The sim binds the device at the start of a run (CMD_CFGI_CD + CMD_SYNC per
# stream); the agent's counts start after its own set-up, so the sim's
# bind SYNC is taken off before comparing.
. "$(dirname "$0")/../lib.sh"

need_built "sim vs qemu" "$SVABENCH"
need_qemu_mode "sim vs qemu: rw-reuse verdicts and commands" bare

common='"workload": "rw-reuse", "seed": 7,
 "strategies": ["none", "pri-inv", "pri-inv-sync", "notifier", "notifier-seed"]'
cell='"pages": 8, "passes": 2, "livelock_k": 8, "txn_bytes": 64, "reprotect": ["fork", "writeback"]'
printf '{"target": "qemu", %s, "params": {%s}}' "$common" "$cell" >"$tmp/qemu.json"
printf '{"target": "sim", %s, "params": {%s, "duration_us": 10000000, "outstanding": 1,
 "devices": 1, "ats": false}}' "$common" "$cell" >"$tmp/sim.json"

"$SVABENCH" run --offline --json "$tmp/qemu.json" >"$tmp/qemu.out" 2>"$tmp/qemu.err" || true
"$SVABENCH" run --offline --json "$tmp/sim.json" >"$tmp/sim.out" 2>"$tmp/sim.err" || true

compare() {
	local name=$1 code=$2 why
	if why=$(python3 - "$tmp/sim.out" "$tmp/qemu.out" 2>&1 <<PY
import json, sys
sim = json.load(open(sys.argv[1]))["runs"]
qemu = json.load(open(sys.argv[2]))["runs"]
def key(r):
    return (r["cell"]["reprotect"], r["strategy"])
s = {key(r): r for r in sim}
q = {key(r): r for r in qemu}
assert set(s) == set(q) and len(s) == 10, (sorted(s), sorted(q))
for k in sorted(s):
    assert s[k]["status"] == "done", ("sim", k, s[k]["reason"])
    assert q[k]["status"] == "done", ("qemu", k, q[k]["reason"])
$code
PY
); then
		ok "$name"
	else
		not_ok "$name" "$(echo "$why" | tail -n 1)"
	fi
}

compare "sim vs qemu: the same livelock verdict per strategy and re-protect" '
for k in sorted(s):
    ls, lq = s[k]["metrics"]["dma.livelocked"], q[k]["metrics"]["dma.livelocked"]
    assert (ls > 0) == (lq > 0), (k, "sim", ls, "qemu", lq)
    assert (lq > 0) == (k[1] == "none"), (k, "qemu livelocked", lq)'

compare "sim vs qemu: the same commands by opcode (TLBI forms, SYNC, RESUME)" '
for k in sorted(s):
    ms, mq = s[k]["metrics"], q[k]["metrics"]
    for c in ("cmd.tlbi_nh_va", "cmd.tlbi_nh_va_range", "cmd.tlbi_nh_asid", "cmd.atc_inv", "cmd.resume", "cmd.pri_resp"):
        assert ms[c] == mq[c], (k, c, "sim", ms[c], "qemu", mq[c])
    sync_sim = ms["cmd.sync"] - ms["cmd.cfgi_cd"]  # the bind
    assert sync_sim == mq["cmd.sync"], (k, "cmd.sync", "sim", sync_sim, "qemu", mq["cmd.sync"])'

compare "sim vs qemu: the same faults and livelocked transactions" '
for k in sorted(s):
    ms, mq = s[k]["metrics"], q[k]["metrics"]
    for c in ("dma.livelocked", "fault.permission", "fault.translation", "dma.passes"):
        assert ms[c] == mq[c], (k, c, "sim", ms[c], "qemu", mq[c])'

compare "qemu: the agent's command counts equal QEMU's own trace" '
for k in sorted(q):
    assert q[k]["metrics"].get("qemu.cmd_mismatch") == 0, (k, q[k]["metrics"].get("qemu.cmd_mismatch"))'

# munmap-large: the pre-v6.6 design invalidates each unmap twice (the gathered
# span, then range_end), notifier once; the agent does as the sim does.
mcommon='"workload": "munmap-large", "seed": 7,
 "strategies": ["none", "pri-inv", "notifier", "notifier-seed"]'
printf '{"target": "qemu", %s, "params": {"range_pages": 64, "cpu_ops": 2}}' "$mcommon" >"$tmp/qemu-m.json"
printf '{"target": "sim", %s, "params": {"range_pages": 64, "iterations": 2, "duration_us": 1000000,
 "outstanding": 1, "devices": 1, "ats": false}}' "$mcommon" >"$tmp/sim-m.json"
"$SVABENCH" run --offline --json "$tmp/qemu-m.json" >"$tmp/qemu-m.out" 2>"$tmp/qemu-m.err" || true
"$SVABENCH" run --offline --json "$tmp/sim-m.json" >"$tmp/sim-m.out" 2>"$tmp/sim-m.err" || true
if why=$(python3 - "$tmp/sim-m.out" "$tmp/qemu-m.out" 2>&1 <<'PY'
import json, sys
s = {r["strategy"]: r for r in json.load(open(sys.argv[1]))["runs"]}
q = {r["strategy"]: r for r in json.load(open(sys.argv[2]))["runs"]}
assert set(s) == set(q) and len(s) == 4, (sorted(s), sorted(q))
for k in sorted(s):
    assert s[k]["status"] == "done" and q[k]["status"] == "done", (k, s[k].get("reason"), q[k].get("reason"))
    ms, mq = s[k]["metrics"], q[k]["metrics"]
    # the agent does cpu_ops per pass (2 passes), the sim stops after its iterations
    ns, nq = ms["cpu.ops"], mq["cpu.ops"]
    assert ns == 2 and nq >= 2, (k, "cpu.ops", ns, nq)
    for c in ("cmd.tlbi_nh_va", "cmd.tlbi_nh_va_range", "cmd.tlbi_nh_asid"):
        assert ms[c] / ns == mq[c] / nq, (k, c, "per unmap: sim", ms[c] / ns, "qemu", mq[c] / nq)
    assert (ms["cmd.sync"] - ms["cmd.cfgi_cd"]) / ns == mq["cmd.sync"] / nq, (k, "cmd.sync", ms["cmd.sync"], mq["cmd.sync"])
    want = 64 * (1 if k == "notifier" else 2)
    assert mq["cmd.tlbi_nh_va"] / nq == want, (k, "qemu tlbi per unmap", mq["cmd.tlbi_nh_va"] / nq, "want", want)
PY
); then
	ok "sim vs qemu: munmap-large commands by opcode per unmap (twice before v6.6's design, once under notifier)"
else
	not_ok "sim vs qemu: munmap-large commands by opcode per unmap (twice before v6.6's design, once under notifier)" "$(echo "$why" | tail -n 1)"
fi

exit "$failed"
