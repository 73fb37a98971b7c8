#!/usr/bin/env bash
# offline-suite.sh - run the default suite offline (no daemon) and print each result table.
#
#   scripts/offline-suite.sh [--jobs N] [SPEC.json...]
#
# Runs each spec (default: suites/default/*.json, in name order) with
# `build/svabench run --offline`, a heading before each, the total wall time
# at the end. Exits 1 when any spec failed. A spec whose target or mode
# cannot run on this machine (qemu without QEMU or its agent) is skipped,
# saying why. --jobs (default: the number of cores) is passed on to
# svabench. `make bench` times it.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

jobs=$(nproc 2>/dev/null || echo 1)
specs=()
while [ $# -gt 0 ]; do
	case $1 in
	--jobs) [ $# -ge 2 ] || { echo "offline-suite.sh: --jobs needs a number" >&2; exit 2; }
		jobs=$2; shift 2 ;;
	--jobs=*) jobs=${1#--jobs=}; shift ;;
	-h|--help) sed -n '2,10s/^# \{0,1\}//p' "$0"; exit 0 ;;
	-*) echo "offline-suite.sh: unknown option '$1'" >&2; exit 2 ;;
	*) specs+=("$1"); shift ;;
	esac
done
if [ ${#specs[@]} -eq 0 ]; then
	shopt -s nullglob
	specs=(suites/default/*.json)
	shopt -u nullglob
	[ ${#specs[@]} -gt 0 ] || { echo "offline-suite.sh: no specs in suites/default/" >&2; exit 2; }
fi

svabench=build/svabench
[ -x "$svabench" ] || { echo "offline-suite.sh: $svabench is missing; run 'make' first" >&2; exit 2; }

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

start=$(now)
failed=()
skipped=0
err=$(mktemp -t svabench-suite.XXXXXX)
trap 'rm -f "$err"' EXIT
for spec in "${specs[@]}"; do
	title=$(sed -n 's/.*"name"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$spec" | head -n 1)
	echo "== ${spec##*/}${title:+: $title}"
	t0=$(now)
	rc=0
	"$svabench" run --offline "$spec" --jobs "$jobs" </dev/null 2>"$err" || rc=$?
	cat "$err" >&2
	if [ "$rc" -eq 2 ] && grep -q 'available here' "$err"; then
		skipped=$((skipped + 1))
		echo "== ${spec##*/}: skipped, cannot run on this machine"
	elif [ "$rc" -ne 0 ]; then
		failed+=("${spec##*/} (exit $rc)")
		echo "== ${spec##*/}: FAILED (exit $rc) after $(secs "$t0" "$(now)") s"
	else
		echo "== ${spec##*/}: $(secs "$t0" "$(now)") s"
	fi
	echo
done

echo "${#specs[@]} specs, ${#failed[@]} failed, $skipped skipped, wall time $(secs "$start" "$(now)") s (--jobs $jobs)"
if [ ${#failed[@]} -gt 0 ]; then
	printf 'failed: %s\n' "${failed[@]}" >&2
	exit 1
fi
