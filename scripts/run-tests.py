#!/usr/bin/env python3
"""mica's test driver: host unit tests, kernel boots in QEMU, the gdb test.

Every check is one named test. The last line printed is exactly
"N passed, N failed", and the exit status is 0 only when nothing failed.

  host tests   each binary in BUILD/tests/ prints "ok"/"FAIL" lines and ends
               with "NAME: N passed, N failed"; its counts are added.
  ktest boots  the kernel booted with test=...: each "ok NAME" / "FAIL NAME: why"
               line is a test; the boot itself must end in QEMU exit status 33
               (all passed) or 35 (some failed). A timeout, a panic (37), a
               triple fault (QEMU exits 0 with -no-reboot) is a failure of the
               boot, reported with the tail of its log.
  crash boots  the kernel booted with crash=WHAT must panic (status 37) and its
               report must match every listed pattern.
  gdb          scripts/gdb-test.sh: gdb in batch mode breaks at kmain.

Every boot's whole serial log is kept in BUILD/test-logs/NAME.log.

Usage: run-tests.py [--build DIR] [--only SUBSTRING] [--jobs N]
"""
import argparse
import concurrent.futures
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXIT_PASS, EXIT_FAIL, EXIT_PANIC = 33, 35, 37
BOOT_TIMEOUT = 120  # seconds; a whole in-kernel test boot takes a few


class Boot:
    def __init__(self, name, cmdline, mem="128M", expect_panic=None, timeout=BOOT_TIMEOUT,
                 cpu=None, user=False):
        self.name = name
        self.cpu = cpu
        self.user = user  # results come from /init ("utest: N passed, N failed")
        self.cmdline = cmdline
        self.mem = mem
        self.expect_panic = expect_panic  # list of regexes, for crash boots
        self.timeout = timeout


# The test ISOs pass mica.marker=1 so a test can check the command line arrives.
KTEST = "mica.marker=1 test=all"
BOOTS = [
    Boot("ktest-128M", KTEST, mem="128M"),
    Boot("ktest-32M", KTEST, mem="32M"),
    Boot("ktest-2G", KTEST, mem="2G"),
    Boot("crash-pagefault", "test=crash crash=pagefault", expect_panic=[
        r"unhandled exception 14 \(page fault\) in kernel mode",
        r"error code 0x0: page not present, read, kernel mode",
        r"CR2 \(faulting address\) = 0x00007a0000000000",
        r"RIP=ffffffff8",
        r"#0 +0x[0-9a-f]+ +crash_touch_unmapped\+0x",
        r"crash_run\+0x",
        r"kmain\+0x",
    ]),
    Boot("crash-pagefault-write", "test=crash crash=pagefault-write", expect_panic=[
        r"error code 0x2: page not present, write, kernel mode",
        r"crash_write_unmapped\+0x",
    ]),
    Boot("crash-divide", "test=crash crash=divide", expect_panic=[
        r"unhandled exception 0 \(divide error\)",
        r"crash_divide_by_zero\+0x",
    ]),
    Boot("crash-panic", "test=crash crash=panic", expect_panic=[
        r"KERNEL PANIC: crash: a deliberate panic \(42\)",
        r"#0 +0x[0-9a-f]+ +crash_run\+0x|#0 +0x[0-9a-f]+ +crash_panic\+0x",
    ]),
    Boot("crash-assert", "test=crash crash=assert", expect_panic=[
        r"assertion failed: answer == 42",
        r"kernel/crash.c:\d+ in crash_assert\(\)",
    ]),
    # W^X: kernel text is read-only, data is not executable
    Boot("crash-write-text", "test=crash crash=write-text", expect_panic=[
        r"error code 0x3: protection violation \(page present\), write, kernel mode",
        r"CR2 \(faulting address\) = 0xffffffff8010",
        r"crash_write_kernel_text\+0x",
    ]),
    Boot("crash-exec-data", "test=crash crash=exec-data", expect_panic=[
        r"error code 0x11: protection violation \(page present\), instruction fetch, kernel mode",
    ]),
    # a kernel stack overflow hits the guard page and is reported on the IST stack
    Boot("crash-stack-overflow", "test=crash crash=stack-overflow", expect_panic=[
        r"unhandled exception 8 \(double fault\)",
        r"kernel stack overflow",
        r"crash_recurse\+0x",
    ]),
    Boot("crash-double-free", "test=crash crash=double-free", expect_panic=[
        r"frame_free: double free of frame 0x[0-9a-f]+ \(pfn \d+\)",
        r"crash_double_free\+0x",
    ]),
    # user space: /init runs every program in /bin/tests (kernel options stop at "--")
    Boot("utest-128M", "quiet -- test all", mem="128M", user=True),
    Boot("utest-32M", "quiet -- test all", mem="32M", user=True),
    # the memory-map corner cases: RAM above 4 GiB, 1 GiB pages in the direct map
    Boot("ktest-5G-1G-pages", KTEST, mem="5G", cpu="qemu64,+pdpe1gb"),
]


class Results:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.failures = []

    def ok(self, name):
        self.passed += 1
        print(f"ok {name}", flush=True)

    def fail(self, name, why):
        self.failed += 1
        self.failures.append(name)
        print(f"FAIL {name}: {why}", flush=True)


def tail(text, lines=25):
    return "\n".join("    | " + line for line in text.splitlines()[-lines:])


def run_host_tests(build, results, only):
    tests_dir = os.path.join(build, "tests")
    if not os.path.isdir(tests_dir):
        results.fail("host", f"no {tests_dir}: run make first")
        return
    for name in sorted(os.listdir(tests_dir)):
        path = os.path.join(tests_dir, name)
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            continue
        if only and only not in "host/" + name:
            continue
        proc = subprocess.run([path], capture_output=True, text=True, timeout=600)
        out = proc.stdout + proc.stderr
        m = re.search(r"^[\w-]+: (\d+) passed, (\d+) failed$", proc.stdout, re.M)
        if not m:
            results.fail(f"host/{name}", f"no summary line (exit {proc.returncode})\n{tail(out)}")
            continue
        passed, failed = int(m.group(1)), int(m.group(2))
        results.passed += passed
        print(f"ok host/{name}: {passed} cases", flush=True)
        if failed or proc.returncode != 0:
            results.fail(f"host/{name}", f"{failed} cases failed (exit {proc.returncode})\n{tail(out)}")


def make_iso(build, boot):
    iso_dir = os.path.join(build, "test-isos")
    os.makedirs(iso_dir, exist_ok=True)
    iso = os.path.join(iso_dir, boot.name + ".iso")
    kernel = os.path.join(build, "mica.elf")
    initramfs = os.path.join(build, "initramfs.cpio")
    modules = [initramfs + ":initramfs.cpio"] if os.path.exists(initramfs) else []
    subprocess.run([os.path.join(ROOT, "scripts", "mkiso.sh"), iso, kernel, boot.cmdline]
                   + modules, check=True)
    return iso


def run_qemu(build, boot):
    """Boots once; returns (exit status or None on timeout, serial log text)."""
    iso = make_iso(build, boot)
    log_dir = os.path.join(build, "test-logs")
    os.makedirs(log_dir, exist_ok=True)
    log_path = os.path.join(log_dir, boot.name + ".log")
    cmd = ["qemu-system-x86_64", "-m", boot.mem, "-no-reboot", "-display", "none",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
           "-serial", f"file:{log_path}", "-monitor", "none", "-cdrom", iso]
    if boot.cpu:
        cmd += ["-cpu", boot.cpu]
    start = time.monotonic()
    try:
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=boot.timeout)
        status = proc.returncode
    except subprocess.TimeoutExpired:
        status = None
    elapsed = time.monotonic() - start
    with open(log_path, errors="replace") as f:
        log = f.read()
    return status, log, elapsed


def describe_status(status):
    if status is None:
        return "timed out"
    if status == 0:
        return "QEMU exited 0: the machine reset (a triple fault?)"
    if status == EXIT_PANIC:
        return "the kernel panicked"
    return f"QEMU exit status {status}"


def check_ktest_boot(boot, status, log, results):
    prefix = boot.name
    for m in re.finditer(r"^(ok|FAIL) ([\w.*-]+)(?:: (.*))?$", log, re.M):
        verdict, name, why = m.groups()
        if verdict == "ok":
            results.ok(f"{prefix}/{name}")
        else:
            results.fail(f"{prefix}/{name}", why or "")
    summary = re.search(r"^[ku]test: (\d+) passed, (\d+) failed", log, re.M)
    if status in (EXIT_PASS, EXIT_FAIL) and summary:
        return
    results.fail(f"{prefix}/boot", f"{describe_status(status)}\n{tail(log)}")


def check_crash_boot(boot, status, log, results):
    missing = [p for p in boot.expect_panic if not re.search(p, log, re.M)]
    if status != EXIT_PANIC:
        results.fail(boot.name, f"expected a panic, got: {describe_status(status)}\n{tail(log)}")
    elif missing:
        results.fail(boot.name, "report lacks " + ", ".join(repr(p) for p in missing) +
                     "\n" + tail(log, 40))
    else:
        results.ok(boot.name)


def run_boot(build, boot):
    status, log, elapsed = run_qemu(build, boot)
    return boot, status, log, elapsed


def run_gdb_test(build, results, only):
    if only and only not in "gdb":
        return
    proc = subprocess.run([os.path.join(ROOT, "scripts", "gdb-test.sh"), build],
                          capture_output=True, text=True, timeout=180)
    if proc.returncode == 0:
        results.ok("gdb/break-kmain-bt")
    else:
        results.fail("gdb/break-kmain-bt", tail(proc.stdout + proc.stderr, 30))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--only", default="")
    ap.add_argument("--jobs", type=int, default=max(1, os.cpu_count() or 1))
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    results = Results()

    run_host_tests(build, results, args.only)

    boots = [b for b in BOOTS if not args.only or args.only in b.name]
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for boot, status, log, elapsed in pool.map(lambda b: run_boot(build, b), boots):
            print(f"# boot {boot.name} ({boot.mem}, \"{boot.cmdline}\"): "
                  f"{describe_status(status)}, {elapsed:.1f} s", flush=True)
            if boot.expect_panic:
                check_crash_boot(boot, status, log, results)
            else:
                check_ktest_boot(boot, status, log, results)

    run_gdb_test(build, results, args.only)

    if results.failures:
        print("failed: " + " ".join(results.failures))
    print(f"{results.passed} passed, {results.failed} failed")
    return 0 if results.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
