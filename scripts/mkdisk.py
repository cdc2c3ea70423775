#!/usr/bin/env python3
"""mkdisk.py - the deterministic contents mica's disks are made of.

Usage:
  scripts/mkdisk.py data FILE MIB [SHA256FILE]
      FILE = MIB MiB of 4 KiB blocks; in block i, the first 8-byte word is i
      and word j (1..511) is the file offset of that word (i*4096 + j*8),
      all little-endian. A program can check any page of it on its own.
      The file's sha256 goes to SHA256FILE (as "HASH  NAME", sha256sum's format).
  scripts/mkdisk.py pattern IMG MIB
      a raw disk image where every 8-byte word of sector s holds s
      (little-endian): what the in-kernel block tests read and check.

Both are the same bytes every time, so images built from them are reproducible.
"""
import array
import hashlib
import os
import sys

BLOCK = 4096
SECTOR = 512
WORD = 8


def data_block(i):
    words = array.array("Q", range(i * BLOCK, (i + 1) * BLOCK, WORD))
    words[0] = i
    if sys.byteorder != "little":
        words.byteswap()
    return words.tobytes()


def pattern_sector(s):
    words = array.array("Q", [s]) * (SECTOR // WORD)
    if sys.byteorder != "little":
        words.byteswap()
    return words.tobytes()


def write_data(path, mib, sha_path):
    digest = hashlib.sha256()
    with open(path + ".tmp", "wb") as f:
        for i in range(mib * (1 << 20) // BLOCK):
            block = data_block(i)
            digest.update(block)
            f.write(block)
    os.replace(path + ".tmp", path)
    if sha_path:
        with open(sha_path, "w") as f:
            f.write(f"{digest.hexdigest()}  {os.path.basename(path)}\n")


def write_pattern(path, mib):
    with open(path + ".tmp", "wb") as f:
        for s in range(mib * (1 << 20) // SECTOR):
            f.write(pattern_sector(s))
    os.replace(path + ".tmp", path)


def main(argv):
    if len(argv) >= 3 and argv[0] == "data" and len(argv) <= 4:
        write_data(argv[1], int(argv[2]), argv[3] if len(argv) == 4 else None)
    elif len(argv) == 3 and argv[0] == "pattern":
        write_pattern(argv[1], int(argv[2]))
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
