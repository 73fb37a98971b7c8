#!/usr/bin/env bash
# build-ramdisk.sh - the LAVA boards' ramdisk: busybox, the arm64 svabench
# CLI with its shared-library closure, the board's test script and suite.
#
#   lava/build-ramdisk.sh [--out DIR]
#
# Writes DIR/ramdisk.cpio.gz (newc, gzip: what a LAVA job deploys with
# `format: cpio.newc`, `compression: gz`, `overlays: {lava: true}`) and
# DIR/vmlinuz (Debian's arm64 6.1 kernel, for the qemu job), DIR defaulting
# to build/lava. Needs build/arm64/svabench (`make arm64`) and the arm64
# packages that scripts/qemu-guest.sh caches ($SVABENCH_CACHE, default
# var/cache/qemu-guest): it runs that script first. Prints one line
# "build-ramdisk.sh: unavailable: WHY" on stderr and exits 3 when something
# cannot be had; 0 when the ramdisk is there. Equal inputs give equal bytes.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${SVABENCH_CACHE:-$root/var/cache/qemu-guest}
out=$root/build/lava
while [ $# -gt 0 ]; do
	case $1 in
	--out) out=$2; shift 2 ;;
	-h|--help) sed -n '2,15s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "build-ramdisk.sh: unknown option '$1'" >&2; exit 2 ;;
	esac
done

unavailable() {
	echo "build-ramdisk.sh: unavailable: $*" >&2
	exit 3
}

export SVABENCH_CACHE=$cache
msg=$("$root/scripts/qemu-guest.sh" 2>&1) || unavailable "scripts/qemu-guest.sh failed: $msg"
case $msg in *unavailable:*) unavailable "${msg#*unavailable: }" ;; esac
busybox=$cache/busybox/bin/busybox
kver=$(ls -1 "$cache/kernel/lib/modules" 2>/dev/null | head -n 1)
vmlinuz=$cache/kernel/boot/vmlinuz-$kver
[ -x "$busybox" ] && [ -f "$vmlinuz" ] || unavailable "no busybox or kernel in $cache"

cli=$root/build/arm64/svabench
make -s -C "$root" arm64 >&2 || unavailable "make arm64 failed (scripts/deps.sh --lava installs the cross compiler and arm64 libraries)"
readelf=aarch64-linux-gnu-readelf
command -v $readelf >/dev/null 2>&1 || unavailable "$readelf is not installed (binutils-aarch64-linux-gnu)"

mkdir -p "$out" || unavailable "cannot create $out"
stage=$(mktemp -d "$out/ramdisk.XXXXXX") || unavailable "mktemp failed in $out"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,sbin,dev,proc,sys,tmp,root,etc,usr/bin,usr/sbin,usr/share/svabench/suite,lib/aarch64-linux-gnu}

cp "$busybox" "$stage/bin/busybox"
ln -s busybox "$stage/bin/sh"
# The CLI, stripped (the build keeps -g for debugging; the board needs none).
aarch64-linux-gnu-strip -o "$stage/usr/bin/svabench" "$cli" || unavailable "strip $cli failed"

# Its shared libraries, by NEEDED, from the arm64 multiarch directories.
needed() { $readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }
queue=("$cli") seen=" " # files whose shared libraries are still to be looked up
while [ ${#queue[@]} -gt 0 ]; do
	f=${queue[0]}; queue=("${queue[@]:1}")
	for n in $(needed "$f"); do
		[[ $seen == *" $n "* ]] && continue
		seen+="$n "
		p=
		for d in /lib/aarch64-linux-gnu /usr/lib/aarch64-linux-gnu; do
			[ -e "$d/$n" ] && { p=$d/$n; break; }
		done
		[ -n "$p" ] || unavailable "the arm64 library $n (needed by $(basename "$f")) is not installed (scripts/deps.sh --lava)"
		cp -L "$p" "$stage/lib/aarch64-linux-gnu/$n"
		queue+=("$p")
	done
done
ln -s aarch64-linux-gnu/ld-linux-aarch64.so.1 "$stage/lib/ld-linux-aarch64.so.1"

cp "$root/lava/board/svabench-lava.sh" "$stage/usr/bin/svabench-lava"
cp "$root"/lava/board/suite/*.json "$stage/usr/share/svabench/suite/"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$stage/etc/passwd"
printf 'root:x:0:\n' >"$stage/etc/group"

# /init: the usual file systems, busybox's applets, a quiet console (kernel
# messages would split the lines LAVA reads), then a shell on the console
# for LAVA's test shell (prompt "/ # ").
cat >"$stage/init" <<'INIT'
#!/bin/sh
/bin/busybox mount -t devtmpfs devtmpfs /dev
/bin/busybox --install -s
export PATH=/usr/bin:/usr/sbin:/bin:/sbin HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tmpfs tmpfs /tmp
mkdir -p /var/tmp /sys/kernel/debug /sys/kernel/tracing
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
echo 1 >/proc/sys/kernel/printk
hostname svabench-board
echo "svabench ramdisk: $(uname -r) $(uname -m)"
exec setsid cttyhack /bin/sh -l
INIT
chmod 755 "$stage/init" "$stage/bin/busybox" "$stage/usr/bin/svabench" "$stage/usr/bin/svabench-lava"

# Equal inputs, equal bytes: no build times in the archive.
find "$stage" -mindepth 1 -exec touch -h -d @0 {} +
ramdisk=$out/ramdisk.cpio.gz
if ! (cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
	cpio -o -H newc -R 0:0 --reproducible --quiet | gzip -9n >"$ramdisk.tmp"); then
	rm -f "$ramdisk.tmp"
	unavailable "cpio/gzip of the ramdisk failed"
fi
mv "$ramdisk.tmp" "$ramdisk"
cmp -s "$vmlinuz" "$out/vmlinuz" || cp "$vmlinuz" "$out/vmlinuz"
echo "$kver" >"$out/kernel-release"
exit 0
