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
  diff tests   each program of tests/diff (built into BUILD/diff/ by make) runs
               on this Linux host and on mica (scripts/run-elf); its output
               (stdout and stderr together) and exit status must be the same.
               One test diff/NAME per program; a mismatch prints a unified
               diff, Linux's side first.
  disk tests   scripts/disk_tests.py: programs of tests/disk on mica with disks made
               and checked on the host (corrupted images, a full and a read-only
               filesystem, I/O errors, files surviving a power-off); disk/NAME.
  demo/diskmap user/demo/diskmap maps the 64 MiB data.bin of a fresh
               `make disk`-like image in a 256 MiB guest and touches every page:
               exit 0 (every word as scripts/mkdisk.py wrote it, RssFile grown
               by the whole file), some major faults, e2fsck -fn clean after.
  gdb          scripts/gdb-test.sh: gdb in batch mode breaks at kmain.

Every boot's whole serial log is kept in BUILD/test-logs/NAME.log; a diff
test keeps both outputs and mica's serial log in BUILD/test-logs/diff/.

Disks: a Boot may list DiskSpecs, attached in order as vda, vdb, ... (virtio-blk).
Each boot gets fresh images in BUILD/test-disks/BOOTNAME/; after the boot every
ext2 image is checked with the host's `e2fsck -fn`, one test BOOTNAME/e2fsck.

Usage: run-tests.py [--build DIR] [--only SUBSTRING] [--jobs N]
"""
import argparse
import concurrent.futures
import difflib
import os
import re
import shutil
import subprocess
import tempfile
import sys
import threading
import time

import disk_tests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXIT_PASS, EXIT_FAIL, EXIT_PANIC = 33, 35, 37
BOOT_TIMEOUT = 120  # seconds; a whole in-kernel test boot takes a few


class DiskSpec:
    """One virtio disk of a boot.

    kind "pattern": a raw image of size_mib MiB where every 8-byte word of
    sector s holds s (scripts/mkdisk.py pattern). kind "ext2": an ext2
    filesystem of size_mib MiB made by `mke2fs -t ext2 -d source` (source: a
    directory, relative to the repository root), checked with e2fsck after
    the boot. read_only attaches it read-only (the device reports
    VIRTIO_BLK_F_RO); error_sector makes every read (or write, with
    error_op="write") that touches that sector fail with EIO (QEMU's blkdebug
    driver).
    """

    def __init__(self, name, kind="pattern", size_mib=8, source=None, read_only=False,
                 error_sector=None, error_op="read"):
        assert kind in ("pattern", "ext2") and (kind == "pattern") == (source is None)
        assert error_op in ("read", "write")
        self.error_op = error_op
        self.name = name
        self.kind = kind
        self.size_mib = size_mib
        self.source = source
        self.read_only = read_only
        self.error_sector = error_sector


class Boot:
    def __init__(self, name, cmdline, mem="128M", expect_panic=None, timeout=BOOT_TIMEOUT,
                 cpu=None, user=False, disks=()):
        self.name = name
        self.disks = list(disks)  # DiskSpecs, attached as vda, vdb, ... in this order
        self.cpu = cpu
        self.user = user  # results come from /init ("utest: N passed, N failed")
        self.cmdline = cmdline
        self.mem = mem
        self.expect_panic = expect_panic  # list of regexes, for crash boots
        self.timeout = timeout


# The test ISOs pass mica.marker=1 so a test can check the command line arrives.
KTEST = "mica.marker=1 test=all"
# What kernel/tests/blk_test.c expects: a disk, its read-only twin, one that fails
# reads of sector 100 and one that fails writes there.
BLK_TEST_DISKS = [
    DiskSpec("rw"),
    DiskSpec("ro", read_only=True),
    DiskSpec("badread", read_only=True, error_sector=100),
    DiskSpec("badwrite", error_sector=100, error_op="write"),
]
BOOTS = [
    Boot("ktest-128M", KTEST, mem="128M", disks=BLK_TEST_DISKS),
    Boot("ktest-32M", KTEST, mem="32M", disks=BLK_TEST_DISKS),
    Boot("ktest-2G", KTEST, mem="2G", disks=BLK_TEST_DISKS),
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
    # with an ext2 disk of user/disk/ as vda, which must still be clean after the boot
    # the fork bombs of fork_bomb are quadratic under the debug checks: give them time
    Boot("utest-128M", "quiet -- test all", mem="128M", user=True, timeout=400,
         disks=[DiskSpec("disk", kind="ext2", size_mib=16, source="user/disk")]),
    Boot("utest-32M", "quiet -- test all", mem="32M", user=True, timeout=400,
         disks=[DiskSpec("disk", kind="ext2", size_mib=16, source="user/disk")]),
    # the memory-map corner cases: RAM above 4 GiB, 1 GiB pages in the direct map
    Boot("ktest-5G-1G-pages", KTEST, mem="5G", cpu="qemu64,+pdpe1gb", disks=BLK_TEST_DISKS),
    # big RAM, quickly: boot to user space and run one test (the frame table grows with RAM)
    Boot("utest-4G-hello", "quiet -- test hello", mem="4G", user=True),
    Boot("utest-8G-hello", "quiet -- test hello", mem="8G", user=True),
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


def host_tool(name):
    """The path of an e2fsprogs tool (they live in /sbin, often not in PATH)."""
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin") or name


PATTERN_LOCK = threading.Lock()  # boots run in parallel; one of them makes each pattern image


def pattern_image(build, size_mib):
    """BUILD/test-disks/pattern-NM.img, made once (again when mkdisk.py changes); boots copy it."""
    path = os.path.join(build, "test-disks", f"pattern-{size_mib}M.img")
    script = os.path.join(ROOT, "scripts", "mkdisk.py")
    with PATTERN_LOCK:
        if not os.path.exists(path) or os.path.getmtime(path) < os.path.getmtime(script):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            subprocess.run([script, "pattern", path, str(size_mib)], check=True)
    return path


def make_disk(build, disk_dir, disk):
    """Makes disk's fresh image in disk_dir; returns its path."""
    image = os.path.join(disk_dir, disk.name + ".img")
    if disk.kind == "pattern":
        shutil.copyfile(pattern_image(build, disk.size_mib), image)
    else:
        subprocess.run([host_tool("mke2fs"), "-q", "-F", "-t", "ext2", "-d",
                        os.path.join(ROOT, disk.source), image, f"{disk.size_mib}M"],
                       check=True, capture_output=True)
    return image


def disk_qemu_args(disk_dir, index, disk, image):
    """QEMU options attaching image as the index-th virtio disk."""
    path = image
    if disk.error_sector is not None:
        conf = os.path.join(disk_dir, disk.name + ".blkdebug")
        with open(conf, "w") as f:
            # the rule is armed by the first read_aio/write_aio event and then applies
            # to the I/O type iotype names, for every request overlapping the sector
            f.write(f'[inject-error]\nevent = "{disk.error_op}_aio"\n'
                    f'iotype = "{disk.error_op}"\nerrno = "5"\n'
                    f'sector = "{disk.error_sector}"\n')
        path = f"blkdebug:{conf}:{image}"
    drive = f"file={path},if=none,id=disk{index},format=raw"
    if disk.read_only:
        drive += ",readonly=on"
    return ["-drive", drive, "-device", f"virtio-blk-pci,drive=disk{index}"]


def prepare_disks(build, boot):
    """Fresh images for boot's disks. Returns (QEMU options, [(DiskSpec, image)])."""
    if not boot.disks:
        return [], []
    disk_dir = os.path.join(build, "test-disks", boot.name)
    shutil.rmtree(disk_dir, ignore_errors=True)
    os.makedirs(disk_dir)
    args, images = [], []
    for i, disk in enumerate(boot.disks):
        image = make_disk(build, disk_dir, disk)
        args += disk_qemu_args(disk_dir, i, disk, image)
        images.append((disk, image))
    return args, images


def check_filesystems(images):
    """e2fsck -fn on every ext2 image. Returns None when all are clean, else the reports."""
    reports = []
    for disk, image in images:
        if disk.kind != "ext2":
            continue
        proc = subprocess.run([host_tool("e2fsck"), "-fn", image], capture_output=True, text=True)
        if proc.returncode != 0:
            reports.append(f"{disk.name}: e2fsck -fn exited {proc.returncode}\n"
                           f"{tail(proc.stdout + proc.stderr, 40)}")
    return "\n".join(reports) if reports else None


def run_qemu(build, boot, disk_args=()):
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
    cmd += list(disk_args)
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
    """Boots once with fresh disks. Returns (boot, status, log, seconds, fsck):
    fsck is None (no ext2 disk), "" (all clean) or e2fsck's complaints."""
    disk_args, images = prepare_disks(build, boot)
    status, log, elapsed = run_qemu(build, boot, disk_args)
    fsck = None
    if any(disk.kind == "ext2" for disk, _ in images):
        fsck = check_filesystems(images) or ""
    return boot, status, log, elapsed, fsck


# The differential tests: tests/diff/NAME.c, built into BUILD/diff/NAME (tests/diff/diff.mk).
DIFF_TESTS = ["hello", "hello_pie", "malloc_heavy", "files", "pipes", "procs", "exec_errors",
              "efault", "faults", "procfmt", "mmap", "mremap",
              "mmap_min_addr", "fuzz", "hostile_ptr", "errno_table",
              "user_return", "newcalls", "waiting", "huge_index", "fs_ops", "fs_links",
              "jobctl", "overcommit", "aslr"]
# NAME@ext2 runs program NAME on mica in /mnt, on a fresh ext2 disk (e2fsck -fn must be clean after)
DISK_DIFF_TESTS = ["files@ext2", "mmap@ext2", "fs_ops@ext2", "fs_links@ext2"]
EXTRA_DIFF_TESTS = []  # --diff-extra NAME adds one
DIFF_TIMEOUT = 60  # seconds, for each side
DIFF_JOBS = 2
DIFF_MAX_LINES = 30  # of a mismatch's unified diff
# What init gives the program on mica; the host run gets the same.
DIFF_ENV = {"PATH": "/bin", "HOME": "/"}
RUN_ELF_TIMEOUT, RUN_ELF_NO_RUN = 124, 125


def exit_code(returncode):
    """A subprocess return code as a shell reports it: 128 + N for death by signal N."""
    return 128 - returncode if returncode < 0 else returncode


def run_on_linux(path):
    """Runs path here, in a scratch cwd. Returns (output, exit code, seconds) or raises TimeoutExpired."""
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="mica-diff-") as cwd:
        proc = subprocess.run([path], cwd=cwd, env=DIFF_ENV, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=DIFF_TIMEOUT)
    return proc.stdout, exit_code(proc.returncode), time.monotonic() - start


def run_on_mica(build, path, log, disk=None):
    """Runs path on mica (with disk as /dev/vda and /mnt its cwd, when given).
    Returns (output, exit code, run-elf's messages, seconds)."""
    start = time.monotonic()
    on_disk = ["--disk", disk, "--cwd", "/mnt"] if disk else []
    proc = subprocess.run([os.path.join(ROOT, "scripts", "run-elf"), "--no-build",
                           "--build", build, "--timeout", str(DIFF_TIMEOUT), "--log", log]
                          + on_disk + [path],
                          stdin=subprocess.DEVNULL, capture_output=True, timeout=DIFF_TIMEOUT + 60)
    return proc.stdout, proc.returncode, proc.stderr, time.monotonic() - start


def fresh_ext2(build, name):
    """An empty 32 MiB ext2 image for a differential test that runs on the disk."""
    image = os.path.join(build, "test-disks", "diff", name + ".img")
    os.makedirs(os.path.dirname(image), exist_ok=True)
    if os.path.exists(image):
        os.remove(image)
    subprocess.run([host_tool("mke2fs"), "-q", "-F", "-t", "ext2", image, "32M"], check=True,
                   capture_output=True)
    return image


def e2fsck_problem(image):
    """None when `e2fsck -fn` finds image clean, else its output."""
    proc = subprocess.run([host_tool("e2fsck"), "-fn", image], capture_output=True, text=True)
    return None if proc.returncode == 0 else proc.stdout + proc.stderr


def run_diff_test(build, name):
    """Runs one differential test on both sides. Returns (name, header line or None, failure or None)."""
    program, _, where = name.partition("@")
    path = os.path.join(build, "diff", program)
    if not shutil.which("musl-gcc"):
        return name, None, ("musl-gcc is missing, so tests/diff is not built "
                            "(apt install musl-tools, or scripts/deps.sh)")
    if not os.path.exists(path):
        return name, None, f"{path} is missing: run make diff-tests (make test builds it)"
    log_dir = os.path.join(build, "test-logs", "diff")
    os.makedirs(log_dir, exist_ok=True)
    try:
        linux_out, linux_status, linux_time = run_on_linux(path)
    except subprocess.TimeoutExpired:
        return name, None, f"timed out after {DIFF_TIMEOUT} s on Linux"
    disk = fresh_ext2(build, name) if where == "ext2" else None
    mica_out, mica_status, messages, mica_time = run_on_mica(
        build, path, os.path.join(log_dir, name + ".log"), disk)
    fsck = e2fsck_problem(disk) if disk else None
    if fsck:
        return name, None, "e2fsck -fn after the run:\n" + tail(fsck)
    for side, out in (("linux", linux_out), ("mica", mica_out)):
        with open(os.path.join(log_dir, f"{name}.{side}"), "wb") as f:
            f.write(out)
    header = (f"# diff {name}: Linux exit {linux_status} ({linux_time:.1f} s), "
              f"mica exit {mica_status} ({mica_time:.1f} s)")
    messages = messages.decode(errors="replace").rstrip()
    if mica_status in (RUN_ELF_TIMEOUT, RUN_ELF_NO_RUN) and messages.startswith("run-elf:"):
        return name, header, "on mica: " + messages
    if linux_out == mica_out and linux_status == mica_status:
        return name, header, None
    why = []
    if linux_status != mica_status:
        why.append(f"exit status: Linux {linux_status}, mica {mica_status}")
    if linux_out != mica_out:
        lines = list(difflib.unified_diff(
            linux_out.decode(errors="replace").splitlines(),
            mica_out.decode(errors="replace").splitlines(),
            fromfile=f"Linux ({name})", tofile=f"mica ({name})", lineterm=""))
        if len(lines) > DIFF_MAX_LINES:
            lines = lines[:DIFF_MAX_LINES] + [f"... {len(lines) - DIFF_MAX_LINES} more lines; "
                                              f"both outputs are in {log_dir}/"]
        why.append("output differs:\n" + "\n".join("    " + line for line in lines))
    return name, header, "; ".join(why)


def run_diff_tests(build, results, only):
    names = [n for n in DIFF_TESTS + DISK_DIFF_TESTS + EXTRA_DIFF_TESTS
             if not only or only in "diff/" + n]
    with concurrent.futures.ThreadPoolExecutor(max_workers=DIFF_JOBS) as pool:
        for name, header, failure in pool.map(lambda n: run_diff_test(build, n), names):
            if header:
                print(header, flush=True)
            if failure:
                results.fail(f"diff/{name}", failure)
            else:
                results.ok(f"diff/{name}")


def run_clock_test(build, results, only):
    """Five seconds of nanosleep on mica, timed by the host: within half a second
    (make clock-test does the ten-minute version)."""
    if only and only not in "clock/sleep-5s":
        return
    # a busy host can be slow to show a serial line: a second try tells that from a slow clock
    for attempt in range(2):
        proc = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "clock-test.py"),
                               "--build", build, "--seconds", "5", "--tolerance", "0.5"],
                              capture_output=True, text=True, timeout=180)
        if proc.returncode == 0:
            break
    out = (proc.stdout + proc.stderr).strip()
    print("# " + out.splitlines()[-1] if out else "# clock: no output", flush=True)
    if proc.returncode == 0:
        results.ok("clock/sleep-5s")
    else:
        results.fail("clock/sleep-5s", tail(out, 10))


def run_run_elf_tests(build, results, only):
    """run-elf streams output as it comes and notices a panic at once."""
    if only and only not in "run-elf":
        return
    run_elf = [os.path.join(ROOT, "scripts", "run-elf"), "--no-build", "--build", build]
    start = time.monotonic()
    proc = subprocess.Popen(run_elf + [os.path.join(build, "user", "bin", "sh"), "-c",
                                       "echo first; sleep 3; echo second"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = proc.stdout.readline()
    first_at = time.monotonic()
    rest, err = proc.communicate(timeout=120)
    end = time.monotonic()
    if first != b"first\n" or rest != b"second\n" or proc.returncode != 0:
        results.fail("run-elf/streaming", f"got {first + rest!r}, exit {proc.returncode}, {err!r}")
    elif end - first_at < 2:
        results.fail("run-elf/streaming", f"the first line came only {end - first_at:.1f} s "
                     f"before the end (after {first_at - start:.1f} s): not streamed")
    else:
        results.ok("run-elf/streaming")
    start = time.monotonic()
    proc = subprocess.run(run_elf + ["--kernel-args", "crash=panic", "--timeout", "100",
                                     os.path.join(build, "user", "bin", "true")],
                          stdin=subprocess.DEVNULL, capture_output=True, timeout=200)
    took = time.monotonic() - start
    if proc.returncode != RUN_ELF_NO_RUN or b"KERNEL PANIC" not in proc.stderr or took > 50:
        results.fail("run-elf/panic", f"exit {proc.returncode} after {took:.1f} s, "
                     f"stderr {proc.stderr[-300:]!r}")
    else:
        results.ok("run-elf/panic")


def run_console_test(build, results, only):
    """A scripted session at the console through a pty (scripts/console-test.py)."""
    if only and only not in "console":
        return
    proc = subprocess.run([os.path.join(ROOT, "scripts", "console-test.py"), build],
                          capture_output=True, text=True, timeout=600)
    out = proc.stdout + proc.stderr
    for m in re.finditer(r"^(ok|FAIL) (console/[\w.>&-]+)(?:: (.*))?$", out, re.M):
        if m.group(1) == "ok":
            results.ok(m.group(2))
        else:
            results.fail(m.group(2), m.group(3) or "")
    if proc.returncode != 0 and "FAIL" not in out:
        results.fail("console", f"exit {proc.returncode}\n{tail(out, 30)}")


def data_disk(build):
    """A fresh 128 MiB ext2 image holding mkdisk.py's 64 MiB data.bin (as `make disk` makes)."""
    work = os.path.join(build, "test-disks", "diskmap")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(os.path.join(work, "root"))
    subprocess.run([os.path.join(ROOT, "scripts", "mkdisk.py"), "data",
                    os.path.join(work, "root", "data.bin"), "64"], check=True)
    image = os.path.join(work, "disk.img")
    subprocess.run([host_tool("mke2fs"), "-q", "-F", "-t", "ext2", "-d",
                    os.path.join(work, "root"), image, "128M"], check=True, capture_output=True)
    return image


def run_diskmap_test(build, results, only):
    name = "demo/diskmap"
    if only and only not in name:
        return
    image = data_disk(build)
    log = os.path.join(build, "test-logs", "diskmap.log")
    proc = subprocess.run([os.path.join(ROOT, "scripts", "run-elf"), "--no-build", "--build", build,
                           "--mem", "256M", "--disk", image, "--timeout", "240", "--log", log,
                           os.path.join(build, "user", "demo", "diskmap")],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    m = re.search(r"^RssFile grew by (\d+) kB for 65536 kB touched; (\d+) major faults", out, re.M)
    print(f"# {name}: exit {proc.returncode}; {m.group(0) if m else 'no summary line'}", flush=True)
    fsck = e2fsck_problem(image)
    if proc.returncode != 0 or not m or "pattern check: 0 wrong words" not in out:
        results.fail(name, f"exit {proc.returncode}\n{tail(out)}")
    elif int(m.group(2)) == 0:
        results.fail(name, "no major fault: the file should have come from the disk")
    elif fsck:
        results.fail(name, "e2fsck -fn after the run:\n" + tail(fsck))
    else:
        results.ok(name)


def run_gdb_test(build, results, only):
    if only and only not in "gdb":
        return
    proc = subprocess.run([os.path.join(ROOT, "scripts", "gdb-test.sh"), build],
                          capture_output=True, text=True, timeout=180)
    if proc.returncode == 0:
        results.ok("gdb/break-kmain-bt")
    else:
        results.fail("gdb/break-kmain-bt", tail(proc.stdout + proc.stderr, 30))
    # make gdb's Ctrl-C: stops the guest, QEMU lives on (scripts/gdb-interrupt-test.py)
    proc = subprocess.run([os.path.join(ROOT, "scripts", "gdb-interrupt-test.py"), build],
                          capture_output=True, text=True, timeout=400)
    if proc.returncode == 0:
        results.ok("gdb/interrupt")
    else:
        results.fail("gdb/interrupt", tail(proc.stdout + proc.stderr, 10))
    # the mica helpers (scripts/gdb/mica.py), checked against the kernel's own view
    proc = subprocess.run([os.path.join(ROOT, "scripts", "gdb-helpers-test.sh"), build],
                          capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    found = False
    for m in re.finditer(r"^(ok|FAIL) (gdb-helpers/[\w.-]+)(?:: (.*))?$", out, re.M):
        found = True
        if m.group(1) == "ok":
            results.ok(m.group(2))
        else:
            results.fail(m.group(2), m.group(3) or "")
    if not found or proc.returncode != 0 and "FAIL" not in out:
        results.fail("gdb-helpers", f"exit {proc.returncode}\n{tail(out, 30)}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--only", default="")
    ap.add_argument("--jobs", type=int, default=max(1, os.cpu_count() or 1))
    ap.add_argument("--diff-extra", action="append", default=[],
                    help="also run this differential test (e.g. mmap)")
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    EXTRA_DIFF_TESTS.extend(args.diff_extra)
    results = Results()

    run_host_tests(build, results, args.only)

    boots = [b for b in BOOTS if not args.only or args.only in b.name]
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for boot, status, log, elapsed, fsck in pool.map(lambda b: run_boot(build, b), boots):
            print(f"# boot {boot.name} ({boot.mem}, \"{boot.cmdline}\"): "
                  f"{describe_status(status)}, {elapsed:.1f} s", flush=True)
            if boot.expect_panic:
                check_crash_boot(boot, status, log, results)
            else:
                check_ktest_boot(boot, status, log, results)
            if fsck == "":
                results.ok(f"{boot.name}/e2fsck")
            elif fsck:
                results.fail(f"{boot.name}/e2fsck", fsck)

    run_diff_tests(build, results, args.only)
    run_clock_test(build, results, args.only)
    disk_tests.run_tests(build, args.only,
                         lambda name, why: results.fail(name, why) if why else results.ok(name))
    run_console_test(build, results, args.only)
    run_run_elf_tests(build, results, args.only)
    run_diskmap_test(build, results, args.only)
    run_gdb_test(build, results, args.only)

    if results.failures:
        print("failed: " + " ".join(results.failures))
    print(f"{results.passed} passed, {results.failed} failed")
    return 0 if results.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
