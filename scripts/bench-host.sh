#!/usr/bin/env bash
# bench-host.sh - the host target's per-operation costs on this machine, each
# workload beside the closest stress-ng stressor in the same run, and the
# secondary-mmu strategy against unbound: the real kernel's mmu-notifier
# dispatch per operation, with a 95 % confidence interval. `make bench` runs
# it; it prints figures and asserts nothing.
#
# Per workload: stress-ng's stressor for PEER_S seconds (its bogo ops per
# second of usr+sys time, as ns of CPU per bogo op: what a bogo op is differs
# per stressor and is printed beside it), then svabench's host target with
# strategies unbound and secondary-mmu, HOST_REPS repetitions run one at a
# time, alternating (the offline runner interleaves strategies within a
# repetition). Each run's statistic is its p50; the difference is the mean
# of the per-repetition differences secondary-mmu - unbound, with a
# Student-t 95 % CI over the repetitions. op.latency_cv and
# op.latency_rel_iqr say how noisy the runs were.
#
# Environment: HOST_ITERATIONS (timed operations per run, default 2000; a
# tenth of it for range calls of 64 pages or more),
# HOST_REPS (repetitions, default 5), PEER_S (stress-ng seconds, default 3),
# HOST_WORKLOADS (space-separated subset), HOST_CPU (pin the runs to this
# CPU; default -1, not pinned).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
iters=${HOST_ITERATIONS:-2000}
reps=${HOST_REPS:-5}
peer_s=${PEER_S:-3}
cpu=${HOST_CPU:--1}
sv=build/svabench

# workload, range_pages, stressor, stressor options, what one bogo op is
pairs=(
	"first-touch|512|brk||one brk growing the heap by a page and a write to it"
	"reuse-after-fork|64|fork||one fork + exit + wait (not per page)"
	"cow-copy|64|fork||one fork + exit + wait (not per page)"
	"write-notify|64|msync||one msync of a dirtied shared file mapping range"
	"write-notify-dirty|64|fault||one page fault (stress-ng's own ns per fault: file mmap faults)"
	"mprotect-upgrade|1|mprotect||one mprotect of random pages and protections"
	"mprotect-upgrade|512|mprotect||one mprotect of random pages and protections"
	"munmap|1|munmap||one munmap of a page run of a mapped shared library, in a child"
	"munmap|512|munmap||one munmap of a page run of a mapped shared library, in a child"
	"madv-dontneed|1|madvise||one madvise of a random advice on a mapping"
	"madv-dontneed|512|madvise||one madvise of a random advice on a mapping"
)

smmu=0
if $sv describe host --json 2>/dev/null | python3 -c '
import json, sys
sys.exit(0 if json.load(sys.stdin).get("detect", {}).get("secondary_mmu", {}).get("present") else 1)'; then
	smmu=1
else
	echo "secondary-mmu: unavailable here ($($sv describe host --json 2>/dev/null | python3 -c '
import json, sys
print(json.load(sys.stdin).get("detect", {}).get("secondary_mmu", {}).get("reason", "unknown"))' 2>/dev/null || echo unknown)); unbound only"
fi
have_peer=1
command -v stress-ng >/dev/null 2>&1 || {
	have_peer=0
	echo "peer: stress-ng is not installed (scripts/deps.sh --bench installs it)"
}

printf '%-19s %5s | %9s %8s %9s %6s | %-32s | %s\n' workload pages "p50/op" "p50/page" "mean/op" cv \
	"secondary-mmu - unbound per op" "peer: stress-ng"
for pair in "${pairs[@]}"; do
	IFS='|' read -r wl pages stressor sopts what <<<"$pair"
	if [ -n "${HOST_WORKLOADS:-}" ] && [[ " $HOST_WORKLOADS " != *" $wl "* ]]; then
		continue
	fi
	if [ "$have_peer" = 0 ]; then
		peer="-"
	elif [ "$wl" = "${last_wl:-}" ]; then
		peer="(as above)"
	else
		# shellcheck disable=SC2086
		peer=$(cd /tmp && stress-ng --"$stressor" 1 $sopts --timeout "${peer_s}s" --metrics 2>&1 |
			awk -v s="$stressor" -v what="$what" '
				/nanosecs per page fault/ { fault = $5 }
				$4 == s && $5 ~ /^[0-9]+$/ { ops = $5; cpu = $7 + $8 }
				END {
					if (s == "fault" && fault) printf "fault %.0f ns: %s", fault, what
					else if (ops > 0) printf "%s %.0f ns CPU: %s", s, cpu * 1e9 / ops, what
					else printf "%s: no metrics", s
				}')
	fi
	last_wl=$wl
	n=$iters
	case $wl in mprotect-upgrade | munmap | madv-dontneed)
		# a 512-page call touches 512 pages first: a tenth of the calls
		[ "$pages" -ge 64 ] && n=$(((iters + 9) / 10)) ;;
	esac
	strategies='"unbound"'
	[ "$smmu" = 1 ] && strategies='"unbound", "secondary-mmu"'
	printf '{"target": "host", "workload": "%s", "strategies": [%s], "repetitions": %d, "params": {"iterations": %d, "range_pages": %d, "cpu": %d}}' \
		"$wl" "$strategies" "$reps" "$n" "$pages" "$cpu" |
		$sv run --offline - --json 2>/dev/null |
		python3 -c '
import json, math, statistics as st, sys
wl, pages, peer = sys.argv[1], int(sys.argv[2]), sys.argv[3]
runs = json.load(sys.stdin)["runs"]
per_page = runs[0]["metrics"]["op.faults_expected"] > 0
def stat(r):
    return r["metrics"]["op.latency_ns.p50"]
u = [r for r in runs if r["strategy"] == "unbound"]
s = [r for r in runs if r["strategy"] == "secondary-mmu"]
T = {1: 12.71, 2: 4.30, 3: 3.18, 4: 2.78, 5: 2.57, 6: 2.45, 7: 2.36, 8: 2.31, 9: 2.26, 10: 2.23,
     15: 2.13, 20: 2.09, 30: 2.04}
def t975(df):
    return 1.96 if df > 30 else T[max(k for k in T if k <= df)]
p50 = st.median(stat(r) for r in u)
page = st.median(r["metrics"]["op.per_page_ns.p50"] for r in u)
mean = st.median(r["metrics"]["op.latency_ns.mean"] for r in u)
cv = st.median(r["metrics"]["op.latency_cv"] for r in u)
diff = "-"
if s and len(s) == len(u) and len(u) > 1:
    d = [stat(b) - stat(a) for a, b in zip(u, s)]
    md, sd = st.mean(d), st.stdev(d)
    h = t975(len(d) - 1) * sd / math.sqrt(len(d))
    diff = "%+.0f ns [%+.0f, %+.0f] %+.1f%%" % (md, md - h, md + h, 100 * md / p50)
print("%-19s %5d | %9.0f %8.0f %9.0f %6.2f | %-32s | %s" % (wl, pages, p50, page, mean, cv, diff, peer))
' "$wl" "$pages" "$peer"
done
echo "op: one faulting write (per-page workloads) or one call over pages (range workloads); p50/op, p50/page, mean/op, cv (op.latency_cv): medians over the unbound repetitions; the difference: mean over repetitions of secondary-mmu p50 - unbound p50, Student-t 95 % CI"
