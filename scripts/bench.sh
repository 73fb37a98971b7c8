#!/usr/bin/env bash
# bench.sh - svabench's own performance figures.
#
#   scripts/bench.sh
#
# 1. build/tests/sim/bench_sim: the simulator's throughput (it prints its
#    own figures).
# 2. The default suite (scripts/offline-suite.sh) with 2 jobs: its wall time against
#    the 20 s target. The suite's tables go to build/bench/default-suite.log.
# 3. scripts/bench-daemon.sh: svabenchd under wrk beside nginx, RSS, ingest.
# 4. build/tests/collectors/bench_collectors: the cost of one counter sample
#    (a group read) and of sampling at 1 kHz (it prints its own figures).
# 5. build/tests/daemon/bench_plot: a 100k-point time-series plot by
#    gnuplot, cold and from the plot cache (it prints its own figures).
# 6. scripts/bench-host.sh: the host target beside stress-ng.
# 7. scripts/bench-qemu.sh: the qemu target's wall time per run and per DMA
#    attempt (bare), boot and per-size map/unmap times (guest).
# Exits 1 when a step is missing or fails. `make bench` builds, then runs it.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

scripts/deps.sh --bench
status=0

echo "== simulator: build/tests/sim/bench_sim"
if [ -x build/tests/sim/bench_sim ]; then
	build/tests/sim/bench_sim </dev/null || { echo "bench_sim failed" >&2; status=1; }
else
	echo "build/tests/sim/bench_sim is missing (make build/tests/sim/bench_sim; its source is tests/sim/bench_sim.c)" >&2
	status=1
fi
echo

echo "== default suite: scripts/offline-suite.sh --jobs 2"
mkdir -p build/bench
log=build/bench/default-suite.log
t0=$(date +%s.%N)
if scripts/offline-suite.sh --jobs 2 >"$log" 2>&1; then
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" \
		'BEGIN { printf "default suite wall time: %.1f s (target <= 20 s)\n", b - a }'
	echo "(tables in $log)"
else
	echo "default suite failed; last lines of $log:" >&2
	tail -n 20 "$log" >&2
	status=1
fi
echo
echo "== daemon: scripts/bench-daemon.sh"
scripts/bench-daemon.sh </dev/null || { echo "bench-daemon.sh failed" >&2; status=1; }
echo
echo "== collectors: build/tests/collectors/bench_collectors"
if [ -x build/tests/collectors/bench_collectors ]; then
	build/tests/collectors/bench_collectors </dev/null || { echo "bench_collectors failed" >&2; status=1; }
else
	echo "build/tests/collectors/bench_collectors is missing (make build/tests/collectors/bench_collectors; its source is tests/collectors/bench_collectors.c)" >&2
	status=1
fi
echo
echo "== plots: build/tests/daemon/bench_plot"
if [ -x build/tests/daemon/bench_plot ]; then
	build/tests/daemon/bench_plot </dev/null || { echo "bench_plot failed" >&2; status=1; }
else
	echo "build/tests/daemon/bench_plot is missing (make build/tests/daemon/bench_plot; its source is tests/daemon/bench_plot.c)" >&2
	status=1
fi
echo
echo "== host target beside a peer: scripts/bench-host.sh"
scripts/bench-host.sh </dev/null || { echo "bench-host.sh failed" >&2; status=1; }
echo
echo "== qemu target: scripts/bench-qemu.sh"
scripts/bench-qemu.sh </dev/null || { echo "bench-qemu.sh failed" >&2; status=1; }
exit "$status"
