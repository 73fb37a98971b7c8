#!/usr/bin/env bash
# test_fuzz.sh - runs each libFuzzer harness (build/fuzz/fuzz_*, from
# fuzz/fuzz_*.c: the spec parser, the import path, the HTTP routes and
# queries) for FUZZ_SECONDS (default 5) from its seed corpus fuzz/corpus/NAME,
# so a parser regression fails `make test`. `make fuzz` runs it longer
# (FUZZ_SECONDS=60 by default) and keeps what it finds in build/fuzz/corpus/.
# Prints the executions per harness; a crash, leak, hang or sanitizer report
# is "not ok" with the input saved as build/fuzz/crash-NAME-*.
#
# env: FUZZ_SECONDS, FUZZ_CORPUS_DIR (new inputs; default a scratch dir),
# SVABENCH (tests/run.sh's pass: the harnesses are ASan+UBSan builds
# already, so its [asan] pass skips).
set -uo pipefail

# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

case $SVABENCH in
*/asan/*) skip "fuzz" "the harnesses are ASan+UBSan builds; they run in the plain pass"; exit 0 ;;
esac

seconds=${FUZZ_SECONDS:-5}
work=${FUZZ_CORPUS_DIR:-$tmp/corpus}
harnesses=$(cd "$root/fuzz" && ls fuzz_*.c 2>/dev/null | sed 's/\.c$//')
[ -n "$harnesses" ] || { not_ok "fuzz" "no fuzz/fuzz_*.c"; exit 1; }

for h in $harnesses; do
	bin=$root/build/fuzz/$h name=${h#fuzz_}
	need_built "$h is built (make $bin)" "$bin"
	mkdir -p "$work/$name" "$root/build/fuzz"
	log=$tmp/$h.log
	# -timeout: one input may take 90 s at most (a hang is a failure; fuzz_http waits 60 s for an answer)
	timeout -k 10 $((seconds + 120)) "$bin" -max_total_time="$seconds" -timeout=90 \
		-rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$root/build/fuzz/crash-$name-" \
		"$work/$name" "$root/fuzz/corpus/$name" >"$log" 2>&1
	frc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	if [ "$frc" -eq 0 ] && [ -n "$execs" ]; then
		ok "$h: $execs executions in $seconds s, no crash, leak or sanitizer report"
	else
		art=$(grep -o "Test unit written to [^ ]*" "$log" | head -n 1 | cut -d' ' -f5)
		not_ok "$h" "exit $frc after ${execs:-?} executions: $(grep -m1 -E 'ERROR|fuzz_|runtime error|deadly signal|timeout' "$log" | head -c 300) ${art:+(input: $art)}"
		tail -n 30 "$log" | sed 's/^/#   /'
	fi
done
exit $failed
