#!/usr/bin/env bash
# Usage: scripts/mkiso.sh OUT.iso KERNEL.elf "CMDLINE" [MODULE[:NAME]]...
#
# Builds a GRUB (BIOS) boot image: timeout 0, GRUB on the serial line and
# the screen, mica loaded with multiboot2 and the given command line, and
# each MODULE loaded as a multiboot2 module (the initramfs, later).
set -euo pipefail
out=$1 kernel=$2 cmdline=$3
shift 3
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/boot/grub"
cp "$kernel" "$root/boot/mica.elf"
{
    echo 'set timeout=0'
    echo 'set default=0'
    echo 'serial --unit=0 --speed=115200'
    echo 'terminal_input serial console'
    echo 'terminal_output serial console'
    echo 'menuentry "mica" {'
    echo "    multiboot2 /boot/mica.elf $cmdline"
    for m in "$@"; do
        file=${m%%:*} name=${m#*:}
        [ "$name" = "$m" ] && name=$(basename "$file")
        cp "$file" "$root/boot/$name"
        echo "    module2 /boot/$name $name"
    done
    echo '    boot'
    echo '}'
} > "$root/boot/grub/grub.cfg"
grub-mkrescue -d /usr/lib/grub/i386-pc -o "$out" "$root" 2>/dev/null || {
    echo "mkiso: grub-mkrescue failed; rerun without 2>/dev/null to see why" >&2
    exit 1
}
