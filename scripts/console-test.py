#!/usr/bin/env python3
"""console-test.py - a scripted session at mica's console, typed through a pty.

Usage: scripts/console-test.py BUILD_DIR

Boots BUILD_DIR/mica.iso in QEMU with the serial line on stdio (mon:stdio,
as make run does), stdio being
the slave side of a pseudo-terminal this script holds the master of, so
every key goes to mica exactly as a person's would (^C is the byte 0x03,
which QEMU passes on with mon:stdio; plain -serial stdio would take it as
SIGINT and end).
Then it types the steps in STEPS one by one, each a line to send (or raw
keys) and a regular expression the console must show before a timeout.
Prints "ok console/NAME" or "FAIL console/NAME: why" per step, stops at the
first failure, and exits 0 only if every step passed.
"""
import os
import pty
import re
import select
import subprocess
import sys
import time

NL = r"\r*\n"
PROMPT = r"\r?\$ (\x1b\[K)?$"  # the line editor redraws: "\r", the prompt, erase to the end
CTRL_C, CTRL_Z = "\x03", "\x1a"
LEFT, UP = "\x1b[D", "\x1b[A"

PAUSER = "sh -c 'echo ready; sleep 100'"

# (name, keys to type, what must appear after them)
STEPS = [
    ("boot-prompt", "", PROMPT),
    ("and-or", "true && echo A1 || echo B1; false && echo A2 || echo B2\r", r"A1" + NL + "B2" + NL + PROMPT),
    # the program says "ready" once its signals are back to their defaults
    ("ctrl-c-foreground", PAUSER + "\r", r"ready" + NL),
    ("ctrl-c-status", CTRL_C, r"\^C" + NL + PROMPT),
    ("echo-130", "echo $?\r", r"\n130" + NL + PROMPT),
    ("ctrl-z-stops", PAUSER + "\r", r"ready" + NL),
    ("ctrl-z-report", CTRL_Z, r"Stopped\s+" + re.escape(PAUSER) + NL + PROMPT),
    ("bg", "bg\r", re.escape(PAUSER) + " &" + NL + PROMPT),
    ("jobs-running", "jobs\r", r"Running\s+" + re.escape(PAUSER) + NL + PROMPT),
    ("fg", "fg\r", r"fg(\x1b\[K)?" + NL + re.escape(PAUSER) + NL),
    ("fg-ctrl-c", CTRL_C, r"\^C" + NL + PROMPT),
    ("fg-status", "echo $?\r", r"\n130" + NL + PROMPT),
    ("pipeline", "cat /proc/meminfo | grep MemFree | wc -l\r", r"\n1" + NL + PROMPT),
    ("line-edit", "echo abc" + LEFT + "X\r", r"\nabXc" + NL + PROMPT),
    ("history", UP + "\r", r"\nabXc" + NL + PROMPT),
    ("redirect-2>&1", "ls /nonexistent 2>&1 | wc -l\r", r"\n1" + NL + PROMPT),
]
STEP_TIMEOUT = 60  # seconds: the first one includes the boot
PAUSE_BEFORE_SIGNAL = 1.0  # let the foreground program reach its sleep before ^C / ^Z


class Console:
    def __init__(self, build):
        self.master, slave = pty.openpty()
        qemu = os.environ.get("QEMU", "qemu-system-x86_64")
        self.proc = subprocess.Popen(
            [qemu, "-m", "128M", "-no-reboot", "-display", "none", "-serial", "mon:stdio",  # as make run: ^C goes to the guest
             "-cdrom", os.path.join(build, "mica.iso")],
            stdin=slave, stdout=slave, stderr=subprocess.DEVNULL, start_new_session=True)
        os.close(slave)
        self.seen = ""  # console output since the last step

    def type(self, keys):
        for key in keys:  # one at a time, as a person types
            os.write(self.master, key.encode())
            time.sleep(0.01)

    def expect(self, pattern, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if re.search(pattern, self.seen):
                return True
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if ready:
                try:
                    self.seen += os.read(self.master, 4096).decode(errors="replace")
                except OSError:
                    return False
        return bool(re.search(pattern, self.seen))

    def close(self):
        self.proc.kill()
        self.proc.wait()
        os.close(self.master)


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    console = Console(build)
    failed = False
    try:
        for name, keys, pattern in STEPS:
            if keys in (CTRL_C, CTRL_Z):
                time.sleep(PAUSE_BEFORE_SIGNAL)
            console.seen = "" if keys else console.seen
            console.type(keys)
            if console.expect(pattern, STEP_TIMEOUT):
                print(f"ok console/{name}", flush=True)
            else:
                print(f"FAIL console/{name}: expected /{pattern}/, the console showed "
                      f"{console.seen[-400:]!r}", flush=True)
                failed = True
                break
    finally:
        console.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
