#!/usr/bin/env bash
# scripts/deps.sh - the one place that installs what mica needs (Debian/Ubuntu).
#
# Checks for each tool first and calls apt-get only when something is
# missing, so it is fast to run before every `make run` / `make test`.
# Uses sudo when not root; runs non-interactively (CI runs it as root).
set -euo pipefail

# tool to look for -> Debian package that provides it
checks=(
    "nasm:nasm"
    "grub-mkrescue:grub-common"
    "/usr/lib/grub/i386-pc/modinfo.sh:grub-pc-bin"
    "xorriso:xorriso"
    "mformat:mtools"
    "qemu-system-x86_64:qemu-system-x86"
    "gdb:gdb"
    "musl-gcc:musl-tools"
    "cpio:cpio"
    "python3:python3"
    "mke2fs:e2fsprogs"
)
# mke2fs and e2fsck live in /sbin, which is not in every user's PATH
PATH="$PATH:/usr/sbin:/sbin"

missing=()
for c in "${checks[@]}"; do
    tool=${c%%:*} pkg=${c#*:}
    if [[ $tool == /* ]]; then
        [ -e "$tool" ] || missing+=("$pkg")
    else
        command -v "$tool" >/dev/null 2>&1 || missing+=("$pkg")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "deps: need root or sudo to install ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done"
