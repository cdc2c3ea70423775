# user/user.mk - user space: the tiny libc (user/lib), the programs
# (user/bin), the test programs (user/bin/tests), and the initramfs that
# carries them to the kernel. Included by the top Makefile, whose O, CC
# and CROSS it uses.
#
#   make initramfs          (= make $(O)/initramfs.cpio)
#
# Programs are static ELF executables (ET_EXEC, linked at the default
# 0x400000), built freestanding against user/lib plus the kernel's own
# lib/format.c and lib/string.c compiled a second time for user space.
# They use raw Linux system calls, so each one also runs on the host:
#   build/user/bin/sh -c 'echo hi | cat'      build/user/bin/tests/fork_wait
#
# The initramfs tree, staged in $(O)/initramfs/ and packed (newc cpio,
# sorted, owner 0:0, mtimes 0: the same input gives the same bytes) into
# $(O)/initramfs.cpio:
#   /init            pid 1 (user/bin/init.c: shell, "test NAME|all" or "run" mode)
#   /bin/*           sh, echo, cat, ls, ps, true, false, mkdir, rm, sleep,
#                    kill, pmap, free, vmstat, top, pagemap, strace, grep,
#                    head, tail, wc, pwd, tee, sort, uniq, setarch        (0755)
#   /bin/tests/*     the test programs run by "init test all"             (0755)
#   /bin/bench/*     the benchmarks run by "init bench" (make bench)      (0755)
#   /bin/demo/*      small programs that show virtual memory at work
#                    (user/demo, docs/demos.md)                            (0755)
#   /etc/            0755, empty: the place for mica-run
#   /tmp/            1777
# The copies in the image have no debug info (--strip-debug; symbols stay);
# the full binaries, for gdb, are $(O)/user/bin/NAME.
#
# Extra files: a script that needs more in the image (say /etc/mica-run and
# a program to run) puts them in a directory laid out like the root and runs
#   make INITRAMFS_EXTRA_DIR=/that/dir $(O)/initramfs.cpio
# Its contents are copied over the staged tree before packing. While the
# variable is set the archive is rebuilt on every make (make cannot see
# inside the directory); it is rebuilt once more when the variable goes back
# to empty, so a plain build never carries a script's leftovers.

USER_PROGS := init sh echo cat ls ps true false mkdir rm sleep kill pmap free vmstat top pagemap strace \
	mount umount df sync grep head tail wc pwd tee sort uniq setarch dmesg
USER_BENCHES := syscall faults mmap disk
USER_DEMOS := addresses bigfile mappings cow malloc diskmap
USER_TESTS := hello args_env malloc_stress fork_wait pipe_basic files_basic \
	exec_errors efault \
	fault_demand_zero fault_fork_cow fault_fork_big fault_cow_edges fault_sigsegv \
	fault_stack fault_oom fault_fail_nth fork_bomb demos sysctl_limits elf_fuzz oom_victim disk_files \
	klog

USER_LIB_SRCS := \
	user/lib/start.c \
	user/lib/errno.c \
	user/lib/file.c \
	user/lib/process.c \
	user/lib/memory.c \
	user/lib/time.c \
	user/lib/stdio.c \
	user/lib/stdlib.c \
	user/lib/string_extra.c \
	user/lib/dirent.c \
	user/lib/malloc.c \
	user/lib/mount.c \
	user/lib/terminal.c \
	user/lib/lineedit.c

# the kernel's formatting and string code, built again with the user flags
USER_SHARED_SRCS := lib/format.c lib/string.c

USER_AR := $(CROSS)ar
USER_STRIP := $(CROSS)strip
USER_GCC_INCLUDE := $(shell $(CC) -print-file-name=include)

# -nostdinc: only user/include, include/ and the compiler's freestanding
# headers (stddef.h, stdarg.h, stdint.h...) are visible, so a missing
# header is an error here rather than a silent use of the host's glibc one.
USER_CFLAGS := -std=gnu11 -O2 -g -static -nostdlib -ffreestanding -fno-pie -no-pie \
	-fno-stack-protector -fno-builtin -Wall -Wextra -Werror \
	-nostdinc -isystem $(USER_GCC_INCLUDE) -Iuser/include -Iinclude -MMD -MP

USER_LDFLAGS := -static -nostdlib -no-pie -Wl,-z,max-page-size=4096 -Wl,-z,noexecstack \
	-Wl,--build-id=none

USER_CRT0 := $(O)/user/lib/crt0.o
USER_LIB_OBJS := $(USER_LIB_SRCS:user/%.c=$(O)/user/%.o)
USER_SHARED_OBJS := $(USER_SHARED_SRCS:lib/%.c=$(O)/user/shared/%.o)
USER_LIBC := $(O)/user/libc.a

USER_BIN := $(USER_PROGS:%=$(O)/user/bin/%)
USER_TEST_BIN := $(USER_TESTS:%=$(O)/user/bin/tests/%)
USER_BENCH_BIN := $(USER_BENCHES:%=$(O)/user/bin/bench/%)
USER_DEMO_BIN := $(USER_DEMOS:%=$(O)/user/demo/%)
USER_C_OBJS := $(USER_LIB_OBJS) $(USER_BIN:=.o) $(USER_TEST_BIN:=.o) $(USER_BENCH_BIN:=.o) \
	$(USER_DEMO_BIN:=.o)

# Static pattern rules: they take precedence over the kernel's $(O)/%.o rule.
$(USER_C_OBJS): $(O)/user/%.o: user/%.c
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -c $< -o $@

$(USER_SHARED_OBJS): $(O)/user/shared/%.o: lib/%.c
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -c $< -o $@

$(USER_CRT0): user/lib/crt0.S
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -c $< -o $@

# An archive, so each program links only the parts of the libc it uses.
$(USER_LIBC): $(USER_LIB_OBJS) $(USER_SHARED_OBJS)
	@rm -f $@
	$(USER_AR) rcs $@ $^

# crt0.o first: _start is the entry point and pulls in the rest.
$(USER_BIN) $(USER_TEST_BIN) $(USER_BENCH_BIN) $(USER_DEMO_BIN): %: %.o $(USER_CRT0) $(USER_LIBC)
	$(CC) $(USER_LDFLAGS) -o $@ $(USER_CRT0) $< $(USER_LIBC) -lgcc

# ---------------------------------------------------------------------------
# The initramfs

INITRAMFS := $(O)/initramfs.cpio
INITRAMFS_EXTRA_DIR ?=
USER_STAGE := $(O)/initramfs

# Remembers INITRAMFS_EXTRA_DIR, to rebuild when it changes (as cmdline.txt does for CMDLINE).
$(O)/initramfs-extra.txt: FORCE
	@mkdir -p $(O)
	@echo "$(INITRAMFS_EXTRA_DIR)" | cmp -s - $@ || echo "$(INITRAMFS_EXTRA_DIR)" > $@

$(INITRAMFS): $(USER_BIN) $(USER_TEST_BIN) $(USER_BENCH_BIN) $(USER_DEMO_BIN) user/user.mk $(O)/initramfs-extra.txt \
		$(if $(INITRAMFS_EXTRA_DIR),FORCE)
	rm -rf $(USER_STAGE)
	mkdir -p $(USER_STAGE)/bin/tests $(USER_STAGE)/bin/bench $(USER_STAGE)/bin/demo $(USER_STAGE)/etc $(USER_STAGE)/tmp
	cp $(O)/user/bin/init $(USER_STAGE)/init
	cp $(filter-out %/init,$(USER_BIN)) $(USER_STAGE)/bin/
	cp $(USER_TEST_BIN) $(USER_STAGE)/bin/tests/
	cp $(USER_BENCH_BIN) $(USER_STAGE)/bin/bench/
	cp $(USER_DEMO_BIN) $(USER_STAGE)/bin/demo/
	$(if $(INITRAMFS_EXTRA_DIR),cp -R $(INITRAMFS_EXTRA_DIR)/. $(USER_STAGE)/)
	chmod 0755 $(USER_STAGE) $(USER_STAGE)/bin $(USER_STAGE)/bin/tests $(USER_STAGE)/etc \
		$(USER_STAGE)/init $(USER_STAGE)/bin/* $(USER_STAGE)/bin/tests/* $(USER_STAGE)/bin/bench/* \
		$(USER_STAGE)/bin/demo/*
	chmod 1777 $(USER_STAGE)/tmp
	$(USER_STRIP) --strip-debug $(USER_STAGE)/init $(addprefix $(USER_STAGE)/bin/,$(filter-out init,$(USER_PROGS))) \
		$(addprefix $(USER_STAGE)/bin/tests/,$(USER_TESTS)) \
		$(addprefix $(USER_STAGE)/bin/bench/,$(USER_BENCHES)) \
		$(addprefix $(USER_STAGE)/bin/demo/,$(USER_DEMOS))
	find $(USER_STAGE) -exec touch -h -d @0 {} +
	cd $(USER_STAGE) && find . | LC_ALL=C sort | \
		cpio -o -H newc -R 0:0 --reproducible --quiet > $(abspath $@)

.PHONY: initramfs
initramfs: $(INITRAMFS)

-include $(USER_C_OBJS:.o=.d) $(USER_SHARED_OBJS:.o=.d) $(USER_CRT0:.o=.d)
