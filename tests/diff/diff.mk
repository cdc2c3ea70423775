# tests/diff/diff.mk - the differential tests: ordinary static Linux
# programs, built with musl, that scripts/run-tests.py runs on this host and
# on mica (through scripts/run-elf) and whose output and exit status must be
# the same. Included by the top Makefile; uses its O.
#
#   make diff-tests         (= every $(O)/diff/NAME)
#   make $(O)/diff/hello    one of them
#
# hello is built a second time as a static PIE (hello_pie), so the ELF
# loader sees an ET_DYN program too.

DIFF_CC ?= musl-gcc
DIFF_CFLAGS := -static -O1 -g -Wall -Wextra -Werror
DIFF_TESTS := hello malloc_heavy files pipes procs exec_errors efault mmap faults procfmt mremap mmap_min_addr fuzz hostile_ptr errno_table user_return newcalls waiting huge_index fs_ops fs_links jobctl overcommit aslr
DIFF_BIN := $(DIFF_TESTS:%=$(O)/diff/%) $(O)/diff/hello_pie

$(O)/diff/%: tests/diff/%.c tests/diff/errname.h tests/diff/diff.mk
	@mkdir -p $(dir $@)
	$(DIFF_CC) $(DIFF_CFLAGS) $< -o $@

# Debian's musl-gcc specs know nothing of -static-pie (they would make a
# dynamic PIE asking for /lib/ld-musl-x86_64.so.1), so the static PIE is
# linked by hand: rcrt1.o, which relocates the program itself, and the
# linker options gcc's -static-pie would give. DIFF_MUSL_LIB is musl's
# library directory, found where musl-gcc takes its start file from
# (-print-file-name would search gcc's own, i.e. glibc's, directories).
DIFF_MUSL_LIB = $(patsubst %/,%,$(dir $(shell $(DIFF_CC) -\#\#\# -static /dev/null -o /dev/null 2>&1 | \
	grep -o '[^" ]*/S*crt1\.o' | head -n 1)))
DIFF_PIE_FLAGS := -fPIE -static-pie -nostartfiles -Wl,-static -Wl,--no-dynamic-linker -Wl,-z,text
DIFF_PIE_START = $(DIFF_MUSL_LIB)/rcrt1.o $(DIFF_MUSL_LIB)/crti.o \
	$(shell $(DIFF_CC) -print-file-name=crtbeginS.o 2>/dev/null)
DIFF_PIE_END = $(shell $(DIFF_CC) -print-file-name=crtendS.o 2>/dev/null) $(DIFF_MUSL_LIB)/crtn.o

$(O)/diff/hello_pie: tests/diff/hello.c tests/diff/diff.mk
	@mkdir -p $(dir $@)
	$(DIFF_CC) $(filter-out -static,$(DIFF_CFLAGS)) $(DIFF_PIE_FLAGS) \
		$(DIFF_PIE_START) $< $(DIFF_PIE_END) -o $@

# The guest side of scripts/clock-test.py (not a differential test).
CLOCK_BIN := $(O)/clock/clock_sleep

$(O)/clock/%: tests/clock/%.c tests/diff/diff.mk
	@mkdir -p $(dir $@)
	$(DIFF_CC) $(DIFF_CFLAGS) $< -o $@

.PHONY: diff-tests
diff-tests: $(DIFF_BIN) $(CLOCK_BIN)

# What `make test` builds: nothing when musl-gcc is missing (run-tests.py
# then reports each diff/NAME test as failed, saying why).
DIFF_TEST_BIN = $(if $(shell command -v $(DIFF_CC) 2>/dev/null),$(DIFF_BIN) $(CLOCK_BIN))

# The long fuzz run (tests/diff/fuzz.c): FUZZ_OPS operations from seed
# FUZZ_SEED, first on this Linux host (which must report nothing), then on
# mica through scripts/run-elf. `make test` runs the short default (3 seeds
# x 1,000 operations) as the differential test diff/fuzz.
FUZZ_OPS ?= 1000000
FUZZ_SEED ?= 1
FUZZ_TIMEOUT ?= 3600
.PHONY: fuzz
fuzz: $(O)/diff/fuzz
	$(O)/diff/fuzz --ops $(FUZZ_OPS) --seed $(FUZZ_SEED) --seeds 1 --time
	scripts/run-elf --build $(O) --timeout $(FUZZ_TIMEOUT) $(O)/diff/fuzz \
		--ops $(FUZZ_OPS) --seed $(FUZZ_SEED) --seeds 1 --time
