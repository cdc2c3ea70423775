# scripts/gdb/mica.py - mica's gdb helpers (sourced by scripts/gdb/mica.gdb).
#
# Commands, all under the `mica` prefix (`help mica` lists them):
#
#   mica ps                      processes: pid, parent, state, name, mm
#   mica vmas [PID]              a process's VMAs in address order, like /proc/PID/maps
#   mica walk VA [PID]           the four-level page-table walk for VA
#   mica pte VA [PID]            VA's final entry, its frame's struct page, COW state
#   mica frame PA|PFN            a frame's struct page and every PTE that maps it
#   mica buddy                   the frame allocator's free blocks per order, hot cache
#   mica trapframe [ADDR]        a struct trapframe decoded (default: the current process's)
#   mica prog NAME [ELF]         load a user program's symbols, stop at its main
#   mica break PROC LOCATION     a breakpoint that stops only in processes named PROC
#   mica ret                     run until the current process is back in user mode
#
# Also: pretty-printers for struct page, struct vma, struct mm and struct
# proc (`p/r` prints the raw struct), and a frame unwinder that lets `bt`
# continue through a trap frame (syscall_entry, trap_common) into the
# interrupted code: user code when the trap came from user mode.
#
# Everything reads the kernel's own data structures through gdb; physical
# memory (page tables, frames) is read through the kernel's direct map at
# 0xffff800000000000 + pa, which every address space maps. Nothing here
# writes to the guest.
#
# Keep in step with: include/kernel/proc.h, include/kernel/cpu.h,
# include/mm/{mm,vma,frame,pagetable}.h, include/arch/{pte,trapframe}.h,
# kernel/proc.c (all_procs), mm/frame.c (free_lists, free_blocks, hot_count).

import os
import re
import struct

import gdb

try:
    import gdb.printing
    import gdb.unwinder
except ImportError:  # a gdb without them: the commands still work
    pass

DIRECT_MAP_BASE = 0xFFFF800000000000
PAGE_SIZE = 4096
PAGE_SHIFT = 12
MASK64 = (1 << 64) - 1
PTE_ADDR_MASK = 0x000FFFFFFFFFF000
USER_TOP = 0x0000800000000000

# include/arch/pte.h
PTE_BITS = [
    ("P", 0), ("W", 1), ("U", 2), ("PWT", 3), ("PCD", 4), ("A", 5), ("D", 6),
    ("PS", 7), ("G", 8), ("NX", 63),
]
PTE_P, PTE_W, PTE_U, PTE_PS, PTE_NX = 1 << 0, 1 << 1, 1 << 2, 1 << 7, 1 << 63

LEVEL_NAMES = {3: "PML4", 2: "PDPT", 1: "PD", 0: "PT"}
LEVEL_PAGE = {2: "1 GiB", 1: "2 MiB", 0: "4 KiB"}

# include/mm/vma.h
VM_READ, VM_WRITE, VM_EXEC, VM_SHARED, VM_GROWSDOWN = 1, 2, 4, 8, 16
VM_FLAG_NAMES = [("READ", 1), ("WRITE", 2), ("EXEC", 4), ("SHARED", 8), ("GROWSDOWN", 16),
                 ("MAYREAD", 32), ("MAYWRITE", 64), ("MAYEXEC", 128)]

# include/mm/frame.h (the enum is read from the kernel when it can be)
PG_FALLBACK = [("RESERVED", 1), ("FREE", 2), ("ALLOCATED", 4), ("TAIL", 8), ("CACHED", 16),
               ("SLAB", 32), ("ZERO", 64), ("CACHE", 128), ("DISK", 256), ("LOCKED", 512),
               ("DIRTY", 1024), ("ERROR", 2048)]

# include/kernel/trap.h
T_PAGE_FAULT, T_IRQ_BASE, T_IRQ_COUNT, T_SYSCALL, T_SIGRETURN = 14, 32, 16, 0x100, 0x101
EXCEPTION_FALLBACK = {
    0: "divide error", 1: "debug", 2: "NMI", 3: "breakpoint", 4: "overflow",
    5: "BOUND range exceeded", 6: "invalid opcode", 7: "device not available",
    8: "double fault", 10: "invalid TSS", 11: "segment not present",
    12: "stack-segment fault", 13: "general protection", 14: "page fault",
    16: "x87 FPU error", 17: "alignment check", 18: "machine check",
    19: "SIMD floating-point error", 20: "virtualization exception",
    21: "control protection exception",
}
IRQ_NAMES = {0: "timer", 1: "keyboard", 3: "COM2", 4: "COM1 (serial)", 8: "RTC"}
# page-fault error code bits (Intel SDM vol. 3, 4.7)
PF_BITS = [("P", 0, "present (protection violation)", "not present"),
           ("W", 1, "write", "read"),
           ("U", 2, "user mode", "kernel mode"),
           ("RSVD", 3, "reserved bit set in an entry", None),
           ("I", 4, "instruction fetch", None),
           ("PK", 5, "protection key", None),
           ("SS", 6, "shadow stack", None)]
RFLAGS_BITS = [("CF", 0), ("PF", 2), ("AF", 4), ("ZF", 6), ("SF", 7), ("TF", 8), ("IF", 9),
               ("DF", 10), ("OF", 11), ("NT", 14), ("RF", 16), ("AC", 18)]


class MicaError(gdb.GdbError):
    pass


# ---------------------------------------------------------------------------
# Reading the kernel

def _type(name):
    try:
        return gdb.lookup_type(name)
    except gdb.error:
        raise MicaError(f"mica: no type '{name}' (is build/mica.elf loaded?)")


def u64(value):
    """A gdb.Value (integer, pointer, enum) or a Python int, as an unsigned 64-bit int."""
    if isinstance(value, int):
        return value & MASK64
    if value.type.strip_typedefs().code == gdb.TYPE_CODE_PTR:
        value = value.cast(_type("unsigned long"))
    return int(value) & MASK64


def kval(name, source=None):
    """A kernel variable by name; `source` names the file of a static one."""
    tries = ([f"'{source}'::{name}"] if source else []) + [name]
    last = None
    for expr in tries:
        try:
            return gdb.parse_and_eval(expr)
        except gdb.error as e:
            last = e
    raise MicaError(f"mica: cannot read {name}: {last}")


def field_offset(type_name, field):
    for f in _type(type_name).fields():
        if f.name == field:
            return f.bitpos // 8
    raise MicaError(f"mica: {type_name} has no field {field}")


def ptr(addr, type_name):
    return gdb.Value(addr & MASK64).cast(_type(type_name).pointer())


def read_mem(addr, length):
    try:
        return bytes(gdb.selected_inferior().read_memory(addr, length))
    except gdb.MemoryError:
        raise MicaError(f"mica: cannot read {length} bytes at {addr:#x}")


def read_phys(pa, length):
    """Bytes of physical memory, through the kernel's direct map."""
    try:
        return bytes(gdb.selected_inferior().read_memory(DIRECT_MAP_BASE + pa, length))
    except gdb.MemoryError:
        raise MicaError(f"mica: cannot read physical {pa:#x} through the direct map at "
                        f"{DIRECT_MAP_BASE + pa:#x} (is paging with the kernel's tables on yet?)")


def read_table(pa):
    return struct.unpack("<512Q", read_phys(pa, PAGE_SIZE))


def cstring(value, size=None):
    """A char array or char * as a Python str (up to the first NUL)."""
    t = value.type.strip_typedefs()
    if t.code == gdb.TYPE_CODE_ARRAY:
        data = read_mem(u64(value.address), t.sizeof)
    else:
        addr = u64(value)
        if addr == 0:
            return ""
        data = read_mem(addr, size or 64)
    return data.split(b"\0", 1)[0].decode(errors="replace")


def enum_names(type_name, prefix):
    """{value: name without prefix} of an enum, or {} when the kernel lacks it."""
    try:
        t = gdb.lookup_type(type_name)
    except gdb.error:
        return {}
    return {f.enumval: f.name[len(prefix):] if f.name.startswith(prefix) else f.name
            for f in t.fields()}


def bit_names(value, bits):
    return [name for name, bit in bits if value & (1 << bit)]


def page_flag_table():
    names = enum_names("enum page_flag", "PG_")
    if names:
        return sorted(((n, v) for v, n in names.items()), key=lambda x: x[1])
    return PG_FALLBACK


def pg(name):
    """The value of PG_<name> (enum page_flag), from the kernel's debug information."""
    return dict(page_flag_table())[name]


def page_flags_str(flags):
    names = [n for n, v in page_flag_table() if flags & v]
    return "|".join(names) if names else "none"


def vm_flags_str(flags):
    return "|".join(n for n, v in VM_FLAG_NAMES if flags & v) or "none"


def symbolize(addr):
    """'name+off' for a code or data address, or ''."""
    try:
        block = gdb.current_progspace().block_for_pc(addr)
        fn = block.function if block else None
        while block and not fn:
            block = block.superblock
            fn = block.function if block else None
        if fn:
            start = u64(fn.value().address)
            return f"{fn.name}+{addr - start}" if addr != start else fn.name
    except (RuntimeError, gdb.error):
        pass
    try:
        out = gdb.execute(f"info symbol {addr:#x}", to_string=True).strip()
        if not out.startswith("No symbol"):
            m = re.match(r"(\S+)(?: \+ (\d+))? in section", out)
            if m:
                return m.group(1) + (f"+{m.group(2)}" if m.group(2) else "")
    except gdb.error:
        pass
    return ""


# ---------------------------------------------------------------------------
# Processes

def proc_state_name(p):
    names = enum_names("enum proc_state", "PROC_")
    v = int(p["state"])
    return names.get(v, str(v))


def proc_name(p):
    return cstring(p["name"])


def current_proc():
    """cpu0.current, or None before the first process runs."""
    cur = kval("cpu0")["current"]
    return cur if u64(cur) != 0 else None


def all_procs():
    """Every struct proc * on kernel/proc.c's all_procs list, in pid order."""
    head = kval("all_procs", "kernel/proc.c")
    head_addr = u64(head.address)
    off = field_offset("struct proc", "all_link")
    node = head["next"]
    out = []
    while u64(node) != head_addr:
        if u64(node) == 0 or len(out) > 100000:
            raise MicaError("mica: all_procs is broken (NULL link or a cycle)")
        out.append(ptr(u64(node) - off, "struct proc"))
        node = node["next"]
    return out


def find_proc(pid):
    for p in all_procs():
        if int(p["pid"]) == pid:
            return p
    raise MicaError(f"mica: no process with pid {pid} (see mica ps)")


def proc_arg(arg):
    """The process a PID argument names; the current one when arg is None."""
    if arg is None:
        p = current_proc()
        if p is None:
            raise MicaError("mica: no current process yet (cpu0.current is NULL); give a PID")
        return p
    return find_proc(int(gdb.parse_and_eval(arg)))


def proc_label(p):
    return f"pid {int(p['pid'])} ({proc_name(p)})"


# ---------------------------------------------------------------------------
# VMAs

def vma_list(mm):
    """The VMAs of an mm in address order (in-order traversal of the AVL tree)."""
    out, stack = [], []
    node = mm["vmas"]["root"]
    while stack or u64(node) != 0:
        while u64(node) != 0:
            stack.append(node)
            node = node["left"]
            if len(stack) > 200:
                raise MicaError("mica: the VMA tree is deeper than 200: broken links?")
        node = stack.pop()
        out.append(node)
        if len(out) > 1000000:
            raise MicaError("mica: the VMA tree has a cycle")
        node = node["right"]
    return out


def vma_perms(flags):
    return ("r" if flags & VM_READ else "-") + ("w" if flags & VM_WRITE else "-") + \
           ("x" if flags & VM_EXEC else "-") + ("s" if flags & VM_SHARED else "p")


def vma_kind(v):
    kinds = enum_names("enum vma_kind", "VMA_KIND_")
    k = kinds.get(int(v["kind"]), str(int(v["kind"])))
    return {"STACK": "[stack]", "HEAP": "[heap]"}.get(k, k.lower())


def vma_object_str(v):
    obj = v["object"]
    if u64(obj) == 0:
        return ""
    s = f"object {u64(obj):#x}"
    try:
        inode = obj["inode"]
        if u64(inode) != 0:
            s += f" (inode {int(inode['ino'])})"
        else:
            s += f" ({str(obj['kind']).replace('VMOBJECT_', '').lower()})"
    except gdb.error:
        pass
    return s


def vma_line(v):
    flags = int(v["flags"])
    extra = []
    if flags & VM_GROWSDOWN:
        extra.append("growsdown")
    obj = vma_object_str(v)
    if obj:
        extra.append(obj)
    return (f"{u64(v['start']):08x}-{u64(v['end']):08x} {vma_perms(flags)} "
            f"{u64(v['offset']):08x} {vma_kind(v):8} {' '.join(extra)}").rstrip()


def vma_containing(mm, va):
    for v in vma_list(mm):
        if u64(v["start"]) <= va < u64(v["end"]):
            return v
    return None


# ---------------------------------------------------------------------------
# Page tables

def pte_flags_str(entry, level):
    names = []
    for name, bit in PTE_BITS:
        if entry & (1 << bit):
            if bit == 7 and level == 0:
                name = "PAT"  # in a 4 KiB PTE, bit 7 is PAT, not PS
            names.append(name)
    return " ".join(names) if names else "-"


def pml4_of(p):
    """Physical address of a process's PML4 (mm->pml4 is a direct-map pointer)."""
    mm = p["mm"]
    if u64(mm) == 0 or u64(mm["pml4"]) == 0:
        raise MicaError(f"mica: {proc_label(p)} has no address space (mm or mm->pml4 is NULL)")
    return u64(mm["pml4"]) - DIRECT_MAP_BASE


def cr3_pa():
    return u64(gdb.parse_and_eval("$cr3")) & PTE_ADDR_MASK


def space_arg(arg):
    """(pml4 pa, process or None, label) for a PID argument: a pid, `cr3`, or `kernel`."""
    if arg == "cr3":
        return cr3_pa(), None, "the table in CR3"
    if arg == "kernel":
        k = u64(kval("kernel_pml4"))
        if k == 0:
            raise MicaError("mica: kernel_pml4 is not set up yet (mm_init has not run); try cr3")
        return k - DIRECT_MAP_BASE, None, "kernel_pml4"
    if arg is None and current_proc() is None:
        return cr3_pa(), None, "the table in CR3 (no process yet)"
    p = proc_arg(arg)
    return pml4_of(p), p, proc_label(p)


def canonical(va):
    top = va >> 47
    return top == 0 or top == (1 << 17) - 1


def walk(pml4_pa, va):
    """The walk for va: (steps, result). steps: (level, table pa, index, entry) per level read.
    result: ('mapped', pa, level of the leaf, leaf entry) or ('missing', level, index)."""
    steps = []
    table = pml4_pa
    for level in (3, 2, 1, 0):
        index = (va >> (PAGE_SHIFT + 9 * level)) & 511
        entry = read_table(table)[index]
        steps.append((level, table, index, entry))
        if not entry & PTE_P:
            return steps, ("missing", level, index)
        if level == 0 or (level in (1, 2) and entry & PTE_PS):
            size = 1 << (PAGE_SHIFT + 9 * level)
            base = entry & PTE_ADDR_MASK & ~(size - 1)
            return steps, ("mapped", base + (va & (size - 1)), level, entry)
        table = entry & PTE_ADDR_MASK
    raise AssertionError


def effective_access(steps):
    """What every level together allows: (writable, user, executable)."""
    w = all(e & PTE_W for _, _, _, e in steps)
    u = all(e & PTE_U for _, _, _, e in steps)
    x = not any(e & PTE_NX for _, _, _, e in steps)
    return w, u, x


def user_leaves(pml4_pa, want_tables=False):
    """Every present leaf of the user half: yields (va, level, entry, table pa).
    With want_tables, also yields ('table', level, table pa, va of its first byte)."""
    def visit(table_pa, level, base):
        entries = read_table(table_pa)
        count = 256 if level == 3 else 512
        for i in range(count):
            e = entries[i]
            if not e & PTE_P:
                continue
            va = base + (i << (PAGE_SHIFT + 9 * level))
            if level == 0 or (level in (1, 2) and e & PTE_PS):
                yield (va, level, e, table_pa)
            else:
                child = e & PTE_ADDR_MASK
                if want_tables:
                    yield ("table", level - 1, child, va)
                yield from visit(child, level - 1, va)
    if want_tables:
        yield ("table", 3, pml4_pa, 0)
    yield from visit(pml4_pa, 3, 0)


# ---------------------------------------------------------------------------
# Frames

def frame_table_size():
    return u64(kval("frame_table_size"))


def page_of_pfn(pfn):
    size = frame_table_size()
    if size == 0:
        raise MicaError("mica: frame_table is not set up yet (mm_init has not run)")
    if pfn >= size:
        raise MicaError(f"mica: pfn {pfn:#x} is beyond frame_table ({size:#x} entries)")
    return (kval("frame_table") + pfn).dereference()


def pfn_of_page(page_value):
    """PFN of a struct page lvalue (its index in frame_table)."""
    base = u64(kval("frame_table"))
    return (u64(page_value.address) - base) // _type("struct page").sizeof


def page_summary(page):
    flags = int(page["flags"])
    s = f"refcount {int(page['refcount'])}, flags {flags:#x} {page_flags_str(flags)}, order {int(page['order'])}"
    if flags & pg("SLAB"):
        s += f", slab class {int(page['slab_class'])}, {int(page['slab_inuse'])} objects in use"
    elif flags & pg("ALLOCATED") and int(page["private_data"]) != 0:
        s += f", private_data {int(page['private_data'])}"
    return s


def block_head(pfn):
    """(head pfn, head page) of the free or allocated block containing pfn, or None."""
    size = frame_table_size()
    for k in range(0, 11):
        head = pfn & ~((1 << k) - 1)
        if head >= size:
            continue
        page = page_of_pfn(head)
        flags = int(page["flags"])
        if flags & (pg("FREE") | pg("ALLOCATED") | pg("CACHED")) and \
                head + (1 << int(page["order"])) > pfn:
            return head, page
    return None


def zero_frame_pfn():
    try:
        z = kval("the_zero_frame", "mm/fault.c")
        return pfn_of_page(z.dereference()) if u64(z) else None
    except MicaError:
        return None


def parse_frame_arg(arg):
    """PA|PFN (or a struct page *) -> pfn. A number below frame_table_size is a PFN."""
    expr, force = arg.strip(), None
    m = re.match(r"(-pfn|-pa)(\s+|$)(.*)", expr)
    if m:
        force, expr = m.group(1), m.group(3).strip()
    if not expr:
        raise MicaError("usage: mica frame [-pfn|-pa] PA|PFN   (or a struct page * expression)")
    v = gdb.parse_and_eval(expr)
    t = v.type.strip_typedefs()
    if t.code == gdb.TYPE_CODE_PTR and t.target().strip_typedefs().tag == "page":
        return pfn_of_page(v.dereference())
    n = u64(v)
    if force == "-pfn" or (force is None and n < frame_table_size()):
        return n
    return n >> PAGE_SHIFT


# ---------------------------------------------------------------------------
# Trap frames

TF_REGS = ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
           "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"]


def vector_name(vector):
    if vector < 32:
        try:
            names = kval("exception_names", "kernel/trap.c")
            if vector < names.type.strip_typedefs().range()[1] + 1 and u64(names[vector]) != 0:
                return cstring(names[vector])
        except (MicaError, gdb.error):
            pass
        return EXCEPTION_FALLBACK.get(vector, "reserved exception")
    if T_IRQ_BASE <= vector < T_IRQ_BASE + T_IRQ_COUNT:
        irq = vector - T_IRQ_BASE
        return f"IRQ {irq}" + (f" ({IRQ_NAMES[irq]})" if irq in IRQ_NAMES else "")
    if vector == T_SYSCALL:
        return "system call"
    if vector == T_SIGRETURN:
        return "rt_sigreturn (registers restored)"
    return "interrupt"


def syscall_name(nr):
    try:
        table = kval("syscall_table", "kernel/syscall.c")
        if nr < table.type.strip_typedefs().range()[1] + 1:
            e = table[nr]
            if u64(e) != 0:
                return cstring(e["name"])
    except (MicaError, gdb.error):
        pass
    return "?"


def pf_error_str(code):
    parts = []
    for name, bit, yes, no in PF_BITS:
        if code & (1 << bit):
            parts.append(f"{name}={yes}")
        elif no:
            parts.append(f"{name}=0 {no}")
    return ", ".join(parts)


# ---------------------------------------------------------------------------
# Commands

class MicaPrefix(gdb.Command):
    """mica's kernel helpers: processes, VMAs, page tables, frames, trap frames.

mica ps                    processes (pid, parent, state, name, mm); * marks the current one
mica vmas [PID]            the VMAs of a process, like /proc/PID/maps
mica walk VA [PID]         the page-table walk for VA, level by level
mica pte VA [PID]          the final entry for VA, its frame and copy-on-write state
mica frame PA|PFN          a frame's struct page and the PTEs that map it
mica buddy                 free blocks per order and the hot cache
mica trapframe [ADDR]      a trap frame decoded (default: the current process's tf)
mica prog NAME [ELF]       load a user program's symbols and break at its main
mica break PROC LOCATION   a breakpoint that stops only in processes named PROC
mica ret                   continue until the current process returns to user mode

PID defaults to the current process (cpu0.current). VA, PA, PID and ADDR are
gdb expressions: `mica walk $rsp`, `mica pte page_va`, `mica frame shared`."""

    def __init__(self):
        super().__init__("mica", gdb.COMMAND_USER, gdb.COMPLETE_COMMAND, prefix=True)

    def invoke(self, arg, from_tty):
        gdb.execute("help mica", from_tty)


def paging_hint():
    """Why kernel memory may be unreadable: before boot.asm turns paging on, it is."""
    try:
        if not u64(gdb.parse_and_eval("$cr0")) & (1 << 31):
            return (" (paging is off: the CPU is still in the BIOS, GRUB or boot.asm, and the"
                    " kernel's variables are not mapped yet; `break kmain`, `continue` first)")
    except gdb.error:
        pass
    return ""


class MicaCommand(gdb.Command):
    """Base of the mica subcommands: turns gdb's errors into one clean line."""

    def invoke(self, arg, from_tty):
        try:
            self.run(arg, from_tty)
        except gdb.GdbError:
            raise
        except gdb.MemoryError as e:
            raise gdb.GdbError(f"mica: {e}" + paging_hint())
        except gdb.error as e:
            raise gdb.GdbError(f"mica: {e}")

    def run(self, arg, from_tty):
        raise NotImplementedError


def expr_and_pid(arg, usage):
    """'EXPR [PID]' -> (value of EXPR, PID word or None). EXPR may contain spaces:
    the whole argument is tried as one expression first."""
    arg = arg.strip()
    if not arg:
        raise MicaError("usage: " + usage)
    try:
        return u64(gdb.parse_and_eval(arg)), None
    except gdb.error as whole:
        head, sep, last = arg.rpartition(" ")
        if not sep:
            raise MicaError(f"mica: {whole}")
        try:
            return u64(gdb.parse_and_eval(head)), last
        except gdb.error:
            raise MicaError(f"mica: {whole}")


def split_args(arg, min_n, max_n, usage):
    args = gdb.string_to_argv(arg)
    if not min_n <= len(args) <= max_n:
        raise MicaError("usage: " + usage)
    return args + [None] * (max_n - len(args))


class MicaPs(MicaCommand):
    """List every process: pid, parent pid, state, name, struct proc and struct mm.
Usage: mica ps
The current process (cpu0.current) is marked with *. Walks kernel/proc.c's all_procs."""

    def __init__(self):
        super().__init__("mica ps", gdb.COMMAND_USER)

    def run(self, arg, from_tty):
        split_args(arg, 0, 0, "mica ps")
        cur = current_proc()
        cur_addr = u64(cur) if cur is not None else 0
        procs = all_procs()
        gdb.write(f"  {'PID':>5} {'PPID':>5} {'STATE':<9} {'NAME':<16} {'PROC':<18} MM\n")
        for p in procs:
            parent = p["parent"]
            ppid = int(parent["pid"]) if u64(parent) else 0
            mark = "*" if u64(p) == cur_addr else " "
            gdb.write(f"{mark} {int(p['pid']):>5} {ppid:>5} {proc_state_name(p):<9} "
                      f"{proc_name(p):<16} {u64(p):#018x} {u64(p['mm']):#x}\n")
        gdb.write(f"{len(procs)} processes\n")


class MicaVmas(MicaCommand):
    """List a process's VMAs in address order, like /proc/PID/maps.
Usage: mica vmas [PID]
Columns: start-end, permissions (r/w/x, p private or s shared), offset into the
backing object, kind (anon, file, [heap], [stack]), then growsdown and the object.
Walks the AVL tree mm->vmas in order (left, node, right)."""

    def __init__(self):
        super().__init__("mica vmas", gdb.COMMAND_USER)

    def run(self, arg, from_tty):
        pid = arg.strip() or None
        p = proc_arg(pid)
        mm = p["mm"]
        if u64(mm) == 0:
            raise MicaError(f"mica: {proc_label(p)} has no address space")
        vmas = vma_list(mm)
        count = int(mm["vmas"]["count"])
        gdb.write(f"{proc_label(p)}, mm {u64(mm):#x}: {len(vmas)} VMAs"
                  + ("" if count == len(vmas) else f" (but vmas.count says {count}!)") + "\n")
        for v in vmas:
            gdb.write(vma_line(v) + "\n")


class MicaWalk(MicaCommand):
    """Show the page-table walk for a virtual address, level by level.
Usage: mica walk VA [PID|cr3|kernel]
For each level: the table's physical address, the index VA selects, the entry
and its flags (P W U PWT PCD A D PS G NX; PAT in a PT entry); then the physical
address VA translates to, or the level where the walk stops. Uses the process's
mm->pml4 (default: the current process), `cr3` the table in CR3, `kernel`
kernel_pml4. Tables are read through the direct map."""

    def __init__(self):
        super().__init__("mica walk", gdb.COMMAND_USER)

    def run(self, arg, from_tty):
        va, pid = expr_and_pid(arg, "mica walk VA [PID|cr3|kernel]")
        pml4, _, label = space_arg(pid)
        gdb.write(f"walk {va:#x} in {label}: pml4 at pa {pml4:#x}"
                  + (" (active in CR3)" if pml4 == cr3_pa() else "") + "\n")
        if not canonical(va):
            gdb.write("  not canonical (bits 63..48 differ from bit 47): any access is #GP, "
                      "there is no walk\n")
            return
        steps, result = walk(pml4, va)
        for level, table, index, entry in steps:
            gdb.write(f"  {LEVEL_NAMES[level]:<4} table pa {table:#012x} [{index:3}] "
                      f"entry {entry:#018x}  {pte_flags_str(entry, level)}\n")
        if result[0] == "missing":
            _, level, index = result
            gdb.write(f"  -> not mapped: {LEVEL_NAMES[level]} entry [{index}] is not present\n")
            return
        _, pa, level, entry = result
        w, u, x = effective_access(steps)
        gdb.write(f"  -> pa {pa:#x} ({LEVEL_PAGE[level]} page at {pa & ~((1 << (PAGE_SHIFT + 9 * level)) - 1):#x}, "
                  f"pfn {pa >> PAGE_SHIFT:#x}); access: {'read/write' if w else 'read-only'}, "
                  f"{'user' if u else 'kernel only'}, {'executable' if x else 'no execute'}\n")


class MicaPte(MicaCommand):
    """Show the final page-table entry for VA, its frame, and copy-on-write state.
Usage: mica pte VA [PID]
Decodes the leaf entry, prints the frame's struct page (refcount, flags, order)
and the VMA holding VA, and says whether the page is copy-on-write shared:
present, not writable, in a writable private VMA, and refcount > 1."""

    def __init__(self):
        super().__init__("mica pte", gdb.COMMAND_USER)

    def run(self, arg, from_tty):
        va, pid = expr_and_pid(arg, "mica pte VA [PID|cr3|kernel]")
        pml4, p, label = space_arg(pid)
        if not canonical(va):
            raise MicaError(f"mica: {va:#x} is not canonical")
        steps, result = walk(pml4, va)
        vma = vma_containing(p["mm"], va) if p is not None and va < USER_TOP else None
        gdb.write(f"pte for {va:#x} in {label}\n")
        if vma is not None:
            gdb.write(f"  vma   {vma_line(vma)}\n")
        elif p is not None and va < USER_TOP:
            gdb.write("  vma   none: no VMA contains this address (an access gets SIGSEGV)\n")
        if result[0] == "missing":
            level, index = result[1], result[2]
            entry = steps[-1][3]
            gdb.write(f"  entry {entry:#018x}: not present ({LEVEL_NAMES[level]} entry [{index}] "
                      "is empty)\n")
            if vma is not None:
                what = ("a memory object's page" if u64(vma["object"]) else
                        "a zeroed frame (write) or the zero frame (read)")
                gdb.write(f"  state not present: the first access faults and maps {what}\n")
            return
        _, pa, level, entry = result
        w, u, x = effective_access(steps)
        gdb.write(f"  entry {entry:#018x}  {pte_flags_str(entry, level)}  ({LEVEL_NAMES[level]} level, "
                  f"{LEVEL_PAGE[level]} page)\n")
        gdb.write(f"  maps  pa {pa:#x}, frame {pa & PTE_ADDR_MASK & ~((1 << (PAGE_SHIFT + 9 * level)) - 1):#x}"
                  f", {'writable' if entry & PTE_W else 'read-only'}, "
                  f"{'user' if entry & PTE_U else 'kernel'}, {'no execute' if entry & PTE_NX else 'executable'}, "
                  f"{'accessed' if entry & (1 << 5) else 'not accessed'}, "
                  f"{'dirty' if entry & (1 << 6) else 'clean'}\n")
        pfn = pa >> PAGE_SHIFT
        page = page_of_pfn(pfn)
        gdb.write(f"  page  pfn {pfn:#x}, struct page at {u64(page.address):#x}: {page_summary(page)}\n")
        refcount = int(page["refcount"])
        if level != 0:
            gdb.write("  state a huge page (the kernel's direct map): no copy-on-write\n")
            return
        if vma is None:
            return
        flags = int(vma["flags"])
        zero = zero_frame_pfn()
        if entry & PTE_W:
            state = "writable: writes go straight to this frame"
        elif not flags & VM_WRITE:
            state = "read-only, and the VMA is too: a write gets SIGSEGV (not copy-on-write)"
        elif flags & VM_SHARED:
            state = "read-only in a shared writable VMA: the first write just sets W (fault_shared_write)"
        elif zero is not None and pfn == zero:
            state = "the shared zero frame: a write faults and gets a fresh zeroed frame (fault_zero_fill)"
        elif refcount > 1:
            state = (f"COW-shared: yes ({refcount} references): a write faults and copies the "
                     "frame (fault_cow_copy)")
        else:
            state = ("copy-on-write with no other mapper (refcount 1): a write faults and reuses "
                     "the frame (COW reuse)")
        gdb.write(f"  state {state}\n")


class MicaFrame(MicaCommand):
    """Show a physical frame's struct page and what maps it.
Usage: mica frame [-pfn|-pa] PA|PFN      (or: mica frame EXPR, EXPR a struct page *)
A number below frame_table_size is taken as a PFN, anything larger as a physical
address; -pfn / -pa say which. Prints refcount, flags by name and order, the
block the frame belongs to, then searches every process's page tables (user
half) for entries that map it, and names page tables and kernel stacks."""

    def __init__(self):
        super().__init__("mica frame", gdb.COMMAND_USER)

    def run(self, arg, from_tty):
        pfn = parse_frame_arg(arg)
        page = page_of_pfn(pfn)
        gdb.write(f"frame pa {pfn << PAGE_SHIFT:#x}, pfn {pfn:#x} ({pfn}), struct page at "
                  f"{u64(page.address):#x}\n")
        gdb.write(f"  {page_summary(page)}\n")
        head = block_head(pfn)
        if head and head[0] != pfn:
            hp = head[1]
            gdb.write(f"  part of the {'free' if int(hp['flags']) & pg('FREE') else 'allocated'} order-"
                      f"{int(hp['order'])} block headed by pfn {head[0]:#x}\n")
        if zero_frame_pfn() == pfn:
            gdb.write("  this is the shared zero frame (mm/fault.c)\n")
        found = mappers = 0
        for p in all_procs():
            kstack = u64(p["kstack"])
            if kstack:
                kpfn = (kstack - DIRECT_MAP_BASE) >> PAGE_SHIFT
                kframes = 1 << int(page_of_pfn(kpfn)["order"])  # KSTACK_ORDER
                if kpfn <= pfn < kpfn + kframes:
                    gdb.write(f"  kernel stack of {proc_label(p)} (frame {pfn - kpfn} of {kframes})\n")
                    found += 1
            if u64(p["mm"]) == 0:
                continue
            for item in user_leaves(pml4_of(p), want_tables=True):
                if item[0] == "table":
                    _, level, table_pa, va = item
                    if table_pa >> PAGE_SHIFT == pfn:
                        span = 1 << (PAGE_SHIFT + 9 * (level + 1))
                        gdb.write(f"  page table ({LEVEL_NAMES[level]}) of {proc_label(p)}"
                                  + (f", covering {va:#x}-{va + span:#x}" if level < 3 else "")
                                  + "\n")
                        found += 1
                    continue
                va, level, entry, table_pa = item
                size = 1 << (PAGE_SHIFT + 9 * level)
                base = (entry & PTE_ADDR_MASK & ~(size - 1)) >> PAGE_SHIFT
                if base <= pfn < base + (size >> PAGE_SHIFT):
                    gdb.write(f"  mapped by {proc_label(p)} at {va + ((pfn - base) << PAGE_SHIFT):#x}: "
                              f"entry {entry:#018x} {pte_flags_str(entry, level)}"
                              f" ({'writable' if entry & PTE_W else 'read-only'})\n")
                    found += 1
                    mappers += 1
        if found == 0:
            gdb.write("  no process maps it, and it is no page table or kernel stack\n")
        if mappers:
            refcount = int(page["refcount"])
            note = ""
            if mappers < refcount:
                note = f" ({refcount - mappers} more held by the kernel, e.g. by a memory object)"
            elif mappers > refcount:
                note = " (more PTEs than references: the refcount is wrong!)"
            gdb.write(f"  {mappers} PTE(s) map it; refcount {refcount}{note}\n")


class MicaBuddy(MicaCommand):
    """Show the buddy allocator: free blocks per order, the hot cache, the totals.
Usage: mica buddy
Reads free_blocks[], free_lists[], hot_count, free_frames and total_frames
(mm/frame.c). Each list is also walked and its length compared with free_blocks.
The sum of blocks * 2^order plus the cache must equal free_frames
(what frame_free_count() returns)."""

    def __init__(self):
        super().__init__("mica buddy", gdb.COMMAND_USER)

    def run(self, arg, from_tty):
        split_args(arg, 0, 0, "mica buddy")
        blocks = kval("free_blocks", "mm/frame.c")
        lists = kval("free_lists", "mm/frame.c")
        max_order = blocks.type.strip_typedefs().range()[1]
        total = 0
        gdb.write(f"{'order':>5} {'size':>8} {'blocks':>8} {'frames':>8}  list\n")
        for order in range(max_order + 1):
            n = int(blocks[order])
            head = lists[order]
            head_addr = u64(head.address)
            node, walked = head["next"], 0
            while u64(node) != head_addr and walked <= n + 1000 and u64(node) != 0:
                walked += 1
                node = node["next"]
            size = PAGE_SIZE << order
            size_s = f"{size >> 20} MiB" if size >= 1 << 20 else f"{size >> 10} KiB"
            gdb.write(f"{order:>5} {size_s:>8} {n:>8} {n << order:>8}  "
                      + ("ok" if walked == n else f"{walked} on the list!") + "\n")
            total += n << order
        hot = int(kval("hot_count", "mm/frame.c"))
        free = int(kval("free_frames", "mm/frame.c"))
        all_frames = int(kval("total_frames", "mm/frame.c"))
        gdb.write(f"hot cache: {hot} frames\n")
        gdb.write(f"free: {total} in blocks + {hot} cached = {total + hot} frames "
                  f"({(total + hot) * 4} KiB); free_frames = {free}: "
                  + ("consistent" if total + hot == free else "INCONSISTENT") + "\n")
        gdb.write(f"managed: {all_frames} frames, {all_frames - free} in use\n")


class MicaTrapframe(MicaCommand):
    """Decode a struct trapframe: registers, vector, error code.
Usage: mica trapframe [ADDR]
Default: the current process's user registers, cpu0.current->tf. ADDR is any
expression for a struct trapframe * (in a handler: `mica trapframe tf`).
Page-fault error codes are decoded bit by bit (P W U RSVD I), with CR2."""

    def __init__(self):
        super().__init__("mica trapframe", gdb.COMMAND_USER)

    def run(self, arg, from_tty):
        addr_s = arg.strip() or None
        if addr_s is None:
            p = current_proc()
            if p is None:
                raise MicaError("mica: no current process; give the trap frame's address")
            tf = p["tf"]
            where = f"{proc_label(p)}'s tf"
        else:
            tf = gdb.parse_and_eval(addr_s)
            where = "given"
        tf = ptr(u64(tf), "struct trapframe").dereference()
        addr = u64(tf.address)
        r = {f.name: u64(tf[f.name]) for f in tf.type.strip_typedefs().fields()}
        user = r["cs"] & 3 == 3
        gdb.write(f"trapframe at {addr:#x} ({where}): from {'user' if user else 'kernel'} mode "
                  f"(cs {r['cs']:#x}, ring {r['cs'] & 3})\n")
        vector = r["vector"]
        line = f"  vector {vector} ({vector:#x}): {vector_name(vector)}"
        if vector == T_SYSCALL:
            nr = r["error_code"]
            line += f"; system call {nr} ({syscall_name(nr)})  [error_code holds the number]"
        else:
            line += f"; error code {r['error_code']:#x}"
        gdb.write(line + "\n")
        if vector == T_PAGE_FAULT:
            gdb.write(f"  page fault: {pf_error_str(r['error_code'])}\n")
            try:
                gdb.write(f"  cr2 {u64(gdb.parse_and_eval('$cr2')):#x} (the CPU's CR2 now: the "
                          "faulting address while this fault is being handled)\n")
            except gdb.error:
                pass
        sym = symbolize(r["rip"])
        gdb.write(f"  rip {r['rip']:#018x}" + (f" <{sym}>" if sym else "") + "\n")
        fl = r["rflags"]
        gdb.write(f"  rflags {fl:#x} [{' '.join(bit_names(fl, RFLAGS_BITS))}]  "
                  f"cs {r['cs']:#x}  ss {r['ss']:#x}\n")
        for i in range(0, len(TF_REGS), 4):
            gdb.write("  " + "  ".join(f"{n:>3} {r[n]:#018x}" for n in TF_REGS[i:i + 4]) + "\n")


# ---------------------------------------------------------------------------
# Breakpoints that only stop in one process

class ProcBreakpoint(gdb.Breakpoint):
    """A breakpoint whose stop() checks cpu0.current->name (and optionally the pid)."""

    def __init__(self, spec, procname=None, pid=None, temporary=False):
        super().__init__(spec, gdb.BP_BREAKPOINT, internal=False, temporary=temporary)
        self.procname = procname[:15] if procname else None  # PROC_NAME_MAX - 1
        self.pid = pid

    def stop(self):
        try:
            p = current_proc()
            if p is None:
                return False
            if self.pid is not None and int(p["pid"]) != self.pid:
                return False
            return self.procname is None or proc_name(p) == self.procname
        except Exception:  # noqa: BLE001 - never leave gdb stopped half-way on a bad read
            return False


def build_dir():
    """The build directory: where the kernel's ELF file is."""
    fn = gdb.current_progspace().filename
    return os.path.dirname(os.path.abspath(fn)) if fn else "build"


def find_program(name):
    if os.path.isfile(name):
        return name
    base = os.path.join(build_dir(), "user", "bin")
    for cand in (name, os.path.join("tests", name), os.path.join("bench", name)):
        path = os.path.join(base, cand)
        if os.path.isfile(path):
            return path
    raise MicaError(f"mica: no program {name} in {base} (build it with make initramfs)")


def load_program_symbols(elf):
    elf = os.path.abspath(elf)
    for o in gdb.objfiles():
        if o.filename and os.path.abspath(o.filename) == elf:
            return
    gdb.execute(f"add-symbol-file {elf}", to_string=True)


class MicaProg(MicaCommand):
    """Load a user program's symbols and stop at its main, in that process only.
Usage: mica prog NAME [ELF]
NAME is the program (the process name, e.g. hello); ELF defaults to the
unstripped build/user/bin/NAME (or build/user/bin/tests/NAME, bench/NAME).
Programs are static ELF executables linked at 0x400000, so `add-symbol-file`
needs no address. All processes' programs share those addresses, so the
breakpoint at main stops only when cpu0.current->name is NAME."""

    def __init__(self):
        super().__init__("mica prog", gdb.COMMAND_USER)

    def run(self, arg, from_tty):
        name, elf = split_args(arg, 1, 2, "mica prog NAME [ELF]")
        elf = find_program(elf or name)
        name = os.path.basename(name)
        load_program_symbols(elf)
        spec = "main"
        for o in gdb.objfiles():
            if o.filename and os.path.abspath(o.filename) == os.path.abspath(elf):
                try:
                    sym = o.lookup_global_symbol("main")
                    if sym is not None and sym.symtab is not None:
                        spec = f"{sym.symtab.filename}:main"
                except (AttributeError, gdb.error):
                    pass
        bp = ProcBreakpoint(spec, procname=name)
        gdb.write(f"mica: symbols of {elf} loaded; breakpoint {bp.number} at main stops only "
                  f"in processes named {name[:15]}\n")


class MicaBreak(MicaCommand):
    """Set a breakpoint that stops only when the current process is PROC.
Usage: mica break PROC LOCATION
PROC is a process name (cpu0.current->name, as mica ps shows it) or a pid
(a number). LOCATION is anything `break` takes: a kernel function
(fault_cow_copy), FILE:LINE, or a user function once that program's symbols
are loaded (mica prog). Example: mica break fork_wait fault_zero_fill"""

    def __init__(self):
        super().__init__("mica break", gdb.COMMAND_USER)

    def run(self, arg, from_tty):
        args = arg.split(None, 1)
        if len(args) != 2:
            raise MicaError("usage: mica break PROC LOCATION")
        who, spec = args
        if who.isdigit():
            bp = ProcBreakpoint(spec, pid=int(who))
        else:
            bp = ProcBreakpoint(spec, procname=who)
        what = f"pid {who}" if who.isdigit() else f"processes named {bp.procname}"
        gdb.write(f"mica: breakpoint {bp.number} at {spec} stops only in {what}\n")


class MicaRet(MicaCommand):
    """Continue until the current process is back in user mode.
Usage: mica ret
Sets a temporary breakpoint at the user instruction the current process will
return to (cpu0.current->tf->rip), for this pid only, and continues. Use it
from anywhere in a system call or fault handler; then `step`/`next` go on in
the program's source (load its symbols with mica prog)."""

    def __init__(self):
        super().__init__("mica ret", gdb.COMMAND_USER)

    def run(self, arg, from_tty):
        split_args(arg, 0, 0, "mica ret")
        p = current_proc()
        if p is None:
            raise MicaError("mica: no current process")
        rip = u64(p["tf"]["rip"])
        ProcBreakpoint(f"*{rip:#x}", pid=int(p["pid"]), temporary=True)
        gdb.execute("continue", from_tty)


# ---------------------------------------------------------------------------
# Pretty-printers

class PagePrinter:
    def __init__(self, val):
        self.val = val

    def to_string(self):
        v = self.val
        s = ""
        try:
            if v.address is not None:
                pfn = pfn_of_page(v)
                if 0 <= pfn < frame_table_size():
                    s = f"pfn {pfn:#x} (pa {pfn << PAGE_SHIFT:#x}): "
        except (gdb.error, MicaError):
            pass
        return "{" + s + page_summary(v) + "}"


class VmaPrinter:
    def __init__(self, val):
        self.val = val

    def to_string(self):
        v = self.val
        return (f"{{{u64(v['start']):#x}-{u64(v['end']):#x} {vma_perms(int(v['flags']))} "
                f"{vma_kind(v)}, offset {u64(v['offset']):#x}, flags {vm_flags_str(int(v['flags']))}"
                + (f", {vma_object_str(v)}" if u64(v["object"]) else "") + "}")

    def children(self):
        for f in self.val.type.strip_typedefs().fields():
            yield f.name, self.val[f.name]


class MmPrinter:
    def __init__(self, val):
        self.val = val

    def to_string(self):
        v = self.val
        c = v["counters"]
        return (f"{{pml4 pa {u64(v['pml4']) - DIRECT_MAP_BASE:#x}, {int(v['vmas']['count'])} VMAs, "
                f"brk {u64(v['brk_start']):#x}-{u64(v['brk']):#x}, rss anon {int(c['rss_anon'])} "
                f"file {int(c['rss_file'])} shmem {int(c['rss_shmem'])} pages, "
                f"{int(c['minor_faults'])} faults}}")

    def children(self):
        for f in self.val.type.strip_typedefs().fields():
            yield f.name, self.val[f.name]


class ProcPrinter:
    def __init__(self, val):
        self.val = val

    def to_string(self):
        v = self.val
        return (f"{{pid {int(v['pid'])} {proc_name(v)} {proc_state_name(v)}, mm {u64(v['mm']):#x}, "
                f"tf {u64(v['tf']):#x}}}")

    def children(self):
        v = self.val
        for f in v.type.strip_typedefs().fields():
            if f.name == "name":
                yield f.name, proc_name(v)
            elif f.name == "cmdline":
                n = min(int(v["cmdline_len"]), f.type.sizeof)
                data = read_mem(u64(v["cmdline"].address), n) if n else b""
                yield f.name, " ".join(w.decode(errors="replace") for w in data.split(b"\0") if w)
            elif f.name == "fpu_state":
                yield f.name, "<512 bytes of fxsave state: p/r to see>"
            elif f.name == "sig":
                yield f.name, (f"<blocked {u64(v['sig']['blocked']):#x}, pending "
                               f"{u64(v['sig']['pending']):#x}; p/r for the handlers>")
            elif f.name == "rlimits":
                yield f.name, "<p/r to see>"
            else:
                yield f.name, v[f.name]


PRINTERS = {"page": PagePrinter, "vma": VmaPrinter, "mm": MmPrinter, "proc": ProcPrinter}


def mica_lookup(val):
    t = val.type.strip_typedefs()
    if t.code == gdb.TYPE_CODE_STRUCT and t.tag in PRINTERS:
        return PRINTERS[t.tag](val)
    return None


mica_lookup.name = "mica"
mica_lookup.enabled = True


# ---------------------------------------------------------------------------
# Unwinding through trap frames
#
# syscall_entry and trap_common build a struct trapframe and call
# syscall_dispatch(tf) / trap_dispatch(tf) with rsp == tf. So in a frame whose
# pc is the return address of one of those calls, rsp points at the trap
# frame, and the caller's registers are in it. gdb cannot know that (the
# assembly has no CFI, and trap_common leaves the interrupted rbp in rbp).
# Inside syscall_entry, before the frame is complete (stepping in from a
# `syscall` instruction), the user's registers are still in the CPU: rip in
# rcx, rsp in rsp and then in cpu0.user_rsp.

TF_NAMES = ["r15", "r14", "r13", "r12", "r11", "r10", "r9", "r8", "rbp", "rdi", "rsi",
            "rdx", "rcx", "rbx", "rax", "vector", "error_code", "rip", "cs", "rflags",
            "rsp", "ss"]
TF_SIZE = 22 * 8
GPRS = ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "r8", "r9", "r10", "r11",
        "r12", "r13", "r14", "r15"]


class TrapFrameId:
    """What create_unwind_info wants: sp and pc as gdb.Values."""

    def __init__(self, sp, pc):
        u64t = _type("unsigned long")
        self.sp = gdb.Value(sp).cast(u64t)
        self.pc = gdb.Value(pc).cast(u64t)


_entry_info = None


def _symbol_addr(name):
    try:
        return u64(gdb.parse_and_eval(f"(unsigned long)&{name}"))
    except gdb.error:
        return None


def _compute_entry_info():
    """Addresses the unwinder needs, found once (outside of any unwinding)."""
    info = {"dispatch": set(), "entry": None}
    for name in ("syscall_dispatch", "trap_dispatch"):
        a = _symbol_addr(name)
        if a is not None:
            info["dispatch"].add(a)
    start, cpu0 = _symbol_addr("syscall_entry"), _symbol_addr("cpu0")
    dispatch = _symbol_addr("syscall_dispatch")
    if start is None or cpu0 is None or dispatch is None:
        return info
    try:
        code = read_mem(start, 160)
    except gdb.GdbError:
        return info
    # mov rsp, gs:[CPU_KERNEL_RSP]  /  cld; xor ebp,ebp; mov rdi,rsp; call syscall_dispatch
    on_kstack = code.find(bytes.fromhex("65488b2425"))
    tail = code.find(bytes.fromhex("fc31ed4889e7e8"))
    if on_kstack < 0 or tail < 0:
        return info
    call = tail + 6
    ret = start + call + 5
    if (ret + struct.unpack("<i", code[call + 1:call + 5])[0]) & MASK64 != dispatch:
        return info
    info["entry"] = {"start": start, "kstack": start + on_kstack + 9, "tf_done": start + tail,
                     "ret": ret, "kernel_rsp": cpu0, "user_rsp": cpu0 + 8}  # struct cpu's first two fields
    return info


def _entry():
    global _entry_info
    if _entry_info is None:
        _entry_info = _compute_entry_info()
    return _entry_info


def _forget_entry(_event=None):
    global _entry_info
    _entry_info = None


def _read_tf(addr):
    return dict(zip(TF_NAMES, struct.unpack("<22Q", read_mem(addr, TF_SIZE))))


def _add_regs(info, regs):
    u64t = _type("unsigned long")
    for reg, value in regs.items():
        if reg in ("eflags", "cs", "ss"):
            info.add_saved_register(reg, gdb.Value(value & 0xFFFFFFFF).cast(_type("int")))
        else:
            info.add_saved_register(reg, gdb.Value(value & MASK64).cast(u64t))


def _tf_regs(tf):
    regs = {r: tf[r] for r in GPRS + ["rip", "rsp"]}
    regs.update(eflags=tf["rflags"], cs=tf["cs"] & 0xFFFF, ss=tf["ss"] & 0xFFFF)
    return regs


if hasattr(gdb, "unwinder"):
    class TrapFrameUnwinder(gdb.unwinder.Unwinder):
        def __init__(self):
            super().__init__("mica-trapframe")

        def __call__(self, pending_frame):
            try:
                return self._unwind(pending_frame)
            except Exception:  # noqa: BLE001 - an unwinder must not throw
                return None

        def _unwind(self, pending_frame):
            pc = u64(pending_frame.read_register("rip"))
            if pc < DIRECT_MAP_BASE:
                return None
            info = _entry()
            entry = info["entry"]
            rsp = u64(pending_frame.read_register("rsp"))
            if entry and entry["start"] <= pc <= entry["ret"]:
                # In syscall_entry: the caller is the user code that ran `syscall`.
                if pc >= entry["tf_done"]:
                    tf = _read_tf(rsp)
                    regs = _tf_regs(tf)
                else:
                    regs = {r: u64(pending_frame.read_register(r)) for r in GPRS}
                    regs["rip"] = regs["rcx"]  # syscall put the return address in rcx
                    regs["eflags"] = regs["r11"]  # ... and rflags in r11
                    if pc >= entry["kstack"]:
                        regs["rsp"] = struct.unpack("<Q", read_mem(entry["user_rsp"], 8))[0]
                    else:
                        regs["rsp"] = rsp
                    regs.update(cs=0x2B, ss=0x23)
                # One frame id for the whole of syscall_entry, so that stepping through it
                # stays in one frame: the top of the kernel stack (where the trap frame
                # ends), which is outer to every kernel frame as gdb requires.
                top = struct.unpack("<Q", read_mem(entry["kernel_rsp"], 8))[0]
                unwind = pending_frame.create_unwind_info(TrapFrameId(top, entry["start"]))
                _add_regs(unwind, regs)
                return unwind
            code = read_mem(pc - 5, 5)
            if code[0] != 0xE8:  # call rel32
                return None
            target = (pc + struct.unpack("<i", code[1:])[0]) & MASK64
            if target not in info["dispatch"]:
                return None
            tf = _read_tf(rsp)
            unwind = pending_frame.create_unwind_info(TrapFrameId(rsp + TF_SIZE, pc))
            _add_regs(unwind, _tf_regs(tf))
            return unwind


# ---------------------------------------------------------------------------
# Registration (re-sourcing this file replaces everything)

def register():
    MicaPrefix()
    MicaPs()
    MicaVmas()
    MicaWalk()
    MicaPte()
    MicaFrame()
    MicaBuddy()
    MicaTrapframe()
    MicaProg()
    MicaBreak()
    MicaRet()
    gdb.pretty_printers[:] = [p for p in gdb.pretty_printers
                              if getattr(p, "name", None) != "mica"]
    gdb.pretty_printers.append(mica_lookup)
    if hasattr(gdb, "unwinder"):
        gdb.unwinder.register_unwinder(None, TrapFrameUnwinder(), replace=True)
    gdb.events.new_objfile.connect(_forget_entry)


register()
