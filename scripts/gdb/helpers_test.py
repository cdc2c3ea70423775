# scripts/gdb/helpers_test.py - the checks of scripts/gdb-helpers-test.sh, run inside gdb.
#
# The guest boots "quiet -- test hello": init forks (a copy-on-write fault),
# then runs /bin/tests/hello, which calls write(). The script stops at both
# places and compares what each `mica` helper prints with what the kernel
# itself says about the same state: its own functions called from gdb
# (pt_lookup, pte_addr, proc_find, proc_count, vma_first/vma_next,
# frame_free_count), its variables, and the bytes in memory.
#
# Prints `ok gdb-helpers/NAME` or `FAIL gdb-helpers/NAME: why` per check and
# `gdb-helpers: N passed, N failed` at the end. Needs $MICA_HELLO_ELF (the
# unstripped build/user/bin/tests/hello).

import os
import re
import struct
import traceback

import gdb

DIRECT_MAP = 0xFFFF800000000000
ADDR_MASK = 0x000FFFFFFFFFF000
EXPECTED = ["cow-stop", "pte-cow", "frame-cow", "unwind-trap", "pte-after-copy", "prog", "write-stop", "ps",
            "vmas", "walk-rip", "walk-rsp", "walk-unmapped", "pte", "frame", "buddy",
            "trapframe", "unwind", "printers"]
passed, failed, done = [], [], set()


def report(name, why):
    done.add(name)
    if why:
        failed.append(name)
        why = str(why).replace("\n", "\n    ")
        print(f"FAIL gdb-helpers/{name}: {why}", flush=True)
    else:
        passed.append(name)
        print(f"ok gdb-helpers/{name}", flush=True)


def check(name, fn):
    """Runs fn(); it returns None (pass) or why it failed. Returns fn's success."""
    try:
        why = fn()
    except Exception as e:  # noqa: BLE001 - any error is that check's failure
        why = f"{type(e).__name__}: {e}\n" + traceback.format_exc(limit=3)
    report(name, why)
    return not why


def run(cmd):
    out = gdb.execute(cmd, to_string=True)
    print(f"(gdb) {cmd}\n{out}", end="" if out.endswith("\n") else "\n", file=LOG, flush=True)
    return out


def ev(expr):
    return gdb.parse_and_eval(expr)


def num(expr):
    v = ev(expr) if isinstance(expr, str) else expr
    if v.type.strip_typedefs().code == gdb.TYPE_CODE_PTR:
        v = v.cast(gdb.lookup_type("unsigned long"))
    return int(v) & (2**64 - 1)


def cstr(expr):
    v = ev(expr)
    data = bytes(gdb.selected_inferior().read_memory(num(v.address), v.type.sizeof))
    return data.split(b"\0", 1)[0].decode()


def mem(addr, n):
    return bytes(gdb.selected_inferior().read_memory(addr, n))


def kernel_procs():
    """{pid: struct proc address} from the kernel's proc_find(), pids 1..last_pid."""
    last = num("'kernel/proc.c'::last_pid")
    procs = {}
    for pid in range(1, last + 1):
        p = num(f"proc_find({pid})")
        if p:
            procs[pid] = p
    return procs


def kernel_pte(pml4_expr, va):
    """(entry, pa of va) as the kernel's pt_lookup()/pte_addr() see them; (0, None) if unmapped."""
    if num(f"pt_lookup({pml4_expr}, {va:#x})") == 0:
        return 0, None
    entry = num(f"*pt_lookup({pml4_expr}, {va:#x})")
    return entry, num(f"pte_addr({entry:#x})") + (va & 0xFFF)


def pfn_of_page_expr(expr):
    return (num(expr) - num("frame_table")) // num("sizeof(struct page)")


def stopped_in(fn_name):
    try:
        return gdb.selected_frame().name() == fn_name
    except gdb.error:
        return False


# ---------------------------------------------------------------------------
# Phase A: the first copy-on-write copy of an anonymous page (init's fork)

def phase_cow():
    state = {}
    gdb.execute("break fault_cow_copy if (shared->flags & PG_CACHE) == 0", to_string=True)
    gdb.execute("continue", to_string=True)

    def stop():
        if not stopped_in("fault_cow_copy"):
            return f"did not stop in fault_cow_copy: {gdb.selected_frame().name()}"
        state["va"] = num("page_va")
        state["pfn"] = pfn_of_page_expr("shared")
        state["refcount"] = num("shared->refcount")
        state["pid"] = num("cpu0.current->pid")
        return None
    if not check("cow-stop", stop):
        return
    va, pfn, rc = state["va"], state["pfn"], state["refcount"]

    def pte_cow():
        out = run("mica pte page_va")
        entry, pa = kernel_pte("mm->pml4", va)
        why = []
        if f"entry {entry:#018x}" not in out:
            why.append(f"the kernel's PTE is {entry:#018x}")
        if pa is None or pa >> 12 != pfn:
            why.append(f"the kernel's pte_addr gives pa {pa}, not frame {pfn:#x}")
        if f"pfn {pfn:#x}," not in out or f"refcount {rc}," not in out:
            why.append(f"expected pfn {pfn:#x} with refcount {rc}")
        if rc < 2 or "COW-shared: yes" not in out:
            why.append(f"expected 'COW-shared: yes' (refcount {rc})")
        return "; ".join(why) + "\n" + out if why else None
    check("pte-cow", pte_cow)

    def frame_cow():
        out = run("mica frame shared")
        shown = {int(m.group(1)) for m in re.finditer(r"mapped by pid (\d+) \(\S*\) at "
                                                      + re.escape(f"{va:#x}"), out)}
        kernel = set()
        for pid, p in kernel_procs().items():
            if num(f"((struct proc *){p:#x})->mm"):
                _, pa = kernel_pte(f"((struct proc *){p:#x})->mm->pml4", va)
                if pa is not None and pa >> 12 == pfn:
                    kernel.add(pid)
        why = []
        if shown != kernel:
            why.append(f"mica frame lists pids {sorted(shown)}, the kernel's page tables say "
                       f"{sorted(kernel)}")
        if len(kernel) < 2 or state["pid"] not in kernel:
            why.append(f"expected the faulting pid {state['pid']} and another to map it")
        if f"{len(kernel)} PTE(s) map it; refcount {rc}" not in out:
            why.append(f"expected '{len(kernel)} PTE(s) map it; refcount {rc}'")
        return "; ".join(why) + "\n" + out if why else None
    check("frame-cow", frame_cow)

    def after_copy():
        gdb.execute(f"set $mica_test_va = {va:#x}", to_string=True)
        gdb.execute("finish", to_string=True)
        out = run("mica pte $mica_test_va")
        entry, pa = kernel_pte("cpu0.current->mm->pml4", va)
        new_pfn = pa >> 12 if pa is not None else None
        why = []
        if f"entry {entry:#018x}" not in out or not entry & 2:
            why.append(f"the kernel's PTE is now {entry:#018x} (writable expected)")
        if new_pfn is None or new_pfn == pfn or f"pfn {new_pfn:#x}," not in out:
            why.append(f"expected the new frame {new_pfn} in place of {pfn:#x}")
        if "refcount 1," not in out or "writable: writes go straight" not in out:
            why.append("expected refcount 1 and a writable state")
        old_rc = num(f"frame_table[{pfn}].refcount")
        if old_rc != rc - 1:
            why.append(f"the old frame's refcount is {old_rc}, expected {rc - 1}")
        old = run(f"mica frame -pfn {pfn}")
        if f"mapped by pid {state['pid']} " in old or f"refcount {old_rc}" not in old:
            why.append("mica frame of the old frame still lists the copier, or a wrong refcount:\n" + old)
        return "; ".join(why) + "\n" + out if why else None

    def unwind_trap():
        out = run("bt")
        rip = num("cpu0.current->tf->rip")
        why = []
        if not re.search(r"^#\d+\s+0x[0-9a-f]+ in trap_common", out, re.M):
            why.append("no trap_common frame")
        if not re.search(rf"^#\d+\s+{rip:#018x} in ", out, re.M):
            why.append(f"no frame at the interrupted user rip {rip:#x} (tf->rip)")
        return "; ".join(why) + "\n" + out if why else None
    check("unwind-trap", unwind_trap)
    check("pte-after-copy", after_copy)
    gdb.execute("delete", to_string=True)


# ---------------------------------------------------------------------------
# Phase B: hello, at main and in its first write()

def phase_hello(hello_elf):
    def prog():
        out = run(f"mica prog hello {hello_elf}")
        gdb.execute("continue", to_string=True)
        name = cstr("cpu0.current->name")
        frame = gdb.selected_frame()
        if frame.name() != "main" or name != "hello":
            return f"stopped in {frame.name()} of process {name}, not main of hello\n{out}"
        fn = frame.find_sal().symtab.filename
        if not fn.endswith("hello.c"):
            return f"main is in {fn}"
        return None
    check("prog", prog)

    def write_stop():
        run("mica break hello sys_write")
        gdb.execute("continue", to_string=True)
        if not stopped_in("sys_write") or cstr("cpu0.current->name") != "hello":
            return f"stopped in {gdb.selected_frame().name()} of {cstr('cpu0.current->name')}"
        gdb.execute("delete", to_string=True)
        return None
    if not check("write-stop", write_stop):
        return

    cur = num("cpu0.current")
    pid = num("cpu0.current->pid")
    pml4 = "cpu0.current->mm->pml4"
    rip, rsp = num("cpu0.current->tf->rip"), num("cpu0.current->tf->rsp")

    def ps():
        out = run("mica ps")
        rows = re.findall(r"^([* ])\s+(\d+)\s+(\d+)\s+(\S+)\s+(\S+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)$",
                          out, re.M)
        why = []
        count = num("proc_count()")
        if len(rows) != count:
            why.append(f"{len(rows)} rows, proc_count() says {count}")
        for mark, rpid, _ppid, state, name, paddr, mm in rows:
            p = num(f"proc_find({rpid})")
            kname = cstr(f"proc_find({rpid})->name")
            kstate = str(ev(f"proc_find({rpid})->state"))
            kmm = num(f"proc_find({rpid})->mm")
            if (p, kname, kmm) != (int(paddr, 16), name, int(mm, 16)) or not kstate.endswith(state):
                why.append(f"pid {rpid}: row says {paddr} {name} {state} mm {mm}; the kernel "
                           f"{p:#x} {kname} {kstate} mm {kmm:#x}")
            if (mark == "*") != (int(rpid) == pid):
                why.append(f"pid {rpid} marked {mark!r}; current is {pid}")
        names = {(int(r[1]), r[4], r[3]) for r in rows}
        if not any(n[0] == 1 and n[1] == "init" for n in names):
            why.append("no init with pid 1")
        if (pid, "hello", "RUNNING") not in names:
            why.append(f"no RUNNING hello with pid {pid}")
        return "; ".join(why) + "\n" + out if why else None
    check("ps", ps)

    def vmas():
        out = run("mica vmas")
        rows = re.findall(r"^([0-9a-f]+)-([0-9a-f]+) ([r-][w-][x-][ps]) ([0-9a-f]+) (\S+)", out, re.M)
        kernel = []
        v = num(f"vma_first(&{pml4.replace('->pml4', '')}->vmas)")
        while v and len(kernel) < 1000:
            start, end = num(f"((struct vma *){v:#x})->start"), num(f"((struct vma *){v:#x})->end")
            flags = num(f"((struct vma *){v:#x})->flags")
            perms = ("r" if flags & 1 else "-") + ("w" if flags & 2 else "-") + \
                    ("x" if flags & 4 else "-") + ("s" if flags & 8 else "p")
            kernel.append((start, end, perms))
            v = num(f"vma_next((struct vma *){v:#x})")
        shown = [(int(a, 16), int(b, 16), p) for a, b, p, _, _ in rows]
        why = []
        if shown != kernel:
            why.append("the kernel's vma_first/vma_next give " +
                       ", ".join(f"{a:#x}-{b:#x} {p}" for a, b, p in kernel))
        if not any(int(b, 16) == 0x7FFFFFFFF000 and k == "[stack]" for _, b, _, _, k in rows):
            why.append("no [stack] VMA ending at 0x7ffffffff000")
        if not rows or int(rows[0][0], 16) != 0x400000:
            why.append("the first VMA does not start at 0x400000")
        with open(hello_elf, "rb") as f:
            entry = struct.unpack("<Q", f.read(32)[24:32])[0]
        text = [r for r in shown if r[0] <= entry < r[1]]
        if not text or text[0][2] != "r-xp":
            why.append(f"the VMA holding the entry point {entry:#x} is not r-xp: {text}")
        return "; ".join(why) + "\n" + out if why else None
    check("vmas", vmas)

    walked = {}

    def walk_check(va):
        out = run(f"mica walk {va:#x}")
        steps = re.findall(r"^\s+(PML4|PDPT|PD|PT)\s+table pa (0x[0-9a-f]+) \[\s*(\d+)\] "
                           r"entry (0x[0-9a-f]+)", out, re.M)
        m = re.search(r"-> pa (0x[0-9a-f]+)", out)
        why = []
        if len(steps) != 4 or not m:
            return "expected four levels and a physical address\n" + out
        tables = [int(s[1], 16) for s in steps]
        entries = [int(s[3], 16) for s in steps]
        if tables[0] != num(pml4) - DIRECT_MAP:
            why.append(f"PML4 at {tables[0]:#x}, mm->pml4 is {num(pml4):#x}")
        for i in range(3):
            if tables[i + 1] != entries[i] & ADDR_MASK:
                why.append(f"level {i + 1}'s table is not what the entry above points to")
        for i, level in enumerate((3, 2, 1, 0)):
            if int(steps[i][2]) != (va >> (12 + 9 * level)) & 511:
                why.append(f"index at level {level} is {steps[i][2]}")
        entry, pa = kernel_pte(pml4, va)
        shown_pa = int(m.group(1), 16)
        if entries[3] != entry or shown_pa != pa:
            why.append(f"the kernel's pt_lookup/pte_addr give entry {entry:#x}, pa {pa}; "
                       f"mica walk says {entries[3]:#x}, {shown_pa:#x}")
        n = min(64, 4096 - (va & 0xFFF))
        if mem(va, n) != mem(DIRECT_MAP + shown_pa, n):
            why.append(f"the bytes at {va:#x} differ from those at physical {shown_pa:#x}")
        walked[va] = (entries[3], shown_pa)
        return "; ".join(why) + "\n" + out if why else None
    check("walk-rip", lambda: walk_check(rip))
    check("walk-rsp", lambda: walk_check(rsp))

    def walk_unmapped():
        out = run("mica walk 0x1000")
        if num(f"pt_lookup({pml4}, 0x1000)") != 0:
            return "the kernel maps 0x1000?"
        return None if "-> not mapped" in out else "expected '-> not mapped'\n" + out
    check("walk-unmapped", walk_unmapped)

    def pte():
        why = []
        for va, writable in ((rip, False), (rsp, True)):
            out = run(f"mica pte {va:#x}")
            entry, pa = walked.get(va) or kernel_pte(pml4, va)
            pfn = pa >> 12
            rc = num(f"frame_table[{pfn}].refcount")
            if f"entry {entry:#018x}" not in out:
                why.append(f"{va:#x}: entry is not the walk's {entry:#018x}")
            if f"pfn {pfn:#x}," not in out or f"refcount {rc}," not in out:
                why.append(f"{va:#x}: expected pfn {pfn:#x}, refcount {rc} (frame_table)")
            if bool(entry & 2) != writable or ("writable: writes go" in out) != writable:
                why.append(f"{va:#x}: writable should be {writable}")
            if not writable and "the VMA is too" not in out:
                why.append(f"{va:#x}: the text page should be read-only in a read-only VMA")
            if why:
                why.append(out)
        return "; ".join(why) if why else None
    check("pte", pte)

    def frame():
        _, pa = walked.get(rip) or kernel_pte(pml4, rip)
        pfn = pa >> 12
        out = run(f"mica frame {pa:#x}")
        rc = num(f"frame_table[{pfn}].refcount")
        why = []
        if rc < 1 or f"refcount {rc}," not in out:
            why.append(f"expected refcount {rc} (frame_table)")
        if f"mapped by pid {pid} (hello) at {rip & ~0xFFF:#x}" not in out:
            why.append(f"expected hello (pid {pid}) mapping it at {rip & ~0xFFF:#x}")
        if run(f"mica frame -pfn {pfn:#x}").splitlines()[1:] != out.splitlines()[1:]:
            why.append("mica frame -pfn PFN differs from mica frame PA")
        return "; ".join(why) + "\n" + out if why else None
    check("frame", frame)

    def buddy():
        out = run("mica buddy")
        rows = re.findall(r"^\s*(\d+)\s+\d+ [KM]iB\s+(\d+)\s+(\d+)\s+(\S+)", out, re.M)
        m = re.search(r"hot cache: (\d+) frames", out)
        why = []
        if len(rows) != 11 or not m:
            return "expected 11 orders and the hot cache\n" + out
        for order, blocks, frames, listed in rows:
            k = num(f"'mm/frame.c'::free_blocks[{order}]")
            if int(blocks) != k or int(frames) != k << int(order) or listed != "ok":
                why.append(f"order {order}: free_blocks says {k}")
        total = sum(int(r[2]) for r in rows) + int(m.group(1))
        kernel = num("frame_free_count()")
        if total != kernel or "consistent" not in out:
            why.append(f"blocks + cache = {total}, frame_free_count() = {kernel}")
        if int(m.group(1)) != num("'mm/frame.c'::hot_count"):
            why.append("hot cache count differs from hot_count")
        return "; ".join(why) + "\n" + out if why else None
    check("buddy", buddy)

    def trapframe():
        out = run("mica trapframe")
        tf = ev("*cpu0.current->tf")
        why = []
        if "from user mode (cs 0x2b" not in out:
            why.append("expected user mode, cs 0x2b")
        if "system call 1 (write)" not in out:
            why.append("expected system call 1 (write)")
        for reg in ("rip", "rsp", "rax", "rdi", "rsi", "rdx", "rcx", "r11"):
            if not re.search(rf"\b{reg} {num(tf[reg]):#018x}", out):
                why.append(f"{reg} is not {num(tf[reg]):#x}")
        return "; ".join(why) + "\n" + out if why else None
    check("trapframe", trapframe)

    def unwind():
        out = run("bt")
        why = []
        if not re.search(r"^#\d+\s+0x[0-9a-f]+ in syscall_entry \(", out, re.M):
            why.append("no syscall_entry frame")
        if not re.search(rf"^#\d+\s+{rip:#018x} in \S+", out, re.M) and \
                not re.search(rf"^#\d+\s+{rip:#x} in \S+", out, re.M):
            why.append(f"no frame at the user rip {rip:#x}")
        return "; ".join(why) + "\n" + out if why else None
    check("unwind", unwind)

    def printers():
        why = []
        out = run("print *cpu0.current")
        if f"{{pid {pid} hello RUNNING" not in out:
            why.append("struct proc")
        out_mm = run("print *cpu0.current->mm")
        if f"{num('cpu0.current->mm->vmas.count')} VMAs" not in out_mm:
            why.append("struct mm")
        _, pa = walked.get(rip) or kernel_pte(pml4, rip)
        out_page = run(f"print frame_table[{pa >> 12}]")
        if f"pfn {pa >> 12:#x}" not in out_page or \
                f"refcount {num(f'frame_table[{pa >> 12}].refcount')}" not in out_page:
            why.append("struct page")
        out_vma = run(f"print *vma_first(&cpu0.current->mm->vmas)")
        if "{0x400000-" not in out_vma:
            why.append("struct vma")
        out_raw = run("print/r frame_table[0]")
        if "refcount =" not in out_raw:
            why.append("print/r does not give the raw struct")
        return ("wrong: " + ", ".join(why) + "\n" + out + out_mm + out_page + out_vma) if why else None
    check("printers", printers)


LOG = open(os.environ.get("MICA_TEST_SESSION_LOG", os.devnull), "w")
try:
    phase_cow()
    phase_hello(os.environ["MICA_HELLO_ELF"])
except Exception as e:  # noqa: BLE001
    print(f"# the session stopped early: {type(e).__name__}: {e}", flush=True)
for name in EXPECTED:
    if name not in done:
        report(name, "not reached")
print(f"gdb-helpers: {len(passed)} passed, {len(failed)} failed", flush=True)
LOG.close()
