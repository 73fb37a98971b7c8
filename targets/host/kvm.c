/*
 * kvm.c - the `secondary-mmu` strategy's set-up: a secondary MMU registered
 * on this process's mm through KVM, with nothing behind it.
 *
 * KVM_CREATE_VM registers the VM's mmu_notifier on the creating process's
 * mm (kvm_create_vm() -> kvm_init_mmu_notifier() -> mmu_notifier_register()
 * on current->mm). From then on, until the VM's last reference goes, every
 * range invalidation of the mm calls the notifiers' invalidate_range_start
 * / _end (KVM's handlers look for a memory slot covering the range and find
 * none: no memory slot is ever added) and every TLB flush of the mm calls
 * mmu_notifier_arch_invalidate_secondary_tlbs() (v6.6+, x86 and arm64),
 * whose subscription list KVM is on without implementing that op. No vCPU is
 * created, so nothing runs in the guest and nothing is mapped into it.
 *
 * That is the dispatch Fix B adds to an SVA-bound mm, on the real kernel,
 * with no device and no SMMU command behind it: the difference of a run
 * under this strategy to `unbound` is a lower bound of Fix B's CPU-side
 * cost per operation (KVM's empty-slot handlers add a little work an SVA
 * notifier would not do; an SVA notifier's command-queue work is absent).
 */
#include "host.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define KVM_DEV "/dev/kvm"

int host_kvm_usable(char *why, size_t wlen)
{
	int fd = open(KVM_DEV, O_RDWR | O_CLOEXEC), v;

	if (fd < 0) {
		int e = errno;

		snprintf(why, wlen, "cannot open %s: %s%s", KVM_DEV, strerror(e),
			 e == ENOENT ? " (no KVM here: kvm module not loaded, or no hardware virtualisation)"
			 : e == EACCES || e == EPERM ? " (needs read/write on it: root or the kvm group)" : "");
		return -1;
	}
	v = ioctl(fd, KVM_GET_API_VERSION, 0);
	close(fd);
	if (v != KVM_API_VERSION) {
		snprintf(why, wlen, "%s speaks KVM API %d, not %d", KVM_DEV, v, KVM_API_VERSION);
		return -1;
	}
	return 0;
}

int host_secondary_mmu_open(char *why, size_t wlen)
{
	int kvm, vm;

	if (host_kvm_usable(why, wlen))
		return -1;
	kvm = open(KVM_DEV, O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		snprintf(why, wlen, "cannot open %s: %s", KVM_DEV, strerror(errno));
		return -1;
	}
	do
		vm = ioctl(kvm, KVM_CREATE_VM, 0);
	while (vm < 0 && errno == EINTR);
	if (vm < 0)
		snprintf(why, wlen, "KVM_CREATE_VM refused: %s", strerror(errno));
	close(kvm); /* the VM's fd keeps the VM, and its notifier, alive */
	return vm;
}
