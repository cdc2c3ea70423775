#!/bin/sh
# linux-bench.sh - the disk benchmark (user/bin/bench/disk.c) on Linux 6.1, in the same QEMU.
#
# Usage: scripts/linux-bench.sh [BUILD_DIR [DISK_IMG]]     (make bench-linux)
#        MEM=256M (guest RAM, as make bench's), TIMEOUT=900 (seconds)
#
# What it does, all under BUILD_DIR/linux (default build/linux):
#   1. apt-get download Debian's linux-image-cloud-amd64 (the versioned
#      linux-image-6.1.*-cloud-amd64 package it depends on) and dpkg -x it;
#      when the package cannot be fetched it says so and exits 0: no figures.
#   2. builds disk.c with musl-gcc -static -DBENCH_LINUX_INIT, so the program
#      is /init of the guest (user/bin/bench/linux_guest.h: it loads the
#      virtio modules, mounts /dev/vda at /mnt, runs, powers off);
#   3. packs it with the six virtio .ko files (under /modules) in a newc cpio;
#   4. boots the kernel in QEMU with -icount shift=0 (rdtsc counts guest
#      instructions, as in make bench) and DISK_IMG (default BUILD_DIR/disk.img,
#      `make disk`) as a virtio disk with snapshot=on (never written);
#   5. prints the "bench ..." and "disk: ..." lines of the serial log.
# Disk waits make the cold figures move ~10 % between runs (see the README).
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
DISK=${2:-$BUILD/disk.img}
MEM=${MEM:-256M}
TIMEOUT=${TIMEOUT:-900}
WORK=$BUILD/linux
MODULES="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk"

say() { echo "linux-bench: $*"; }

[ -f "$DISK" ] || { say "no disk image $DISK (make disk)"; exit 1; }
DISK=$(cd "$(dirname "$DISK")" && pwd)/$(basename "$DISK") # QEMU runs in $WORK
mkdir -p "$WORK"
cd "$WORK"

# 1. The kernel package: the meta package names the versioned one.
if ! ls linux-image-6.1*.deb >/dev/null 2>&1; then
    pkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
          sed -n 's/^ *Depends: \(linux-image-6\.1[^ ]*-cloud-amd64\)$/\1/p' | head -n 1)
    if [ -z "$pkg" ] || ! apt-get download "$pkg" >download.log 2>&1; then
        say "cannot fetch Debian's linux-image-cloud-amd64 (${pkg:-not in apt's lists}; see $WORK/download.log):"
        say "no Linux figures"
        exit 0
    fi
fi
deb=$(ls linux-image-6.1*.deb | head -n 1)
if [ ! -d root ] || [ "$deb" -nt root ]; then
    rm -rf root && dpkg -x "$deb" root
fi
kernel=$(ls root/boot/vmlinuz-* | head -n 1)

# 2-3. /init and the modules, in a newc archive.
rm -rf stage && mkdir -p stage/modules stage/dev stage/proc stage/mnt
musl-gcc -static -O2 -Wall -Wextra -Werror -DBENCH_LINUX_INIT \
    "$ROOT/user/bin/bench/disk.c" -o stage/init
for m in $MODULES; do
    ko=$(find root/lib/modules -name "$m.ko" | head -n 1)
    [ -n "$ko" ] || { say "$m.ko is not in $deb"; exit 1; }
    cp "$ko" stage/modules/
done
(cd stage && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) > initramfs.cpio

# 4. The boot: the guest powers itself off at the end.
say "booting $(basename "$kernel") with $MEM of RAM and $DISK (this takes a minute or two)"
rm -f serial.log
timeout "$TIMEOUT" qemu-system-x86_64 -m "$MEM" -no-reboot -display none -monitor none \
    -icount shift=0 -kernel "$kernel" -initrd initramfs.cpio \
    -append "console=ttyS0 quiet mitigations=off" \
    -drive "file=$DISK,if=none,id=vda,format=raw,snapshot=on" -device virtio-blk-pci,drive=vda \
    -serial "file:serial.log" </dev/null || say "QEMU failed or timed out"
touch serial.log

# 5. The figures.
tr -d '\r' <serial.log | grep -E '^(bench |disk: |linux-guest: )' || true
if ! tr -d '\r' <serial.log | grep -q '^linux-guest: exit 0$'; then
    say "the Linux guest did not finish the benchmark; log: $WORK/serial.log"
    tail -n 20 serial.log
    exit 1
fi
say "Linux $(basename "$kernel" | sed 's/^vmlinuz-//'), $MEM RAM (log: $WORK/serial.log)"
