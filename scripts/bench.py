#!/usr/bin/env python3
"""`make bench`: boot the release kernel under `qemu -icount shift=0` and
print each in-kernel benchmark in guest instructions per operation.

With -icount shift=0 QEMU advances the guest clock (and so the TSC the
guest reads with rdtsc) by exactly one unit per guest instruction, so the
figures are deterministic: the same on every run and every host.

Usage: bench.py [--build DIR] [--only FILTER]
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
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build", "release"))
    ap.add_argument("--only", default="all")
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    iso = os.path.join(build, "bench.iso")
    log_path = os.path.join(build, "bench.log")
    subprocess.run([os.path.join(ROOT, "scripts", "mkiso.sh"), iso,
                    os.path.join(build, "mica.elf"), f"quiet bench={args.only}"], check=True)
    cmd = ["qemu-system-x86_64", "-m", "256M", "-no-reboot", "-display", "none",
           "-icount", "shift=0", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
           "-serial", f"file:{log_path}", "-monitor", "none", "-cdrom", iso]
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=600)
    with open(log_path, errors="replace") as f:
        log = f.read()
    results = re.findall(r"^bench (\w+): ([\d.]+) instructions/op", log, re.M)
    if proc.returncode != 33 or not results:
        print(f"bench: the benchmark boot failed (QEMU status {proc.returncode}); log: {log_path}")
        print(log[-3000:])
        return 1
    print(f"{'benchmark':34} {'instructions/op':>16} {'target':>8}  what")
    for name, value in results:
        what, target, _ = TARGETS.get(name, ("", None, ""))
        mark = ""
        if target is not None:
            mark = "  ok" if float(value) <= target else "  OVER TARGET"
        tgt = f"<= {target}" if target is not None else "-"
        print(f"{name:34} {value:>16} {tgt:>8}  {what}{mark}")
    print(f"(guest instructions under qemu -icount shift=0, release build; log: {log_path})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
