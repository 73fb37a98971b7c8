# svabench - build, run, test, bench.
#
#   make          build/svabench (CLI)
#   make run      install what is missing, build, run the default suite
#   make test     every test, plain and under ASan+UBSan; ends "N passed, N failed"
#   make bench    simulator events/s and default-suite wall time
#
# The qemu target's agents run on an emulated aarch64 CPU: their makefile
# fragments (targets/qemu/*/*.mk) build them with Debian's cross compiler
# into build/qemu/ when it is installed, and add them to QEMU_AGENTS.
# scripts/qemu-guest.sh fetches the guest kernel (make test runs it).
#
# Sources are found by folder: lib/, core/, targets/ (and targets/*/) form the
# library, cli/ the CLI; tests/**/test_*.c are test programs, tests/**/test_*.sh
# test scripts.

CC      ?= gcc
.DEFAULT_GOAL := all
JOBS    ?= $(shell nproc 2>/dev/null || echo 2)
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
# CI (.ci/run sets CI=true) builds with -Werror
ifeq ($(CI),true)
WERROR  ?= 1
endif
ifeq ($(WERROR),1)
WARN    += -Werror
endif
BASE    := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -g -MMD -MP $(WARN)
OPT     ?= -O2
SAN     := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
LIBS    := -ljansson -lpfm -lpthread -lm
DLIBS   := -lsqlite3 -lmicrohttpd -lnettle -lz
CLIBS   := -lcurl -lz

LIB_C   := $(sort $(wildcard lib/*.c core/*.c targets/*.c targets/*/*.c collectors/*.c))
LIB_S   := $(sort $(wildcard targets/*/*.S))
CLI_C   := $(sort $(wildcard cli/*.c))
D_C     := $(sort $(filter-out daemon/main.c,$(wildcard daemon/*.c)))
D_S     := $(sort $(wildcard daemon/*.S))
TEST_C  := $(sort $(wildcard tests/*/test_*.c tests/*/*/test_*.c))
DATA    := $(sort $(wildcard targets/*/presets/*.json schema/*.sql))

# $(1): build dir, $(2): extra flags
define variant
$(1)/obj/%.o: %.c
	@mkdir -p $$(dir $$@)
	$$(CC) $$(BASE) $(2) -c $$< -o $$@
$(1)/obj/%.o: %.S $$(DATA)
	@mkdir -p $$(dir $$@)
	$$(CC) $(2) -c $$< -o $$@
$(1)/libsvabench.a: $$(patsubst %.c,$(1)/obj/%.o,$$(LIB_C)) $$(patsubst %.S,$(1)/obj/%.o,$$(LIB_S))
	@rm -f $$@
	ar rcs $$@ $$^
$(1)/libsvabenchd.a: $$(patsubst %.c,$(1)/obj/%.o,$$(D_C)) $$(patsubst %.S,$(1)/obj/%.o,$$(D_S))
	@rm -f $$@
	ar rcs $$@ $$^
$(1)/svabench: $$(patsubst %.c,$(1)/obj/%.o,$$(CLI_C)) $(1)/libsvabench.a
	$$(CC) $(2) -o $$@ $$^ $$(LIBS) $$(CLIBS)
$(1)/svabenchd: $(1)/obj/daemon/main.o $(1)/libsvabenchd.a $(1)/libsvabench.a
	$$(CC) $(2) -o $$@ $$^ $$(DLIBS) $$(LIBS)
$(1)/tests/%: $(1)/obj/tests/%.o $(1)/libsvabenchd.a $(1)/libsvabench.a
	@mkdir -p $$(dir $$@)
	$$(CC) $(2) -o $$@ $$^ $$(DLIBS) $$(LIBS) $$(CLIBS)
endef

$(eval $(call variant,build,$(OPT)))
$(eval $(call variant,build/asan,$(SAN)))

# The simulator's event loop is what `make bench` times: -O3 there when the
# build is -O2 (about 5 % fewer instructions, the same results; docs/model.md),
# without SLP vectorization (its 16-byte stores of adjacent counters stall
# the scalar loads that follow: ~1.5 % more CPU time).
build/obj/targets/sim/%.o: targets/sim/%.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(patsubst -O2,-O3 -fno-tree-slp-vectorize,$(OPT)) -c $< -o $@

# The commit a build came from, for reports' "to reproduce" (core/version.c);
# build/commit.txt changes only when it does, and version.o follows it.
SVABENCH_COMMIT := $(shell git describe --always --dirty --abbrev=12 2>/dev/null)
build/commit.txt: FORCE
	@mkdir -p build
	@echo '$(SVABENCH_COMMIT)' | cmp -s - $@ || echo '$(SVABENCH_COMMIT)' >$@
build/obj/core/version.o build/asan/obj/core/version.o build/arm64/obj/core/version.o: build/commit.txt
build/obj/core/version.o build/asan/obj/core/version.o build/arm64/obj/core/version.o: BASE += -DSVABENCH_COMMIT='"$(SVABENCH_COMMIT)"'
.PHONY: FORCE
FORCE:

TESTS      := $(patsubst tests/%.c,build/tests/%,$(TEST_C))
ASAN_TESTS := $(patsubst tests/%.c,build/asan/tests/%,$(TEST_C))

.PHONY: all run test bench deps clean check-deps check-layers
.SECONDARY:

QEMU_AGENTS :=
-include $(sort $(wildcard targets/qemu/*/*.mk))
# build/arm64/svabench for LAVA boards, where the arm64 libraries are (lava/arm64.mk)
-include lava/arm64.mk

all: build/svabench build/svabenchd $(QEMU_AGENTS) $(ARM64_ALL)

deps:
	@scripts/deps.sh

run: deps
	@$(MAKE) --no-print-directory -j$(JOBS) all
	@scripts/run.sh

test: deps
	@$(MAKE) --no-print-directory -j$(JOBS) all build/asan/svabench build/asan/svabenchd $(TESTS) $(ASAN_TESTS) $(FUZZERS)
	@[ ! -x scripts/qemu-guest.sh ] || scripts/qemu-guest.sh
	@tests/run.sh

bench: deps
	@$(MAKE) --no-print-directory -j$(JOBS) all build/tests/sim/bench_sim build/tests/daemon/bench_store build/tests/collectors/bench_collectors build/tests/daemon/bench_plot
	@scripts/bench.sh

# bench programs (tests/*/bench_*.c) build like tests but are not run by tests/run.sh

# fuzz: libFuzzer harnesses (fuzz/fuzz_*.c: the spec parser, the import
# path, the HTTP routes and queries) built with Debian's clang, ASan+UBSan;
# `make fuzz` runs each for FUZZ_SECONDS (default 60) from fuzz/corpus/,
# tests/fuzz/test_fuzz.sh for a few seconds each in `make test`. gcc's -Werror is
# the warnings gate; clang's own warnings here do not fail the build.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SAN     := -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -Wno-error
FUZZ_C       := $(sort $(wildcard fuzz/fuzz_*.c))
FUZZERS      := $(patsubst fuzz/%.c,build/fuzz/%,$(FUZZ_C))
$(eval $(call variant,build/fuzz,$(FUZZ_SAN)))
build/fuzz/%: CC := $(FUZZ_CC)
build/fuzz/fuzz_%: build/fuzz/obj/fuzz/fuzz_%.o build/fuzz/libsvabenchd.a build/fuzz/libsvabench.a
	$(CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(DLIBS) $(LIBS)

.PHONY: fuzz
fuzz: deps
	@$(MAKE) --no-print-directory -j$(JOBS) $(FUZZERS)
	@FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_CORPUS_DIR=build/fuzz/corpus bash tests/fuzz/test_fuzz.sh

# includes go one way: lib < collectors < targets < core < cli, daemon
# (tests/layers/test_layers.sh runs it in make test)
check-layers:
	@scripts/check-layers.sh

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
