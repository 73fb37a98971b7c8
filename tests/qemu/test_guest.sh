#!/usr/bin/env bash
# test_guest.sh - the qemu target's guest mode, as a user runs it: Debian's
# arm64 kernel boots under QEMU, the VFIO agent maps, DMAs and unmaps edu
# through the real arm-smmu-v3 driver, and the commands by opcode QEMU saw
# per unmap equal what the simulator's driver model predicts with RIL.
# Then a guest that hangs and one that panics end as failed runs with the
# console tail as the reason, within the timeout, leaving no QEMU behind.
#
# Skips only when QEMU or the arm64 packages cannot be had here
# (scripts/qemu-guest.sh says why).
. "$(dirname "$0")/../lib.sh"

need_tools qemu-guest qemu-system-aarch64 python3 cpio gzip
need_built qemu-guest "$SVABENCH"

sizes='[1, 16, 511, 512, 1024]'

# The kernel and initramfs, fetched and built once, then cached.
"$root/scripts/qemu-guest.sh" 2>"$tmp/fetch.err"
if grep -q 'unavailable:' "$tmp/fetch.err"; then
	skip qemu-guest "$(grep -m1 'unavailable:' "$tmp/fetch.err")"
	exit 0
fi
guest=$root/build/qemu/guest
if [ ! -s "$guest/vmlinuz" ] || [ ! -s "$guest/initrd.gz" ]; then
	not_ok qemu-guest-assets "scripts/qemu-guest.sh left no $guest/vmlinuz and initrd.gz: $(head -c 300 "$tmp/fetch.err")"
	exit 1
fi

# ---- the real driver's unmaps ----

cat >"$tmp/guest.json" <<EOF
{"target":"qemu","workload":"dma-unmap","strategies":["linux"],
 "params":{"range_pages":$sizes,"iterations":2}}
EOF
sv run --offline "$tmp/guest.json" --json
cp "$tmp/out" "$tmp/guest.out"
if [ "$rc" -ne 0 ]; then
	not_ok qemu-guest-run "exit $rc: $(first_err) $(grep -o '"reason": "[^"]*"' "$tmp/guest.out" | head -n 2 | tr '\n' ' ')"
	exit 1
fi
ok qemu-guest-run

# The simulator's prediction per unmap: the difference between 2 and 1
# map/unmap cycles (its totals also hold the bind's set-up commands). A
# long duration_us lets `iterations` end the run, not the clock.
for n in 1 2; do
	cat >"$tmp/sim$n.json" <<EOF
{"target":"sim","workload":"dma-unmap","strategies":["none"],
 "params":{"range_pages":$sizes,"ril":true,"iterations":$n,"duration_us":10000000}}
EOF
	sv run --offline "$tmp/sim$n.json" --json
	cp "$tmp/out" "$tmp/sim$n.out"
	simrc=$rc
	[ "$rc" -eq 0 ] || break
done
if [ "$simrc" -ne 0 ]; then
	# The sim has no dma-unmap yet: the RIL encoding, worked out by hand
	# (__arm_smmu_tlb_inv_range: (NUM+1) << SCALE pages per command; 511
	# = 31 + 480 needs two), each unmap ending with one CMD_SYNC.
	echo "# note: sim dma-unmap unavailable ($(first_err)); comparing with the RIL encoding" >&2
	printf '%s' '{"1":1,"16":1,"511":2,"512":1,"1024":1}' >"$tmp/expect.json"
fi

py qemu-guest-commands-match-sim "
guest = {r['cell']['range_pages']: r for r in load(sys.argv[1])['runs']}
names = ['cmd.tlbi_nh_va_range', 'cmd.tlbi_nh_va', 'cmd.tlbi_nh_asid', 'cmd.sync']
if sys.argv[2] == '0':
    s1 = {r['cell']['range_pages']: r['metrics'] for r in load(sys.argv[3])['runs']}
    s2 = {r['cell']['range_pages']: r['metrics'] for r in load(sys.argv[4])['runs']}
    want = {p: {n: s2[p].get(n, 0) - s1[p].get(n, 0) for n in names} for p in s2}
else:
    ranges = load(sys.argv[5])
    want = {int(p): {'cmd.tlbi_nh_va_range': k, 'cmd.tlbi_nh_va': 0, 'cmd.tlbi_nh_asid': 0,
                     'cmd.sync': 1} for p, k in ranges.items()}
bad = []
for p in sorted(want):
    r = guest.get(p)
    if r is None or r['status'] != 'done':
        bad.append('%d pages: %s' % (p, r and r.get('reason')))
        continue
    got = {n: r['metrics'].get(n) for n in names}
    if got != want[p]:
        bad.append('%d pages: qemu %s, sim %s' % (p, got, want[p]))
    if r['metrics'].get('qemu.cmd_varies') != 0:
        bad.append('%d pages: commands differ between iterations' % p)
assert not bad, '; '.join(bad)
" "$tmp/guest.out" "$simrc" "$tmp/sim1.out" "$tmp/sim2.out" "$tmp/expect.json"

py qemu-guest-data-checks "
runs = load(sys.argv[1])['runs']
bad = ['%d pages: checked %s mismatches %s dma %s' % (r['cell']['range_pages'],
       r['metrics'].get('data.checked'), r['metrics'].get('data.mismatches'),
       r['metrics'].get('dma.transactions'))
       for r in runs if not (r['metrics'].get('data.checked', 0) >= 1
       and r['metrics'].get('data.mismatches') == 0 and r['metrics'].get('dma.transactions', 0) >= 2)]
assert runs and not bad, '; '.join(bad) or 'no runs'
" "$tmp/guest.out"

py qemu-guest-unmapped-iova-faults "
runs = load(sys.argv[1])['runs']
bad = ['%d pages: fault.translation %s, fault.landed %s' % (r['cell']['range_pages'],
       r['metrics'].get('fault.translation'), r['metrics'].get('fault.landed'))
       for r in runs if r['metrics'].get('fault.translation') != 1 or r['metrics'].get('fault.landed') != 0]
assert runs and not bad, '; '.join(bad)
" "$tmp/guest.out"

py qemu-guest-timings "
for r in load(sys.argv[1])['runs']:
    m = r['metrics']
    for n in ('guest.boot_ns', 'guest.map_ns.p50', 'guest.unmap_ns.p50', 'qemu.wall_ns'):
        assert m.get(n, 0) > 0, '%d pages: %s = %s' % (r['cell']['range_pages'], n, m.get(n))
" "$tmp/guest.out"

# ---- guests that never finish ----

# bad_guest NAME INIT - a guest dir whose initramfs holds busybox and INIT
# as /init; echoes its path.
bad_guest() {
	local dir=$tmp/$1 stage=$tmp/$1.stage
	mkdir -p "$dir/guest" "$stage/bin" "$stage/dev" "$stage/proc"
	ln -s "$guest/vmlinuz" "$dir/guest/vmlinuz"
	if [ -n "$2" ]; then
		(cd "$stage" && gzip -dc "$guest/initrd.gz" | cpio -i --quiet bin/busybox) || return 1
		printf '%s\n' "$2" >"$stage/init"
		chmod 755 "$stage/init"
	else
		echo "no init here" >"$stage/README" # the kernel finds no init: panic
	fi
	(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -n) \
		>"$dir/guest/initrd.gz" || return 1
	echo "$dir"
}

# qemu_of DIR - the /proc/PID/cmdline of each process running DIR's kernel
# ("[z]": this grep's own command line does not match itself).
qemu_of() { grep -ls -- "$1/guest/vmlinu[z]" /proc/[0-9]*/cmdline; }

# no_qemu_left DIR - no process still runs DIR's kernel (given 5 s to go).
no_qemu_left() {
	for _ in $(seq 50); do
		[ -z "$(qemu_of "$1")" ] && return 0
		sleep 0.1
	done
	return 1
}

# failed_run NAME DIR TIMEOUT WANT... - a run with SVABENCH_QEMU_DIR=DIR
# fails with every WANT in its reason, within TIMEOUT + 20 s, and leaves no
# QEMU process.
failed_run() {
	local name=$1 dir=$2 timeout=$3 t0 t1
	shift 3
	cat >"$tmp/$name.json" <<EOF
{"target":"qemu","workload":"dma-unmap","strategies":["linux"],
 "params":{"range_pages":16,"iterations":1,"timeout_s":$timeout}}
EOF
	t0=$(date +%s)
	rc=0
	SVABENCH_QEMU_DIR=$dir "$SVABENCH" run --offline "$tmp/$name.json" --json \
		>"$tmp/$name.out" 2>"$tmp/$name.err" </dev/null || rc=$?
	t1=$(date +%s)
	if ! no_qemu_left "$dir"; then
		not_ok "$name" "a QEMU process is still running: $(qemu_of "$dir" | head -n 1)"
		return
	fi
	if [ $((t1 - t0)) -gt $((timeout + 20)) ]; then
		not_ok "$name" "took $((t1 - t0)) s with timeout_s $timeout"
		return
	fi
	py "$name" "
r = load(sys.argv[1])['runs'][0]
assert r['status'] == 'failed', 'status %s' % r['status']
for w in sys.argv[2:]:
    assert w in (r['reason'] or ''), 'reason lacks %r: %s' % (w, r['reason'])
" "$tmp/$name.out" "$@"
}

if hang=$(bad_guest hang '#!/bin/busybox sh
echo svabench-hang-test: looping forever >/dev/console 2>/dev/null || echo svabench-hang-test: looping forever
while :; do :; done'); then
	failed_run qemu-guest-hang-times-out "$hang" 8 "timeout" "svabench-hang-test"
else
	not_ok qemu-guest-hang-times-out "cannot build the looping initramfs"
fi

if panic=$(bad_guest panic ""); then
	failed_run qemu-guest-panic-fails "$panic" 60 "Kernel panic" "did not reach the agent"
else
	not_ok qemu-guest-panic-fails "cannot build the init-less initramfs"
fi

exit "$failed"
