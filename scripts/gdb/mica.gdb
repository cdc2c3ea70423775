# scripts/gdb/mica.gdb - what `make gdb` loads after the kernel's symbols.
#
# The kernel ELF is x86-64, so gdb starts with the 64-bit register layout
# that qemu-system-x86_64 always sends (even while the CPU is still in
# 16- or 32-bit mode); that is what avoids "Remote 'g' packet reply is too
# long". Breakpoints under QEMU's TCG are kept by QEMU itself, not written
# into memory, so `break kmain` works before paging is on.
#
# Then it loads mica's Python helpers (scripts/gdb/mica.py: `help mica`),
# found through $MICA_ROOT (set by scripts/gdb.sh) or the current directory,
# and connects to QEMU on port $mica_port.
set pagination off
set confirm off
set disassembly-flavor intel
set architecture i386:x86-64
python
import os
import gdb
_root = os.environ.get("MICA_ROOT") or os.getcwd()
_helpers = os.path.join(_root, "scripts", "gdb", "mica.py")
if os.path.isfile(_helpers):
    gdb.execute("source " + _helpers)
else:
    gdb.write("mica: %s not found: no mica helpers (set MICA_ROOT to the repository)\n" % _helpers)
port = int(gdb.parse_and_eval("$mica_port"))
gdb.execute(f"target remote 127.0.0.1:{port}")
end
echo mica: connected. Try: break kmain / continue / bt / next; help mica\n
