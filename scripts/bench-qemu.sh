#!/usr/bin/env bash
# bench-qemu.sh - the qemu target's wall-clock figures (issue 8 and 9).
#
#   scripts/bench-qemu.sh [SVABENCH]
#
# bare: a three-strategy rw-reuse run (none, pri-inv, notifier; 16 pages,
#   2 passes) timed end to end with `svabench run --offline`, QEMU's start
#   included, against the 2 s goal; wall time per run and per DMA attempt
#   (qemu.wall_ns / qemu.dma_attempts); the commands by opcode beside sim's.
# guest: boot time (wall) and the guest-clock (emulated) map / unmap times
#   per size, with the commands per unmap from QEMU's trace.
# A mode that is unavailable here is said so, with the reason.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
sv=${1:-$root/build/svabench}
tmp=$(mktemp -d -t svabench-bench-qemu.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

mode_ok() { # mode -> 0 when present, reason on stdout otherwise
	"$sv" describe qemu --json | python3 -c '
import json, sys
d = json.load(sys.stdin)["detect"][sys.argv[1]]
print(d.get("reason", ""))
sys.exit(0 if d["present"] else 1)' "$1"
}

echo "-- bare: rw-reuse, none / pri-inv / notifier, 16 pages, 2 passes"
if why=$(mode_ok bare); then
	spec='{"target": "qemu", "workload": "rw-reuse", "strategies": ["none", "pri-inv", "notifier"],
	       "params": {"pages": 16, "passes": 2}, "seed": 1}'
	t0=$(date +%s.%N)
	echo "$spec" | "$sv" run --offline --json --jobs 1 - >"$tmp/qemu.json"
	t1=$(date +%s.%N)
	echo "$spec" | sed 's/"qemu"/"sim"/; s/"passes": 2/"passes": 2, "duration_us": 10000000, "outstanding": 1/' |
		"$sv" run --offline --json - >"$tmp/sim.json"
	python3 - "$tmp/qemu.json" "$tmp/sim.json" "$t0" "$t1" <<'PY'
import json, sys
q = json.load(open(sys.argv[1]))["runs"]
s = {r["strategy"]: r["metrics"] for r in json.load(open(sys.argv[2]))["runs"]}
wall = float(sys.argv[4]) - float(sys.argv[3])
print(f"three-strategy run, wall time with QEMU's starts: {wall:.2f} s (goal < 2 s)")
cmds = ["cmd.tlbi_nh_va", "cmd.tlbi_nh_va_range", "cmd.tlbi_nh_asid", "cmd.sync", "cmd.resume"]
print(f"{'strategy':<10} {'run s':>6} {'attempts':>8} {'ms/attempt':>10} {'livelocked':>10}  " +
      "  ".join(f"{c[4:]:>16}" for c in cmds))
for r in q:
    m = r["metrics"]
    w = m.get("qemu.wall_ns") or 0
    a = m.get("qemu.dma_attempts") or 0
    ms = s[r["strategy"]]
    pair = lambda c: f"{int(m.get(c) or 0)} (sim {int(ms[c] - (ms['cmd.cfgi_cd'] if c == 'cmd.sync' else 0))})"
    print(f"{r['strategy']:<10} {w/1e9:6.2f} {int(a):8d} {w/1e6/a if a else 0:10.3f} {int(m.get('dma.livelocked') or 0):10d}  " +
          "  ".join(f"{pair(c):>16}" for c in cmds))
# QEMU's start and stop is in every run; what one more DMA attempt costs is
# the slope between the run with the most attempts and the one with the fewest
lo = min(q, key=lambda r: r["metrics"].get("qemu.dma_attempts") or 0)["metrics"]
hi = max(q, key=lambda r: r["metrics"].get("qemu.dma_attempts") or 0)["metrics"]
da = (hi.get("qemu.dma_attempts") or 0) - (lo.get("qemu.dma_attempts") or 0)
if da > 0:
    slope = ((hi.get("qemu.wall_ns") or 0) - (lo.get("qemu.wall_ns") or 0)) / da / 1e6
    print(f"wall time per extra DMA attempt (trace on): {slope:.3f} ms; run with the fewest attempts: "
          f"{(lo.get('qemu.wall_ns') or 0)/1e9:.2f} s (mostly QEMU's start)")
PY
else
	echo "bare mode unavailable: $why"
fi

echo
echo "-- guest: dma-unmap of 1, 16, 511, 512, 1024 pages, 3 iterations each"
if why=$(mode_ok guest); then
	spec='{"target": "qemu", "workload": "dma-unmap", "strategies": ["linux"],
	       "params": {"range_pages": [1, 16, 511, 512, 1024], "iterations": 3}}'
	echo "$spec" | "$sv" run --offline --json --jobs 1 - >"$tmp/guest.json"
	python3 - "$tmp/guest.json" <<'PY'
import json, sys
runs = json.load(open(sys.argv[1]))["runs"]
print(f"{'pages':>6} {'boot s':>7} {'map us':>8} {'unmap us':>9} {'run s':>6}  TLBI_NH_VA range  TLBI_NH_VA  SYNC   (map/unmap: guest clock, emulated)")
for r in runs:
    m = r["metrics"]
    if r["status"] != "done":
        print(f"{r['cell']['range_pages']:>6}  failed: {r['reason']}")
        continue
    g = lambda k: m.get(k) or 0
    print(f"{r['cell']['range_pages']:>6} {g('guest.boot_ns')/1e9:7.2f} {g('guest.map_ns.p50')/1e3:8.1f} {g('guest.unmap_ns.p50')/1e3:9.1f} "
          f"{g('qemu.wall_ns')/1e9:6.2f}  {g('cmd.tlbi_nh_va_range'):16g}  {g('cmd.tlbi_nh_va'):10g}  {g('cmd.sync'):4g}")
PY
else
	echo "guest mode unavailable: $why"
fi
