/*
 * kernel/multiboot.c - reading the multiboot2 boot information.
 *
 * The information is a u32 total size, a u32 reserved, then tags, each
 * {u32 type, u32 size, payload} and each starting 8-byte aligned, ending
 * with a tag of type 0. We walk the tags once and copy what mica uses into
 * boot_info; unknown tags are skipped (the spec requires that).
 */
#include <kernel/console.h>
#include <kernel/multiboot.h>
#include <kernel/panic.h>
#include <memlayout.h>

enum mb2_tag_type {
    MB2_TAG_END = 0,
    MB2_TAG_CMDLINE = 1,
    MB2_TAG_LOADER_NAME = 2,
    MB2_TAG_MODULE = 3,
    MB2_TAG_MMAP = 6,
    MB2_TAG_FRAMEBUFFER = 8,
};

struct mb2_tag {
    uint32_t type;
    uint32_t size;
};

struct mb2_tag_string {
    struct mb2_tag tag;
    char string[];
};

struct mb2_tag_module {
    struct mb2_tag tag;
    uint32_t start, end;
    char cmdline[];
};

struct mb2_mmap_entry {
    uint64_t addr, len;
    uint32_t type, reserved;
};

struct mb2_tag_mmap {
    struct mb2_tag tag;
    uint32_t entry_size, entry_version;
    /* entries follow, entry_size bytes apart */
};

struct __packed mb2_tag_framebuffer {
    struct mb2_tag tag;
    uint64_t addr;
    uint32_t pitch, width, height;
    uint8_t bpp, type;
};

struct boot_info boot_info;

static void parse_mmap(const struct mb2_tag_mmap *t)
{
    const uint8_t *p = (const uint8_t *)(t + 1);
    const uint8_t *end = (const uint8_t *)t + t->tag.size;
    for (; p + t->entry_size <= end; p += t->entry_size) {
        const struct mb2_mmap_entry *e = (const void *)p;
        if (boot_info.mmap_count == BOOT_MAX_MMAP) {
            kprintf("multiboot: more than %d memory-map entries; rest ignored\n",
                    BOOT_MAX_MMAP);
            return;
        }
        boot_info.mmap[boot_info.mmap_count++] =
            (struct boot_mmap_entry){ e->addr, e->len, e->type };
    }
}

static void parse_module(const struct mb2_tag_module *t)
{
    if (boot_info.module_count == BOOT_MAX_MODULES) {
        kprintf("multiboot: more than %d modules; rest ignored\n", BOOT_MAX_MODULES);
        return;
    }
    boot_info.modules[boot_info.module_count++] =
        (struct boot_module){ t->start, t->end, t->cmdline };
}

static void parse_framebuffer(const struct mb2_tag_framebuffer *t)
{
    boot_info.has_framebuffer = true;
    boot_info.framebuffer = (struct boot_framebuffer){
        t->addr, t->pitch, t->width, t->height, t->bpp, t->type,
    };
}

static void parse_tag(const struct mb2_tag *tag)
{
    switch (tag->type) {
    case MB2_TAG_CMDLINE:
        boot_info.cmdline = ((const struct mb2_tag_string *)tag)->string;
        break;
    case MB2_TAG_LOADER_NAME:
        boot_info.loader_name = ((const struct mb2_tag_string *)tag)->string;
        break;
    case MB2_TAG_MODULE:
        parse_module((const struct mb2_tag_module *)tag);
        break;
    case MB2_TAG_MMAP:
        parse_mmap((const struct mb2_tag_mmap *)tag);
        break;
    case MB2_TAG_FRAMEBUFFER:
        parse_framebuffer((const struct mb2_tag_framebuffer *)tag);
        break;
    }
}

void multiboot_parse(uint32_t magic, paddr_t info_phys)
{
    if (magic != MULTIBOOT2_BOOTLOADER_MAGIC)
        panic("not started by a multiboot2 loader (magic 0x%x, want 0x%x)",
              magic, MULTIBOOT2_BOOTLOADER_MAGIC);
    const uint8_t *info = phys_to_virt(info_phys);
    boot_info.info_phys = info_phys;
    boot_info.info_size = *(const uint32_t *)info;
    boot_info.cmdline = "";
    boot_info.loader_name = "(unknown)";

    const uint8_t *p = info + 8;
    const uint8_t *end = info + boot_info.info_size;
    while (p + sizeof(struct mb2_tag) <= end) {
        const struct mb2_tag *tag = (const void *)p;
        if (tag->type == MB2_TAG_END)
            break;
        parse_tag(tag);
        p += ALIGN_UP((uint64_t)tag->size, 8);
    }
}

const char *boot_mem_type_name(uint32_t type)
{
    switch (type) {
    case BOOT_MEM_AVAILABLE: return "available";
    case BOOT_MEM_RESERVED: return "reserved";
    case BOOT_MEM_ACPI_RECLAIMABLE: return "ACPI reclaimable";
    case BOOT_MEM_ACPI_NVS: return "ACPI NVS";
    case BOOT_MEM_BAD: return "bad RAM";
    default: return "unknown";
    }
}

static void print_mmap(void)
{
    uint64_t available = 0;
    kprintf("memory map (%lu entries):\n", boot_info.mmap_count);
    for (size_t i = 0; i < boot_info.mmap_count; i++) {
        const struct boot_mmap_entry *e = &boot_info.mmap[i];
        kprintf("  [0x%012lx-0x%012lx) %10lu KiB  %s\n", e->addr, e->addr + e->len,
                e->len >> 10, boot_mem_type_name(e->type));
        if (e->type == BOOT_MEM_AVAILABLE)
            available += e->len;
    }
    kprintf("  available: %lu KiB (%lu MiB)\n", available >> 10, available >> 20);
}

void multiboot_print(void)
{
    kprintf("boot loader: %s\n", boot_info.loader_name);
    kprintf("command line: \"%s\"\n", boot_info.cmdline);
    print_mmap();
    for (size_t i = 0; i < boot_info.module_count; i++) {
        const struct boot_module *m = &boot_info.modules[i];
        kprintf("module %lu: [%#lx-%#lx) %lu bytes \"%s\"\n", i, m->start, m->end,
                m->end - m->start, m->cmdline);
    }
    if (boot_info.has_framebuffer)
        kprintf("framebuffer: %ux%u, %u bpp, type %u at %#lx\n",
                boot_info.framebuffer.width, boot_info.framebuffer.height,
                boot_info.framebuffer.bpp, boot_info.framebuffer.type,
                boot_info.framebuffer.addr);
}
