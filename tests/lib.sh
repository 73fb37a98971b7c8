# shellcheck shell=bash
# tests/lib.sh - what the shell tests share: the binaries under test, a
# scratch directory, result lines, a svabenchd of their own on a free
# loopback port, and HTTP and JSON helpers. Sourced, never run (tests/run.sh
# runs tests/*/test_*.sh only):
#
#	. "$(dirname "$0")/../lib.sh"
#
# Sets root (the repository root); SVABENCH, the CLI under test (default
# build/svabench); SVABENCHD, the daemon (default: the svabenchd beside
# SVABENCH, so the ASan pass of tests/run.sh tests the ASan daemon); tmp, a
# scratch directory; failed, 0 until not_ok prints a failure (the script's
# exit status). On exit it calls the script's at_exit, if it defines one,
# stops the daemon and removes $tmp.

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SVABENCH=${SVABENCH:-$root/build/svabench}
SVABENCHD=${SVABENCHD:-$(dirname "$SVABENCH")/svabenchd}
tmp=$(mktemp -d -t "svabench-$(basename "$0" .sh).XXXXXX")
failed=0

# The daemon of start_daemon: its pid (empty once stopped), port, URL, --var
# directory, stdout and stderr files, and exit status once stopped.
pid="" port="" url="" daemon_var="" daemon_out=/dev/null daemon_err=/dev/null daemon_rc=""

lib_exit() {
	set +e
	if declare -F at_exit >/dev/null; then
		at_exit
	fi
	stop_daemon
	rm -rf "$tmp"
}
trap lib_exit EXIT

# ---- result lines, as tests/run.sh counts them ----

ok() { echo "ok - $1"; }
not_ok() { echo "not ok - $1: $2"; failed=1; }
skip() { echo "skip - $1: $2"; }

# need_tools NAME TOOL... - "skip - NAME" and exit 0 when a TOOL is not installed.
need_tools() {
	local name=$1 tool
	shift
	for tool; do
		if ! command -v "$tool" >/dev/null 2>&1; then
			skip "$name" "$tool is not installed"
			exit 0
		fi
	done
}

# need_built NAME BINARY... - "not ok - NAME" and exit 1 when a BINARY is missing.
need_built() {
	local name=$1 bin
	shift
	for bin; do
		if [ ! -x "$bin" ]; then
			not_ok "$name" "$bin is missing; run make"
			exit 1
		fi
	done
}

# ---- the CLI ----

# sv ARGS... - runs svabench on no input; stdout, stderr in $tmp/out,
# $tmp/err, exit status in rc.
rc=0
sv() {
	rc=0
	"$SVABENCH" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null || rc=$?
}

first_err() { head -c 300 "$tmp/err" | tr '\n' ' '; }

# need_qemu_mode NAME MODE - "skip - NAME" with the reason `describe qemu`
# gives, and exit 0, when the qemu target's MODE (bare, guest) cannot run here.
need_qemu_mode() {
	local name=$1 mode=$2 why
	sv describe qemu --json
	why=$(python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))["detect"][sys.argv[2]]
print("" if m["present"] else m["reason"])' "$tmp/out" "$mode" 2>/dev/null) || why="describe qemu failed: $(first_err)"
	[ -z "$why" ] && return 0
	skip "$name" "qemu $mode mode unavailable: $why"
	exit 0
}

# expect NAME STATUS WANT - the last sv exited STATUS with WANT (a fixed
# string) on stderr.
expect() {
	if [ "$rc" -ne "$2" ]; then
		not_ok "$1" "exit $rc, want $2 ($(first_err))"
	elif ! grep -qF -- "$3" "$tmp/err"; then
		not_ok "$1" "stderr lacks '$3': $(first_err)"
	else
		ok "$1"
	fi
}

# ---- a daemon of our own ----

# free_port - a loopback port nothing listens on now (start_daemon tries
# another should something take it first).
free_port() {
	if command -v python3 >/dev/null 2>&1; then
		python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
	else
		node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => {
			console.log(s.address().port); s.close(); });'
	fi
}

# start_daemon VAR [ARGS...] - starts $SVABENCHD on a free loopback port with
# --var VAR --no-default-suite --workers 2, then ARGS (a later option wins,
# e.g. --workers 1). Its stdout goes to VAR.out, afresh each start, its
# stderr is added to VAR.err (daemon_out, daemon_err). Returns 0 once it
# prints "svabenchd: serving http://127.0.0.1:PORT/", with pid, port and url
# set; 1 when three tries all failed (the port taken meanwhile, the daemon
# dead, or not serving within 30 s).
start_daemon() {
	local var=$1
	shift
	daemon_var=$var daemon_out=$var.out daemon_err=$var.err
	for _ in 1 2 3; do
		port=$(free_port)
		url=http://127.0.0.1:$port
		"$SVABENCHD" --listen "127.0.0.1:$port" --var "$var" --no-default-suite --workers 2 "$@" \
			>"$daemon_out" 2>>"$daemon_err" &
		pid=$!
		for _ in $(seq 300); do
			grep -qxF "svabenchd: serving $url/" "$daemon_out" && return 0
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		stop_daemon
	done
	return 1
}

# stop_daemon [SIGNAL] - sends the daemon SIGNAL (default TERM) and waits
# for it; its exit status goes to daemon_rc. Nothing when none runs.
stop_daemon() {
	if [ -n "$pid" ]; then
		kill -s "${1:-TERM}" "$pid" 2>/dev/null || :
		wait "$pid" 2>/dev/null && daemon_rc=0 || daemon_rc=$?
		pid=""
	fi
}

# daemon_tail - the daemon's last lines of output on one line, for a not ok.
daemon_tail() { tail -q -n 5 "$daemon_err" "$daemon_out" 2>/dev/null | tr '\n' ' '; }

# check_daemon_clean NAME - stops the daemon; ok NAME when no sanitizer
# spoke in its output or var/svabenchd.log and it exited 0 on SIGTERM.
check_daemon_clean() {
	local re='^==[0-9]+==ERROR: |ERROR: [A-Za-z]*Sanitizer|runtime error:'
	local files=("$daemon_out" "$daemon_err" "$daemon_var/svabenchd.log")
	stop_daemon
	if grep -Eqs "$re" "${files[@]}"; then
		not_ok "$1" "$(grep -Ehs -m1 "$re" "${files[@]}" | head -n 1)"
	elif [ "$daemon_rc" != 0 ]; then
		not_ok "$1" "exit status $daemon_rc after SIGTERM: $(tail -n 3 "$daemon_err" | tr '\n' ' ')"
	else
		ok "$1"
	fi
}

# token - the API token the daemon wrote to its --var directory.
token() { cat "$daemon_var/token"; }

# wait_analysed [SECONDS] - waits until the daemon has run every queued alert
# analysis (ended and imported experiments: svabenchd_history_pending is 0
# in /metrics); 1 when it has not within SECONDS (default 60).
wait_analysed() {
	local n _
	for _ in $(seq $((${1:-60} * 20))); do
		n=$(curl -s "$url/metrics" | awk '$1 == "svabenchd_history_pending" { print $2 }')
		[ "$n" = 0 ] && return 0
		sleep 0.05
	done
	return 1
}

# ---- HTTP ----

# req METHOD PATH [CURL ARGS...] - a request to $url: the status in code
# (or why curl failed), the body in $tmp/body, the headers in $tmp/headers.
# req_max_time: seconds it may take.
code=""
req_max_time=60
req() {
	local method=$1 path=$2
	shift 2
	code=$(curl -s -X "$method" -o "$tmp/body" -D "$tmp/headers" -w '%{http_code}' \
		--max-time "$req_max_time" "$@" "$url$path") || code="curl failed ($?)"
}

# header NAME - the last response's first NAME header.
header() { grep -i "^$1:" "$tmp/headers" | head -n 1 | cut -d' ' -f2- | tr -d '\r'; }

# snippet - the start of the last response's body, on one line.
snippet() { head -c 300 "$tmp/body" | tr '\n' ' '; }

# submit_spec SPEC - POSTs SPEC (JSON text, or @FILE) to the daemon's
# /api/v1/experiments with its token; prints the new experiment's id.
submit_spec() {
	curl -s -X POST -H "Authorization: Bearer $(token)" -H 'Content-Type: application/json' \
		--data-binary "$1" "$url/api/v1/experiments" | json_value - 'd["id"]'
}

# exp_field ID KEY - experiment.KEY of experiment ID (empty if unreadable).
exp_field() {
	curl -s "$url/api/v1/experiments/$1?runs=false" |
		json_value - "d['experiment']['$2']" 2>/dev/null
}

# wait_robustness ID SECONDS - GETs experiment ID's robustness analysis
# until it no longer runs (at most SECONDS); the last answer in $tmp/body.
wait_robustness() {
	for _ in $(seq $(($2 * 5))); do
		req GET "/api/v1/experiments/$1/robustness"
		grep -q '"status":"running"' "$tmp/body" || return 0
		sleep 0.2
	done
	return 1
}

# wait_experiment ID SECONDS - 0 once experiment ID is done, failed or
# cancelled, 1 if not within SECONDS; the last status read is in status.
status=""
wait_experiment() {
	status=""
	for _ in $(seq $(($2 * 10))); do
		status=$(exp_field "$1" status)
		case $status in done | failed | cancelled) return 0 ;; esac
		sleep 0.1
	done
	return 1
}

# ---- JSON, in python3 ----

# pyjson FILE CODE [ARGS...] - python3 runs CODE with d, the JSON in FILE
# (- for standard input), and sys.argv[2:] = ARGS; its exit status.
pyjson() {
	local file=$1 pycode=$2
	shift 2
	python3 -c "import json, sys
d = json.load(sys.stdin if sys.argv[1] == '-' else open(sys.argv[1], encoding='utf-8'))
$pycode" "$file" "$@"
}

# json_value FILE EXPR - prints the Python expression EXPR of d (see pyjson).
json_value() { pyjson "$1" "print($2)"; }

# py NAME CODE [ARGS...] - ok NAME when python3 runs CODE without an error,
# else not ok with its last line. CODE has json and sys, sys.argv[1:] =
# ARGS, load(PATH), the JSON in a file, and get(PATH), a GET of $url PATH
# giving (status, JSON body).
py() {
	local name=$1 pycode=$2 why
	shift 2
	if why=$(url=$url python3 -c "
import json, os, sys, urllib.error, urllib.request
def load(p):
    with open(p, encoding='utf-8') as f:
        return json.load(f)
def get(path):
    try:
        with urllib.request.urlopen(os.environ['url'] + path, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())
$pycode
" "$@" 2>&1); then
		ok "$name"
	else
		not_ok "$name" "$(echo "$why" | tail -n 1)"
	fi
}

# check NAME CODE [ARGS...] - py with the last response's body as its text t
# and its JSON d (None when it is not JSON); ARGS are sys.argv[2:].
check() {
	local name=$1 pycode=$2
	shift 2
	py "$name" "
t = open(sys.argv[1], encoding='utf-8').read()
try:
    d = json.loads(t)
except ValueError:
    d = None
$pycode" "$tmp/body" "$@"
}
