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
# 8. scripts/bench-drain.sh: runs/s draining 10,000 queued one-run
#    experiments, at the start and the end.
# 8b. scripts/bench-page.sh: the default crossover's experiment page in
#    Chromium, bytes and time cold and cached; the report's render time.
# 9. The robustness analysis of the default crossover (64 cells, every
#    assumed input at x1/4 and x4, break-evens by bisection), offline with
#    2 jobs: its wall time and runs against the 60 s target.
# Exits 1 when a step is missing or fails. `make bench` builds, then runs it.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

scripts/deps.sh --bench
status=0

# bench_prog TITLE PROGRAM - runs a bench program (it prints its own figures).
bench_prog() {
	echo "== $1: $2"
	if [ ! -x "$2" ]; then
		echo "$2 is missing (make $2; its source is ${2#build/}.c)" >&2
		status=1
	elif ! "$2" </dev/null; then
		echo "${2##*/} failed" >&2
		status=1
	fi
}

# bench_script TITLE SCRIPT - runs one of scripts/bench-*.sh.
bench_script() {
	echo "== $1: $2"
	"$2" </dev/null || { echo "${2##*/} failed" >&2; status=1; }
}

bench_prog "simulator" build/tests/sim/bench_sim
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
bench_script "daemon" scripts/bench-daemon.sh
echo
bench_prog "collectors" build/tests/collectors/bench_collectors
echo
bench_prog "plots" build/tests/daemon/bench_plot
echo
bench_script "host target beside a peer" scripts/bench-host.sh
echo
bench_script "qemu target" scripts/bench-qemu.sh
echo
bench_script "drain of a backlog" scripts/bench-drain.sh
echo
bench_script "the crossover's experiment page and report" scripts/bench-page.sh
echo
echo "== robustness of the crossover: svabench robustness --offline suites/default/08-crossover.json --jobs 2"
t0=$(date +%s.%N)
if build/svabench robustness --offline suites/default/08-crossover.json --jobs 2 --json \
	>build/bench/robustness.json 2>build/bench/robustness.err; then
	t1=$(date +%s.%N)
	runs=$(sed -n 's/.*"runs_used": *\([0-9]*\).*/\1/p' build/bench/robustness.json | head -n 1)
	awk -v a="$t0" -v b="$t1" -v n="$runs" \
		'BEGIN { printf "robustness wall time: %.1f s for %s runs (target <= 60 s)\n", b - a, n }'
else
	echo "robustness failed: $(head -c 300 build/bench/robustness.err)" >&2
	status=1
fi
exit "$status"
