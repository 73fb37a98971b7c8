# arm64.mk - the CLI cross-built for arm64 boards (build/arm64/svabench),
# included by the main Makefile. Built with Debian's cross compiler
# (gcc-aarch64-linux-gnu) against the arm64 multiarch -dev packages
# (libjansson-dev:arm64 libpfm4-dev:arm64 libcurl4-openssl-dev:arm64,
# `scripts/deps.sh --lava`). jansson and libpfm are linked statically; libc
# and libcurl dynamically (Debian ships no static libcurl closure: its
# gssapi, ldap, rtmp... have no .a), so lava/build-ramdisk.sh copies the
# shared-library closure next to it. `make arm64` builds it; `make all` too,
# but only where the cross compiler and the arm64 libraries are installed.

ARM64_CC     ?= aarch64-linux-gnu-gcc
ARM64_LIBDIR := /usr/lib/aarch64-linux-gnu
ARM64_OK     := $(and $(shell command -v $(ARM64_CC) 2>/dev/null),$(wildcard $(ARM64_LIBDIR)/libjansson.a),$(wildcard $(ARM64_LIBDIR)/libpfm.a),$(wildcard $(ARM64_LIBDIR)/libcurl.so))
ARM64_OBJ    := $(patsubst %.c,build/arm64/obj/%.o,$(LIB_C) $(CLI_C)) $(patsubst %.S,build/arm64/obj/%.o,$(LIB_S))

build/arm64/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(ARM64_CC) $(BASE) $(OPT) -c $< -o $@
build/arm64/obj/%.o: %.S $(DATA)
	@mkdir -p $(dir $@)
	$(ARM64_CC) -c $< -o $@
build/arm64/svabench: $(ARM64_OBJ)
	$(ARM64_CC) -o $@ $^ -Wl,-Bstatic -ljansson -lpfm -Wl,-Bdynamic -lpthread -lm -lcurl -l:libz.so.1

.PHONY: arm64
ifneq ($(ARM64_OK),)
arm64: build/arm64/svabench
ARM64_ALL := build/arm64/svabench
else
arm64:
	@echo "make arm64: needs $(ARM64_CC) and the arm64 -dev libraries: scripts/deps.sh --lava" >&2; exit 1
ARM64_ALL :=
endif
