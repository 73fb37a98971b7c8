#!/usr/bin/env bash
# check-layers.sh - the include graph goes one way: a folder includes its
# own headers and those of folders below it, never one above or beside it.
#
#   scripts/check-layers.sh [ROOT]      (make check-layers; make test runs it)
#
# Layers, lowest first (a folder may include its own and lower layers):
#   0 lib/          the metric set, and util/strbuf/logger: what every layer uses
#   1 collectors/   perf, PMCG, tracepoint and procfs counters
#   2 targets/      the target interface (target.h) and the targets
#   3 core/         specs, the runner, results, comparison, reports
#   4 cli/ daemon/  the two programs (neither includes the other)
#   5 fuzz/ tests/  may include anything below them
# Quoted includes only ("x.h"); system headers (<x.h>) are not layered.
# Prints each upward or sideways include as FILE:LINE and exits 1.
set -uo pipefail

root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
root=$(cd "$root" && pwd) || exit 2

layer() {
	case $1 in
	lib) echo 0 ;;
	collectors) echo 1 ;;
	targets) echo 2 ;;
	core) echo 3 ;;
	cli|daemon) echo 4 ;;
	fuzz|tests) echo 5 ;;
	*) echo "" ;;
	esac
}

bad=0
checked=0
while IFS= read -r -d '' file; do
	rel=${file#"$root"/}
	top=${rel%%/*}
	own=$(layer "$top")
	[ -n "$own" ] || continue
	checked=$((checked + 1))
	dir=$(dirname "$file")
	while IFS=: read -r line inc; do
		[ -n "$inc" ] || continue
		target=$(realpath -m "$dir/$inc")
		case $target in
		"$root"/*) ;;
		*) echo "$rel:$line: includes \"$inc\", outside the tree"; bad=1; continue ;;
		esac
		trel=${target#"$root"/}
		ttop=${trel%%/*}
		# core/metrics.h only forwards to lib/: a way around the layers
		# from anywhere but core/ itself
		[ "$ttop" = "$top" ] && continue
		[ "$trel" = core/metrics.h ] && {
			echo "$rel:$line: includes core/metrics.h: include lib/metrics.h"
			bad=1
			continue
		}
		tl=$(layer "$ttop")
		if [ -z "$tl" ]; then
			echo "$rel:$line: includes \"$inc\" from $ttop/, which has no layer"
			bad=1
		elif [ "$tl" -ge "$own" ]; then
			echo "$rel:$line: includes \"$inc\": $top/ (layer $own) may not include $ttop/ (layer $tl)"
			bad=1
		fi
	done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$file" |
		 sed 's/^\([0-9]*\):[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1:\2/')
done < <(find "$root/lib" "$root/collectors" "$root/targets" "$root/core" "$root/cli" "$root/daemon" \
	      "$root/fuzz" "$root/tests" \( -name '*.c' -o -name '*.h' -o -name '*.S' \) -print0 2>/dev/null)

if [ "$checked" -eq 0 ]; then
	echo "check-layers: no sources under $root" >&2
	exit 2
fi
[ "$bad" -eq 0 ] || exit 1
exit 0
