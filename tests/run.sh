#!/usr/bin/env bash
# tests/run.sh - run every test and count the results.
#
# Runs, from the repository root:
#   - every test program under build/tests/ (plain) and build/asan/tests/
#     (ASan + UBSan), sorted, skipping bench_*;
#   - every tests/*/test_*.sh twice, with SVABENCH set to build/svabench and
#     to build/asan/svabench;
#   - the plain build of each program listed in tests/valgrind.list under
#     valgrind, when valgrind is installed.
# Each test prints "ok - NAME", "not ok - NAME: why" or "skip - NAME: why";
# this script echoes those lines prefixed with the program, and a program
# that crashes, times out, exits non-zero without a "not ok" line, or prints
# no result line at all counts as one failure of its own. The last line is
# "N passed, N failed[, N skipped]"; the exit status is 1 when any failed.
#
# Environment: TEST_TIMEOUT (seconds per program, default 600).
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 2

timeout_s=${TEST_TIMEOUT:-600}
passed=0 failed=0 skipped=0
failures=()
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A line no test prints: marks the end of a program's output and its status.
end_mark="@@svabench-run-end-$$@@"

signal_name() {
	local n
	n=$(kill -l "$1" 2>/dev/null) && echo "SIG$n" || echo "signal $1"
}

# run_one LABEL CMD... - runs one program, echoes and counts its results.
run_one() {
	local label=$1 line rc=0 results=0 notok=0 sanitizer=0 why=""
	local name=${label#\[*\] }
	local -a last=()
	shift
	while IFS= read -r line; do
		if [[ $line == "$end_mark "* ]]; then
			rc=${line#"$end_mark "}
			continue
		fi
		case $line in
		"ok - "*)
			passed=$((passed + 1)) results=$((results + 1)) ;;
		"not ok - "*)
			failed=$((failed + 1)) results=$((results + 1)) notok=1
			failures+=("$label: ${line#not ok - }") ;;
		"skip - "*)
			skipped=$((skipped + 1)) results=$((results + 1)) ;;
		*)
			# A sanitizer report fails the program whatever it printed.
			if [[ $line =~ ^==[0-9]+==ERROR:\  || $line == *": runtime error: "* ]]; then
				sanitizer=1
			fi
			# Not a result: keep the last lines for a failure report.
			[ -n "$line" ] && last+=("$line")
			[ ${#last[@]} -gt 12 ] && last=("${last[@]:1}")
			continue ;;
		esac
		echo "$label: $line"
	done < <(
		timeout -k 10 "$timeout_s" "$@" </dev/null 2>&1
		printf '\n%s %d\n' "$end_mark" "$?"
	)

	local status="exit status $rc"
	[ "$rc" -gt 128 ] && status="killed by $(signal_name $((rc - 128)))"
	if [ "$rc" -eq 124 ]; then
		why="timed out after ${timeout_s} s"
	elif [ "$sanitizer" -eq 1 ]; then
		why="sanitizer reported an error ($status)"
	elif [ "$rc" -gt 128 ]; then
		why=$status
	elif [ "$rc" -eq 99 ] && [[ $label == "[valgrind]"* ]]; then
		why="valgrind reported errors"
	elif [ "$rc" -ne 0 ] && [ "$notok" -eq 0 ]; then
		why="exited with status $rc and no 'not ok' line"
	elif [ "$results" -eq 0 ]; then
		why="printed no result line (exit status $rc)"
	fi
	if [ -n "$why" ]; then
		failed=$((failed + 1))
		failures+=("$label: $why")
		echo "$label: not ok - $name: $why"
		local l
		for l in "${last[@]}"; do
			echo "#   $l"
		done
	fi
}

# LeakSanitizer needs to stop the process's threads with ptrace; where that
# is forbidden (some containers, yama ptrace_scope 3) it dies with a fatal
# error instead of checking. Probe once and fall back rather than fail every
# ASan test for the machine's sake.
asan_leaks=1
probe_lsan() {
	local cc=${CC:-cc} out
	printf '#include <stdlib.h>\nvoid *volatile p;\nint main(void) { p = malloc(7); p = 0; return 0; }\n' \
		>"$tmp/lsan.c"
	"$cc" -fsanitize=address -g "$tmp/lsan.c" -o "$tmp/lsan" 2>/dev/null || return 0
	out=$(ASAN_OPTIONS=detect_leaks=1 "$tmp/lsan" 2>&1)
	if [[ $out != *"detected memory leaks"* ]]; then
		asan_leaks=0
		echo "# note: LeakSanitizer does not work here (ptrace restricted?); ASan runs with detect_leaks=0"
	fi
}
if [ -d build/asan/tests ] || [ -x build/asan/svabench ]; then
	probe_lsan
fi
asan_env=(ASAN_OPTIONS="detect_leaks=$asan_leaks:abort_on_error=1"
	  UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1")

# Test programs: plain, then ASan + UBSan.
for variant in plain asan; do
	if [ $variant = plain ]; then dir=build/tests tag=""; else dir=build/asan/tests tag="[asan] "; fi
	[ -d "$dir" ] || continue
	while IFS= read -r prog; do
		name=${prog#"$dir"/}
		if [ $variant = asan ]; then
			run_one "$tag$name" env "${asan_env[@]}" "$prog"
		else
			run_one "$name" "$prog"
		fi
	done < <(find "$dir" -type f -perm -u+x ! -name 'bench_*' ! -name '*.o' ! -name '*.d' | LC_ALL=C sort)
done

# Test scripts, against each build of the CLI.
while IFS= read -r script; do
	name=${script#tests/}
	run_one "$name" env SVABENCH="$root/build/svabench" bash "$script"
	run_one "[asan] $name" env SVABENCH="$root/build/asan/svabench" "${asan_env[@]}" bash "$script"
done < <(find tests -mindepth 2 -maxdepth 2 -type f -name 'test_*.sh' | LC_ALL=C sort)

# Valgrind over the plain builds listed in tests/valgrind.list.
if [ -f tests/valgrind.list ]; then
	if ! command -v valgrind >/dev/null 2>&1; then
		echo "[valgrind]: skip - valgrind: not installed"
		skipped=$((skipped + 1))
	else
		while IFS= read -r entry || [ -n "$entry" ]; do
			entry=${entry%%#*}
			entry=${entry//[[:space:]]/}
			[ -n "$entry" ] || continue
			if [ -x "build/tests/$entry" ]; then
				run_one "[valgrind] $entry" valgrind --error-exitcode=99 \
					--leak-check=full -q "build/tests/$entry"
			elif [ -f "tests/$entry.c" ]; then
				failed=$((failed + 1))
				failures+=("[valgrind] $entry: build/tests/$entry not built")
				echo "[valgrind] $entry: not ok - $entry: build/tests/$entry not built"
			else
				skipped=$((skipped + 1))
				echo "[valgrind] $entry: skip - $entry: no tests/$entry.c (stale entry in tests/valgrind.list)"
			fi
		done <tests/valgrind.list
	fi
fi

if [ $((passed + failed + skipped)) -eq 0 ]; then
	echo "# note: no test ran (nothing under build/tests; run 'make test')"
fi
if [ "$failed" -gt 0 ]; then
	echo "# failed:"
	for f in "${failures[@]}"; do
		echo "#   $f"
	done
fi
summary="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && summary+=", $skipped skipped"
echo "$summary"
[ "$failed" -eq 0 ]
