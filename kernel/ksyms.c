/*
 * kernel/ksyms.c - looking up addresses in the kernel's symbol table.
 *
 * ksyms_table[] (generated, in .ksyms) is sorted by address, one entry per
 * text symbol; a function extends to the next entry's address. Lookups are
 * a binary search for the last entry at or below the address.
 */
#include <kernel/ksyms.h>
#include <lib/string.h>
#include <memlayout.h>

extern const struct ksym ksyms_table[];
extern const uint64_t ksyms_count;
extern const char ksyms_names[];

const char *ksym_lookup(uint64_t addr, uint64_t *offset)
{
    if (ksyms_count == 0 || addr < ksyms_table[0].addr || addr >= (uint64_t)_text_end)
        return NULL;
    uint64_t lo = 0, hi = ksyms_count; /* answer is in [lo, hi) */
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (ksyms_table[mid].addr <= addr)
            lo = mid;
        else
            hi = mid;
    }
    *offset = addr - ksyms_table[lo].addr;
    return &ksyms_names[ksyms_table[lo].name_offset];
}

uint64_t ksym_address(const char *name)
{
    for (uint64_t i = 0; i < ksyms_count; i++)
        if (strcmp(&ksyms_names[ksyms_table[i].name_offset], name) == 0)
            return ksyms_table[i].addr;
    return 0;
}
