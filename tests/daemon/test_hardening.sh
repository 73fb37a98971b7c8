#!/usr/bin/env bash
# test_hardening.sh - svabenchd holds under faults and hostile neighbours
# (issue 14): a full disk never hangs it (logging drops and counts what it
# cannot write), start-up refusals reach the terminal and the log, its files
# are private (0600), bad bytes in a URL get 404/400, a rebinding Host is
# refused, specs that would alias a seed or store unbounded samples are
# refused naming the limit, trickling connections cannot lock a client out,
# and GET /api/v1?x=1 leaks nothing under LeakSanitizer.
#
# env: SVABENCH (the CLI under test; the daemon is the svabenchd beside it
# unless SVABENCHD says otherwise).
set -uo pipefail

# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"
mounted=

at_exit() {
	stop_daemon KILL
	[ -n "$mounted" ] && umount "$mounted" 2>/dev/null
}

need_built "svabenchd exists" "$SVABENCHD"

# stop_within NAME SECONDS - SIGTERM the daemon; ok when it exits 0 within SECONDS.
stop_within() {
	local name=$1 s=$2 i
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq $((s * 10))); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		stop_daemon KILL
		not_ok "$name" "still running $s s after SIGTERM (killed)"
	else
		stop_daemon
		[ "$daemon_rc" = 0 ] && ok "$name" || not_ok "$name" "exit status $daemon_rc after SIGTERM"
	fi
}

# ---- 1. a full disk under --var: refused requests, a log that cannot be written ----
var=$tmp/full
mkdir -p "$var"
if [ "$(id -u)" -ne 0 ] || ! mount -t tmpfs -o size=4m tmpfs "$var" 2>/dev/null; then
	skip "full disk never hangs the daemon" "needs root to mount a small tmpfs"
else
	mounted=$var
	if start_daemon "$var"; then
		dd if=/dev/zero of="$var/filler" bs=64k 2>/dev/null
		# 1,500 submissions while full: each is refused and logged
		heavy='{"workload": "rw-reuse", "strategies": ["none", "pri-inv", "notifier"], "repetitions": 1000, "seed": 3}'
		counts=$(python3 - "$port" "$(token)" "$heavy" <<'PY'
import collections, http.client, sys
port, token, spec = int(sys.argv[1]), sys.argv[2], sys.argv[3].encode()
seen = collections.Counter()
conn = None
for i in range(1500):
    try:
        if conn is None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("POST", "/api/v1/experiments", body=spec,
                     headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
        r = conn.getresponse()
        r.read()
        seen[r.status] += 1
        if r.getheader("Connection", "").lower() == "close":
            conn.close(); conn = None
    except Exception as e:
        seen[type(e).__name__] += 1
        if conn:
            conn.close()
        conn = None
        if seen[type(e).__name__] >= 3:
            break
print(" ".join("%s:%d" % kv for kv in sorted(seen.items(), key=str)))
PY
)
		metrics=$(curl -s --max-time 10 "$url/metrics")
		drop=$(echo "$metrics" | awk '$1 == "svabenchd_log_lines_dropped_total" {print $2}')
		if [ "$counts" = "503:1500" ] && [ "${drop:-0}" -gt 0 ] 2>/dev/null; then
			ok "full disk: 1,500 submissions refused 503 and logged, daemon serving, /metrics counts $drop dropped log lines"
		else
			not_ok "full disk: 1,500 refused submissions" "answers: $counts; svabenchd_log_lines_dropped_total=${drop:-none}"
		fi
		rm -f "$var/filler"
		id=$(curl -s --max-time 10 -X POST -H "Authorization: Bearer $(token)" -H 'Content-Type: application/json' \
			--data-binary '{"workload": "rw-reuse", "strategies": ["pri-inv"], "seed": 4}' \
			"$url/api/v1/experiments" | json_value - 'd["id"]' 2>/dev/null)
		if [ -n "$id" ] && wait_experiment "$id" 60 && [ "$status" = done ]; then
			ok "space returns: a submission is accepted and runs to done"
		else
			not_ok "space returns: work resumes" "id=${id:-none} status=$status"
		fi
		stop_within "full disk: SIGTERM still stops the daemon" 15
		if grep -q "line(s) could not be written to this file" "$var/svabenchd.log"; then
			ok "the log says how many lines it lost once it can write again"
		else
			not_ok "the log reports its lost lines" "no report line in svabenchd.log: $(tail -n 2 "$var/svabenchd.log" | tr '\n' ' ')"
		fi
	else
		not_ok "daemon starts on a small tmpfs" "$(daemon_tail)"
	fi
	umount "$var" && mounted=
fi

# ---- 2. start-up refusals: on the terminal and in the log ----
# refused VAR NAME WANT [ARGS...] - svabenchd --var VAR ARGS exits 1 within
# 20 s with WANT (a fixed string) both on its stderr and in VAR/svabenchd.log.
refused() {
	local v=$1 name=$2 want=$3 erc=0
	shift 3
	timeout 20 "$SVABENCHD" --listen "127.0.0.1:$(free_port)" --var "$v" --no-default-suite "$@" \
		>"$tmp/su.out" 2>"$tmp/su.err" </dev/null || erc=$?
	if [ "$erc" -ne 1 ]; then
		not_ok "$name" "exit status $erc, want 1: $(head -c 300 "$tmp/su.err" | tr '\n' ' ')"
	elif ! grep -qF -- "$want" "$tmp/su.err"; then
		not_ok "$name" "the terminal (stderr) lacks '$want': $(head -c 300 "$tmp/su.err" | tr '\n' ' ')"
	elif ! grep -qF -- "$want" "$v/svabenchd.log"; then
		not_ok "$name" "var/svabenchd.log lacks '$want': $(head -c 300 "$v/svabenchd.log" 2>&1 | tr '\n' ' ')"
	else
		ok "$name"
	fi
}
v=$tmp/perm && mkdir -p "$v" && echo 0123456789abcdef0123456789abcdef >"$v/token" && chmod 644 "$v/token"
refused "$v" "start-up refusal printed: token readable by others" "chmod 600 it"
v=$tmp/link && mkdir -p "$v" && echo 0123456789abcdef0123456789abcdef >"$tmp/elsewhere" && chmod 600 "$tmp/elsewhere" &&
	ln -s "$tmp/elsewhere" "$v/token"
refused "$v" "start-up refusal printed: token is a symbolic link" "is a symbolic link"
busy=$(free_port)
python3 -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); time.sleep(30)' "$busy" &
holder=$!
sleep 0.3
v=$tmp/busy && mkdir -p "$v"
refused "$v" "start-up refusal printed: port in use" "cannot listen on 127.0.0.1:$busy: Address already in use" \
	--listen "127.0.0.1:$busy"
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null

# ---- 3. what the daemon creates is private, whatever the umask and --var's mode ----
var=$tmp/modes
mkdir -p "$var" && chmod 755 "$var"
umask 022
if start_daemon "$var"; then
	submit_spec '{"workload": "rw-reuse", "strategies": ["pri-inv"], "seed": 2}' >/dev/null
	modes=$(cd "$var" && stat -c '%n %a' svabench.db svabench.db-wal svabench.db-shm svabenchd.log token 2>&1 | tr '\n' ' ')
	bad=$(cd "$var" && stat -c '%n %a' svabench.db svabench.db-wal svabench.db-shm svabenchd.log token 2>&1 | grep -v ' 600$')
	[ -z "$bad" ] && ok "database, WAL, shm, log and token are created 0600 (umask 022)" ||
		not_ok "files created 0600" "$modes"
	# every line svabenchd logs says when (UTC, ms) and how bad: lib/logger.h
	stamp='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z (error|warn|info) svabenchd: '
	if grep -qE "${stamp}ready: var " "$var/svabenchd.log" && ! grep -q '^svabenchd:' "$var/svabenchd.log"; then
		ok "log lines carry a UTC timestamp and a level"
	else
		not_ok "log lines carry a UTC timestamp and a level" "$(head -c 300 "$var/svabenchd.log" | tr '\n' ' ')"
	fi

	# ---- 4. bad bytes in a URL or a query: 404 / 400, never 503 ----
	req GET "/%ff"
	[ "$code" = 404 ] && check "GET /%ff is 404 with a JSON error" 'assert d["error"]["code"] == "not_found", d' ||
		not_ok "GET /%ff is 404" "got $code: $(snippet)"
	req GET "/api/v1/experiments?%ff=1"
	[ "$code" = 400 ] && check "?%ff=1 is 400 naming the parameter" 'assert d["error"]["code"] == "invalid_query" and "UTF-8" in d["error"]["message"], d' ||
		not_ok "?%ff=1 is 400" "got $code: $(snippet)"
	req GET "/api/v1/experiments?label=%c3%28"
	[ "$code" = 400 ] && check "?label=<invalid UTF-8> is 400 naming label" 'assert d["error"]["field"] == "label", d' ||
		not_ok "?label=<invalid UTF-8> is 400" "got $code: $(snippet)"
	req GET "/api/v1/experiments/%ff%fe/runs"
	[ "$code" = 404 ] && ok "a path id of invalid UTF-8 is 404" || not_ok "a path id of invalid UTF-8 is 404" "got $code: $(snippet)"
	check_daemon_clean "daemon clean after bad bytes"
else
	not_ok "daemon starts (modes)" "$(daemon_tail)"
fi

# ---- 5. GET /api/v1?x=1 leaks nothing (LeakSanitizer, the ASan daemon) ----
asand=${SVABENCHD_ASAN:-$root/build/asan/svabenchd}
lsan_probe=$(printf '#include <stdlib.h>\nvoid *volatile p;\nint main(void) { p = malloc(7); p = 0; return 0; }\n' |
	cc -x c -fsanitize=address -g - -o "$tmp/lsan" 2>/dev/null && ASAN_OPTIONS=detect_leaks=1 "$tmp/lsan" 2>&1)
if [ ! -x "$asand" ]; then
	skip "GET /api/v1?x=1 leaks nothing" "build/asan/svabenchd is not built"
elif [[ $lsan_probe != *"detected memory leaks"* ]]; then
	skip "GET /api/v1?x=1 leaks nothing" "LeakSanitizer does not work here (ptrace restricted?)"
else
	var=$tmp/leak
	if SVABENCHD=$asand ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=23 start_daemon "$var"; then
		for _ in $(seq 20); do curl -s -o /dev/null "$url/api/v1?x=1"; done
		stop_daemon
		if grep -q "LeakSanitizer" "$daemon_err" "$var/svabenchd.log" 2>/dev/null; then
			not_ok "GET /api/v1?x=1 leaks nothing under LeakSanitizer" "$(grep -h -m1 -A4 'Direct leak' "$daemon_err" "$var/svabenchd.log" | tr '\n' ' ' | head -c 400)"
		elif [ "$daemon_rc" != 0 ]; then
			not_ok "GET /api/v1?x=1 leaks nothing under LeakSanitizer" "exit status $daemon_rc"
		else
			ok "GET /api/v1?x=1 x 20 leaks nothing under LeakSanitizer"
		fi
	else
		not_ok "ASan daemon starts" "$(daemon_tail)"
	fi
fi

# ---- 6. Host: a rebinding page's name is refused; loopback names, --listen's, --allow-host's answered ----
var=$tmp/host
if start_daemon "$var" --allow-host "bench.lan, other.lan"; then
	for h in "attacker.example:$port" "attacker.example" "127.0.0.1.attacker.example:$port" "localhost:$port@evil" "[::1"; do
		for p in /api/v1/experiments /metrics /api/v1/nope; do
			req GET "$p" -H "Host: $h"
			[ "$code" = 403 ] || { not_ok "Host '$h' GET $p refused" "got $code: $(snippet)"; continue 2; }
		done
		check "rebinding Host '$h' refused 403 on reads too" 'assert d["error"]["code"] == "invalid_host", d'
	done
	req POST /api/v1/experiments -H "Host: attacker.example:$port" -H "Authorization: Bearer $(token)" \
		-H 'Content-Type: application/json' --data-binary '{"workload": "rw-reuse"}'
	[ "$code" = 403 ] && ok "rebinding Host refused on a POST with the token" || not_ok "rebinding Host refused on POST" "got $code"
	allowed=""
	for h in "localhost:$port" "LOCALHOST" "127.0.0.1:$port" "[::1]:$port" "bench.lan:$port" "other.lan" "localhost.:$port"; do
		req GET /api/v1/experiments -H "Host: $h"
		[ "$code" = 200 ] || allowed+=" $h->$code"
	done
	[ -z "$allowed" ] && ok "loopback names, --listen's host and --allow-host's names are answered" ||
		not_ok "allowed Host names answered" "$allowed"
	code=$(curl -s -o /dev/null -w '%{http_code}' --http1.0 -H 'Host:' "$url/api/v1/experiments")
	[ "$code" = 200 ] && ok "HTTP/1.0 without Host is answered" || not_ok "HTTP/1.0 without Host" "got $code"

	# ---- 7. seeds exact, numbers exact, samples per run bounded ----
	spec_refused() { # NAME SPEC FIELD WANT
		req POST /api/v1/experiments -H "Authorization: Bearer $(token)" -H 'Content-Type: application/json' --data-binary "$2"
		if [ "$code" = 400 ]; then
			check "$1" 'f, want = sys.argv[2], sys.argv[3]
assert (d["error"]["field"] or "") == f, d
assert want in d["error"]["message"], d' "$3" "$4"
		else
			not_ok "$1" "got $code: $(snippet)"
		fi
	}
	spec_refused "seed 2^53+1 refused (it would alias 2^53)" '{"workload": "rw-reuse", "seed": 9007199254740993}' seed "allowed 0..9007199254740992"
	spec_refused "seed 1e-400 refused" '{"workload": "rw-reuse", "seed": 1e-400}' "" "too small for a double"
	spec_refused "seed 42.0 refused (not an integer as written)" '{"workload": "rw-reuse", "seed": 42.0}' seed "without a fraction or exponent"
	spec_refused "a parameter of 1e-400 refused" '{"workload": "rw-reuse", "params": {"cpu_upgrade_rate_hz": 1e-400}}' "" "1e-400"
	spec_refused "a sample-heavy spec refused naming the limit" '{"workload": "mixed", "params": {"duration_us": 5000000}}' \
		params.sample_us "over the limit of 20000 samples per run"
	spec_refused "a sweep with one sample-heavy cell refused naming it" \
		'{"workload": "rw-reuse", "params": {"duration_us": [2000, 4000000], "sample_us": 100}}' params.sample_us "duration_us=4000000"
	id=$(submit_spec '{"workload": "rw-reuse", "strategies": ["pri-inv"], "seed": 9007199254740992, "params": {"duration_us": 20000, "sample_us": 1}}')
	[ -n "$id" ] && wait_experiment "$id" 60 && [ "$status" = done ] &&
		[ "$(curl -s "$url/api/v1/experiments/$id" | json_value - 'd["runs"][0]["seed"] < 2**53')" = True ] &&
		ok "seed 2^53 and 20,000 samples per run (the limit) accepted and run" ||
		not_ok "seed 2^53 and 20,000 samples accepted" "id=$id status=$status"
	# ---- GETs change nothing on disk: plots are rendered into a memory cache ----
	if command -v gnuplot >/dev/null 2>&1 && [ -n "$id" ]; then
		before=$(cd "$var" && find . -type f | grep -vE '^\./(svabench\.db(-wal|-shm)?|svabenchd\.log|token)$' | sort | tr '\n' ' ')
		req GET "/api/v1/experiments/$id/plots/comparison.svg"
		c1=$code
		req GET "/api/v1/experiments/$id/plots/comparison.svg"
		hit=$(header X-Plot-Cache)
		after=$(cd "$var" && find . -type f | grep -vE '^\./(svabench\.db(-wal|-shm)?|svabenchd\.log|token)$' | sort | tr '\n' ' ')
		if [ "$c1" = 200 ] && [ "$code" = 200 ] && [ "$hit" = hit ] && [ "$before" = "$after" ] && [ ! -e "$var/plots" ]; then
			ok "plot GETs write no file under --var (rendered once, then a memory-cache hit)"
		else
			not_ok "plot GETs write no file" "status $c1/$code cache=$hit files before: '$before' after: '$after'"
		fi
	else
		skip "plot GETs write no file" "gnuplot is not installed"
	fi
	check_daemon_clean "daemon clean after Host and spec checks"
else
	not_ok "daemon starts (host)" "$(daemon_tail)"
fi

# ---- 8. 2,048 trickling connections from one local process while a normal client is served ----
var=$tmp/trickle
if start_daemon "$var"; then
	served=$(python3 - "$port" 2048 <<'PY'
import http.client, resource, socket, sys, threading, time
port, n = int(sys.argv[1]), int(sys.argv[2])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if hard != resource.RLIM_INFINITY and hard < n + 256:
    print("skip %d" % hard); sys.exit(0)
resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, n + 256), hard))
socks = []
for _ in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /api/v1/targets HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    socks.append(s)
stop = False
def trickle():   # one byte a second on each: an idle timeout never fires
    while not stop:
        for s in socks:
            try:
                s.send(b"a")
            except OSError:
                pass
        time.sleep(1)
threading.Thread(target=trickle, daemon=True).start()
ok = 0
for i in range(5):
    time.sleep(0.5)
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        c.request("GET", "/api/v1/experiments")
        r = c.getresponse(); r.read()
        ok += r.status == 200
        c.close()
    except Exception as e:
        print("client: %s" % e, file=sys.stderr)
stop = True
print(ok)
PY
)
	evicted=$(curl -s --max-time 10 "$url/metrics" | awk '$1 == "svabenchd_http_connections_evicted_total" {print $2}')
	if [[ $served == skip* ]]; then
		skip "2,048 trickling connections" "ulimit -n's hard limit (${served#skip }) is under 2,304 descriptors"
	else
	[ "$served" = 5 ] && ok "2,048 trickling connections: a normal client served 5 of 5 times ($evicted trickling ones evicted)" ||
		not_ok "a normal client served during 2,048 trickling connections" "served ${served:-0} of 5"
	fi
	check_daemon_clean "daemon clean after the trickling connections"
else
	not_ok "daemon starts (trickle)" "$(daemon_tail)"
fi

# ---- 9. a deadline for a whole request, however it trickles ----
var=$tmp/deadline
if start_daemon "$var" --request-timeout 2 --conn-timeout 30; then
	took=$(python3 - "$port" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /api/v1/targets HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
t0 = time.monotonic()
s.settimeout(0.3)
while time.monotonic() - t0 < 15:
    try:
        s.send(b"a")
        if s.recv(1) == b"":
            break
    except socket.timeout:
        continue
    except OSError:
        break
print("%.1f" % (time.monotonic() - t0))
PY
)
	if awk -v t="$took" 'BEGIN { exit !(t >= 1.5 && t < 6) }'; then
		ok "a request trickling one byte every 0.3 s is cut at --request-timeout 2 (after $took s)"
	else
		not_ok "request deadline" "the trickling connection lasted $took s (want ~2 s)"
	fi
	req GET /api/v1/targets
	[ "$code" = 200 ] && ok "a prompt request is answered with --request-timeout 2" || not_ok "prompt request with --request-timeout" "got $code"
	n=$(curl -s "$url/metrics" | awk '$1 == "svabenchd_http_request_timeouts_total" {print $2}')
	[ "${n:-0}" -ge 1 ] 2>/dev/null && ok "/metrics counts the request timeouts ($n)" || not_ok "/metrics counts request timeouts" "svabenchd_http_request_timeouts_total=${n:-none}"
	check_daemon_clean "daemon clean after the deadline"
else
	not_ok "daemon starts (deadline)" "$(daemon_tail)"
fi

exit $failed
