#!/usr/bin/env python3
"""corrupt-ext2.py - seeded, deterministic corrupted ext2 images for the disk fuzz test.

Usage: scripts/corrupt-ext2.py OUTDIR SEED...      (a SEED may be a range A-B)

Makes one fresh template image (a 2 MiB ext2 of 1 KiB blocks, made by
`mke2fs -t ext2 -d` from a small tree this script writes: a text file, a
300 KB file that needs a single and a double indirect block, a directory of
60 entries spanning several blocks, a subdirectory, a fast and a slow
symlink), then finds with the host's debugfs and dumpe2fs where its
structures are:

  super      the superblock's first 256 bytes (the fields ext2 reads)
  groupdesc  the first group descriptor
  inodes     the inode table, as far as the used inodes go
  indirect   big.bin's single indirect block
  dirblock   a block of directory /dir

For each seed it copies the template to OUTDIR/fuzz-SEED.img and flips
bytes in some of those regions: each region is picked with a fixed
probability (the superblock rarely, since a broken superblock mostly just
refuses the mount), at least one region per seed, 1 to 6 bytes in each, each
byte XORed with a random non-zero value or set to 0x00 or 0xff. Which bytes
changed is written to OUTDIR/fuzz-SEED.txt, so a failure can be reproduced
with `scripts/corrupt-ext2.py DIR SEED` and `scripts/run-elf --disk
DIR/fuzz-SEED.img build/disktests/fuzz_walk /dev/vda`. The same seed always
gives the same image (the template's timestamps and UUID are fixed too).
"""
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

IMAGE_KIB = 2048
REGION_PROBABILITY = {"super": 0.15, "groupdesc": 0.4, "inodes": 0.6, "indirect": 0.4,
                      "dirblock": 0.5}


def tool(name):
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin") or name


def write_tree(root):
    """The template's files; their contents are fixed (a seeded generator)."""
    rng = random.Random(12)
    os.makedirs(os.path.join(root, "dir", "sub"))
    with open(os.path.join(root, "hello.txt"), "w") as f:
        f.write("hello from a disk that is about to be damaged\n")
    with open(os.path.join(root, "big.bin"), "wb") as f:
        f.write(bytes(rng.getrandbits(8) for _ in range(300000)))
    for i in range(60):
        with open(os.path.join(root, "dir", f"entry_with_a_longish_name_{i:02d}"), "w") as f:
            f.write(f"file {i}\n" * (i + 1))
    with open(os.path.join(root, "dir", "sub", "deep.txt"), "w") as f:
        f.write("deep\n")
    os.symlink("hello.txt", os.path.join(root, "fast_link"))
    os.symlink("dir/" + "x" * 90, os.path.join(root, "slow_link"))
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            os.utime(os.path.join(dirpath, name), (1700000000, 1700000000), follow_symlinks=False)


def make_template(path):
    with tempfile.TemporaryDirectory(prefix="corrupt-ext2-") as tmp:
        root = os.path.join(tmp, "root")
        write_tree(root)
        env = dict(os.environ, E2FSPROGS_FAKE_TIME="1700000000")
        subprocess.run([tool("mke2fs"), "-q", "-F", "-t", "ext2", "-b", "1024",
                        "-U", "6d696361-6675-7a7a-0000-000000000001", "-E", "hash_seed="
                        "6d696361-6675-7a7a-0000-000000000002", "-d", root, path,
                        f"{IMAGE_KIB}k"], check=True, capture_output=True, env=env)
    fix_inode_times(path)


def fix_inode_times(image):
    """mke2fs -d stamps ctime (and some atimes) with the clock: set them to a fixed time."""
    regions = find_regions(image)
    start, length = regions["inodes"]
    inode_size = regions["inode_size"][1]
    with open(image, "r+b") as f:
        for slot in range(start, start + length, inode_size):
            f.seek(slot)
            if f.read(2) == b"\0\0":  # mode 0: an unused slot
                continue
            for field in (0x8, 0xc):  # i_atime, i_ctime
                f.seek(slot + field)
                f.write((1700000000).to_bytes(4, "little"))


def debugfs(image, request):
    return subprocess.run([tool("debugfs"), "-R", request, image], capture_output=True,
                          text=True, check=True).stdout


def find_regions(image):
    """{name: (byte offset, length)} of the structures the fuzzer damages."""
    info = subprocess.run([tool("dumpe2fs"), image], capture_output=True, text=True,
                          check=True).stdout
    block = int(re.search(r"^Block size:\s+(\d+)", info, re.M).group(1))
    inode_size = int(re.search(r"^Inode size:\s+(\d+)", info, re.M).group(1))
    inodes = int(re.search(r"^Inode count:\s+(\d+)", info, re.M).group(1))
    free = int(re.search(r"^Free inodes:\s+(\d+)", info, re.M).group(1))
    table = int(re.search(r"Inode table at (\d+)", info).group(1))
    gd = int(re.search(r"Group descriptors at (\d+)", info).group(1))
    indirect = int(re.search(r"\(IND\):(\d+)", debugfs(image, "stat /big.bin")).group(1))
    dir_blocks = [int(b) for b in debugfs(image, "blocks /dir").split()]
    return {
        "super": (1024, 256),
        "groupdesc": (gd * block, 32),
        "inodes": (table * block, (inodes - free) * inode_size),
        "indirect": (indirect * block, block),
        "dirblock": (dir_blocks[-1] * block, block),
        "inode_size": (0, inode_size),  # not a region: what fix_inode_times needs
    }


def corrupt(image, regions, seed):
    """Flips bytes of image in regions chosen by seed; returns the log lines."""
    rng = random.Random(seed)
    names = sorted(REGION_PROBABILITY)
    chosen = [r for r in names if rng.random() < REGION_PROBABILITY[r]]
    if not chosen:
        chosen = [rng.choice([r for r in names if r != "super"])]
    log = []
    with open(image, "r+b") as f:
        for name in chosen:
            start, length = regions[name]
            for _ in range(rng.randint(1, 6)):
                offset = start + rng.randrange(length)
                f.seek(offset)
                old = f.read(1)[0]
                how = rng.random()
                new = 0 if how < 0.15 else 0xff if how < 0.3 else old ^ rng.randint(1, 255)
                if new == old:
                    new = old ^ 0x80
                f.seek(offset)
                f.write(bytes([new]))
                log.append(f"{name} byte {offset:#x}: {old:#04x} -> {new:#04x}")
    return log


def parse_seeds(words):
    seeds = []
    for w in words:
        a, _, b = w.partition("-")
        seeds += list(range(int(a), int(b) + 1)) if b else [int(a)]
    return seeds


def main():
    if len(sys.argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    out = sys.argv[1]
    seeds = parse_seeds(sys.argv[2:])
    os.makedirs(out, exist_ok=True)
    template = os.path.join(out, "template.img")
    make_template(template)
    regions = find_regions(template)
    for seed in seeds:
        image = os.path.join(out, f"fuzz-{seed}.img")
        shutil.copyfile(template, image)
        log = corrupt(image, regions, seed)
        with open(os.path.join(out, f"fuzz-{seed}.txt"), "w") as f:
            f.write("".join(line + "\n" for line in log))
        print(image)
    return 0


if __name__ == "__main__":
    sys.exit(main())
