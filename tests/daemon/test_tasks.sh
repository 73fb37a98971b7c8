#!/usr/bin/env bash
# test_tasks.sh - the daemon keeps probing, calibration and robustness out
# of its own process (daemon/task.c): they run as job kinds of worker
# processes under --run-timeout.
#
# An LD_PRELOAD shim built here logs every perf_event_open (through
# syscall()) and mount() with the calling pid. After GET /api/v1/collectors,
# two submissions with `collect` and a robustness analysis, the log has
# perf_event_open calls from worker pids and none from the daemon's own
# pid; /metrics counts one collectors probe and one probe per distinct
# event list (the second submission of the same list reads the cache). A
# robustness analysis past --run-timeout is killed with its worker and
# reported failed.
#
# env: SVABENCH (the CLI under test; the daemon is the svabenchd beside it).
set -uo pipefail

# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

need_built "svabenchd exists" "$SVABENCHD"

# metric SAMPLE - the value of one sample (name with labels) of /metrics.
metric() { curl -s "$url/metrics" | awk -v n="$1" '$1 == n { print $2 }'; }
tasks() { metric "svabenchd_worker_tasks_total{kind=\"$1\",outcome=\"${2:-done}\"}"; }

cat >"$tmp/shim.c" <<'EOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

static void note(const char *what)
{
	const char *p = getenv("SHIM_LOG");
	int fd = p ? open(p, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600) : -1;

	if (fd >= 0) {
		dprintf(fd, "%d %s\n", (int)getpid(), what);
		close(fd);
	}
}

long syscall(long nr, ...)
{
	static long (*real)(long, ...);
	long a[6];
	va_list ap;

	va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (nr == SYS_perf_event_open)
		note("perf_event_open");
	if (!real)
		real = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
	return real(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

int mount(const char *src, const char *dst, const char *type, unsigned long flags, const void *data)
{
	static int (*real)(const char *, const char *, const char *, unsigned long, const void *);

	note("mount");
	if (!real)
		real = (int (*)(const char *, const char *, const char *, unsigned long, const void *))
			dlsym(RTLD_NEXT, "mount");
	return real(src, dst, type, flags, data);
}
EOF
if ! cc -shared -fPIC -O1 -o "$tmp/shim.so" "$tmp/shim.c" -ldl 2>"$tmp/cc.err"; then
	not_ok "the syscall shim builds" "$(head -c 300 "$tmp/cc.err")"
	exit 1
fi

spec='{"workload": "mixed", "strategies": ["pri-inv"], "repetitions": 2,
       "params": {"duration_us": 200}, "seed": 3,
       "collect": {"events": ["task-clock", "faults"], "interval_ms": 10}}'
spec2=${spec/\"seed\": 3/\"seed\": 4}
rspec='{"workload": "mixed", "strategies": ["pri-inv", "notifier"], "repetitions": 3,
        "params": {"duration_us": 300}, "seed": 5}'

# ASan wants to be the first library; the shim only wraps two symbols
if SHIM_LOG=$tmp/calls LD_PRELOAD=$tmp/shim.so \
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
	start_daemon "$tmp/v1"; then
	dpid=$pid
	req GET /api/v1/collectors
	check "GET /api/v1/collectors: the list a worker probed" "
assert sys.argv[2] == '200', sys.argv[2]
names = [c['name'] for c in d['collectors']]
assert 'task-clock' in names, names[:20]
" "$code"
	a=$(submit_spec "$spec")
	b=$(submit_spec "$spec2")
	wait_experiment "$a" 60
	wait_experiment "$b" 60
	req GET "/api/v1/experiments/$a"
	check "a submission's host.collectors comes from a worker's probe" "
c = d['experiment']['host']['collectors']
assert [e['name'] for e in c] == ['task-clock', 'faults'], c
assert all(e['source'] == 'perf' and isinstance(e['available'], bool) for e in c), c
"
	req GET "/api/v1/experiments/$b"
	cp "$tmp/body" "$tmp/b.json"
	req GET "/api/v1/experiments/$a"
	py "the same event list again: the same probe, from the cache" '
a = load(sys.argv[1]); b = load(sys.argv[2])
assert a["experiment"]["host"]["collectors"] == b["experiment"]["host"]["collectors"]
' "$tmp/body" "$tmp/b.json"
	c1=$(tasks collectors) p1=$(tasks probe)
	[ "$c1" = 1 ] && [ "$p1" = 1 ] &&
		ok "/metrics: one collectors probe at start, one probe per distinct event list" ||
		not_ok "/metrics: one collectors probe, one probe per event list" "collectors $c1, probe $p1"
	r=$(submit_spec "$rspec")
	wait_experiment "$r" 60
	req POST "/api/v1/experiments/$r/robustness" -H "Authorization: Bearer $(token)" \
		-H 'Content-Type: application/json' --data-binary '{"inputs": ["cmd_sync_ns"], "budget": 300}'
	wait_robustness "$r" 60
	check "a robustness analysis runs in a worker" "
assert d['status'] == 'done', d
assert d['result']['cells'], d
"
	[ -s "$tmp/v1/robustness/$r.json" ] && ok "and is stored under var/robustness" ||
		not_ok "and is stored under var/robustness" "no $tmp/v1/robustness/$r.json"
	[ "$(tasks robustness)" = 1 ] && ok "/metrics counts the robustness task" ||
		not_ok "/metrics counts the robustness task" "$(tasks robustness)"
	check_daemon_clean "svabenchd ran clean"
	own=$(awk -v p="$dpid" '$1 == p' "$tmp/calls" 2>/dev/null | sort | uniq -c | tr '\n' ' ')
	others=$(awk -v p="$dpid" '$1 != p && $2 == "perf_event_open"' "$tmp/calls" 2>/dev/null | wc -l)
	if [ -z "$own" ] && [ "$others" -gt 0 ]; then
		ok "no perf_event_open or mount in the daemon's process; $others perf_event_open in workers"
	else
		not_ok "no perf_event_open or mount in the daemon's process" \
			"daemon pid $dpid: ${own:-none}; worker calls: $others"
	fi
else
	not_ok "daemon starts with the shim" "$(daemon_tail)"
fi

# ---- a robustness analysis past --run-timeout ----
if start_daemon "$tmp/v2" --run-timeout 1; then
	big='{"workload": "mixed", "strategies": ["pri-inv", "notifier"], "repetitions": 6,
	      "params": {"duration_us": 200000, "irq_ns": [2000, 20000]}, "seed": 6}'
	r=$(submit_spec "$big")
	wait_experiment "$r" 120
	before=$(pgrep -P "$pid" | wc -l)
	req POST "/api/v1/experiments/$r/robustness" -H "Authorization: Bearer $(token)" \
		-H 'Content-Type: application/json' --data-binary '{"budget": 100000}'
	wait_robustness "$r" 20
	check "a robustness analysis past --run-timeout fails with the reason" "
assert d['status'] == 'failed', d
assert 'run-timeout 1 s' in d['error'], d['error']
"
	sleep 0.2
	after=$(pgrep -P "$pid" | wc -l)
	[ "$after" = "$before" ] && ok "its worker is gone ($after children, as before it)" ||
		not_ok "its worker is gone" "$before children before, $after after"
	[ "$(tasks robustness failed)" = 1 ] && ok "/metrics counts it failed" ||
		not_ok "/metrics counts it failed" "$(tasks robustness failed)"
	check_daemon_clean "svabenchd ran clean after the timeout"
else
	not_ok "daemon starts" "$(daemon_tail)"
fi

exit "$failed"
