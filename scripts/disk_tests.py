#!/usr/bin/env python3
"""disk_tests.py - the disk tests: mica against bad disks, and what it leaves on good ones.

Each test runs one program of tests/disk/ (built into BUILD/disktests/) on
mica with scripts/run-elf and disks this script prepares on the host, then
checks the program's output and the images on the host:

  fuzz-N         corrupted images (scripts/corrupt-ext2.py, seeds of batch N)
                 as vda..vdh; fuzz_walk mounts, walks, reads, writes and
                 unmounts each: no panic, no hang, only the errnos a damaged
                 filesystem may give, one log line for a refused mount
  nothing-lost-sync, nothing-lost-fsync
                 files written, made durable by sync(2) or by fsync(2), then
                 an immediate power-off: e2fsck -fn is clean and every file,
                 dumped with debugfs, has the sha256 the program meant
  full           write until ENOSPC; the filesystem stays consistent
                 (e2fsck -fn) and freeing makes room again
  read-only      mount -o ro and a read-only device: EROFS for every change
  io-errors      a device failing reads (and one failing writes) inside a
                 known file: EIO from read, write+fsync, SIGBUS from a mapping

run-tests.py runs them all (DISK_TESTS); alone:
  scripts/disk_tests.py [--build DIR] [--only SUBSTRING]
  scripts/disk_tests.py --fuzz-seeds 1-400 [--per-boot 8]    (make disk-fuzz)
The images stay in BUILD/test-disks/disktests/, the serial logs in
BUILD/test-logs/disktests/.
"""
import argparse
import concurrent.futures
import hashlib
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIMEOUT = 90  # seconds per boot
FUZZ_PER_BOOT = 8  # the block layer's BLK_MAX_DEVICES
FUZZ_BATCHES_IN_MAKE_TEST = 2  # seeds 1-16


def tool(name):
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin") or name


def pattern_byte(n, i):
    """tests/disk/disktest.h's pattern_byte()."""
    return ((i * 31 + n * 17 + (i >> 9)) ^ (i >> 13)) & 0xff


def pattern(n, start, length):
    return bytes(pattern_byte(n, i) for i in range(start, start + length))


def tail(text, lines=25):
    return "\n".join("    | " + line for line in text.splitlines()[-lines:])


class Run:
    """One run-elf boot: output (str), exit status, serial log (str)."""

    def __init__(self, output, status, log):
        self.output, self.status, self.log = output, status, log

    def program_lines(self):
        """The program's output; when it powered off itself (no exit line), read from the log."""
        if self.output:
            return self.output
        start = self.log.find("mica-run: start")
        return self.log[start:].replace("\r\n", "\n") if start >= 0 else ""


def run_elf(build, name, program, args, disks=(), extra_qemu=(), kernel_log=False, mem=None):
    """Runs BUILD/disktests/PROGRAM on mica with disks [(image, read_only)] (and mem of RAM)."""
    log_dir = os.path.join(build, "test-logs", "disktests")
    os.makedirs(log_dir, exist_ok=True)
    log_path = os.path.join(log_dir, name + ".log")
    cmd = [os.path.join(ROOT, "scripts", "run-elf"), "--no-build", "--build", build,
           "--timeout", str(TIMEOUT), "--log", log_path]
    if kernel_log:
        cmd.append("--kernel-log")
    if mem:
        cmd += ["--mem", mem]
    for image, read_only in disks:
        cmd += ["--disk-ro" if read_only else "--disk", image]
    for arg in extra_qemu:
        cmd.append("--qemu=" + arg)
    cmd += [os.path.join(build, "disktests", program)] + list(args)
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=TIMEOUT + 60)
    log = ""
    if os.path.exists(log_path):
        with open(log_path, "rb") as f:
            log = f.read().decode(errors="replace")
    return Run(proc.stdout.decode(errors="replace"), proc.returncode, log)


def work_dir(build, name):
    path = os.path.join(build, "test-disks", "disktests", name)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def mke2fs(image, size, *options):
    if os.path.exists(image):
        os.remove(image)
    subprocess.run([tool("mke2fs"), "-q", "-F", "-t", "ext2"] + list(options) + [image, size],
                   check=True, capture_output=True)


def e2fsck_problem(image):
    proc = subprocess.run([tool("e2fsck"), "-fn", image], capture_output=True, text=True)
    return None if proc.returncode == 0 else tail(proc.stdout + proc.stderr)


def debugfs(image, request):
    return subprocess.run([tool("debugfs"), "-R", request, image], capture_output=True,
                          text=True).stdout


def dump(image, path, out):
    """The bytes of path in image (debugfs dump), or None when it is not there."""
    if os.path.exists(out):
        os.remove(out)
    subprocess.run([tool("debugfs"), "-R", f"dump {path} {out}", image], capture_output=True)
    if not os.path.exists(out):
        return None
    with open(out, "rb") as f:
        return f.read()


def program_failures(run, expect_status=0):
    """Why the run failed by its own account (FAIL/UNEXPECTED lines, exit status), or None."""
    out = run.program_lines()
    bad = [line for line in out.splitlines() if line.startswith(("FAIL", "UNEXPECTED"))]
    if "KERNEL PANIC" in run.log or "unhandled exception" in run.log:
        return "the kernel panicked:\n" + tail(run.log, 40)
    if run.status == 124:
        return "timed out (a hang?)\n" + tail(run.log)
    if bad:
        return "\n".join("    " + line for line in bad[:20])
    if expect_status is not None and run.status != expect_status:
        return f"exit status {run.status}, expected {expect_status}\n" + tail(out or run.log)
    return None


# ---- fuzz --------------------------------------------------------------------------------

def fuzz_check_log(out):
    """Every device has a result line, and a refused mount said why in exactly one line."""
    problems = []
    blocks = re.split(r"^fuzz: (vd\w): mount$", out, flags=re.M)
    for dev, text in zip(blocks[1::2], blocks[2::2]):
        lines = text.strip("\n").splitlines()
        result = [line for line in lines if line.startswith(f"fuzz: {dev}: m")]
        if not result:
            problems.append(f"{dev}: no result line")
        elif "mount refused" in result[0]:
            before = lines[:lines.index(result[0])]
            said = [line for line in before if line.startswith(("ext2", "mount", "blk", "virtio"))]
            if len(said) != 1:
                problems.append(f"{dev}: a refused mount logged {len(said)} lines, not 1: {said}")
    return problems


def fuzz_batch(build, seeds, name):
    """One boot over corrupted images of seeds. Returns a failure text or None."""
    wd = work_dir(build, name)
    subprocess.run([os.path.join(ROOT, "scripts", "corrupt-ext2.py"), wd]
                   + [str(s) for s in seeds], check=True, capture_output=True)
    disks = [(os.path.join(wd, f"fuzz-{s}.img"), False) for s in seeds]
    devices = [f"/dev/vd{chr(ord('a') + i)}" for i in range(len(seeds))]
    run = run_elf(build, name, "fuzz_walk", devices, disks, kernel_log=True)
    failure = program_failures(run)
    if failure:
        return f"seeds {seeds[0]}-{seeds[-1]} (images in {wd}): {failure}"
    problems = fuzz_check_log(run.program_lines())
    if problems:
        return f"seeds {seeds[0]}-{seeds[-1]}: " + "; ".join(problems)
    return None


def fuzz_seed_batches(first, last, per_boot):
    seeds = list(range(first, last + 1))
    return [seeds[i:i + per_boot] for i in range(0, len(seeds), per_boot)]


# ---- nothing lost --------------------------------------------------------------------------

def lost_files():
    """{path in the image: the bytes tests/disk/nothing_lost.c meant to write}."""
    holes = bytearray(303000)
    holes[0:5000] = pattern(3, 0, 5000)
    holes[300000:303000] = pattern(3, 300000, 3000)
    return {
        "/lost/small.txt": pattern(1, 0, 100),
        "/lost/blocks.bin": pattern(2, 0, 70000),
        "/lost/holes.bin": bytes(holes),
        "/lost/big.bin": pattern(4, 0, 3 << 20),
        "/lost/mapped.bin": pattern(5, 0, 40000),
        "/lost/renamed.bin": pattern(6, 0, 10000),
        "/lost/truncated.bin": pattern(7, 0, 12345),
    }


def nothing_lost(build, mode):
    name = f"nothing-lost-{mode}"
    wd = work_dir(build, name)
    image = os.path.join(wd, "disk.img")
    mke2fs(image, "16M")
    run = run_elf(build, name, "nothing_lost", [mode], [(image, False)])
    out = run.program_lines()
    if f"nothing_lost: {mode} done, 0 failures; powering off" not in out:
        return program_failures(run, None) or "the program did not finish:\n" + tail(out or run.log)
    problem = e2fsck_problem(image)
    if problem:
        return "e2fsck -fn after the power-off:\n" + problem
    wrong = []
    for path, want in lost_files().items():
        got = dump(image, path, os.path.join(wd, "dumped"))
        if got is None:
            wrong.append(f"{path}: not in the image")
        elif hashlib.sha256(got).digest() != hashlib.sha256(want).digest():
            wrong.append(f"{path}: {len(got)} bytes, sha256 {hashlib.sha256(got).hexdigest()[:16]}"
                         f"..., expected {len(want)} bytes, {hashlib.sha256(want).hexdigest()[:16]}...")
    if debugfs(image, "ls /lost").find("old.bin") >= 0:
        wrong.append("/lost/old.bin was unlinked but is still there")
    return "; ".join(wrong) if wrong else None


# ---- I/O errors ----------------------------------------------------------------------------

def file_sector(image, path, file_block):
    """The first 512-byte sector of block file_block of path in image (debugfs bmap)."""
    block = int(debugfs(image, f"bmap {path} {file_block}").split()[0])
    block_size = int(re.search(r"Block size:\s+(\d+)", debugfs(image, "stats")).group(1))
    return block * block_size // 512, block_size


def io_errors(build):
    """A disk failing reads inside readbad.bin and writes inside writebad.bin (QEMU blkdebug)."""
    name = "io-errors"
    wd = work_dir(build, name)
    src = os.path.join(wd, "src")
    os.makedirs(src)
    for n, file in ((11, "readbad.bin"), (12, "writebad.bin")):
        with open(os.path.join(src, file), "wb") as f:
            f.write(pattern(n, 0, 64 * 1024))
    image = os.path.join(wd, "disk.img")
    mke2fs(image, "8M", "-d", src)
    read_sector, block_size = file_sector(image, "/readbad.bin", 21)
    write_sector, _ = file_sector(image, "/writebad.bin", 30)
    conf = os.path.join(wd, "blkdebug.conf")
    with open(conf, "w") as f:
        for op, sector in (("read", read_sector), ("write", write_sector)):
            f.write(f'[inject-error]\nevent = "{op}_aio"\niotype = "{op}"\nerrno = "5"\n'
                    f'sector = "{sector}"\n\n')
    drive = f"file=blkdebug:{conf}:{image},if=none,id=bad,format=raw"
    # byte offsets in the files of the bad sectors (file blocks 21 and 30)
    args = [str(21 * block_size), str(30 * block_size)]
    run = run_elf(build, name, "io_errors", args,
                  extra_qemu=["-drive", drive, "-device", "virtio-blk-pci,drive=bad"],
                  kernel_log=True)
    failure = program_failures(run)
    if failure:
        return failure
    problem = e2fsck_problem(image)
    return "e2fsck -fn after the run:\n" + problem if problem else None


# ---- full and read-only filesystems -------------------------------------------------------

def full_fs(build):
    """A 2 MiB disk with 64 inodes, filled by blocks and by inodes: e2fsck -fn clean after."""
    wd = work_dir(build, "full")
    image = os.path.join(wd, "disk.img")
    mke2fs(image, "2M", "-N", "64")
    run = run_elf(build, "full", "full_fs", [], [(image, False)], kernel_log=True)
    failure = program_failures(run)
    if failure:
        return failure
    problem = e2fsck_problem(image)
    return "e2fsck -fn of the full filesystem:\n" + problem if problem else None


def read_only(build, mode):
    """ro-mount: a writable disk mounted MS_RDONLY; ro-device: a read-only device."""
    name = f"read-only-{mode}"
    wd = work_dir(build, name)
    src = os.path.join(wd, "src")
    os.makedirs(os.path.join(src, "dir"))
    with open(os.path.join(src, "file.txt"), "w") as f:
        f.write("read-only\n")
    image = os.path.join(wd, "disk.img")
    mke2fs(image, "4M", "-d", src)
    before = hashlib.sha256(open(image, "rb").read()).hexdigest()
    run = run_elf(build, name, "read_only", [mode], [(image, mode == "ro-device")],
                  kernel_log=True)
    failure = program_failures(run)
    if failure:
        return failure
    problem = e2fsck_problem(image)
    if problem:
        return "e2fsck -fn after the run:\n" + problem
    if mode == "ro-device" and hashlib.sha256(open(image, "rb").read()).hexdigest() != before:
        return "the read-only device's image changed"
    if mode == "ro-mount" and "file.txt" not in debugfs(image, "ls /newdir"):
        return "the writes after mounting read-write again did not reach the disk"
    return None


def read_bigger_than_ram(build):
    """read() of a 64 MiB file in a 40 MiB guest: clean page cache must be reclaimed."""
    wd = work_dir(build, "read-big")
    os.makedirs(os.path.join(wd, "root"))
    subprocess.run([os.path.join(ROOT, "scripts", "mkdisk.py"), "data",
                    os.path.join(wd, "root", "data.bin"), "64"], check=True, capture_output=True)
    image = os.path.join(wd, "disk.img")
    mke2fs(image, "128M", "-d", os.path.join(wd, "root"))
    run = run_elf(build, "read-big", "read_big", [], [(image, False)], mem="40M")
    return program_failures(run)


# ---- the table -----------------------------------------------------------------------------

def all_tests():
    """[(name, function returning a failure text or None)] of the tests in make test."""
    tests = []
    for i, seeds in enumerate(fuzz_seed_batches(1, FUZZ_PER_BOOT * FUZZ_BATCHES_IN_MAKE_TEST,
                                                FUZZ_PER_BOOT)):
        tests.append((f"fuzz-{i + 1}", lambda b, s=seeds, n=i: fuzz_batch(b, s, f"fuzz-{n + 1}")))
    tests.append(("nothing-lost-sync", lambda b: nothing_lost(b, "sync")))
    tests.append(("nothing-lost-fsync", lambda b: nothing_lost(b, "fsync")))
    tests.append(("io-errors", io_errors))
    tests.append(("full", full_fs))
    tests.append(("read-only-mount", lambda b: read_only(b, "ro-mount")))
    tests.append(("read-only-device", lambda b: read_only(b, "ro-device")))
    tests.append(("read-bigger-than-ram", read_bigger_than_ram))
    return tests


def missing_programs(build):
    if not shutil.which("musl-gcc"):
        return "musl-gcc is missing, so tests/disk is not built (scripts/deps.sh)"
    if not os.path.isdir(os.path.join(build, "disktests")):
        return f"{build}/disktests is missing: run make disk-tests (make test builds it)"
    return None


JOBS = 2  # boots at a time, as the differential tests


def run_tests(build, only, report):
    """Runs the tests whose "disk/NAME" contains only, JOBS at a time; report(name, failure
    or None) for each, in the table's order."""
    tests = [(n, f) for n, f in all_tests() if not only or only in "disk/" + n]
    missing = missing_programs(build) if tests else None

    def one(test):
        try:
            return missing or test(build)
        except (subprocess.SubprocessError, OSError) as e:
            return f"{type(e).__name__}: {e}"

    with concurrent.futures.ThreadPoolExecutor(max_workers=JOBS) as pool:
        for (name, _), failure in zip(tests, pool.map(one, [f for _, f in tests])):
            report("disk/" + name, failure)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--only", default="")
    ap.add_argument("--fuzz-seeds", help="A-B: only the fuzz test, over these seeds")
    ap.add_argument("--per-boot", type=int, default=FUZZ_PER_BOOT)
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    counts = [0, 0]

    def report(name, failure):
        counts[failure is not None] += 1
        print(f"FAIL {name}: {failure}" if failure else f"ok {name}", flush=True)

    if args.fuzz_seeds:
        first, _, last = args.fuzz_seeds.partition("-")
        for seeds in fuzz_seed_batches(int(first), int(last or first), args.per_boot):
            name = f"fuzz-seeds-{seeds[0]}-{seeds[-1]}"
            report("disk/" + name, missing_programs(build) or fuzz_batch(build, seeds, name))
    else:
        run_tests(build, args.only, report)
    print(f"{counts[0]} passed, {counts[1]} failed")
    return 1 if counts[1] else 0


if __name__ == "__main__":
    sys.exit(main())
