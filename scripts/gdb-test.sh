#!/usr/bin/env bash
# scripts/gdb-test.sh BUILD_DIR - the gdb test in `make test`.
#
# Starts QEMU paused with the test ISO, runs gdb in batch mode with the same
# setup as `make gdb`, breaks at kmain, continues, and checks that the stop
# and `bt` both name kmain and that `next` steps in 64-bit code.
# (scripts/gdb-helpers-test.sh checks the `mica` Python helpers.)
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
iso=$build/test-isos/gdb.iso
mkdir -p "$build/test-isos" "$build/test-logs"
"$root/scripts/mkiso.sh" "$iso" "$build/mica.elf" ""
qemu-system-x86_64 -m 64M -no-reboot -display none -serial "file:$build/test-logs/gdb.log" \
    -monitor none -cdrom "$iso" -S -gdb "tcp:127.0.0.1:$port" &
qemu=$!
trap 'kill $qemu 2>/dev/null || true' EXIT
out=$(MICA_ROOT=$root timeout 120 gdb -q -nx -batch -ex "set \$mica_port = $port" -x "$root/scripts/gdb/mica.gdb" \
    -ex 'break kmain' -ex 'continue' -ex 'bt' -ex 'next' -ex 'info registers rip' \
    "$build/mica.elf" 2>&1)
echo "$out" > "$build/test-logs/gdb-session.log"
echo "$out"
grep -q '^Breakpoint 1, kmain ' <<<"$out" || { echo "gdb-test: did not stop in kmain"; exit 1; }
grep -q '^#0  kmain ' <<<"$out" || { echo "gdb-test: bt does not name kmain"; exit 1; }
grep -Eq '^rip +0xffffffff8[0-9a-f]+ +0x[0-9a-f]+ <kmain\+[0-9]+>' <<<"$out" || {
    echo "gdb-test: next did not step within kmain"; exit 1; }
echo "gdb-test: ok"
