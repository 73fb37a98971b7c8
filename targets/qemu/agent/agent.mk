# agent.mk - the `qemu` target's bare-metal agent (targets/qemu/agent/),
# included by the main Makefile. Built only where Debian's cross compiler
# (gcc-aarch64-linux-gnu) is installed; without it the target says so.

AGENT_CC := $(shell command -v aarch64-linux-gnu-gcc 2>/dev/null)
AGENT_SRC := $(sort $(wildcard targets/qemu/agent/*.c targets/qemu/agent/*.S))
AGENT_HDR := $(wildcard targets/qemu/agent/*.h) targets/qemu/job.h targets/qemu/qemu.h
AGENT_CFLAGS := -std=c11 -ffreestanding -nostdlib -nostartfiles -mgeneral-regs-only \
	-mstrict-align -fno-pie -no-pie -static -O2 -Wall -Wextra -g \
	-fno-tree-loop-distribute-patterns -fno-stack-protector \
	-Wl,--build-id=none -Wl,--no-warn-rwx-segments
ifeq ($(WERROR),1)
AGENT_CFLAGS += -Werror
endif

ifneq ($(AGENT_CC),)
QEMU_AGENTS += build/qemu/agent.elf
build/qemu/agent.elf: $(AGENT_SRC) $(AGENT_HDR) targets/qemu/agent/agent.ld targets/qemu/agent/agent.mk
	@mkdir -p $(dir $@)
	$(AGENT_CC) $(AGENT_CFLAGS) -T targets/qemu/agent/agent.ld -o $@ $(AGENT_SRC)
endif
