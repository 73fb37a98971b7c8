#!/usr/bin/env bash
# test_prom.sh - GET /metrics as monitoring reads it: `promtool check
# metrics` (Debian's prometheus package) passes on it while an
# experiment's label holds quotes, a backslash, a newline and markup; one
# family per quantity with its unit in its name; one sample per cell and
# strategy (a 2-cell sweep gives two per strategy, never their average);
# bounded: only the newest done experiment of each configuration shows.
#
# SVABENCH: the CLI (default build/svabench); SVABENCHD: the daemon.
set -u

# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

need_tools prom curl python3 promtool
need_built prom "$SVABENCHD" "$SVABENCH"
unset SVABENCH_TOKEN SVABENCH_URL

if ! start_daemon "$tmp/var"; then
	not_ok "svabenchd starts" "$(daemon_tail)"
	exit 1
fi
cli() { "$SVABENCH" "$@" --server "$url" --var "$tmp/var"; }

# submit SEED LABEL [EXTRA] - a 2-cell sweep (ats off and on), waited for
submit() {
	python3 -c '
import json, sys
print(json.dumps({"target": "sim", "workload": "rw-reuse", "strategies": ["pri-inv", "notifier"],
                  "params": {"duration_us": 300, "ats": [False, True]}, "repetitions": 3,
                  "seed": int(sys.argv[1]), "label": sys.argv[2]}))' "$1" "$2" |
		cli submit - --wait --timeout 120 2>"$tmp/err"
}
hostile=$(printf 'v6.6 "quoted" back\\slash\nnew line <script>alert(1)</script>')
old=$(submit 1 "$hostile") && e1=$(submit 2 "$hostile") || { not_ok "submissions" "$(head -c 300 "$tmp/err")"; exit 1; }
ok "two experiments of one configuration, labelled with quotes, a backslash, a newline and markup"

curl -s "$url/metrics" >"$tmp/metrics.txt"
if promtool check metrics <"$tmp/metrics.txt" >"$tmp/promtool.out" 2>&1; then
	ok "promtool check metrics passes"
else
	not_ok "promtool check metrics passes" "$(head -c 400 "$tmp/promtool.out" | tr '\n' ' ')"
fi
unescape=$(cat <<'EOF_PY'
import re
t = open(sys.argv[1]).read()
m = re.search(r'^svabench_result_info\{(.*)\} 1$', t, re.M)
assert m, 'no svabench_result_info'
raw = re.search(r'label="((?:[^"\\]|\\.)*)"', m.group(1)).group(1)
text = re.sub(r'\\(.)', lambda x: '\n' if x.group(1) == 'n' else x.group(1), raw)
assert text == sys.argv[2], (text, sys.argv[2])
EOF_PY
)
py "the label's text comes back whole from the exposition's escaping" "$unescape" "$tmp/metrics.txt" "$hostile"
families=$(cat <<'EOF_PY'
import re
t = open(sys.argv[1]).read()
new, old = sys.argv[2], sys.argv[3]
fams = re.findall(r'^# TYPE (svabench_\S+) gauge$', t, re.M)
assert 'svabench_cpu_invalidation_seconds' in fams, fams
assert 'svabench_dma_throughput_bytes_per_second' in fams, fams
assert 'svabench_result' not in fams, 'the unit-mixing family is back'
lines = [l for l in t.splitlines() if l.startswith('svabench_cpu_invalidation_seconds{')]
assert len(lines) == 4, lines
assert all('experiment="%s"' % new in l for l in lines), 'the older %s shows too' % old
cells = {re.search(r'cell="((?:[^"\\]|\\.)*)"', l).group(1) for l in lines}
assert cells == {'{\\"ats\\":false}', '{\\"ats\\":true}'}, cells
for l in lines:
    v = float(l.rsplit(' ', 1)[1])
    assert 0 < v < 1, ('seconds, not ns', l)
EOF_PY
)
py "families carry their unit; one sample per cell and strategy, of the newest experiment only" "$families" "$tmp/metrics.txt" "$e1" "$old"
exit $failed
