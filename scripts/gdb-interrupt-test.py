#!/usr/bin/env python3
"""gdb-interrupt-test.py - `make gdb`'s Ctrl-C, checked through a pty.

Usage: scripts/gdb-interrupt-test.py BUILD_DIR

Runs scripts/gdb.sh BUILD_DIR (what `make gdb` runs) on a pseudo-terminal
that is its controlling terminal, as a person's terminal would be, and
types: `break kmain`, `continue`, `delete`, `continue`, then Ctrl-C, which the terminal turns into SIGINT for
the foreground process group. gdb must stop the guest and print "(gdb)"
again, and QEMU must live on (it runs in a session of its own): a second
`continue` and Ctrl-C must work too, and `info registers rip` must show a
kernel address. Prints "ok gdb/interrupt" or "FAIL gdb/interrupt: why".
"""
import os
import pty
import re
import select
import signal
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIMEOUT = 60  # seconds for each step
PROMPT = r"\(gdb\) $"


class Session:
    def __init__(self, build):
        self.pid, self.fd = pty.fork()  # the child leads a new session on the pty
        if self.pid == 0:
            os.environ["MEM"] = "64M"
            os.execv(os.path.join(ROOT, "scripts", "gdb.sh"),
                     ["gdb.sh", build, "-nx", "-ex", "set pagination off", "-ex", "set confirm off"])
        self.seen = ""
        self.all = ""

    def send(self, text):
        self.seen = ""
        os.write(self.fd, text.encode())

    def expect(self, pattern):
        deadline = time.monotonic() + TIMEOUT
        while not re.search(pattern, self.seen, re.M):
            if time.monotonic() > deadline:
                return False
            ready, _, _ = select.select([self.fd], [], [], 0.2)
            if ready:
                try:
                    data = os.read(self.fd, 4096).decode(errors="replace")
                except OSError:
                    return False
                self.seen += data
                self.all += data
        return True

    def close(self):
        try:
            os.write(self.fd, b"quit\n")
            time.sleep(1)
            os.kill(self.pid, signal.SIGTERM)
        except OSError:
            pass
        os.waitpid(self.pid, 0)
        os.close(self.fd)


def run(session):
    """None when every step worked, else what went wrong."""
    if not session.expect(PROMPT):
        return "no (gdb) prompt"
    session.send("break kmain\n")  # past the firmware and GRUB first, so the stop is in mica
    session.expect(PROMPT)
    session.send("continue\n")
    if not session.expect(r"Breakpoint 1, [\s\S]*" + PROMPT):
        return "did not reach kmain"
    session.send("delete\n")
    session.expect(PROMPT)
    for round_ in (1, 2):
        session.send("continue\n")
        if not session.expect(r"Continuing\."):
            return f"round {round_}: continue did not continue"
        time.sleep(3)  # let the guest run (boot, then idle at the shell)
        session.send("\x03")
        if not session.expect(r"SIGINT[\s\S]*" + PROMPT):
            return f"round {round_}: Ctrl-C did not give (gdb) back"
        if "terminating on signal" in session.all:
            return "QEMU got the SIGINT and ended"
    session.send("info registers rip\n")
    if not session.expect(r"\brip\s+0xffffffff8[0-9a-f]+"):
        return "info registers rip does not show a kernel address"
    return None


def main():
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build"))
    session = Session(build)
    try:
        why = run(session)
    finally:
        session.close()
    if why:
        print(f"FAIL gdb/interrupt: {why}; the session's tail: {session.all[-600:]!r}")
        return 1
    print("ok gdb/interrupt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
