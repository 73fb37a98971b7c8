#!/usr/bin/env bash
# qemu-guest.sh - the `qemu` target's guest mode: Debian's arm64 kernel and an
# initramfs holding our VFIO agent, installed as build/qemu/guest/vmlinuz and
# build/qemu/guest/initrd.gz.
#
#   scripts/qemu-guest.sh [--force]
#
# Fetches linux-image-6.1.0-N-arm64 (N from the linux-image-arm64
# metapackage) and busybox-static:arm64 with `apt-get download` into a cache
# ($SVABENCH_CACHE, default var/cache/qemu-guest), reused when present, and
# extracts them with dpkg-deb. The initramfs holds busybox, /init (loads the
# VFIO modules by path: the package has no modules.dep) and the agent,
# cross-compiled by `make build/qemu/guest/agent`.
#
# Quick and silent when everything is up to date (make test calls it). When
# something cannot be had (not root for dpkg --add-architecture, no network,
# no cross compiler) it prints one line "qemu-guest.sh: unavailable: WHY" on
# stderr and exits 0: the guest mode then reports itself unavailable.
# --force rebuilds the initramfs even when it looks up to date.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${SVABENCH_CACHE:-$root/var/cache/qemu-guest}
out=$root/build/qemu/guest
agent=$out/agent
force=0
for arg in "$@"; do
	case $arg in
	--force) force=1 ;;
	-h|--help) sed -n '2,19s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "qemu-guest.sh: unknown option '$arg'" >&2; exit 2 ;;
	esac
done

unavailable() {
	echo "qemu-guest.sh: unavailable: $*" >&2
	exit 0
}

# note MSG - progress, only when work is done (the cached path stays silent).
note() { echo "qemu-guest.sh: $*" >&2; }

for tool in dpkg dpkg-deb apt-get apt-cache cpio gzip; do
	command -v "$tool" >/dev/null 2>&1 || unavailable "$tool is not installed (Debian's apt, dpkg, cpio, gzip are needed)"
done

mkdir -p "$cache" "$out" || unavailable "cannot create $cache or $out"

# ---- the packages: cached .debs, else apt-get download ----

# cached GLOB - the newest cached .deb matching GLOB, or nothing.
cached() { ls -1t "$cache"/$1 2>/dev/null | head -n 1; }

kdeb=$(cached 'linux-image-6.1.0-*-arm64_*_arm64.deb')
bdeb=$(cached 'busybox-static_*_arm64.deb')

if [ -z "$kdeb" ] || [ -z "$bdeb" ]; then
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		if [ "$(id -u)" -ne 0 ]; then
			unavailable "arm64 packages need the arm64 architecture; as root run: dpkg --add-architecture arm64 && apt-get update"
		fi
		note "dpkg --add-architecture arm64"
		dpkg --add-architecture arm64 || unavailable "dpkg --add-architecture arm64 failed"
	fi
	if ! ls /var/lib/apt/lists/*_binary-arm64_Packages* >/dev/null 2>&1 ||
		! apt-cache show linux-image-arm64:arm64 >/dev/null 2>&1; then
		if [ "$(id -u)" -ne 0 ]; then
			unavailable "the arm64 package lists are missing; as root run: apt-get update"
		fi
		note "apt-get update (arm64 lists)"
		apt-get update -qq -o Acquire::Languages=none </dev/null >/dev/null 2>&1 ||
			unavailable "apt-get update failed (no network to Debian's mirror?)"
	fi
	# The metapackage names the current ABI's image: "linux-image-6.1.0-N-arm64 (= V)".
	kpkg=$(apt-cache show --no-all-versions linux-image-arm64:arm64 2>/dev/null |
		sed -n 's/^Depends: .*\(linux-image-6\.1\.0-[0-9]*-arm64\).*/\1/p' | head -n 1)
	[ -n "$kpkg" ] || unavailable "apt-cache knows no linux-image-6.1.0-N-arm64 (linux-image-arm64:arm64 names none)"
	note "apt-get download $kpkg:arm64 busybox-static:arm64 into $cache"
	if ! (cd "$cache" && apt-get download -qq "$kpkg:arm64" busybox-static:arm64 </dev/null >/dev/null 2>&1); then
		unavailable "apt-get download $kpkg:arm64 busybox-static:arm64 failed (no network to Debian's mirror?)"
	fi
	kdeb=$(cached 'linux-image-6.1.0-*-arm64_*_arm64.deb')
	bdeb=$(cached 'busybox-static_*_arm64.deb')
	[ -n "$kdeb" ] && [ -n "$bdeb" ] || unavailable "apt-get download left no .deb in $cache"
fi

# extract DEB DIR - dpkg-deb -x once per .deb; a stamp names what DIR holds.
extract() {
	local deb=$1 dir=$2
	if [ "$(cat "$dir/.from" 2>/dev/null)" != "$(basename "$deb")" ]; then
		note "dpkg-deb -x $(basename "$deb")"
		rm -rf "$dir"
		mkdir -p "$dir" && dpkg-deb -x "$deb" "$dir" || unavailable "dpkg-deb -x $deb failed"
		basename "$deb" >"$dir/.from"
	fi
}
extract "$kdeb" "$cache/kernel"
extract "$bdeb" "$cache/busybox"

kver=$(ls -1 "$cache/kernel/lib/modules" 2>/dev/null | head -n 1)
vmlinuz=$cache/kernel/boot/vmlinuz-$kver
[ -n "$kver" ] && [ -f "$vmlinuz" ] || unavailable "$kdeb holds no boot/vmlinuz-* and lib/modules/*"
busybox=$cache/busybox/bin/busybox
[ -x "$busybox" ] || unavailable "$bdeb holds no bin/busybox"

# ---- the agent ----

if ! command -v aarch64-linux-gnu-gcc >/dev/null 2>&1; then
	unavailable "aarch64-linux-gnu-gcc is not installed (apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross)"
fi
make -s -C "$root" build/qemu/guest/agent >/dev/null || unavailable "make build/qemu/guest/agent failed"
[ -x "$agent" ] || unavailable "make built no $agent"

# ---- the initramfs ----

# The VFIO modules in load order (6.1 has no modules.dep in the package, so
# /init insmods each by path; vfio_iommu_type1 needs unsafe interrupts: the
# virt board's GICv2 has no MSI remapping).
mods=(vfio vfio_iommu_type1 vfio_virqfd vfio-pci-core vfio-pci)

initrd=$out/initrd.gz
if [ "$force" = 0 ] && [ -s "$initrd" ] && [ "$initrd" -nt "$agent" ] && [ "$initrd" -nt "$0" ] &&
	[ "$initrd" -nt "$cache/kernel/.from" ] && [ "$initrd" -nt "$cache/busybox/.from" ] &&
	cmp -s "$vmlinuz" "$out/vmlinuz"; then
	exit 0
fi

stage=$(mktemp -d "$out/initrd.XXXXXX") || unavailable "mktemp failed in $out"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,dev,proc,sys,modules} || unavailable "cannot fill $stage"
cp "$busybox" "$stage/bin/busybox"
ln -s busybox "$stage/bin/sh"
cp "$agent" "$stage/agent"

insmods=""
for m in "${mods[@]}"; do
	ko=$(find "$cache/kernel/lib/modules/$kver/kernel/drivers/vfio" -name "$m.ko" -o -name "$m.ko.xz" | head -n 1)
	[ -n "$ko" ] || unavailable "the kernel package has no $m.ko under drivers/vfio"
	case $ko in
	*.xz)
		command -v xz >/dev/null 2>&1 || unavailable "xz is not installed (the modules are .ko.xz)"
		xz -dc "$ko" >"$stage/modules/$m.ko" || unavailable "xz -d $ko failed" ;;
	*) cp "$ko" "$stage/modules/$m.ko" ;;
	esac
	args=""
	[ "$m" = vfio_iommu_type1 ] && args=" allow_unsafe_interrupts=1"
	insmods+="insmod /modules/$m.ko$args || fail \"insmod $m failed\""$'\n'
done

# /init: mount what the agent needs, load the modules, hand over to the
# agent (which powers off). Any failure prints a JSON error line and powers
# off, so the host sees why instead of a hang.
cat >"$stage/init" <<EOF
#!/bin/sh
export PATH=/bin
/bin/busybox mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
fail() {
	echo "{\"error\":\"init: \$1\"}"
	/bin/busybox poweroff -f
}
/bin/busybox mount -t proc proc /proc || fail "mount /proc failed"
/bin/busybox mount -t sysfs sysfs /sys || fail "mount /sys failed"
for a in insmod poweroff cat; do /bin/busybox ln -s busybox /bin/\$a; done
$insmods
/agent
fail "the agent returned (status \$?)"
EOF
chmod 755 "$stage/init" "$stage/agent" "$stage/bin/busybox"

# newc, owned by root whoever builds it; files sorted so equal inputs give
# equal archives.
if ! (cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -9n >"$initrd.tmp"); then
	rm -f "$initrd.tmp"
	unavailable "cpio/gzip of the initramfs failed"
fi
mv "$initrd.tmp" "$initrd"
cp "$vmlinuz" "$out/vmlinuz.tmp" && mv "$out/vmlinuz.tmp" "$out/vmlinuz"
note "installed $out/vmlinuz ($kver) and $out/initrd.gz"
exit 0
