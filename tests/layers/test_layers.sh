#!/usr/bin/env bash
# test_layers.sh - scripts/check-layers.sh passes on the tree and refuses
# an upward include planted in a copy of it (and a sideways one between
# the two programs, and the old core/metrics.h path from a target).
. "$(dirname "$0")/../lib.sh"

check=$root/scripts/check-layers.sh

if out=$("$check" "$root" 2>&1); then
	ok "the tree's includes go one way (lib < collectors < targets < core < cli, daemon)"
else
	not_ok "the tree's includes go one way" "$(echo "$out" | head -5 | tr '\n' ' ')"
fi

# copy of the layered folders, with one include planted per case
plant() { # plant CASE FILE LINE: copy the tree, prepend LINE to FILE, run the check
	local dir=$tmp/$1
	mkdir -p "$dir"
	for d in lib collectors targets core cli daemon; do
		[ -d "$root/$d" ] && cp -r "$root/$d" "$dir/"
	done
	{ echo "$3"; cat "$dir/$2"; } > "$dir/$2.new" && mv "$dir/$2.new" "$dir/$2"
	"$check" "$dir" 2>&1
}

out=$(plant up targets/sim/engine.c '#include "../../core/core.h"'); rc=$?
if [ $rc -eq 1 ] && grep -q 'targets/sim/engine.c:1: includes "../../core/core.h"' <<<"$out"; then
	ok "an upward include (targets -> core) is refused, naming the file and line"
else
	not_ok "an upward include is refused" "rc $rc: $out"
fi

out=$(plant side daemon/api.c '#include "../cli/cli.h"'); rc=$?
if [ $rc -eq 1 ] && grep -q 'daemon/api.c:1: .*may not include cli/' <<<"$out"; then
	ok "a sideways include (daemon -> cli) is refused"
else
	not_ok "a sideways include is refused" "rc $rc: $out"
fi

out=$(plant old targets/qemu/trace.c '#include "../../core/metrics.h"'); rc=$?
if [ $rc -eq 1 ] && grep -q 'include lib/metrics.h' <<<"$out"; then
	ok "the old core/metrics.h path from a target is refused, pointing to lib/metrics.h"
else
	not_ok "the old core/metrics.h path is refused" "rc $rc: $out"
fi

out=$(plant low collectors/perf.c '#include "../lib/metrics.h"'); rc=$?
if [ $rc -eq 0 ]; then
	ok "a downward include (collectors -> lib) is accepted"
else
	not_ok "a downward include is accepted" "rc $rc: $out"
fi

exit $failed
