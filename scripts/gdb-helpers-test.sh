#!/usr/bin/env bash
# scripts/gdb-helpers-test.sh BUILD_DIR - checks the `mica` gdb helpers against the kernel.
#
# Boots BUILD_DIR/test-isos/gdb-helpers.iso ("quiet -- test hello": init
# forks, then runs /bin/tests/hello) in QEMU paused, and runs gdb in batch
# mode with the same setup as `make gdb` plus scripts/gdb/helpers_test.py,
# which stops at init's first copy-on-write copy and in hello's write() and
# compares the output of mica ps / vmas / walk / pte / frame / buddy /
# trapframe / prog / break, the unwinder and the pretty-printers with what
# the kernel itself reports for the same state (its functions called from
# gdb, its variables, the bytes in memory).
#
# Prints `ok gdb-helpers/NAME` or `FAIL gdb-helpers/NAME: why` per check,
# then `gdb-helpers: N passed, N failed`; exits 0 only if all passed.
# Logs: BUILD_DIR/test-logs/gdb-helpers.log (the console) and
# gdb-helpers-session.log (every command and its output).
# Needs BUILD_DIR/mica.elf, initramfs.cpio and user/bin/tests/hello (make kernel initramfs).
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$build" && pwd)
hello=$build/user/bin/tests/hello
for f in "$build/mica.elf" "$build/initramfs.cpio" "$hello"; do
    [ -f "$f" ] || { echo "FAIL gdb-helpers/setup: $f is missing (make kernel initramfs)"; exit 1; }
done
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
iso=$build/test-isos/gdb-helpers.iso
logs=$build/test-logs
mkdir -p "$build/test-isos" "$logs"
# norandmaps: the checks expect the stack where it is without ASLR (0x7ffffffff000)
"$root/scripts/mkiso.sh" "$iso" "$build/mica.elf" "quiet norandmaps -- test hello" \
    "$build/initramfs.cpio:initramfs.cpio"
qemu-system-x86_64 -m 128M -no-reboot -display none \
    -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
    -serial "file:$logs/gdb-helpers.log" -monitor none -cdrom "$iso" \
    -S -gdb "tcp:127.0.0.1:$port" &
qemu=$!
trap 'kill $qemu 2>/dev/null || true' EXIT
set +e
out=$(MICA_ROOT=$root MICA_HELLO_ELF=$hello MICA_TEST_SESSION_LOG=$logs/gdb-helpers-session.log \
    timeout 240 gdb -q -nx -batch -ex "set \$mica_port = $port" -x "$root/scripts/gdb/mica.gdb" \
    -x "$root/scripts/gdb/helpers_test.py" "$build/mica.elf" 2>&1)
status=$?
set -e
# gdb's own chatter (connection, breakpoints) goes to the session log; the results here
echo "$out" >> "$logs/gdb-helpers-session.log"
grep -E '^(ok|FAIL) gdb-helpers/|^    |^gdb-helpers: |^# ' <<<"$out" || true
if [ $status -ne 0 ]; then
    echo "FAIL gdb-helpers/gdb: gdb exited with status $status (124: timed out); see $logs/gdb-helpers-session.log"
    exit 1
fi
grep -q '^gdb-helpers: [0-9]* passed, 0 failed$' <<<"$out" || exit 1
