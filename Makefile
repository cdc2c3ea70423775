# mica - build, run, test.
#
#   make            build the kernel (build/mica.elf) and the boot image (build/mica.iso)
#   make run        boot in QEMU, console on this terminal (Ctrl-A X quits), build/disk.img as vda
#   make disk       (re)build build/disk.img, the ext2 disk made from user/disk/
#   make test       host unit tests + kernel boots; ends with "N passed, N failed"
#   make help       every target
#
# Output goes to $(O) (build/ by default). CROSS=x86_64-elf- uses a cross
# toolchain (on hosts whose gcc is not x86-64 ELF). DEBUG=0 builds without
# the debug checks (used by `make bench`).

O ?= build
CROSS ?=
DEBUG ?= 1
CMDLINE ?=
MEM ?= 128M
QEMU ?= qemu-system-x86_64

CC := $(CROSS)gcc
LD := $(CROSS)ld
NM := $(CROSS)nm
NASM ?= nasm
HOST_CC ?= gcc

.DEFAULT_GOAL := all

# ---------------------------------------------------------------------------
# The kernel

KERNEL_C_SRCS := \
	kernel/main.c \
	kernel/console.c \
	kernel/klog.c \
	kernel/drivers/serial.c \
	kernel/drivers/vga.c \
	kernel/multiboot.c \
	kernel/cmdline.c \
	kernel/gdt.c \
	kernel/trap.c \
	kernel/drivers/pic.c \
	kernel/drivers/timer.c \
	kernel/panic.c \
	kernel/ksyms.c \
	kernel/power.c \
	kernel/ktest.c \
	kernel/crash.c \
	kernel/monitor.c \
	kernel/bench.c \
	kernel/cpu.c \
	kernel/drivers/rtc.c \
	kernel/drivers/pci.c \
	kernel/drivers/virtio.c \
	kernel/drivers/virtio_blk.c \
	kernel/drivers/blk.c \
	kernel/time.c \
	kernel/sched.c \
	kernel/proc.c \
	kernel/oom.c \
	kernel/signal.c \
	kernel/jobctl.c \
	kernel/syscall.c \
	kernel/exec.c \
	kernel/sys_misc.c \
	kernel/sys_info.c \
	kernel/sys_poll.c \
	kernel/futex.c \
	kernel/sys_mica.c \
	kernel/strace.c \
	kernel/fs/vfs.c \
	kernel/fs/file.c \
	kernel/fs/pipe.c \
	kernel/fs/dev.c \
	kernel/fs/tty.c \
	kernel/fs/procfs.c \
	kernel/fs/procfs_mm.c \
	kernel/fs/procfs_sys.c \
	kernel/fs/initramfs.c \
	kernel/fs/sys_fs.c \
	kernel/fs/mount.c \
	kernel/fs/blockdev.c \
	kernel/fs/pageio.c \
	kernel/fs/bcache.c \
	kernel/fs/flusher.c \
	kernel/fs/sys_mount.c \
	kernel/fs/ext2_vfs.c \
	kernel/fs/ext2_super.c \
	kernel/fs/ext2_alloc.c \
	kernel/fs/ext2_inode.c \
	kernel/fs/ext2_truncate.c \
	kernel/fs/ext2_dir.c \
	kernel/fs/ext2_namei.c \
	kernel/fs/sys_statx.c \
	kernel/tests/basics_test.c \
	kernel/tests/vfs_test.c \
	kernel/tests/procfs_test.c \
	kernel/tests/blk_test.c \
	mm/memmap.c \
	mm/frame.c \
	mm/kmalloc.c \
	mm/pagetable.c \
	mm/kernel_map.c \
	mm/mm_init.c \
	mm/vma.c \
	mm/mm.c \
	mm/mm_check.c \
	mm/fault.c \
	mm/usercopy.c \
	mm/vmobject.c \
	mm/mmap.c \
	mm/madvise.c \
	mm/overcommit.c \
	mm/aslr.c \
	mm/tests/vma_test.c \
	mm/tests/vma_bench.c \
	mm/tests/mm_test.c \
	mm/tests/frame_test.c \
	mm/tests/kmalloc_test.c \
	mm/tests/kernel_map_test.c \
	mm/tests/frame_bench.c \
	lib/format.c \
	lib/string.c

KERNEL_ASM_SRCS := \
	boot/boot.asm \
	kernel/trap_entry.asm \
	kernel/usercopy.asm \
	kernel/switch.asm \
	kernel/syscall_entry.asm

KERNEL_OBJS := $(KERNEL_ASM_SRCS:%.asm=$(O)/%.o) $(KERNEL_C_SRCS:%.c=$(O)/%.o)

GCC_INCLUDE := $(shell $(CC) -print-file-name=include)

KERNEL_CFLAGS := -std=gnu11 -O2 -g \
	-ffreestanding -nostdinc -isystem $(GCC_INCLUDE) -Iinclude \
	-mcmodel=kernel -mno-red-zone -mno-sse -mno-sse2 -mno-mmx -mno-80387 \
	-fno-pic -fno-pie -fno-stack-protector -fno-omit-frame-pointer \
	-mno-omit-leaf-frame-pointer -fno-asynchronous-unwind-tables \
	-fno-strict-aliasing -fno-common -fno-optimize-sibling-calls \
	-Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-MMD -MP -DMICA_DEBUG=$(DEBUG)
# -Wmissing-prototypes makes every non-static function have a header declaration.

KERNEL_LDFLAGS := -nostdlib -static -z max-page-size=4096 -z noexecstack \
	--no-warn-rwx-segments -T linker.ld

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(KERNEL_CFLAGS) -c $< -o $@

$(O)/%.o: %.asm
	@mkdir -p $(dir $@)
	$(NASM) -f elf64 -g -F dwarf -w+all -Ikernel/ -MD $(@:.o=.d) -MP $< -o $@

# Two links: the first without symbols, then with the table gen-ksyms.py
# makes from the first (it sits in .ksyms, last, so nothing else moves).
$(O)/ksyms-empty.c:
	@mkdir -p $(O)
	python3 scripts/gen-ksyms.py /dev/null $@

$(O)/mica-pass1.elf: $(KERNEL_OBJS) $(O)/ksyms-empty.o linker.ld
	$(LD) $(KERNEL_LDFLAGS) -o $@ $(KERNEL_OBJS) $(O)/ksyms-empty.o

$(O)/ksyms.c: $(O)/mica-pass1.elf scripts/gen-ksyms.py
	$(NM) -n $< | python3 scripts/gen-ksyms.py - $@

$(O)/ksyms-empty.o $(O)/ksyms.o: $(O)/%.o: $(O)/%.c
	$(CC) $(KERNEL_CFLAGS) -c $< -o $@

$(O)/mica.elf: $(O)/mica-pass1.elf $(O)/ksyms.o
	$(LD) $(KERNEL_LDFLAGS) -o $@ $(KERNEL_OBJS) $(O)/ksyms.o
	@$(NM) -n $(O)/mica-pass1.elf | grep -i ' t ' > $(O)/syms-pass1.txt
	@$(NM) -n $@ | grep -i ' t ' > $(O)/syms-pass2.txt
	@cmp -s $(O)/syms-pass1.txt $(O)/syms-pass2.txt || \
		{ echo "error: text symbols moved between the two links"; exit 1; }

# ---------------------------------------------------------------------------
# User space: the libc, the programs and $(INITRAMFS) (see user/user.mk)

include user/user.mk

# ---------------------------------------------------------------------------
# Differential tests: static musl programs run on the host and on mica (see tests/diff/diff.mk)

include tests/diff/diff.mk

# Disk tests: static musl programs run on mica with prepared disks (see tests/disk/disk.mk)

include tests/disk/disk.mk

# ---------------------------------------------------------------------------
# Boot image

$(O)/mica.iso: $(O)/mica.elf scripts/mkiso.sh $(O)/cmdline.txt $(INITRAMFS)
	scripts/mkiso.sh $@ $(O)/mica.elf "$(CMDLINE)" $(INITRAMFS):initramfs.cpio

# Rebuild the ISO when CMDLINE changes.
$(O)/cmdline.txt: FORCE
	@mkdir -p $(O)
	@echo "$(CMDLINE)" | cmp -s - $@ || echo "$(CMDLINE)" > $@

# ---------------------------------------------------------------------------
# The disk: an ext2 image of user/disk/ plus a data file generated here
# (scripts/mkdisk.py: every 4 KiB block starts with its index), attached by
# run, run-vga and gdb as vda. `make disk` always rebuilds it; the run
# targets build it only when it is missing, so what mica wrote to it stays.

DISK_IMG := $(O)/disk.img
DISK_SIZE ?= 128M
DISK_DATA_MIB := 64
DISK_INPUTS := $(shell find user/disk -type f 2>/dev/null) scripts/mkdisk.py
MKE2FS := $(shell PATH="$$PATH:/usr/sbin:/sbin" command -v mke2fs || echo mke2fs)
DISK_QEMU_FLAGS = -drive file=$(DISK_IMG),if=none,id=vda,format=raw -device virtio-blk-pci,drive=vda

$(DISK_IMG): $(DISK_INPUTS)
	@rm -rf $(O)/disk-stage && mkdir -p $(O)/disk-stage
	cp -R user/disk/. $(O)/disk-stage/
	scripts/mkdisk.py data $(O)/disk-stage/data.bin $(DISK_DATA_MIB) $(O)/disk-data.sha256
	rm -f $@.tmp && truncate -s $(DISK_SIZE) $@.tmp
	$(MKE2FS) -q -F -t ext2 -d $(O)/disk-stage $@.tmp && mv $@.tmp $@
	@rm -rf $(O)/disk-stage
	@echo "disk: $@ ($(DISK_SIZE) ext2 of user/disk/ + data.bin, sha256 in $(O)/disk-data.sha256)"

# For the run targets: builds the disk only if missing, says when it is older than its inputs.
.PHONY: disk-if-missing
disk-if-missing:
	@[ -e $(DISK_IMG) ] || $(MAKE) --no-print-directory $(DISK_IMG)
	@[ -z "$$(find $(DISK_INPUTS) -newer $(DISK_IMG) 2>/dev/null)" ] || \
		echo "note: $(DISK_IMG) is older than user/disk/; 'make disk' rebuilds it (losing what mica wrote there)"

# ---------------------------------------------------------------------------
# Host unit tests (tests/), built for Linux with ASan and UBSan

HOST_CFLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Werror -Iinclude \
	-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

HOST_MM_CFLAGS := $(HOST_CFLAGS) -DMICA_HOST_TEST -DMICA_DEBUG=1

HOST_TESTS := $(O)/tests/test_format $(O)/tests/test_cmdline \
	$(O)/tests/test_memmap $(O)/tests/test_frame $(O)/tests/test_kmalloc \
	$(O)/tests/test_vma $(O)/tests/test_pagetable $(O)/tests/test_ext2

$(O)/tests/test_format: tests/test_format.c lib/format.c
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) $^ -o $@

$(O)/tests/test_cmdline: tests/test_cmdline.c kernel/cmdline.c lib/string.c
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) -fno-builtin $^ -o $@

$(O)/tests/test_memmap: tests/test_memmap.c mm/memmap.c
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_MM_CFLAGS) $^ -o $@

$(O)/tests/test_frame: tests/test_frame.c tests/host_shim.c mm/frame.c
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_MM_CFLAGS) $^ -o $@

$(O)/tests/test_kmalloc: tests/test_kmalloc.c tests/host_shim.c mm/kmalloc.c mm/frame.c
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_MM_CFLAGS) $^ -o $@

$(O)/tests/test_vma: tests/test_vma.c tests/host_kmalloc.c tests/host_shim.c mm/vma.c lib/format.c
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_MM_CFLAGS) $^ -o $@

$(O)/tests/test_pagetable: tests/test_pagetable.c tests/host_shim.c mm/pagetable.c mm/frame.c
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_MM_CFLAGS) $^ -o $@

# ext2 on real mke2fs images (needs e2fsprogs), over tests/host_bcache.c.
EXT2_SRCS := kernel/fs/ext2_super.c kernel/fs/ext2_alloc.c kernel/fs/ext2_inode.c \
	kernel/fs/ext2_truncate.c kernel/fs/ext2_dir.c kernel/fs/ext2_namei.c

$(O)/tests/test_ext2: tests/test_ext2.c tests/host_bcache.c tests/host_kmalloc.c tests/host_shim.c \
		$(EXT2_SRCS) kernel/fs/ext2_private.h include/kernel/ext2.h tests/host_bcache.h
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_MM_CFLAGS) $(filter %.c,$^) -o $@

# ---------------------------------------------------------------------------
# Targets for people

.PHONY: all iso kernel disk run run-vga gdb test host-tests clock-test bench bench-linux deps clean help FORCE

all: iso

kernel: $(O)/mica.elf

iso: $(O)/mica.iso

deps:
	@scripts/deps.sh

disk: deps
	@rm -f $(DISK_IMG)
	@$(MAKE) --no-print-directory $(DISK_IMG)

QEMU_FLAGS := -m $(MEM) -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04

run: deps
	@$(MAKE) --no-print-directory iso disk-if-missing
	$(QEMU) $(QEMU_FLAGS) -cdrom $(O)/mica.iso $(DISK_QEMU_FLAGS) -display none -serial mon:stdio

run-vga: deps
	@$(MAKE) --no-print-directory iso disk-if-missing
	$(QEMU) $(QEMU_FLAGS) -cdrom $(O)/mica.iso $(DISK_QEMU_FLAGS) -serial mon:stdio

# PROG=NAME: run build/user/bin/NAME and stop at its main; ARGS: its arguments.
GDB_ENV = PROG='$(PROG)' ARGS='$(ARGS)' CMDLINE='$(CMDLINE)' MEM='$(MEM)' DISK='$(DISK_IMG)'

gdb: deps
	@$(MAKE) --no-print-directory iso disk-if-missing
	@$(GDB_ENV) scripts/gdb.sh $(O)

# The same in tmux: gdb above, the console below (where you can type too).
.PHONY: gdb-tmux
gdb-tmux: deps
	@$(MAKE) --no-print-directory iso disk-if-missing
	@$(GDB_ENV) GDB_TMUX=1 scripts/gdb.sh $(O)

host-tests: $(HOST_TESTS)
	@for t in $(HOST_TESTS); do $$t || exit 1; done

test: deps
	@$(MAKE) --no-print-directory $(O)/mica.elf $(O)/mica.iso $(HOST_TESTS) $(INITRAMFS) $(DIFF_TEST_BIN) $(DISK_TEST_BUILD)
	@python3 scripts/run-tests.py --build $(O)

# Ten minutes of nanosleep on mica, timed by this host: the clock must keep within 1 s.
clock-test: deps
	@$(MAKE) --no-print-directory $(O)/mica.elf $(INITRAMFS) $(CLOCK_BIN)
	@python3 scripts/clock-test.py --build $(O) --seconds 600 --tolerance 1.0

# The corrupted-image test over many seeds (make test runs seeds 1-16); SEEDS=A-B picks them.
SEEDS ?= 1-200
.PHONY: disk-fuzz
disk-fuzz: deps
	@$(MAKE) --no-print-directory $(O)/mica.elf $(INITRAMFS) $(O)/disktests/fuzz_walk
	@python3 scripts/disk_tests.py --build $(O) --fuzz-seeds $(SEEDS)

# Benchmarks use the release build (no debug checks) under -icount shift=0,
# with $(DISK_IMG) attached (snapshot=on: never written) for the disk benchmark.
bench: deps
	@$(MAKE) --no-print-directory O=$(O)/release DEBUG=0 $(O)/release/mica.elf $(O)/release/initramfs.cpio
	@$(MAKE) --no-print-directory disk-if-missing
	@python3 scripts/bench.py --build $(O)/release --disk $(DISK_IMG)

# The disk benchmark on Debian's Linux 6.1 in the same QEMU (fetched with apt-get download).
bench-linux: deps
	@$(MAKE) --no-print-directory disk-if-missing
	@scripts/linux-bench.sh $(O) $(DISK_IMG)

clean:
	rm -rf $(O)

help:
	@echo "make / make iso   build $(O)/mica.elf and $(O)/mica.iso"
	@echo "make run          boot in QEMU on this terminal (Ctrl-A X quits; CMDLINE='...' MEM=...),"
	@echo "                  with $(O)/disk.img as vda (built if missing)"
	@echo "make disk         rebuild $(O)/disk.img: ext2 ($(DISK_SIZE)) of user/disk/ + a $(DISK_DATA_MIB) MiB data.bin"
	@echo "make run-vga      the same with a VGA window"
	@echo "make gdb          QEMU paused + gdb attached with symbols and helpers (docs/debugging.md;"
	@echo "                  PROG=NAME [ARGS=...] stops at build/user/bin/NAME's main; make gdb-tmux: split)"
	@echo "make test         every test; ends with 'N passed, N failed'"
	@echo "make host-tests   only the host unit tests (tests/, ASan+UBSan)"
	@echo "make diff-tests   build the differential tests (tests/diff/) with musl-gcc"
	@echo "make disk-tests   build the disk tests' programs (tests/disk/) with musl-gcc"
	@echo "make fuzz         the long memory-syscall fuzz run (FUZZ_OPS, FUZZ_SEED, FUZZ_TIMEOUT)"
	@echo "make clock-test   ten minutes of sleep on mica timed by the host (within 1 s)"
	@echo "make disk-fuzz    mount, walk and write corrupted ext2 images on mica (SEEDS=1-200)"
	@echo "make bench        benchmarks in guest instructions/op (qemu -icount shift=0)"
	@echo "make bench-linux  the disk benchmark on Debian's Linux 6.1 in the same QEMU"
	@echo "make deps         install the tools (scripts/deps.sh)"
	@echo "make clean        remove $(O)/"

-include $(KERNEL_OBJS:.o=.d) $(O)/ksyms.d $(O)/ksyms-empty.d
