/*
 * elf_fuzz - the ELF loader against corrupted programs: each must end in a
 * clean error (execve fails with an errno, or the new program is killed by
 * a signal, or it runs), never a kernel panic, and leave no memory behind.
 *
 * The test reads its own executable, writes mutants of it to /tmp and
 * execve's each in a child with the argument "mutant" (a mutant that loads
 * fine just exits 42). The mutants, deterministic:
 *   - truncated at 0, 1, 16, 63, 64, the program headers' middle and end,
 *     the middle of each segment;
 *   - crafted: entry at 0, in the kernel, non-canonical, in no segment;
 *     e_phnum 0 / huge; e_phoff past the end / wrapping; e_phentsize wrong;
 *     a segment with p_memsz 64 TiB, p_filesz > p_memsz, p_offset past the
 *     end, p_vaddr in the kernel, non-canonical, 0, wrapping, misaligned
 *     with its offset, two segments overlapping; an interpreter that is
 *     missing, past the end of the file, not NUL-terminated, huge, the
 *     program itself; ET_DYN with a vaddr that wraps; ELF class/machine/
 *     type wrong;
 *   - then random byte flips in the first 4 KiB (a fixed seed).
 * After each: the outcome must be one of those above; on mica the
 * invariant checker (SYS_mica MICA_MM_CHECK) must pass. The harness
 * checks MemFree around the whole program.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uapi/mica.h>

#include "utest.h"

#define SELF "/bin/tests/elf_fuzz"
#define MUTANT "/tmp/elf_fuzz.mutant"
#define MAX_IMAGE (1 << 20)
#define RANDOM_MUTANTS 120

struct ehdr {
    unsigned char ident[16];
    uint16_t type, machine;
    uint32_t version;
    uint64_t entry, phoff, shoff;
    uint32_t flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct phdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

#ifndef ELIBBAD
#define ELIBBAD 80
#endif
#ifndef ETXTBSY
#define ETXTBSY 26
#endif
#define PT_LOAD 1
#define PT_INTERP 3

static unsigned char *image, *mutant;
static long image_len;
static int is_mica, mutants, ran, refused, killed;
static uint64_t rng = 0x5eed;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static struct ehdr *eh(void)
{
    return (struct ehdr *)mutant;
}

static struct phdr *ph(int i)
{
    return (struct phdr *)(mutant + eh()->phoff) + i;
}

/* The index of the first program header of the given type, or -1. */
static int find_ph(uint32_t type)
{
    struct ehdr *e = (struct ehdr *)image;
    for (int i = 0; i < e->phnum; i++)
        if (((struct phdr *)(image + e->phoff))[i].type == type)
            return i;
    return -1;
}

static void reset(void)
{
    memcpy(mutant, image, image_len);
}

/* Writes len bytes of the mutant to MUTANT, runs it, checks the outcome. */
static void try_mutant(const char *what, long len)
{
    int fd = open(MUTANT, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    if (!CHECK(fd >= 0, "open %s: %s", MUTANT, strerror(errno)))
        return;
    CHECK(write(fd, mutant, len) == len, "write %s", MUTANT);
    close(fd);
    mutants++;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        char *argv[] = { "mutant", "mutant", NULL }, *envp[] = { NULL };
        execve(MUTANT, argv, envp);
        _exit(100 + (errno & 0x7f) % 100); /* execve failed: 100 + errno */
    }
    int status = 0;
    if (!CHECK(pid > 0 && waitpid(pid, &status, 0) == pid, "fork/wait for %s", what))
        return;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 42) {
        ran++;
    } else if (WIFEXITED(status) && WEXITSTATUS(status) >= 100) {
        int err = WEXITSTATUS(status) - 100;
        refused++;
        CHECK(err == ENOEXEC || err == EINVAL || err == ENOMEM || err == EFAULT || err == EIO ||
              err == EACCES || err == ENOENT || err == E2BIG || err == EPERM || err == ELIBBAD ||
              err == ETXTBSY, "%s: execve failed with errno %d (%s)", what, err, strerror(err));
    } else if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        killed++;
        CHECK(sig == SIGSEGV || sig == SIGKILL || sig == SIGBUS || sig == SIGILL || sig == SIGFPE ||
              sig == SIGTRAP, "%s: killed by signal %d", what, sig);
    } else {
        CHECK(status == -1, "%s: status %#x", what, status); /* never: it failed */
    }
    if (is_mica)
        CHECK(syscall1(SYS_mica, MICA_MM_CHECK) == 0, "%s: the invariant checker failed", what);
}

static void truncations(void)
{
    struct ehdr *e = (struct ehdr *)image;
    long cuts[] = { 0, 1, 16, 63, 64, (long)e->phoff + e->phentsize / 2,
                    (long)(e->phoff + e->phnum * e->phentsize) - 1 };
    char what[64];
    for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
        reset();
        snprintf(what, sizeof(what), "truncated at %ld", cuts[i]);
        try_mutant(what, cuts[i]);
    }
    for (int i = 0; i < e->phnum; i++) {
        struct phdr *p = (struct phdr *)(image + e->phoff) + i;
        if (p->type != PT_LOAD || p->filesz < 2)
            continue;
        reset();
        snprintf(what, sizeof(what), "truncated in segment %d", i);
        try_mutant(what, (long)(p->offset + p->filesz / 2));
    }
}

/* One header field set to a value: a crafted mutant. */
static void crafted_header(void)
{
    static const uint64_t entries[] = { 0, 0xffffffff80000000ull, 0x0000800000000000ull,
                                        0x7ffffffff000ull, 1 };
    for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++) {
        reset();
        eh()->entry = entries[i];
        try_mutant("entry point anywhere", image_len);
    }
    reset(); eh()->phnum = 0; try_mutant("e_phnum 0", image_len);
    reset(); eh()->phnum = 0xffff; try_mutant("e_phnum 65535", image_len);
    reset(); eh()->phoff = (uint64_t)image_len + 4096; try_mutant("e_phoff past the end", image_len);
    reset(); eh()->phoff = ~0ull - 8; try_mutant("e_phoff wrapping", image_len);
    reset(); eh()->phentsize = 32; try_mutant("e_phentsize 32", image_len);
    reset(); eh()->ident[4] = 1; try_mutant("32-bit class", image_len);
    reset(); eh()->ident[5] = 2; try_mutant("big-endian", image_len);
    reset(); eh()->machine = 3; try_mutant("machine i386", image_len);
    reset(); eh()->type = 1; try_mutant("type ET_REL", image_len);
    reset(); eh()->type = 4; try_mutant("type ET_CORE", image_len);
    reset(); eh()->type = 3; try_mutant("ET_DYN from an ET_EXEC", image_len);
    reset(); mutant[0] = 0; try_mutant("bad magic", image_len);
}

static void crafted_segment(int i, const char *what, void (*change)(struct phdr *p))
{
    reset();
    change(ph(i));
    try_mutant(what, image_len);
}

static void memsz_huge(struct phdr *p) { p->memsz = 1ull << 46; }
static void memsz_wraps(struct phdr *p) { p->memsz = ~0ull - p->vaddr + 4096; }
static void filesz_big(struct phdr *p) { p->filesz = p->memsz + 4096; }
static void offset_past_end(struct phdr *p) { p->offset = (uint64_t)image_len * 4 & ~4095ull; p->vaddr = (p->vaddr & ~4095ull); }
static void offset_huge(struct phdr *p) { p->offset = 1ull << 62; p->vaddr = 0x400000; }
static void vaddr_kernel(struct phdr *p) { p->vaddr = 0xffffffff80000000ull + (p->offset & 4095); }
static void vaddr_noncanon(struct phdr *p) { p->vaddr = 0x0000800000000000ull + (p->offset & 4095); }
static void vaddr_zero(struct phdr *p) { p->vaddr = p->offset & 4095; }
static void vaddr_top(struct phdr *p) { p->vaddr = 0x7ffffffff000ull + (p->offset & 4095); }
static void vaddr_misaligned(struct phdr *p) { p->vaddr += 1; }
static void align_odd(struct phdr *p) { p->align = 3; }

static void crafted_segments(void)
{
    struct ehdr *e = (struct ehdr *)image;
    for (int i = 0; i < e->phnum; i++) {
        if (((struct phdr *)(image + e->phoff))[i].type != PT_LOAD)
            continue;
        crafted_segment(i, "p_memsz 64 TiB", memsz_huge);
        crafted_segment(i, "p_memsz wraps", memsz_wraps);
        crafted_segment(i, "p_filesz > p_memsz", filesz_big);
        crafted_segment(i, "p_offset past the end", offset_past_end);
        crafted_segment(i, "p_offset 2^62", offset_huge);
        crafted_segment(i, "p_vaddr in the kernel", vaddr_kernel);
        crafted_segment(i, "p_vaddr non-canonical", vaddr_noncanon);
        crafted_segment(i, "p_vaddr 0", vaddr_zero);
        crafted_segment(i, "p_vaddr at the top", vaddr_top);
        crafted_segment(i, "p_vaddr misaligned", vaddr_misaligned);
        crafted_segment(i, "p_align 3", align_odd);
    }
    /* two PT_LOADs on top of each other */
    int first = find_ph(PT_LOAD);
    for (int i = first + 1; first >= 0 && i < e->phnum; i++) {
        if (((struct phdr *)(image + e->phoff))[i].type != PT_LOAD)
            continue;
        reset();
        ph(i)->vaddr = ph(first)->vaddr + (ph(i)->offset & 4095) - (ph(first)->offset & 4095);
        try_mutant("overlapping segments", image_len);
        reset();
        eh()->type = 3; /* ET_DYN: the load bias is added to a vaddr that wraps */
        ph(i)->vaddr = ~0ull - 4095 + (ph(i)->offset & 4095);
        try_mutant("ET_DYN with a wrapping vaddr", image_len);
    }
}

/* Turns the first non-LOAD program header into PT_INTERP pointing at text in the file. */
static void interp_case(const char *what, uint64_t offset, uint64_t size, const char *text)
{
    struct ehdr *e = (struct ehdr *)image;
    reset();
    int i = 0;
    while (i < e->phnum && ph(i)->type == PT_LOAD)
        i++;
    if (i == e->phnum)
        return;
    if (text)
        memcpy(mutant + offset, text, strlen(text) + 1);
    ph(i)->type = PT_INTERP;
    ph(i)->offset = offset;
    ph(i)->filesz = size;
    try_mutant(what, image_len);
}

static void crafted_interp(void)
{
    uint64_t spot = (uint64_t)image_len - 64; /* the tail of the file: overwritten, harmless */
    interp_case("interpreter missing", spot, 20, "/nonexistent/ld.so");
    interp_case("interpreter is the program", spot, sizeof(SELF), SELF);
    interp_case("interpreter is a directory", spot, 5, "/tmp");
    interp_case("interpreter not NUL-terminated", spot, 4, "/tmpXXXX");
    interp_case("interpreter past the end", (uint64_t)image_len + 4096, 16, NULL);
    interp_case("interpreter huge", spot, 1ull << 40, "/nonexistent");
    interp_case("interpreter empty", spot, 0, "");
}

static void random_flips(void)
{
    long span = image_len < 4096 ? image_len : 4096;
    for (int m = 0; m < RANDOM_MUTANTS; m++) {
        reset();
        int flips = 1 + (int)(rnd() % 8);
        for (int f = 0; f < flips; f++)
            mutant[rnd() % (uint64_t)span] ^= (unsigned char)(1 + rnd() % 255);
        try_mutant("random flips", image_len);
    }
}

static int load_self(void)
{
    int fd = open(SELF, O_RDONLY);
    if (fd < 0)
        return -1;
    image = malloc(MAX_IMAGE);
    mutant = malloc(MAX_IMAGE);
    image_len = read(fd, image, MAX_IMAGE);
    close(fd);
    return image_len > 64 && image_len < MAX_IMAGE ? 0 : -1;
}

int main(int argc, char **argv)
{
    struct utsname u;

    if (argc >= 2 && strcmp(argv[1], "mutant") == 0)
        return 42; /* a mutant the loader took */
    is_mica = uname(&u) == 0 && strcmp(u.sysname, "mica") == 0;
    if (load_self() < 0) {
        printf("  %s not readable: skipped (run from mica's /bin/tests)\n", SELF);
        return utest_result();
    }
    truncations();
    crafted_header();
    crafted_segments();
    crafted_interp();
    random_flips();
    unlink(MUTANT);
    free(image);
    free(mutant);
    printf("  %d mutants: %d ran, %d refused by execve, %d killed by a signal\n", mutants, ran,
           refused, killed);
    return utest_result();
}
