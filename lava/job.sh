#!/usr/bin/env bash
# job.sh - a LAVA job of lava/jobs/ with its @NAME@ placeholders filled in.
#
#   lava/job.sh JOB.yaml NAME=VALUE... > job.yaml
#
# Names: KERNEL_URL RAMDISK_URL DTB_URL (file:// for lava-run, http:// or
# tftp-reachable for a lab), KERNEL_LABEL (the label runs get: the kernel
# under test, e.g. v6.6-fixB; default: the board's uname -r), KERNEL_COMMIT,
# DEVICE_TYPE, CALLBACK_URL, CALLBACK_TOKEN (the name of the token in the
# submitter's LAVA profile). A placeholder left unfilled is an error naming
# it; a value may not hold a quote, backslash or newline.
set -euo pipefail
[ $# -ge 1 ] || { sed -n '2,12s/^# \{0,1\}//p' "$0" >&2; exit 2; }
job=$1; shift
text=$(cat "$job")
for kv in "$@"; do
	name=${kv%%=*} value=${kv#*=}
	case $name in *[!A-Z_]*|'') echo "job.sh: bad name in '$kv' (NAME=VALUE)" >&2; exit 2 ;; esac
	case $value in *[\'\"\\]*|*$'\n'*) echo "job.sh: $name: the value may not hold quotes, backslashes or newlines" >&2; exit 2 ;; esac
	text=${text//@$name@/$value}
done
# Optional ones default to empty.
for name in KERNEL_LABEL KERNEL_COMMIT; do text=${text//@$name@/}; done
left=$(grep -o '@[A-Z_]*@' <<<"$text" | sort -u | tr '\n' ' ' || true)
[ -z "$left" ] || { echo "job.sh: $job: no value for ${left% }" >&2; exit 2; }
printf '%s\n' "$text"
