#!/usr/bin/env python3
"""`make bench`: boot the release kernel under `qemu -icount shift=0` and
print each in-kernel benchmark in guest instructions per operation.

With -icount shift=0 QEMU advances the guest clock (and so the TSC the
guest reads with rdtsc) by exactly one unit per guest instruction, so the
figures are deterministic: the same on every run and every host.

The user benchmarks' boot gets the ext2 disk of `make disk` (--disk IMG) as
/dev/vda, mounted at /mnt by init, for /bin/bench/disk; the disk is attached
with snapshot=on, so the image is never changed by a run. Without a disk the
disk benchmark says it skipped. Its cold figures are the exception to
"deterministic": while the guest waits for the disk, QEMU's clock runs in
real time, so they move from run to run (compare them as ratios taken in
one run; `make bench-linux` runs the same program on Linux 6.1).

Usage: bench.py [--build DIR] [--only FILTER] [--disk IMG]
"""
import argparse
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# name -> (what it measures, target in instructions/op, where the target comes from)
TARGETS = {
    "frame_alloc_free_order0": ("frame_alloc(0) + frame_free", 150, "issue: frame allocator"),
    "frame_alloc_free_order3": ("frame_alloc(3) + frame_free", None, ""),
    "kmalloc_kfree_64": ("kmalloc(64) + kfree", 100, "issue: frame allocator"),
    "kmalloc_kfree_8192": ("kmalloc(8192) + kfree", None, ""),
    "vma_find_10": ("vma_find, random address, 10 VMAs", None, ""),
    "vma_find_10000": ("vma_find, random address, 10,000 VMAs (target: <= 2 x vma_find_10)", None, ""),
    "vma_find_gap_10000": ("vma_find_gap(one page, top-down), 10,000 VMAs", None, ""),
    "syscall_getppid": ("null system call (getppid); Linux 6.1: 359", 150, ""),
    "fault_zero_fill_write": ("demand-zero write fault, per page; Linux 6.1: 3,286", 1600, ""),
    "fault_zero_page_read": ("read fault on untouched memory, per page; Linux 6.1: 1,222", 700, ""),
    "fault_cow_write_child": ("COW fault in the child, per page; Linux 6.1: 4,453", 2200, ""),
    "fork_exit_wait_64m": ("fork + exit + wait, 64 MiB resident; Linux 6.1: 6,600,000", 2000000, ""),
    "mmap_munmap_4k": ("mmap + munmap of one untouched page; Linux 6.1: 15,476", 2500, ""),
    "brk_grow_touch": ("brk grow by one page + touch it; Linux 6.1: 7,907", 2500, ""),
    "mmap_munmap_4k_10_vmas": ("mmap + munmap, 10 other VMAs", None, ""),
    "mmap_munmap_4k_10000_vmas": ("mmap + munmap, 10,000 other VMAs (target: <= 1.5 x the 10-VMA case)", None, ""),
    "disk_read_cold": ("cold read() of data.bin, 64 KiB buffer, per KiB; Linux 6.1: 1,967", 1967, "issue 12"),
    "disk_read_cached": ("the same read() cached, per KiB (target: cold / 3)", None, ""),
    "disk_mmap_cold": ("cold mmap read of data.bin, per page; Linux 6.1: 9,976", 9976, "issue 12"),
}


def boot(build, name, cmdline, modules, disk=None):
    """Boots the release kernel under -icount shift=0 (disk: an image for vda, never written);
    returns (QEMU status, serial log, log path)."""
    iso = os.path.join(build, name + ".iso")
    log_path = os.path.join(build, name + ".log")
    subprocess.run([os.path.join(ROOT, "scripts", "mkiso.sh"), iso,
                    os.path.join(build, "mica.elf"), cmdline] + modules, check=True)
    cmd = ["qemu-system-x86_64", "-m", "256M", "-no-reboot", "-display", "none",
           "-icount", "shift=0", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
           "-serial", f"file:{log_path}", "-monitor", "none", "-cdrom", iso]
    if disk:
        cmd += ["-drive", f"file={disk},if=none,id=vda,format=raw,snapshot=on",
                "-device", "virtio-blk-pci,drive=vda"]
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=900)
    with open(log_path, errors="replace") as f:
        return proc.returncode, f.read(), log_path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build", "release"))
    ap.add_argument("--only", default="all")
    ap.add_argument("--disk", default=None, help="ext2 image with /data.bin for the disk benchmark")
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    initramfs = os.path.join(build, "initramfs.cpio")
    results = []
    status, log, log_path = boot(build, "bench-kernel", f"quiet bench={args.only}",
                                 [initramfs + ":initramfs.cpio"])
    results += re.findall(r"^bench (\w+): ([\d.]+) instructions/op", log, re.M)
    if status != 33 or not results:
        print(f"bench: the kernel benchmark boot failed (QEMU status {status}); log: {log_path}")
        print(log[-3000:])
        return 1
    status, log, log_path = boot(build, "bench-user", "quiet -- bench",
                                 [initramfs + ":initramfs.cpio"], args.disk)
    user = re.findall(r"^bench (\w+): ([\d.]+) instructions/op", log, re.M)
    if not user:
        print(f"bench: the user benchmark boot failed (QEMU status {status}); log: {log_path}")
        print(log[-3000:])
        return 1
    results += user
    notes = re.findall(r"^disk: .*$", log, re.M)
    print(f"{'benchmark':34} {'instructions/op':>16} {'target':>10}  what")
    for name, value in results:
        what, target, _ = TARGETS.get(name, ("", None, ""))
        mark = ""
        if target is not None:
            mark = "  ok" if float(value) <= target else "  OVER TARGET"
        tgt = f"<= {target}" if target is not None else "-"
        print(f"{name:34} {value:>16} {tgt:>10}  {what}{mark}")
    for note in notes:
        print(note.rstrip())
    print(f"(guest instructions under qemu -icount shift=0, release build; logs in {build})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
