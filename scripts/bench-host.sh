#!/usr/bin/env bash
# bench-host.sh - the host target's per-operation costs on this machine beside
# a known peer in the same run: stress-ng's fault stressor (ns per page fault,
# from getrusage) against svabench's host workloads (p50 per faulting write /
# per call). `make bench` runs it; it prints figures and asserts nothing.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
iters=${HOST_ITERATIONS:-2000}

if command -v stress-ng >/dev/null 2>&1; then
	stress-ng --fault 1 --timeout 5s --metrics 2>&1 |
		awk '/nanosecs per page fault/ { printf "peer: stress-ng --fault: %.0f ns per page fault (file-backed mmap faults)\n", $5 }'
else
	echo "peer: stress-ng is not installed (scripts/deps.sh --bench installs it)"
fi
for wl in reuse-after-fork write-notify cow-copy; do
	printf '{"target": "host", "workload": "%s", "strategies": ["unbound"], "params": {"iterations": %d}}' \
		"$wl" "$iters" | build/svabench run --offline - --json |
		python3 -c "
import json, sys
m = json.load(sys.stdin)['runs'][0]['metrics']
print('svabench host %-17s p50 %6.0f ns  p99 %6.0f ns per page (faults counted %s, expected %d)' % (
    '$wl', m['op.latency_ns.p50'], m['op.latency_ns.p99'], m.get('perf.faults'), m['op.faults_expected']))"
done
for wl in mprotect-upgrade munmap madv-dontneed; do
	printf '{"target": "host", "workload": "%s", "strategies": ["unbound"], "params": {"iterations": 300, "range_pages": [1, 512, 1024]}}' \
		"$wl" | build/svabench run --offline - --json |
		python3 -c "
import json, sys
for r in json.load(sys.stdin)['runs']:
    m = r['metrics']
    print('svabench host %-17s %4d pages: p50 %7.0f ns per call, %5.0f ns per page' % (
        '$wl', r['cell'].get('range_pages', 1), m['op.latency_ns.p50'], m['op.per_page_ns.p50']))"
done
