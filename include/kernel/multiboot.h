/*
 * include/kernel/multiboot.h - what GRUB told us at boot (multiboot2).
 *
 * multiboot_parse() reads the boot information once into `boot_info`. The
 * strings point into the boot information itself, which mm/ keeps reserved,
 * so they stay valid for the life of the kernel.
 */
#ifndef MICA_KERNEL_MULTIBOOT_H
#define MICA_KERNEL_MULTIBOOT_H

#include <types.h>

#define MULTIBOOT2_BOOTLOADER_MAGIC 0x36d76289
#define BOOT_MAX_MMAP 128
#define BOOT_MAX_MODULES 16

/* Memory-map entry types (multiboot2 spec 3.6.8, same as the BIOS E820 ones). */
enum boot_mem_type {
    BOOT_MEM_AVAILABLE = 1,
    BOOT_MEM_RESERVED = 2,
    BOOT_MEM_ACPI_RECLAIMABLE = 3,
    BOOT_MEM_ACPI_NVS = 4,
    BOOT_MEM_BAD = 5,
};

struct boot_mmap_entry {
    paddr_t addr;
    uint64_t len;
    uint32_t type;
};

struct boot_module {
    paddr_t start, end; /* [start, end) */
    const char *cmdline;
};

struct boot_framebuffer {
    paddr_t addr;
    uint32_t pitch, width, height;
    uint8_t bpp, type; /* type 2 = EGA text */
};

struct boot_info {
    paddr_t info_phys; /* the multiboot2 information structure */
    uint32_t info_size;
    const char *cmdline;
    const char *loader_name;
    struct boot_mmap_entry mmap[BOOT_MAX_MMAP];
    size_t mmap_count;
    struct boot_module modules[BOOT_MAX_MODULES];
    size_t module_count;
    bool has_framebuffer;
    struct boot_framebuffer framebuffer;
};

extern struct boot_info boot_info;

/* Checks magic (panics when the loader was not multiboot2) and fills boot_info. */
void multiboot_parse(uint32_t magic, paddr_t info_phys);
/* Prints the loader, command line, memory map, modules and framebuffer. */
void multiboot_print(void);
/* "available", "reserved", ... */
const char *boot_mem_type_name(uint32_t type);

#endif
