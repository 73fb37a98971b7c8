# guest.mk - the qemu target's guest-mode agent (targets/qemu/guest/), a
# static aarch64 Linux program for the initramfs that scripts/qemu-guest.sh
# builds. Included by the Makefile; built only where Debian's cross compiler
# (gcc-aarch64-linux-gnu, libc6-dev-arm64-cross) is installed.

QEMU_GUEST_CC ?= aarch64-linux-gnu-gcc

ifneq ($(shell command -v $(QEMU_GUEST_CC) 2>/dev/null),)
QEMU_AGENTS += build/qemu/guest/agent

build/qemu/guest/agent: $(wildcard targets/qemu/guest/*.c targets/qemu/guest/*.h) targets/qemu/qemu.h targets/target.h
	@mkdir -p $(dir $@)
	$(QEMU_GUEST_CC) -std=gnu11 -static -O2 $(WARN) -o $@ $(filter %.c,$^)
endif
