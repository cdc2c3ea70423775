#!/usr/bin/env python3
"""clock-test - does mica's clock keep time with this host's?

Usage: scripts/clock-test.py [--seconds N] [--tolerance SEC] [--build DIR] [--mem SIZE]
                             [--qemu ARG]...

Boots mica (the way scripts/run-elf does) running BUILD/clock/clock_sleep N
(tests/clock/clock_sleep.c): it prints CLOCK_MONOTONIC and CLOCK_REALTIME,
nanosleeps N seconds, and prints them again. This script watches the serial
log as QEMU writes it and notes the host's monotonic time when each line
arrives, then compares the guest's elapsed times (monotonic, wall clock)
with the host's. It passes when both differ by at most SEC (default 1.0).

`make clock-test` runs the ten-minute check (N = 600, SEC = 1.0); `make
test` runs a short one (N = 5, SEC = 0.5) through scripts/run-tests.py.
Prints one line "ok clock: ..." or "FAIL clock: ...", and exits 0 or 1.
"""
import argparse
import importlib.machinery
import importlib.util
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LINE = re.compile(rb"clock: (start|end) (\d+\.\d+) (\d+\.\d+)\r?\n")


def load_run_elf():
    """scripts/run-elf as a module, for its image-building steps."""
    path = os.path.join(ROOT, "scripts", "run-elf")
    loader = importlib.machinery.SourceFileLoader("run_elf", path)
    spec = importlib.util.spec_from_loader("run_elf", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def build_iso(run_elf, tmp, build, program, seconds):
    stage = os.path.join(tmp, "stage")
    os.makedirs(stage)
    run_elf.stage_files(stage, program, [str(seconds)], [])
    extra = os.path.join(tmp, "run.cpio")
    run_elf.make_cpio(stage, extra, set())
    return run_elf.make_iso(tmp, {"build": build}, extra)


def watch(log_path, proc, deadline):
    """Host monotonic times at which the start and end lines appeared, and their values."""
    seen = {}
    while len(seen) < 2 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.005)
        try:
            with open(log_path, "rb") as f:
                log = f.read()
        except FileNotFoundError:
            continue
        for m in LINE.finditer(log):
            what = m.group(1).decode()
            if what not in seen:
                seen[what] = (time.monotonic(), float(m.group(2)), float(m.group(3)))
    return seen


def main():
    parser = argparse.ArgumentParser(description="compare mica's clock with the host's")
    parser.add_argument("--seconds", type=int, default=600)
    parser.add_argument("--tolerance", type=float, default=1.0)
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--mem", default="128M")
    parser.add_argument("--qemu", action="append", default=[])
    args = parser.parse_args()
    program = os.path.join(args.build, "clock", "clock_sleep")
    if not os.path.exists(program):
        print(f"FAIL clock: {program} is missing (make {os.path.relpath(program, ROOT)})")
        return 1
    run_elf = load_run_elf()
    with tempfile.TemporaryDirectory(prefix="mica-clock-") as tmp:
        iso = build_iso(run_elf, tmp, args.build, program, args.seconds)
        log_path = os.path.join(tmp, "serial.log")
        cmd = ["qemu-system-x86_64", "-m", args.mem, "-no-reboot", "-display", "none",
               "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
               "-serial", "file:" + log_path, "-monitor", "none", "-cdrom", iso] + args.qemu
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            seen = watch(log_path, proc, time.monotonic() + args.seconds + 120)
        finally:
            proc.kill()
            proc.wait()
    if len(seen) < 2:
        print(f"FAIL clock: the guest printed {sorted(seen) or 'nothing'} of start and end")
        return 1
    host = seen["end"][0] - seen["start"][0]
    mono = seen["end"][1] - seen["start"][1]
    real = seen["end"][2] - seen["start"][2]
    worst = max(abs(mono - host), abs(real - host))
    verdict = "ok" if worst <= args.tolerance else "FAIL"
    print(f"{verdict} clock: slept {args.seconds} s; host {host:.3f} s, guest monotonic "
          f"{mono:.3f} s, realtime {real:.3f} s (limit +-{args.tolerance} s)")
    return 0 if verdict == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())
