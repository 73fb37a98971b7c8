#!/usr/bin/env bash
# deps.sh - install the Debian packages svabench needs, if any are missing.
#
#   scripts/deps.sh [--bench]
#
# Prints nothing and exits 0 when everything is there. As root it installs
# what is missing with apt-get (no prompts, no stdin); otherwise it prints the
# command to run and exits 1. --bench adds what the benchmarks need.
set -euo pipefail

need=(libjansson-dev libsqlite3-dev sqlite3 libmicrohttpd-dev libcurl4-openssl-dev curl libpfm4-dev
      gnuplot-nox valgrind python3 pkg-config)
bench=0
for arg in "$@"; do
	case $arg in
	--bench) bench=1 ;;
	-h|--help) sed -n '2,8s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "deps.sh: unknown option '$arg'" >&2; exit 2 ;;
	esac
done
[ "$bench" = 1 ] && need+=(wrk nginx-light)

if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "deps.sh: not a Debian system; make sure these (or their equivalents) are installed:" >&2
	echo "  build-essential ${need[*]}" >&2
	exit 0
fi

# One dpkg-query for all, "name=status" per package it knows.
# dpkg-query exits 1 when it knows a name not at all: that is "missing" too.
status=$(dpkg-query -W -f='${Package}=${Status}\n' \
	build-essential gcc make "${need[@]}" 2>/dev/null || true)
installed=" $(sed -n 's/=install ok installed$//p' <<<"$status" | tr '\n' ' ') "

is_installed() { [[ $installed == *" $1 "* ]]; }

missing=()
# build-essential, or at least a compiler and make.
if ! is_installed build-essential && ! { is_installed gcc && is_installed make; }; then
	missing+=(build-essential)
fi
for p in "${need[@]}"; do
	is_installed "$p" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "svabench needs these Debian packages: ${missing[*]}" >&2
	echo "install them with:" >&2
	echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
install() {
	apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
}
echo "deps.sh: installing ${missing[*]}" >&2
if ! install; then
	# Empty or stale package lists: refresh once and retry.
	echo "deps.sh: install failed; running apt-get update and retrying" >&2
	apt-get update -q </dev/null
	install
fi
