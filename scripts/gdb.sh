#!/usr/bin/env bash
# scripts/gdb.sh BUILD_DIR [GDB ARGS...] - `make gdb`: QEMU paused with its gdb stub, gdb attached.
#
# QEMU runs in the background with the mica console in BUILD_DIR/serial.log
# (watch it from a second terminal with `tail -f build/serial.log`); gdb runs
# here with the kernel's symbols, scripts/gdb/mica.gdb and the Python helpers
# (scripts/gdb/mica.py, `help mica`) loaded. Quitting gdb stops QEMU.
# Arguments after BUILD_DIR go to gdb (e.g. -batch -ex 'break kmain' -ex continue).
#
# Environment (the Makefile passes its variables of the same names):
#   CMDLINE    kernel command line (default: the one baked into BUILD_DIR/mica.iso)
#   MEM        guest RAM (default 128M)
#   PROG=NAME  run BUILD_DIR/user/bin/NAME (also tests/NAME, bench/NAME) as init's
#              "run" program, load its symbols and stop at its main: a second
#              boot module holds /etc/mica-run naming /bin/NAME, and the kernel
#              command line gets "-- run" (unless CMDLINE already has a "--")
#   ARGS       the program's arguments (split at spaces), with PROG
#   DISK       a disk image to attach as vda (virtio-blk), if the file exists
#   GDB_PORT   the TCP port for QEMU's gdb stub (default: a free one)
#   GDB_TMUX=1 split a tmux window: gdb above, QEMU's console below, where
#              you can also type (the kernel shell works); needs tmux
# See docs/debugging.md.
set -euo pipefail
build=${1:-build}
[ $# -gt 0 ] && shift
root=$(cd "$(dirname "$0")/.." && pwd)
port=${GDB_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
log=$build/serial.log
iso=$build/mica.iso

if [ -n "${GDB_TMUX:-}" ] && [ -z "${TMUX:-}" ]; then
    command -v tmux >/dev/null || { echo "gdb.sh: GDB_TMUX needs tmux (apt install tmux)" >&2; exit 2; }
    # Not inside tmux yet: start a session that runs this script again inside it.
    exec tmux new-session -s "mica-gdb-$port" -c "$PWD" \
        "$(printf '%q ' env GDB_TMUX=1 GDB_PORT="$port" PROG="${PROG:-}" ARGS="${ARGS:-}" \
           CMDLINE="${CMDLINE:-}" MEM="${MEM:-128M}" "$0" "$build" "$@")"
fi
gdb_cmds=()

if [ -n "${PROG:-}" ]; then
    rel=""
    for cand in "$PROG" "tests/$PROG" "bench/$PROG"; do
        if [ -f "$build/user/bin/$cand" ] && [ -f "$build/initramfs/bin/$cand" ]; then
            rel=$cand
            break
        fi
    done
    if [ -z "$rel" ]; then
        echo "gdb.sh: PROG=$PROG: no $build/user/bin/$PROG (nor tests/$PROG, bench/$PROG) in the image;" >&2
        echo "        the programs are: $(cd "$build/user/bin" && find . -type f -perm -u+x | sed 's|^\./||' | sort | tr '\n' ' ')" >&2
        exit 2
    fi
    # A second initramfs archive with /etc/mica-run: the program, then its
    # arguments, one per line (user/README.md, init's "run" mode). The kernel
    # unpacks every boot module in order, so this adds to initramfs.cpio.
    stage=$build/gdb-prog
    rm -rf "$stage"
    mkdir -p "$stage/etc"
    {
        echo "/bin/$rel"
        read -ra words <<<"${ARGS:-}"
        for word in ${words[@]+"${words[@]}"}; do echo "$word"; done
    } > "$stage/etc/mica-run"
    (cd "$stage" && echo etc/mica-run | cpio -o -H newc -R 0:0 --quiet) > "$build/gdb-prog.cpio"
    cmdline=${CMDLINE:-}
    case " $cmdline " in
        *" -- "*) ;;
        *) cmdline="${cmdline:+$cmdline }-- run" ;;
    esac
    # as gdb does for the programs it starts (set disable-randomization on):
    # the same addresses every run, those of docs/debugging.md
    cmdline="norandmaps $cmdline"
    iso=$build/gdb-prog.iso
    "$root/scripts/mkiso.sh" "$iso" "$build/mica.elf" "$cmdline" \
        "$build/initramfs.cpio:initramfs.cpio" "$build/gdb-prog.cpio:run.cpio"
    gdb_cmds=(-ex "mica prog $(basename "$rel") $build/user/bin/$rel" -ex continue)
    echo "mica: PROG mode: /bin/$rel runs as init's \"run\" program (command line \"$cmdline\")"
elif [ -n "${CMDLINE:-}" ] && [ "$(cat "$build/cmdline.txt" 2>/dev/null)" != "$CMDLINE" ]; then
    # scripts/gdb.sh called directly with a CMDLINE the ISO was not built with
    iso=$build/gdb-cmdline.iso
    "$root/scripts/mkiso.sh" "$iso" "$build/mica.elf" "$CMDLINE" "$build/initramfs.cpio:initramfs.cpio"
fi

: > "$log"
qemu=(qemu-system-x86_64 -m "${MEM:-128M}" -no-reboot -display none
      -device isa-debug-exit,iobase=0xf4,iosize=0x04 -cdrom "$iso"
      -S -gdb "tcp:127.0.0.1:$port")
if [ -n "${DISK:-}" ] && [ -e "$DISK" ]; then
    qemu+=(-drive "file=$DISK,if=none,id=vda,format=raw" -device virtio-blk-pci,drive=vda)
fi
gdb=(env MICA_ROOT="$root" gdb -q -nx -ex "set \$mica_port = $port" -x "$root/scripts/gdb/mica.gdb"
     "$build/mica.elf" ${gdb_cmds[@]+"${gdb_cmds[@]}"} "$@")

if [ -n "${GDB_TMUX:-}" ]; then
    # The console on the lower pane's terminal (input too), copied into the log;
    # Ctrl-A X quits QEMU there, Ctrl-A C switches to QEMU's monitor.
    qemu+=(-chardev "stdio,id=con,mux=on,signal=off,logfile=$log"
           -serial chardev:con -mon chardev=con,mode=readline)
    pane=$(tmux split-window -v -d -l 12 -c "$PWD" -P -F '#{pane_id}' \
        "$(printf '%q ' "${qemu[@]}"); echo; echo 'mica: QEMU has exited; this pane closes when gdb quits'; exec sleep infinity")
    trap 'tmux kill-pane -t "$pane" 2>/dev/null || true' EXIT
    echo "mica: QEMU is paused; its console is the lower pane (also in $log); gdb attaching on port $port"
    "${gdb[@]}"  # gdb retries the connection until QEMU listens (set tcp auto-retry)
    exit
fi

qemu+=(-serial "file:$log" -monitor none)
# In a session of its own, QEMU never sees the terminal's ^C: that one is
# gdb's, which stops the guest and gives (gdb) back.
setsid "${qemu[@]}" &
qemu_pid=$!
trap 'kill $qemu_pid 2>/dev/null || true' EXIT
echo "mica: QEMU is paused (console -> $log: tail -f $log); gdb attaching on port $port"
"${gdb[@]}"
