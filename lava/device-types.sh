#!/usr/bin/env bash
# device-types.sh - lava-server's device-type templates (lava-dispatcher
# ships none), from Debian's lava-server package: `apt-get download`, then
# `dpkg-deb -x` into a cache, reused when present. Prints the templates'
# directory (.../usr/share/lava-server/device-types).
#
#   lava/device-types.sh
#
# The cache is $SVABENCH_LAVA_CACHE, default var/cache/lava. When the
# package cannot be had it prints "device-types.sh: unavailable: WHY" on
# stderr and exits 3.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${SVABENCH_LAVA_CACHE:-$root/var/cache/lava}
unavailable() {
	echo "device-types.sh: unavailable: $*" >&2
	exit 3
}
mkdir -p "$cache" || unavailable "cannot create $cache"
deb=$(ls -1t "$cache"/lava-server_*_all.deb 2>/dev/null | head -n 1)
if [ -z "$deb" ]; then
	command -v apt-get >/dev/null 2>&1 || unavailable "apt-get is not installed"
	if ! (cd "$cache" && apt-get download -qq lava-server </dev/null >/dev/null 2>&1); then
		[ "$(id -u)" -eq 0 ] && apt-get update -qq </dev/null >/dev/null 2>&1 &&
			(cd "$cache" && apt-get download -qq lava-server </dev/null >/dev/null 2>&1) ||
			unavailable "apt-get download lava-server failed (no network to Debian's mirror?)"
	fi
	deb=$(ls -1t "$cache"/lava-server_*_all.deb 2>/dev/null | head -n 1)
	[ -n "$deb" ] || unavailable "apt-get download left no lava-server .deb in $cache"
fi
dir=$cache/lava-server
if [ "$(cat "$dir/.from" 2>/dev/null)" != "$(basename "$deb")" ]; then
	rm -rf "$dir"
	mkdir -p "$dir" && dpkg-deb -x "$deb" "$dir" || unavailable "dpkg-deb -x $deb failed"
	basename "$deb" >"$dir/.from"
fi
types=$dir/usr/share/lava-server/device-types
[ -f "$types/qemu.jinja2" ] || unavailable "$deb holds no device-types/qemu.jinja2"
echo "$types"
