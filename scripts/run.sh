#!/usr/bin/env bash
# run.sh - what `make run` starts: svabenchd on 127.0.0.1 with ./var/.
#
#   scripts/run.sh [svabenchd options...]
#
# On an empty ./var/svabench.db the daemon queues the default suite
# (suites/default/) and prints the dashboard URL; Ctrl-C (SIGINT) or SIGTERM
# stops it cleanly and re-queues whatever was running. Defaults:
# --listen 127.0.0.1:8470 --var ./var; SVABENCH_LISTEN overrides the address.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

[ -x build/svabenchd ] || { echo "run.sh: build/svabenchd is missing; run 'make' first" >&2; exit 2; }
mkdir -p var
chmod 700 var
exec build/svabenchd --listen "${SVABENCH_LISTEN:-127.0.0.1:8470}" --var ./var "$@"
