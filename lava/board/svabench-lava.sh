#!/bin/sh
# svabench-lava - svabench's board suite under LAVA's test shell (busybox sh).
#
#   svabench-lava [SPEC.json...]     (default: /usr/share/svabench/suite/*.json)
#
# Per spec: `svabench run --offline --json` with the label set to the kernel
# under test ($SVABENCH_LABEL, else `uname -r`); each headline metric a
# lava-test-case with measurement and units (`svabench lava-cases`), grouped
# per strategy with lava-test-set; then the result document in an envelope
# with the board's and kernel's identity, base64 between
# SVABENCH-LAVA-DOC-BEGIN/END markers (core/lava.h), for `svabench
# import-lava` or svabenchd's LAVA callback. A spec named *.bound.json runs
# only where the host target's bound strategy is available (an SVA device);
# elsewhere its case is skipped with the reason. Without LAVA's helpers on
# the PATH the cases are printed instead. Environment: SVABENCH_LABEL,
# KERNEL_VERSION (default `uname -r`), KERNEL_COMMIT, KERNEL_CONFIG,
# KERNEL_VARIANT, BOARD, SVABENCH (the CLI), LAVA_JOB_ID. The spec's
# "kernel" (history's order) gets the version, the commit when it is a git
# id (7..64 hex digits) and the config's name, unless the spec has its own.
set -u
cli=${SVABENCH:-svabench}
tmp=${TMPDIR:-/tmp}/svabench-lava.$$
mkdir -p "$tmp" || exit 1
trap 'rm -rf "$tmp"' EXIT
label=${SVABENCH_LABEL:-$(uname -r)}
[ $# -gt 0 ] || set -- /usr/share/svabench/suite/*.json

if command -v lava-test-case >/dev/null 2>&1; then
	lava=1
else
	lava=0
fi
test_case() { # NAME RESULT [MEASUREMENT UNITS]
	if [ $lava = 1 ]; then
		if [ $# -ge 4 ]; then
			lava-test-case "$1" --result "$2" --measurement "$3" --units "$4"
		else
			lava-test-case "$1" --result "$2"
		fi
	else
		echo "case $*"
	fi
}
test_set() { # start NAME | stop
	if [ $lava = 1 ]; then lava-test-set "$@"; else echo "set $*"; fi
}

# JSON string of $1: backslashes and quotes escaped, control characters dropped.
jstr() {
	printf '"%s"' "$(printf '%s' "$1" | tr -d '\000-\037' | sed 's/\\/\\\\/g; s/"/\\"/g')"
}
jstr_or_null() { if [ -n "$1" ]; then jstr "$1"; else printf null; fi; }

# The kernel's identity: uname, the config where the kernel exposes it
# (/proc/config.gz), the commit and variant where the job says them.
kernel_json() {
	printf '{"release":%s,"version":%s,"machine":%s,"commit":%s,"variant":%s,"cmdline":%s' \
		"$(jstr "$(uname -r)")" "$(jstr "$(uname -v)")" "$(jstr "$(uname -m)")" \
		"$(jstr_or_null "${KERNEL_COMMIT:-}")" "$(jstr_or_null "${KERNEL_VARIANT:-}")" \
		"$(jstr "$(cat /proc/cmdline 2>/dev/null)")"
	if [ -r /proc/config.gz ]; then
		printf ',"config_md5":%s,"config":{' "$(jstr_or_null "$(zcat /proc/config.gz | md5sum 2>/dev/null | cut -d' ' -f1)")"
		sep=
		for opt in CONFIG_ARM_SMMU_V3 CONFIG_ARM_SMMU_V3_SVA CONFIG_IOMMU_SVA CONFIG_MMU_NOTIFIER \
			CONFIG_UACCE CONFIG_CRYPTO_DEV_HISI_ZIP CONFIG_INTEL_IDXD_SVM CONFIG_ARM_SMMU_V3_PMU; do
			v=$(zcat /proc/config.gz | sed -n "s/^$opt=//p")
			printf '%s%s:%s' "$sep" "$(jstr "$opt")" "$(jstr_or_null "$v")"
			sep=,
		done
		printf '}'
	else
		printf ',"config":null,"config_unavailable":"no /proc/config.gz (CONFIG_IKCONFIG_PROC)"'
	fi
	printf '}'
}

board_json() {
	model=$([ -r /proc/device-tree/model ] && tr -d '\000' </proc/device-tree/model)
	cpus=$(grep -c '^processor' /proc/cpuinfo 2>/dev/null)
	part=$(sed -n 's/^CPU part[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | sort -u | tr '\n' ' ')
	iommu=$(ls /sys/class/iommu 2>/dev/null | tr '\n' ' ')
	printf '{"name":%s,"model":%s,"cpus":%s,"cpu_parts":%s,"iommus":%s,"lava_job_id":%s}' \
		"$(jstr_or_null "${BOARD:-}")" "$(jstr_or_null "$model")" "${cpus:-null}" \
		"$(jstr_or_null "${part% }")" "$(jstr_or_null "${iommu% }")" "$(jstr_or_null "${LAVA_JOB_ID:-}")"
}

kernel=$(kernel_json)
board=$(board_json)
# The spec's "kernel": the kernel under test, ordering svabench's history.
kversion=${KERNEL_VERSION:-$(uname -r)}
kspec="\"version\": $(jstr "$kversion" | tr -d ' ')"
case ${KERNEL_COMMIT:-} in
*[!0-9a-f]*|'') ;;
*) [ ${#KERNEL_COMMIT} -ge 7 ] && [ ${#KERNEL_COMMIT} -le 64 ] && kspec="$kspec, \"commit\": \"$KERNEL_COMMIT\"" ;;
esac
[ -n "${KERNEL_CONFIG:-}" ] && kspec="$kspec, \"config\": $(jstr "$KERNEL_CONFIG" | tr -d ' ')"
echo "svabench-lava: label $label, kernel $(uname -r), $(uname -m), $# specs"
status=0
bound_reason=$("$cli" describe host 2>/dev/null | sed -n 's/.*bound unavailable: \([^)]*\).*/\1/p')
for spec in "$@"; do
	name=$(basename "$spec" .json)
	case $name in
	*.bound)
		if [ -n "$bound_reason" ]; then
			echo "svabench-lava: $name skipped: bound unavailable: $bound_reason"
			test_case "$name" skip
			continue
		fi ;;
	esac
	# The label: the kernel under test (the spec's own label, if any, is
	# replaced); its "kernel" unless the spec has one.
	k=
	grep -q '"kernel"' "$spec" || k="\"kernel\": {$kspec}, "
	sed -e 's/"label"[[:space:]]*:[[:space:]]*"[^"]*"[[:space:]]*,\{0,1\}//' \
	    -e "1s/^[[:space:]]*{/{\"label\": $(jstr "$label" | sed 's/[&/\\]/\\&/g'), $(printf '%s' "$k" | sed 's/[&/\\]/\\&/g')/" "$spec" >"$tmp/spec.json"
	"$cli" run --offline "$tmp/spec.json" --json >"$tmp/doc.json" 2>"$tmp/err"
	rc=$?
	if [ $rc -ge 2 ] || [ ! -s "$tmp/doc.json" ]; then
		echo "svabench-lava: $name: svabench run failed (exit $rc): $(cat "$tmp/err")"
		test_case "$name" fail
		status=1
		continue
	fi
	[ $rc = 0 ] || status=1
	"$cli" lava-cases "$tmp/doc.json" >"$tmp/cases" || { test_case "$name" fail; status=1; continue; }
	cur=
	while IFS='	' read -r set case result measurement units; do
		if [ "$set" != "$cur" ]; then
			[ -z "$cur" ] || test_set stop
			test_set start "$set"
			cur=$set
		fi
		test_case "$name.$case" "$result" "$measurement" "$units"
	done <"$tmp/cases"
	[ -z "$cur" ] || test_set stop
	# The envelope, then its base64 between the markers.
	{
		printf '{"svabench_lava":1,"name":%s,"board":%s,"kernel":%s,"document":' "$(jstr "$name")" "$board" "$kernel"
		cat "$tmp/doc.json"
		printf '}'
	} >"$tmp/env.json"
	"$cli" lava-cases --pack "$name" "$tmp/env.json" || status=1
done
exit $status
