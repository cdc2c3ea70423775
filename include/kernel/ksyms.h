/*
 * include/kernel/ksyms.h - the kernel's own symbol table, for backtraces.
 *
 * The build links the kernel twice: the second link adds a table (generated
 * by scripts/gen-ksyms.py from the first link's `nm`) of every text symbol,
 * sorted by address, in the .ksyms section at the end of the image.
 */
#ifndef MICA_KERNEL_KSYMS_H
#define MICA_KERNEL_KSYMS_H

#include <types.h>

struct ksym {
    uint64_t addr;
    uint32_t name_offset; /* into ksyms_names */
    uint32_t reserved;
};

/*
 * The name of the function containing addr and addr's offset into it, or
 * NULL when addr is not in kernel text.
 */
const char *ksym_lookup(uint64_t addr, uint64_t *offset);
/* The address of the symbol called name, or 0. */
uint64_t ksym_address(const char *name);

#endif
