/*
 * kernel/exec.c - execve: loading an ELF program into a fresh address space.
 *
 * exec_load() works in three steps:
 *   1. read and check the file: a "#!" script runs its interpreter instead;
 *      an ELF's header, program headers and interpreter are checked
 *      (ENOEXEC, ENOENT, ...): the caller gets these errors;
 *   2. build a new struct mm while it is the active address space (so the
 *      ordinary user-copy functions, and the fault handler behind them,
 *      fill it): one VMA per PT_LOAD backed by the file's memory object
 *      (private: a write copies the page), an anonymous VMA for the bss,
 *      the stack VMA with argc/argv/envp/auxv laid out as Linux does;
 *   3. switch the process to it and destroy the old one.
 * If step 2 runs out of memory the old address space is switched back,
 * untouched, and execve fails with ENOMEM. A segment that cannot be mapped
 * (beyond user space, filesz > memsz, ...) is found by Linux only after its
 * point of no return, where the process is killed with SIGSEGV: mica does
 * the same, so programs see the same thing on both.
 * Static ET_EXEC and static-PIE ET_DYN programs are supported; a program
 * that asks for an interpreter (PT_INTERP) gets ENOENT unless it exists.
 */
#include <arch/gdt.h>
#include <arch/x86.h>
#include <kernel/console.h>
#include <kernel/cpu.h>
#include <kernel/errno.h>
#include <kernel/file.h>
#include <kernel/proc.h>
#include <kernel/signal.h>
#include <kernel/syscall.h>
#include <kernel/timer.h>
#include <kernel/trap.h>
#include <kernel/vfs.h>
#include <lib/string.h>
#include <mm/aslr.h>
#include <mm/frame.h>
#include <mm/kmalloc.h>
#include <mm/mm.h>
#include <mm/usercopy.h>
#include <mm/vmobject.h>
#include <uapi/mount.h>
#include <uapi/signal.h>

/* ELF64 (System V gABI, x86-64 psABI) */
#define EI_NIDENT 16
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define ET_EXEC 2
#define ET_DYN 3
#define EM_X86_64 62
#define PT_LOAD 1
#define PT_INTERP 3
#define PT_PHDR 6
#define PT_GNU_STACK 0x6474e551
#define PF_X 1
#define PF_W 2
#define PF_R 4

/* auxiliary vector tags */
#define AT_NULL 0
#define AT_PHDR 3
#define AT_PHENT 4
#define AT_PHNUM 5
#define AT_PAGESZ 6
#define AT_BASE 7
#define AT_FLAGS 8
#define AT_ENTRY 9
#define AT_UID 11
#define AT_EUID 12
#define AT_GID 13
#define AT_EGID 14
#define AT_PLATFORM 15
#define AT_HWCAP 16
#define AT_CLKTCK 17
#define AT_SECURE 23
#define AT_RANDOM 25
#define AT_EXECFN 31

#define PIE_LOAD_BASE 0x555555554000ul /* where Linux puts a PIE without randomisation */
#define STACK_INITIAL_SIZE KiB(132)      /* the stack VMA at exec, before it grows */
#define ARG_MAX_BYTES KiB(2048)          /* argv + envp: a quarter of the 8 MiB stack, like Linux */
#define ARG_STRLEN_MAX KiB(128)          /* one argument (Linux's MAX_ARG_STRLEN) */
#define PHDRS_MAX_BYTES PAGE_SIZE        /* more program headers than fit a page: ENOEXEC */

struct elf64_ehdr {
    uint8_t e_ident[EI_NIDENT];
    uint16_t e_type, e_machine;
    uint32_t e_version;
    uint64_t e_entry, e_phoff, e_shoff;
    uint32_t e_flags;
    uint16_t e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx;
};

struct elf64_phdr {
    uint32_t p_type, p_flags;
    uint64_t p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align;
};

/* Everything exec needs to know about the program while building its image. */
struct exec_image {
    struct inode *inode;
    struct elf64_ehdr eh;
    struct elf64_phdr *phdrs;
    uint64_t bias;     /* added to every address: 0 for ET_EXEC */
    vaddr_t phdr_addr; /* where the program headers are in memory (AT_PHDR) */
    vaddr_t brk;       /* end of the highest segment */
    bool exec_stack;   /* PT_GNU_STACK asked for an executable stack */
};

/* ---- checking the file ------------------------------------------------------ */

static int check_header(const struct elf64_ehdr *eh)
{
    static const uint8_t magic[4] = { 0x7f, 'E', 'L', 'F' };
    if (memcmp(eh->e_ident, magic, 4) != 0 || eh->e_ident[4] != ELFCLASS64 ||
        eh->e_ident[5] != ELFDATA2LSB || eh->e_machine != EM_X86_64)
        return -ENOEXEC;
    if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN)
        return -ENOEXEC;
    if (eh->e_phentsize != sizeof(struct elf64_phdr) || eh->e_phnum == 0 ||
        eh->e_phnum * sizeof(struct elf64_phdr) > PHDRS_MAX_BYTES)
        return -ENOEXEC;
    return 0;
}

/* A PT_LOAD segment that fits the user half, the file and itself (Linux's errnos). */
static int check_segment(const struct exec_image *img, const struct elf64_phdr *ph)
{
    uint64_t vaddr = ph->p_vaddr + img->bias;
    if (ph->p_filesz > ph->p_memsz)
        return -EINVAL;
    if (vaddr < ph->p_vaddr)
        return -EINVAL; /* an ET_DYN whose load base + p_vaddr wraps */
    if (vaddr >= USER_TOP || ph->p_memsz > USER_TOP - vaddr)
        return -EINVAL;
    if ((ph->p_vaddr & (PAGE_SIZE - 1)) != (ph->p_offset & (PAGE_SIZE - 1)))
        return -EINVAL;  /* cannot be mapped page by page */
    if (vaddr < mmap_min_addr)
        return -EPERM; /* vm.mmap_min_addr */
    return 0;
}

static int read_headers(struct exec_image *img)
{
    if (inode_read(img->inode, 0, &img->eh, sizeof(img->eh)) != sizeof(img->eh))
        return -ENOEXEC;
    int rc = check_header(&img->eh);
    if (rc < 0)
        return rc;
    size_t size = img->eh.e_phnum * sizeof(struct elf64_phdr);
    img->phdrs = kmalloc(size);
    if (!img->phdrs)
        return -ENOMEM;
    if (inode_read(img->inode, img->eh.e_phoff, img->phdrs, size) != (ssize_t)size)
        return -ENOEXEC;
    img->bias = img->eh.e_type == ET_DYN ? aslr_pie_base(proc_current(), PIE_LOAD_BASE) : 0;
    return 0;
}

/*
 * Linux runs a program with PT_INTERP only if the interpreter exists; mica
 * has none to run. Linux's checks first: a size from 2 to PATH_MAX
 * (ENOEXEC), the bytes in the file (EIO), a NUL at the end (ENOEXEC).
 */
static int check_interpreter(const struct exec_image *img, const struct elf64_phdr *ph)
{
    if (ph->p_filesz < 2 || ph->p_filesz > VFS_PATH_MAX)
        return -ENOEXEC;
    char *path = kmalloc(ph->p_filesz);
    if (!path)
        return -ENOMEM;
    int rc = -EIO; /* a short read: Linux's elf_read() */
    if (inode_read(img->inode, ph->p_offset, path, ph->p_filesz) == (ssize_t)ph->p_filesz)
        rc = path[ph->p_filesz - 1] == '\0' ? 0 : -ENOEXEC;
    struct inode *interp;
    if (rc == 0 && (rc = vfs_lookup(path, &interp)) == 0) {
        inode_put(interp);
        rc = -ENOEXEC; /* dynamic linking is not supported */
    }
    kfree(path);
    return rc;
}

/* Checks every PT_INTERP before anything changes (a missing one is ENOENT, as on Linux). */
static int check_interpreters(const struct exec_image *img)
{
    for (int i = 0; i < img->eh.e_phnum; i++) {
        if (img->phdrs[i].p_type != PT_INTERP)
            continue;
        int rc = check_interpreter(img, &img->phdrs[i]);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* ---- building the new image ------------------------------------------------- */

static uint32_t segment_vma_flags(const struct elf64_phdr *ph)
{
    uint32_t flags = VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
    if (ph->p_flags & PF_R)
        flags |= VM_READ;
    if (ph->p_flags & PF_W)
        flags |= VM_WRITE;
    if (ph->p_flags & PF_X)
        flags |= VM_EXEC;
    return flags;
}

/* All of RAM, in pages: the most heuristic overcommit grants one request (there is no swap). */
static uint64_t ram_pages(void)
{
    struct frame_stats stats;
    frame_get_stats(&stats);
    return stats.total_frames;
}

/* Maps one PT_LOAD: the file part from the file's memory object, the rest anonymous. */
static int map_segment(struct mm *mm, struct exec_image *img, const struct elf64_phdr *ph)
{
    uint32_t flags = segment_vma_flags(ph);
    vaddr_t start = ph->p_vaddr + img->bias;
    vaddr_t file_end = ALIGN_UP(start + ph->p_filesz, PAGE_SIZE);
    vaddr_t mem_end = ALIGN_UP(start + ph->p_memsz, PAGE_SIZE);
    vaddr_t page_start = ALIGN_DOWN(start, PAGE_SIZE);
    int err = 0;
    if (ph->p_filesz > 0) {
        struct vma *vma = mm_add_vma(mm, page_start, file_end, flags, VMA_KIND_FILE, &err);
        if (!vma)
            return err;
        vma->object = inode_object(img->inode);
        vmobject_get(vma->object);
        vma->offset = ALIGN_DOWN(ph->p_offset, PAGE_SIZE);
        /* The rest of the last file page belongs to the bss: it must read zero. */
        if (ph->p_memsz > ph->p_filesz && (flags & VM_WRITE) && start + ph->p_filesz < file_end) {
            vaddr_t tail = start + ph->p_filesz;
            /* beyond the end of the file this faults (SIGBUS later); Linux ignores it too */
            clear_user(tail, MIN(file_end, start + ph->p_memsz) - tail);
        }
    } else {
        file_end = page_start;
    }
    if (mem_end > file_end && (mem_end - file_end) / PAGE_SIZE > ram_pages())
        return -EINVAL; /* Linux's overcommit refuses it after the point of no return: SIGSEGV */
    if (mem_end > file_end && !mm_add_vma(mm, file_end, mem_end, flags, VMA_KIND_ANON, &err))
        return err;
    img->brk = MAX(img->brk, mem_end);
    return 0;
}

/* Goes through the program headers: checks each, maps the PT_LOADs. */
static int map_program(struct mm *mm, struct exec_image *img)
{
    bool any_load = false;
    for (int i = 0; i < img->eh.e_phnum; i++) {
        const struct elf64_phdr *ph = &img->phdrs[i];
        int rc = 0;
        if (ph->p_type == PT_GNU_STACK)
            img->exec_stack = ph->p_flags & PF_X;
        else if (ph->p_type == PT_PHDR)
            img->phdr_addr = ph->p_vaddr + img->bias;
        else if (ph->p_type == PT_LOAD && (rc = check_segment(img, ph)) == 0) {
            rc = map_segment(mm, img, ph);
            if (!any_load && !img->phdr_addr && img->eh.e_phoff >= ph->p_offset &&
                img->eh.e_phoff < ph->p_offset + ph->p_filesz)
                img->phdr_addr = ph->p_vaddr + img->bias + (img->eh.e_phoff - ph->p_offset);
            any_load = true;
        }
        if (rc < 0)
            return rc;
    }
    (void)any_load; /* none at all: the program faults at its entry point, as on Linux */
    return 0;
}

/* ---- the initial stack -------------------------------------------------------- */

struct stack_builder {
    vaddr_t sp;  /* grows down */
    int error;
};

/* Copies len bytes onto the user stack; returns their user address. */
static vaddr_t stack_push(struct stack_builder *sb, const void *data, size_t len)
{
    sb->sp -= len;
    if (copy_to_user(sb->sp, data, len) < 0)
        sb->error = -EFAULT;
    return sb->sp;
}

static vaddr_t stack_push_string(struct stack_builder *sb, const char *s)
{
    return stack_push(sb, s, strlen(s) + 1);
}

/* 16 bytes of randomness for AT_RANDOM (stack protector canaries): from the TSC. */
static void random_bytes(uint8_t out[16])
{
    uint64_t x = rdtsc() ^ (timer_ticks() << 32) ^ 0x9e3779b97f4a7c15ul;
    for (int i = 0; i < 16; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        out[i] = (uint8_t)x;
    }
}

struct auxv_entry {
    uint64_t type, value;
};

/*
 * Lays out, from the top down: the strings (execfn, envp, argv), 16 random
 * bytes and "x86_64", then -- 16-byte aligned at argc -- argc, argv[],
 * NULL, envp[], NULL, auxv[], AT_NULL. Returns the initial rsp.
 */
static vaddr_t build_stack(struct exec_image *img, const char *path, const char *const argv[],
                           int argc, const char *const envp[], int envc, int *err)
{
    struct stack_builder sb = { mm_current()->stack_top, 0 };
    vaddr_t execfn = stack_push_string(&sb, path);
    vaddr_t *env_ptrs = kmalloc((size_t)(envc + argc + 2) * sizeof(vaddr_t));
    if (!env_ptrs) {
        *err = -ENOMEM;
        return 0;
    }
    vaddr_t *arg_ptrs = env_ptrs + envc + 1;
    for (int i = envc - 1; i >= 0; i--)
        env_ptrs[i] = stack_push_string(&sb, envp[i]);
    for (int i = argc - 1; i >= 0; i--)
        arg_ptrs[i] = stack_push_string(&sb, argv[i]);
    env_ptrs[envc] = arg_ptrs[argc] = 0;
    uint8_t rnd[16];
    random_bytes(rnd);
    vaddr_t random = stack_push(&sb, rnd, sizeof(rnd));
    vaddr_t platform = stack_push_string(&sb, "x86_64");
    struct auxv_entry auxv[] = {
        { AT_PHDR, img->phdr_addr }, { AT_PHENT, sizeof(struct elf64_phdr) },
        { AT_PHNUM, img->eh.e_phnum }, { AT_PAGESZ, PAGE_SIZE }, { AT_BASE, 0 },
        { AT_FLAGS, 0 }, { AT_ENTRY, img->eh.e_entry + img->bias }, { AT_UID, 0 },
        { AT_EUID, 0 }, { AT_GID, 0 }, { AT_EGID, 0 }, { AT_SECURE, 0 },
        { AT_HWCAP, cpuid(1, 0).edx }, { AT_CLKTCK, TIMER_HZ }, { AT_PLATFORM, platform },
        { AT_RANDOM, random }, { AT_EXECFN, execfn }, { AT_NULL, 0 },
    };
    /* align so that rsp (pointing at argc) ends up 16-byte aligned */
    size_t words = 1 + (size_t)argc + 1 + (size_t)envc + 1 + 2 * ARRAY_SIZE(auxv);
    sb.sp = ALIGN_DOWN(sb.sp - words * 8, 16) + words * 8;
    stack_push(&sb, auxv, sizeof(auxv));
    stack_push(&sb, env_ptrs, (size_t)(envc + 1) * sizeof(vaddr_t));
    stack_push(&sb, arg_ptrs, (size_t)(argc + 1) * sizeof(vaddr_t));
    uint64_t argc64 = (uint64_t)argc;
    stack_push(&sb, &argc64, sizeof(argc64));
    kfree(env_ptrs);
    *err = sb.error;
    return sb.sp;
}

static int map_stack(struct mm *mm, const struct exec_image *img, struct proc *p)
{
    int err = 0;
    uint32_t flags = VM_READ | VM_WRITE | VM_GROWSDOWN | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
    if (img->exec_stack)
        flags |= VM_EXEC;
    mm->stack_limit = p->rlimits[RLIMIT_STACK].cur;
    if (!mm_add_vma(mm, mm->stack_top - STACK_INITIAL_SIZE, mm->stack_top, flags,
                    VMA_KIND_STACK, &err))
        return err;
    return 0;
}

/* ---- putting it together ------------------------------------------------------ */

static int check_arg_sizes(const char *const argv[], int argc, const char *const envp[], int envc)
{
    size_t total = 0;
    for (int i = 0; i < argc + envc; i++) {
        const char *s = i < argc ? argv[i] : envp[i - argc];
        size_t len = strlen(s) + 1;
        if (len > ARG_STRLEN_MAX)
            return -E2BIG;
        total += len + sizeof(vaddr_t);
    }
    return total > ARG_MAX_BYTES ? -E2BIG : 0;
}

/* Builds the new image in mm (which is active). Returns the initial rsp or 0 with *err. */
static vaddr_t build_image(struct mm *mm, struct exec_image *img, struct proc *p, const char *path,
                           const char *const argv[], int argc, const char *const envp[],
                           int envc, int *err)
{
    aslr_place_stack_and_mmap(mm, p);
    if ((*err = map_program(mm, img)) < 0 || (*err = map_stack(mm, img, p)) < 0)
        return 0;
    mm->brk_start = mm->brk = aslr_brk(p, img->brk);
    return build_stack(img, path, argv, argc, envp, envc, err);
}

static int open_program(const char *path, struct inode **out)
{
    int rc = vfs_lookup(path, out);
    if (rc < 0)
        return rc;
    if (!inode_is_regular(*out) || !inode_is_executable(*out) ||
        (inode_sb(*out)->flags & MS_NOEXEC)) { /* a noexec mount: EACCES, as Linux */
        inode_put(*out);
        return -EACCES;
    }
    return 0;
}

/* Registers for the first instruction of the new program. */
static void start_registers(struct trapframe *tf, vaddr_t entry, vaddr_t rsp)
{
    memset(tf, 0, sizeof(*tf));
    tf->rip = entry;
    tf->rsp = rsp;
    tf->cs = GDT_USER_CODE | SEL_RPL_USER;
    tf->ss = GDT_USER_DATA | SEL_RPL_USER;
    tf->rflags = RFLAGS_IF | 0x2; /* bit 1 is always set */
    tf->vector = T_SIGRETURN;     /* not restartable */
}

/* The point of no return: p runs the new image (already p->mm) from now on. */
static void commit_image(struct proc *p, struct mm *old, struct exec_image *img, vaddr_t rsp,
                         const char *const argv[], int argc)
{
    if (old)
        mm_destroy(old);
    start_registers(p->tf, img->eh.e_entry + img->bias, rsp);
    p->fs_base = 0;
    wrmsr(MSR_FS_BASE, 0);
    fpu_init_state(p->fpu_state);
    fpu_restore(p->fpu_state);
    proc_set_cmdline(p, argv, argc);
    signal_reset_on_exec(p);
    p->did_exec = true;
    if (p->files)
        files_close_on_exec(p->files);
}

/* After the point of no return a broken program is not an error for the caller: it dies. */
static bool fatal_after_commit(int err)
{
    return err != -ENOMEM && err != -EFAULT && err != -E2BIG;
}

static int exec_load_depth(struct proc *p, const char *path, const char *const argv[], int argc,
                           const char *const envp[], int envc, int depth);

#define SCRIPT_HEADER_MAX 256 /* Linux's BINPRM_BUF_SIZE */
#define SCRIPT_DEPTH_MAX 4    /* interpreters of interpreters: then ELOOP */

/*
 * Linux's rule for a first line that does not end within the first
 * SCRIPT_HEADER_MAX bytes: the interpreter's name must end (a space, a tab
 * or a NUL) before them, or it may have been cut: ENOEXEC.
 */
static bool script_name_truncated(const char *line, ssize_t n)
{
    ssize_t i = 2;
    while (i < n && (line[i] == ' ' || line[i] == '\t'))
        i++;
    if (i == n)
        return true; /* nothing but blanks */
    while (i < n && line[i] != ' ' && line[i] != '\t' && line[i] != '\0')
        i++;
    return i == n && n == SCRIPT_HEADER_MAX;
}

/*
 * A file starting with "#!" names its interpreter (and one optional
 * argument): run that instead, with argv = interp [arg] path argv[1..].
 * Returns -ENOEXEC when the file is not a script.
 */
static int exec_script(struct proc *p, struct inode *ino, const char *path,
                       const char *const argv[], int argc, const char *const envp[], int envc,
                       int depth)
{
    char line[SCRIPT_HEADER_MAX + 1];
    ssize_t n = inode_read(ino, 0, line, SCRIPT_HEADER_MAX);
    if (n < 2 || line[0] != '#' || line[1] != '!')
        return -ENOEXEC;
    if (depth >= SCRIPT_DEPTH_MAX)
        return -ELOOP;
    line[n] = '\0';
    char *end = strchr(line, '\n'); /* a NUL before it ends the line for Linux too */
    if (end)
        *end = '\0';
    else if (script_name_truncated(line, n))
        return -ENOEXEC;
    char *interp = line + 2;
    while (*interp == ' ' || *interp == '\t')
        interp++;
    char *arg = interp;
    while (*arg && *arg != ' ' && *arg != '\t')
        arg++;
    if (*arg)
        *arg++ = '\0';
    while (*arg == ' ' || *arg == '\t')
        arg++;
    for (char *t = arg + strlen(arg); t > arg && (t[-1] == ' ' || t[-1] == '\t');)
        *--t = '\0';
    if (!*interp)
        return -ENOEXEC;
    const char **args = kmalloc((size_t)(argc + 3) * sizeof(char *));
    if (!args)
        return -ENOMEM;
    int k = 0;
    args[k++] = interp;
    if (*arg)
        args[k++] = arg;
    args[k++] = path;
    for (int i = 1; i < argc; i++)
        args[k++] = argv[i];
    args[k] = NULL;
    int err = exec_load_depth(p, interp, args, k, envp, envc, depth + 1);
    kfree(args);
    return err;
}

/* Builds and installs the image of an ELF file whose headers passed the checks. */
static int exec_elf(struct proc *p, struct exec_image *img, const char *path,
                    const char *const argv[], int argc, const char *const envp[], int envc)
{
    struct mm *mm = mm_create();
    if (!mm)
        return -ENOMEM;
    /*
     * p->mm is the new address space while it is built: reading the
     * program may sleep for the disk, and the scheduler gives p back the
     * address space p->mm names.
     */
    struct mm *old = p->mm;
    p->mm = mm;
    mm_switch(mm);
    int err = 0;
    vaddr_t rsp = build_image(mm, img, p, path, argv, argc, envp, envc, &err);
    if (err < 0 && !fatal_after_commit(err)) { /* out of memory: the caller goes on */
        p->mm = old;
        mm_switch(old);
        mm_destroy(mm);
        return err;
    }
    commit_image(p, old, img, rsp, argv, argc);
    if (err < 0) /* like Linux after its point of no return: the process dies */
        signal_send_fault(SIGSEGV, SI_KERNEL, 0);
    return 0;
}

static int exec_load_depth(struct proc *p, const char *path, const char *const argv[], int argc,
                           const char *const envp[], int envc, int depth)
{
    struct exec_image img = { 0 };
    int err = check_arg_sizes(argv, argc, envp, envc);
    if (err < 0 || (err = open_program(path, &img.inode)) < 0)
        return err;
    err = exec_script(p, img.inode, path, argv, argc, envp, envc, depth);
    if (err == -ENOEXEC) {
        err = read_headers(&img);
        if (err == 0)
            err = check_interpreters(&img);
        if (err == 0)
            err = exec_elf(p, &img, path, argv, argc, envp, envc);
    }
    kfree(img.phdrs);
    inode_put(img.inode);
    return err;
}

int exec_load(struct proc *p, const char *path, const char *const argv[], int argc,
              const char *const envp[], int envc)
{
    return exec_load_depth(p, path, argv, argc, envp, envc, 0);
}

/* ---- execve ------------------------------------------------------------------- */

struct user_strings {
    char **strings;
    int count;
};

static void user_strings_free(struct user_strings *us)
{
    for (int i = 0; i < us->count; i++)
        kfree(us->strings[i]);
    kfree(us->strings);
}

/*
 * Copies a NULL-terminated array of user strings into the kernel. *used
 * counts the bytes argv and envp take on the new stack (each string, its
 * NUL and its pointer): past ARG_MAX_BYTES it is -E2BIG at once, as Linux,
 * rather than -ENOMEM after copying millions of pointers.
 */
static int user_strings_copy(struct user_strings *us, vaddr_t uarray, size_t *used)
{
    int capacity = 16;
    us->count = 0;
    us->strings = kmalloc((size_t)capacity * sizeof(char *));
    if (!us->strings)
        return -ENOMEM;
    for (;; us->count++) {
        vaddr_t uptr = 0;
        if (uarray && copy_from_user(&uptr, uarray + (vaddr_t)us->count * 8, 8) < 0)
            return -EFAULT;
        if (!uptr)
            return 0;
        *used += sizeof(vaddr_t);
        if (*used > ARG_MAX_BYTES)
            return -E2BIG;
        if (us->count + 1 >= capacity) {
            char **grown = kmalloc((size_t)capacity * 2 * sizeof(char *));
            if (!grown)
                return -ENOMEM;
            memcpy(grown, us->strings, (size_t)us->count * sizeof(char *));
            kfree(us->strings);
            us->strings = grown;
            capacity *= 2;
        }
        char buf[256];
        long len = strncpy_from_user(buf, uptr, sizeof(buf));
        char *s;
        if (len == -ENAMETOOLONG) { /* long: measure, then copy in one piece */
            len = 0;
            while (len < (long)ARG_STRLEN_MAX && copy_from_user(buf, uptr + (vaddr_t)len, 1) == 0 && buf[0])
                len++;
            if (len >= (long)ARG_STRLEN_MAX)
                return -E2BIG;
            s = kmalloc((size_t)len + 1);
            if (!s || copy_from_user(s, uptr, (size_t)len + 1) < 0) {
                kfree(s);
                return s ? -EFAULT : -ENOMEM;
            }
        } else if (len < 0) {
            return (int)len;
        } else if ((s = kmalloc((size_t)len + 1)) != NULL) {
            memcpy(s, buf, (size_t)len + 1);
        } else {
            return -ENOMEM;
        }
        us->strings[us->count] = s;
        *used += (size_t)len + 1;
        if (*used > ARG_MAX_BYTES) {
            us->count++; /* freed with the others */
            return -E2BIG;
        }
    }
}

SYSCALL(SYS_execve, execve)
{
    char path[4096];
    long len = strncpy_from_user(path, a0, sizeof(path));
    if (len < 0)
        return len;
    struct user_strings args = { 0 }, env = { 0 };
    size_t used = 0;
    int err = user_strings_copy(&args, a1, &used);
    if (err == 0)
        err = user_strings_copy(&env, a2, &used);
    if (err == 0)
        err = exec_load(proc_current(), path, (const char *const *)args.strings, args.count,
                        (const char *const *)env.strings, env.count);
    user_strings_free(&args);
    user_strings_free(&env);
    return err; /* on success the registers were replaced: rax is set to 0 below */
}
