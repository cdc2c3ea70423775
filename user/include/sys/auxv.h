/*
 * sys/auxv.h - the auxiliary vector: facts the kernel tells a new program
 * on its initial stack, after the environment (page size, where the
 * program headers are, the entry point, 16 random bytes, ...).
 */
#ifndef MICA_USER_SYS_AUXV_H
#define MICA_USER_SYS_AUXV_H

/* Entry types (Linux's values) */
#define AT_NULL 0     /* ends the vector */
#define AT_PHDR 3     /* address of the program headers in memory */
#define AT_PHENT 4    /* size of one program header */
#define AT_PHNUM 5    /* how many program headers */
#define AT_PAGESZ 6   /* the page size */
#define AT_BASE 7     /* the interpreter's base (0: none) */
#define AT_ENTRY 9    /* the program's entry point */
#define AT_UID 11
#define AT_EUID 12
#define AT_GID 13
#define AT_EGID 14
#define AT_SECURE 23
#define AT_RANDOM 25  /* address of 16 random bytes */
#define AT_EXECFN 31  /* address of the file name that was executed */

/* The value of entry type from the auxiliary vector, or 0 (errno ENOENT) if there is none. */
unsigned long getauxval(unsigned long type);

#endif
