#!/usr/bin/env bash
# scripts/gdb.sh BUILD_DIR - `make gdb`: QEMU paused with its gdb stub, gdb attached.
#
# QEMU runs in the background with the mica console in BUILD_DIR/serial.log
# (watch it from a second terminal with `tail -f build/serial.log`); gdb runs
# here with the kernel's symbols and scripts/gdb/mica.gdb loaded. Quitting
# gdb stops QEMU. See docs/debugging.md.
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
port=${GDB_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
log=$build/serial.log
: > "$log"
qemu-system-x86_64 -m "${MEM:-128M}" -no-reboot -display none \
    -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
    -serial "file:$log" -monitor none -cdrom "$build/mica.iso" \
    -S -gdb "tcp:127.0.0.1:$port" &
qemu=$!
trap 'kill $qemu 2>/dev/null || true' EXIT
echo "mica: QEMU is paused (console -> $log); gdb attaching on port $port"
gdb -q -nx -ex "set \$mica_port = $port" -x "$root/scripts/gdb/mica.gdb" "$build/mica.elf" "${@:2}"
