# tests/disk/disk.mk - the disk tests' programs: static musl programs that
# scripts/run-tests.py (scripts/disk_tests.py) runs on mica only, with disks
# it prepares on the host and checks on the host afterwards (bad images,
# full and read-only filesystems, I/O errors, data surviving a power-off).
# Included by the top Makefile; uses its O and the DIFF_CC of tests/diff/diff.mk.
#
#   make disk-tests              (= every $(O)/disktests/NAME)

DISK_TEST_PROGS := fuzz_walk nothing_lost full_fs read_only io_errors read_big
DISK_TEST_BIN := $(DISK_TEST_PROGS:%=$(O)/disktests/%)

$(O)/disktests/%: tests/disk/%.c tests/disk/disktest.h tests/diff/errname.h tests/disk/disk.mk
	@mkdir -p $(dir $@)
	$(DIFF_CC) $(DIFF_CFLAGS) -Itests/diff $< -o $@

.PHONY: disk-tests
disk-tests: $(DISK_TEST_BIN)

# What `make test` builds: nothing without musl-gcc (the tests then fail, saying why).
DISK_TEST_BUILD = $(if $(shell command -v $(DIFF_CC) 2>/dev/null),$(DISK_TEST_BIN))
