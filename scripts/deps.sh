#!/usr/bin/env bash
# deps.sh - install the Debian packages svabench needs, if any are missing.
#
#   scripts/deps.sh [--bench] [--browser] [--lava]
#
# Prints nothing and exits 0 when everything is there. As root it installs
# what is missing with apt-get (no prompts, no stdin); otherwise it prints the
# command to run and exits 1. --bench adds what the benchmarks need.
#
# The dashboard's browser test needs chromium, node and npm (Debian's) and
# tests/browser's playwright-core (`npm ci`, when node_modules is missing or
# stale). As root they are installed with the rest; otherwise a note says
# how, and the test itself fails naming the fix. --browser makes them
# required (CI); SVABENCH_SKIP_BROWSER=1 leaves them out.
# --lava adds what the LAVA jobs need (lava/, tests/lava): lava-run
# (lava-dispatcher, lava-common) and the arm64 -dev libraries the CLI is
# cross-built against (multiarch: dpkg --add-architecture arm64 first).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
need=(libjansson-dev libsqlite3-dev sqlite3 libmicrohttpd-dev nettle-dev zlib1g-dev libcurl4-openssl-dev curl libpfm4-dev
      gnuplot-nox valgrind python3 pkg-config clang libclang-rt-14-dev
      qemu-system-arm gcc-aarch64-linux-gnu libc6-dev-arm64-cross cpio xz-utils
      zlib1g-dev prometheus)
bench=0
lava=0
lava_missing=()
browser=auto # auto: with the rest as root, a note otherwise; yes: required; no: left out
[ "${SVABENCH_SKIP_BROWSER:-0}" = 1 ] && browser=no
for arg in "$@"; do
	case $arg in
	--bench) bench=1 ;;
	--browser) browser=yes ;;
	--lava) lava=1 ;;
	-h|--help) sed -n '2,18s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "deps.sh: unknown option '$arg'" >&2; exit 2 ;;
	esac
done
[ "$bench" = 1 ] && need+=(wrk nginx-light stress-ng)
if [ "$lava" = 1 ]; then
	need+=(lava-dispatcher lava-common binutils-aarch64-linux-gnu)
	# The :arm64 packages need the architecture and its package lists.
	if ! dpkg --print-foreign-architectures 2>/dev/null | grep -qx arm64; then
		if [ "$(id -u)" -ne 0 ]; then
			echo "deps.sh: --lava needs the arm64 architecture: sudo dpkg --add-architecture arm64 && sudo apt-get update" >&2
			exit 1
		fi
		echo "deps.sh: dpkg --add-architecture arm64" >&2
		dpkg --add-architecture arm64
		apt-get update -q </dev/null
	fi
	# dpkg-query names foreign packages without ":arm64": asked one by one.
	for p in libjansson-dev libpfm4-dev libcurl4-openssl-dev libc6-dev; do
		[ "$(dpkg-query -W -f='${Status}' "$p:arm64" 2>/dev/null)" = "install ok installed" ] ||
			lava_missing+=("$p:arm64")
	done
fi

# The browser test's packages, by what is on the PATH: node may come from
# elsewhere than Debian (NodeSource bundles npm), and that is fine.
web=()
if [ "$browser" != no ]; then
	[ -x /usr/bin/chromium ] || web+=(chromium)
	command -v node >/dev/null 2>&1 || web+=(nodejs)
	command -v npm >/dev/null 2>&1 || web+=(npm)
fi
if [ ${#web[@]} -gt 0 ] && { [ "$browser" = yes ] || [ "$(id -u)" -eq 0 ]; }; then
	need+=("${web[@]}")
elif [ ${#web[@]} -gt 0 ]; then
	echo "deps.sh: note: the dashboard's browser test needs ${web[*]}:" \
	     "sudo apt-get install -y --no-install-recommends ${web[*]}" >&2
fi

# tests/browser/node_modules from package-lock.json, when missing or stale.
browser_modules() {
	local dir=$root/tests/browser want have
	[ "$browser" != no ] || return 0
	if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
		[ "$browser" = yes ] && { echo "deps.sh: npm is missing" >&2; exit 1; }
		return 0
	fi
	want=$(node -p "require('$dir/package-lock.json').packages['node_modules/playwright-core'].version")
	have=$(node -p "require('$dir/node_modules/playwright-core/package.json').version" 2>/dev/null || true)
	[ "$want" = "$have" ] && return 0
	echo "deps.sh: npm ci --prefix tests/browser (playwright-core $want)" >&2
	if ! npm ci --prefix "$dir" --no-audit --no-fund </dev/null >&2; then
		[ "$browser" = yes ] && { echo "deps.sh: npm ci failed" >&2; exit 1; }
		echo "deps.sh: npm ci failed; the browser test will fail until it works" >&2
	fi
}

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
missing+=(${lava_missing[@]+"${lava_missing[@]}"})
if [ ${#missing[@]} -eq 0 ]; then
	browser_modules
	exit 0
fi

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
browser_modules
