/*
 * args_env - the initial stack the kernel builds for a new program:
 * argc and argv (NULL-terminated, argv[0] is the program's name), envp
 * (NULL-terminated "NAME=value" strings), then the auxiliary vector with
 * AT_PAGESZ == 4096, the program headers (AT_PHDR/AT_PHENT/AT_PHNUM),
 * AT_ENTRY == _start, and 16 bytes at AT_RANDOM.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "utest.h"

extern char _start[];

/* An ELF64 program header, as AT_PHDR shows them (the fields we look at). */
struct phdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
};
#define PT_LOAD 1
#define PF_X 1

static void check_args(int argc, char **argv)
{
    const char *base;

    CHECK(argc >= 1, "argc is %d", argc);
    CHECK((uintptr_t)argv % 8 == 0, "argv at %p", (void *)argv);
    CHECK(argv[argc] == NULL, "argv[argc] is %p", (void *)argv[argc]);
    if (argc < 1 || argv[0] == NULL)
        return;
    base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    CHECK(strcmp(base, "args_env") == 0, "argv[0] is \"%s\"", argv[0]);
}

/* Returns the auxv, which starts right after envp's NULL. */
static unsigned long *check_env(char **envp)
{
    char **e = envp;

    CHECK(environ == envp, "environ %p, envp %p", (void *)environ, (void *)envp);
    for (; *e != NULL; e++)
        CHECK(strchr(*e, '=') != NULL, "environment entry \"%s\" has no '='", *e);
    return (unsigned long *)(e + 1);
}

/* The value of type in the vector at auxv (walked by hand), or 0. */
static unsigned long aux_lookup(unsigned long *auxv, unsigned long type)
{
    for (; auxv[0] != AT_NULL; auxv += 2)
        if (auxv[0] == type)
            return auxv[1];
    return 0;
}

static void check_program_headers(unsigned long *auxv)
{
    const struct phdr *ph = (const struct phdr *)aux_lookup(auxv, AT_PHDR);
    unsigned long phnum = aux_lookup(auxv, AT_PHNUM);
    unsigned long entry = aux_lookup(auxv, AT_ENTRY);
    int entry_in_text = 0;

    CHECK(aux_lookup(auxv, AT_PHENT) == sizeof(struct phdr), "AT_PHENT is %lu",
          aux_lookup(auxv, AT_PHENT));
    if (!CHECK(ph != NULL && phnum > 0, "AT_PHDR %p, AT_PHNUM %lu", (void *)ph, phnum))
        return;
    for (unsigned long i = 0; i < phnum; i++)
        if (ph[i].type == PT_LOAD && (ph[i].flags & PF_X) && ph[i].vaddr <= entry &&
            entry < ph[i].vaddr + ph[i].memsz)
            entry_in_text = 1;
    CHECK(entry_in_text, "no executable PT_LOAD holds the entry point %#lx", entry);
}

int main(int argc, char **argv, char **envp)
{
    unsigned long *auxv;
    const unsigned char *random;
    unsigned int sum = 0;

    check_args(argc, argv);
    auxv = check_env(envp);
    CHECK(aux_lookup(auxv, AT_PAGESZ) == 4096, "AT_PAGESZ is %lu", aux_lookup(auxv, AT_PAGESZ));
    CHECK(getauxval(AT_PAGESZ) == 4096, "getauxval(AT_PAGESZ) is %lu", getauxval(AT_PAGESZ));
    CHECK(aux_lookup(auxv, AT_ENTRY) == (unsigned long)_start, "AT_ENTRY %#lx, _start %p",
          aux_lookup(auxv, AT_ENTRY), (void *)_start);
    check_program_headers(auxv);
    random = (const unsigned char *)aux_lookup(auxv, AT_RANDOM);
    if (CHECK(random != NULL, "no AT_RANDOM")) {
        for (int i = 0; i < 16; i++) /* must be readable */
            sum += random[i];
        (void)sum;
    }
    return utest_result();
}
