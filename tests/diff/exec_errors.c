/*
 * exec_errors - execve of malformed programs and bad arguments. Writes small
 * hand-made ELF files (layouts from <elf.h>) into a fresh directory
 * /tmp/mica-diff-exec-XXXXXX and execve's each one in a child process. The
 * child prints the errno's name and that it is still alive; if the execve
 * went through instead, the parent prints how the new program ended (every
 * ELF here carries a stub "exit(42)" at its entry point, so a program that
 * does run ends the same way everywhere). The first case is a well-formed
 * ELF, to show the stub itself works.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "errname.h"

#define LOAD_ADDR 0x400000ul
#define STUB_EXIT_CODE 42

/* mov $60, %eax; mov $42, %edi; syscall   (exit(42)) */
static const unsigned char exit_stub[] = {
    0xb8, 0x3c, 0x00, 0x00, 0x00, 0xbf, STUB_EXIT_CODE, 0x00, 0x00, 0x00, 0x0f, 0x05,
};

/* An ELF image under construction: header, one program header, the stub. */
struct image {
    Elf64_Ehdr eh;
    Elf64_Phdr ph;
    unsigned char code[sizeof(exit_stub)];
};

#define CODE_OFFSET offsetof(struct image, code)

/* A well-formed static x86-64 executable: one PT_LOAD (r-x) covering the whole file. */
static struct image good_image(void)
{
    struct image im;

    memset(&im, 0, sizeof(im));
    memcpy(im.eh.e_ident, ELFMAG, SELFMAG);
    im.eh.e_ident[EI_CLASS] = ELFCLASS64;
    im.eh.e_ident[EI_DATA] = ELFDATA2LSB;
    im.eh.e_ident[EI_VERSION] = EV_CURRENT;
    im.eh.e_ident[EI_OSABI] = ELFOSABI_SYSV;
    im.eh.e_type = ET_EXEC;
    im.eh.e_machine = EM_X86_64;
    im.eh.e_version = EV_CURRENT;
    im.eh.e_entry = LOAD_ADDR + CODE_OFFSET;
    im.eh.e_phoff = offsetof(struct image, ph);
    im.eh.e_ehsize = sizeof(Elf64_Ehdr);
    im.eh.e_phentsize = sizeof(Elf64_Phdr);
    im.eh.e_phnum = 1;
    im.ph.p_type = PT_LOAD;
    im.ph.p_flags = PF_R | PF_X;
    im.ph.p_offset = 0;
    im.ph.p_vaddr = LOAD_ADDR;
    im.ph.p_paddr = LOAD_ADDR;
    im.ph.p_filesz = sizeof(im);
    im.ph.p_memsz = sizeof(im);
    im.ph.p_align = 0x1000;
    memcpy(im.code, exit_stub, sizeof(exit_stub));
    return im;
}

static char dir[] = "/tmp/mica-diff-exec-XXXXXX";

/* Writes len bytes of data to dir/name with mode; returns the path (static buffer per call site). */
static const char *put_file(const char *name, const void *data, size_t len, mode_t mode)
{
    static char paths[32][128];
    static int next;
    char *path = paths[next++ % 32];
    int fd;

    snprintf(path, sizeof(paths[0]), "%s/%s", dir, name);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0 || (len && write(fd, data, len) != (ssize_t)len))
        printf("cannot write %s: %s\n", name, errno_name(errno));
    if (fd >= 0)
        close(fd);
    chmod(path, mode); /* not reduced by the umask */
    return path;
}

static const char *put_image(const char *name, const struct image *im)
{
    return put_file(name, im, sizeof(*im), 0755);
}

/*
 * Runs execve(path, argv, envp) in a child. The child prints the error; the
 * parent prints how the child ended when that was not the child's own "exit 0".
 */
static void try_exec(const char *what, const char *path, char *const *argv, char *const *envp)
{
    pid_t pid;
    int status;

    fflush(NULL);
    pid = fork();
    if (pid == 0) {
        long ret = syscall(SYS_execve, path, argv, envp);
        printf("%s: execve -> %ld %s, still alive: yes\n", what, ret, errno_name(errno));
        fflush(stdout);
        _exit(0);
    }
    if (waitpid(pid, &status, 0) != pid) {
        printf("%s: waitpid: %s\n", what, errno_name(errno));
        return;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return;
    if (WIFEXITED(status))
        printf("%s: execve went through; the program exited %d\n", what, WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        printf("%s: execve went through (or failed too late); killed by signal %d\n", what,
               WTERMSIG(status));
}

/* A bad pointer the compiler cannot see through (it would warn about the constants). */
static void *bad_ptr(unsigned long value)
{
    volatile unsigned long v = value;
    return (void *)v;
}

static char *plain_argv[] = { "prog", NULL };
static char *plain_envp[] = { "A=1", NULL };

static void run(const char *what, const char *path)
{
    try_exec(what, path, plain_argv, plain_envp);
}

/* An image with a second program header: PT_INTERP naming bytes at p_offset. */
struct image2 {
    Elf64_Ehdr eh;
    Elf64_Phdr ph[2];
    unsigned char code[sizeof(exit_stub)];
};

static void put_interp_image(const char *what, const char *name, uint64_t offset, uint64_t size)
{
    struct image base = good_image();
    struct image2 im;
    memset(&im, 0, sizeof(im));
    im.eh = base.eh;
    im.eh.e_phnum = 2;
    im.eh.e_entry = LOAD_ADDR + offsetof(struct image2, code);
    im.ph[0] = base.ph;
    im.ph[0].p_filesz = im.ph[0].p_memsz = sizeof(im);
    im.ph[1].p_type = PT_INTERP;
    im.ph[1].p_flags = PF_R;
    im.ph[1].p_offset = offset;
    im.ph[1].p_filesz = im.ph[1].p_memsz = size;
    memcpy(im.code, exit_stub, sizeof(exit_stub));
    run(what, put_file(name, &im, sizeof(im), 0755));
}

/* Programs at the edges of what Linux accepts (issue 20). */
static void edge_elves(void)
{
    struct image im = good_image();
    im.ph.p_flags = PF_R | PF_W | PF_X;
    im.ph.p_memsz = 1ul << 46; /* 64 TiB of bss */
    run("p_memsz of 64 TiB", put_image("memsz64t", &im));
    im = good_image();
    im.eh.e_type = ET_DYN;
    im.ph.p_vaddr = 0xfffffffffff00000ul;
    im.eh.e_entry = im.ph.p_vaddr + CODE_OFFSET;
    run("ET_DYN whose load base + p_vaddr wraps", put_image("dynwrap", &im));
    put_interp_image("PT_INTERP beyond the end of the file", "interpeof", 0x100000, 16);
    put_interp_image("PT_INTERP of 1 byte", "interp1", offsetof(struct image2, code), 1);
    static char longline[300];
    memset(longline, 'x', sizeof(longline));
    memcpy(longline, "#!/", 3);
    longline[sizeof(longline) - 1] = '\n';
    run("#! line of 300 bytes", put_file("longshebang", longline, sizeof(longline), 0755));
    longline[sizeof(longline) - 1] = 'x';
    run("#! line of 300 bytes, no newline", put_file("longshebang2", longline, sizeof(longline), 0755));
}

static void malformed_elves(void)
{
    struct image im;

    im = good_image();
    run("well-formed ELF (control)", put_image("good", &im));

    im = good_image();
    im.eh.e_ident[EI_MAG3] = 'G';
    run("bad magic", put_image("badmagic", &im));

    static const char text[] = "this is not a program\n";
    run("a text file", put_file("text", text, sizeof(text) - 1, 0755));

    /* a plausible 32-bit header: i386, but no program headers (so it can never run) */
    Elf32_Ehdr e32;
    memset(&e32, 0, sizeof(e32));
    memcpy(e32.e_ident, ELFMAG, SELFMAG);
    e32.e_ident[EI_CLASS] = ELFCLASS32;
    e32.e_ident[EI_DATA] = ELFDATA2LSB;
    e32.e_ident[EI_VERSION] = EV_CURRENT;
    e32.e_type = ET_EXEC;
    e32.e_machine = EM_386;
    e32.e_version = EV_CURRENT;
    e32.e_entry = 0x8048000;
    e32.e_ehsize = sizeof(Elf32_Ehdr);
    e32.e_phentsize = sizeof(Elf32_Phdr);
    run("ELFCLASS32 header", put_file("class32", &e32, sizeof(e32), 0755));

    im = good_image();
    im.eh.e_machine = EM_AARCH64;
    run("wrong machine (EM_AARCH64)", put_image("aarch64", &im));

    im = good_image();
    im.eh.e_type = ET_REL;
    run("e_type ET_REL", put_image("rel", &im));

    im = good_image();
    im.eh.e_phentsize = sizeof(Elf32_Phdr);
    run("e_phentsize 32", put_image("phentsize", &im));

    im = good_image();
    im.ph.p_type = PT_NOTE;
    run("no PT_LOAD", put_image("noload", &im));

    im = good_image();
    im.ph.p_memsz = im.ph.p_filesz - 1;
    run("p_filesz > p_memsz", put_image("filesz", &im));

    im = good_image();
    im.ph.p_vaddr = 0xffff800000000000ul;
    im.eh.e_entry = im.ph.p_vaddr + CODE_OFFSET;
    run("PT_LOAD in the kernel half", put_image("kernelhalf", &im));

    im = good_image();
    im.ph.p_vaddr = 0x00007ffffffff000ul;
    im.eh.e_entry = im.ph.p_vaddr + CODE_OFFSET;
    im.ph.p_memsz = 0x2000;
    run("PT_LOAD crossing the end of user space", put_image("crossing", &im));

    im = good_image();
    im.ph.p_filesz = im.ph.p_memsz = 0x10000;
    run("p_offset + p_filesz beyond the end of the file", put_image("beyondeof", &im));

    im = good_image();
    im.ph.p_offset = 0x100000;
    run("p_offset beyond the end of the file", put_image("offsetbeyond", &im));

    im = good_image();
    im.eh.e_phnum = 1000;
    run("e_phnum 1000", put_image("phnum", &im));

    im = good_image();
    im.eh.e_phoff = 0x100000;
    run("e_phoff beyond the end of the file", put_image("phoff", &im));

    run("empty file", put_file("empty", "", 0, 0755));

    im = good_image();
    run("mode 0644 (not executable)", put_file("noexec", &im, sizeof(im), 0644));

    im = good_image();
    run("mode 0744 (executable by the owner)", put_file("ownerexec", &im, sizeof(im), 0744));

    static const char script[] = "#!/nonexistent/interpreter\nexit 0\n";
    run("#! script whose interpreter is missing", put_file("script", script, sizeof(script) - 1, 0755));
    edge_elves();
}

static void bad_paths_and_args(void)
{
    char path[128];

    run("a directory", dir);
    snprintf(path, sizeof(path), "%s/missing", dir);
    run("missing file", path);
    snprintf(path, sizeof(path), "%s/good/x", dir);
    run("path through a file", path);
    run("empty path", "");

    snprintf(path, sizeof(path), "%s/good", dir);
    try_exec("argv = (char **)1", path, bad_ptr(1), plain_envp);
    try_exec("envp = (char **)1", path, plain_argv, bad_ptr(1));
    char *bad_entry[] = { "prog", bad_ptr(1), NULL };
    try_exec("argv[1] = (char *)1", path, bad_entry, plain_envp);
    try_exec("path = (char *)1", bad_ptr(1), plain_argv, plain_envp);
    try_exec("path = kernel address", bad_ptr(0xffff800000000000ul), plain_argv, plain_envp);
    try_exec("argv = NULL", path, NULL, plain_envp);

    /* one string over MAX_ARG_STRLEN (131072) */
    char *huge = malloc(200000 + 1);
    memset(huge, 'a', 200000);
    huge[200000] = '\0';
    char *one_huge[] = { "prog", huge, NULL };
    try_exec("one argument of 200,000 bytes", path, one_huge, plain_envp);
    char *env_huge[] = { huge, NULL };
    try_exec("one environment string of 200,000 bytes", path, plain_argv, env_huge);

    /* 64 strings of 100,000 bytes: each one allowed, the total (6.4 MB) too big */
    huge[100000] = '\0';
    char *many[66];
    many[0] = "prog";
    for (int i = 1; i <= 64; i++)
        many[i] = huge;
    many[65] = NULL;
    try_exec("64 arguments of 100,000 bytes", path, many, plain_envp);

    /* and a big but allowed argument list still runs the program */
    huge[100] = '\0';
    char *fine[1001];
    fine[0] = "prog";
    for (int i = 1; i < 1000; i++)
        fine[i] = huge;
    fine[1000] = NULL;
    try_exec("999 arguments of 100 bytes (allowed)", path, fine, plain_envp);
    free(huge);
    /* 1 M and 4 M empty arguments: too many pointers (E2BIG, not ENOMEM) */
    for (int millions = 1; millions <= 4; millions *= 4) {
        size_t n = (size_t)millions << 20;
        char **lots = malloc((n + 1) * sizeof(char *));
        for (size_t i = 0; i < n; i++)
            lots[i] = "";
        lots[n] = NULL;
        try_exec(millions == 1 ? "1 M empty arguments" : "4 M empty arguments", path, lots,
                 plain_envp);
        free(lots);
    }
}

static void cleanup(void)
{
    static const char *names[] = {
        "good", "badmagic", "text", "class32", "aarch64", "rel", "phentsize",
        "noload", "filesz", "kernelhalf", "crossing", "beyondeof", "offsetbeyond", "phnum",
        "phoff", "empty", "noexec", "ownerexec", "script", "memsz64t", "dynwrap",
        "interpeof", "interp1", "longshebang", "longshebang2",
    };
    char path[128];
    int failed = 0;

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        failed |= unlink(path);
    }
    failed |= rmdir(dir);
    printf("cleanup: %s\n", failed ? errno_name(errno) : "ok");
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (mkdtemp(dir) == NULL) {
        printf("mkdtemp: %s\n", errno_name(errno));
        return 1;
    }
    malformed_elves();
    bad_paths_and_args();
    cleanup();
    return 0;
}
