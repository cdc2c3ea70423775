/*
 * pagemap PID ADDR [COUNT] - what backs each of COUNT pages from ADDR in
 * process PID: the physical frame, how many page-table entries map it,
 * and its flags.
 *
 *   $ pagemap 1 0x400000 2
 *   00400000-00401000 r--p 00000000 00:11 43                                 /init
 *   ADDRESS            PFN         MAPS  PAGEMAP                   FRAME
 *   0x400000           0x1f3c         1  present,file,exclusive    referenced,uptodate,mmap
 *   00401000-00406000 r-xp 00001000 00:11 43                                 /init
 *   ...
 *
 * All from Linux's files: /proc/PID/pagemap (8 bytes per virtual page:
 * bit 63 present, 62 swapped, 61 file page or shared memory, 56 mapped
 * only here, 55 soft-dirty, bits 0-54 the PFN), then, per PFN,
 * /proc/kpagecount (how many PTEs map the frame) and /proc/kpageflags
 * (KPF_* bits). On mica a frame's refcount is MAPS, plus one for a
 * page-cache frame (the file's own reference) and for the zero frame.
 * The VMA around the pages is shown as /proc/PID/maps has it.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PAGE_SIZE 4096ul
#define PM_PFN_MASK ((1ull << 55) - 1)

static const struct {
    int bit;
    const char *name;
} pagemap_bits[] = {
    { 63, "present" }, { 62, "swapped" }, { 61, "file" }, { 56, "exclusive" }, { 55, "soft-dirty" },
};

/* Linux's KPF_* numbers and the names page-types(8) gives them. */
static const char *const kpage_names[64] = {
    [0] = "locked",         [1] = "error",          [2] = "referenced", [3] = "uptodate",
    [4] = "dirty",          [5] = "lru",            [6] = "active",     [7] = "slab",
    [8] = "writeback",      [9] = "reclaim",        [10] = "buddy",     [11] = "mmap",
    [12] = "anonymous",     [13] = "swapcache",     [14] = "swapbacked",
    [15] = "compound_head", [16] = "compound_tail", [17] = "huge",      [18] = "unevictable",
    [19] = "hwpoison",      [20] = "nopage",        [21] = "ksm",       [22] = "thp",
    [23] = "offline",       [24] = "zero_page",     [25] = "idle",      [26] = "pgtable",
    [32] = "reserved",
};

/* Reads the 8-byte entry at index from an open binary /proc file; 0 or -1. */
static int read_entry(int fd, unsigned long index, unsigned long long *value)
{
    if (lseek(fd, (off_t)(index * 8), SEEK_SET) < 0)
        return -1;
    return read(fd, value, 8) == 8 ? 0 : -1;
}

/* Appends the names of the set bits to out ("-" if none). */
static void flag_names(unsigned long long v, int pagemap, char *out, size_t size)
{
    size_t len = 0;

    out[0] = '\0';
    if (pagemap) {
        for (size_t i = 0; i < sizeof(pagemap_bits) / sizeof(pagemap_bits[0]); i++)
            if (v >> pagemap_bits[i].bit & 1)
                len += (size_t)snprintf(out + len, len < size ? size - len : 0, "%s%s",
                                        len ? "," : "", pagemap_bits[i].name);
    } else {
        for (int bit = 0; bit < 64; bit++)
            if ((v >> bit & 1) && kpage_names[bit] != NULL)
                len += (size_t)snprintf(out + len, len < size ? size - len : 0, "%s%s",
                                        len ? "," : "", kpage_names[bit]);
    }
    if (len == 0)
        snprintf(out, size, "-");
}

static void column_header(void)
{
    printf("%-18s %-10s %5s  %-25s %s\n", "ADDRESS", "PFN", "MAPS", "PAGEMAP", "FRAME");
}

/*
 * Prints the /proc/PID/maps line of the VMA holding addr and the column
 * header under it, when the VMA differs from the last page's.
 */
static void show_vma(int pid, unsigned long addr)
{
    static char maps[65536], last[512];
    static int loaded;
    char *line;

    if (!loaded) {
        char path[64];
        int fd;
        ssize_t len = 0, n;

        snprintf(path, sizeof(path), "/proc/%d/maps", pid);
        fd = open(path, O_RDONLY);
        while (fd >= 0 && len < (ssize_t)sizeof(maps) - 1 &&
               (n = read(fd, maps + len, sizeof(maps) - 1 - len)) > 0)
            len += n;
        if (fd >= 0)
            close(fd);
        maps[len] = '\0';
        loaded = 1;
    }
    for (line = maps; *line != '\0';) {
        char *end = strchr(line, '\n'), *rest;
        unsigned long start = strtoul(line, &rest, 16), stop = strtoul(rest + 1, NULL, 16);
        size_t n = end ? (size_t)(end - line) : strlen(line);

        if (addr >= start && addr < stop) {
            if (n >= sizeof(last))
                n = sizeof(last) - 1;
            if (strncmp(last, line, n) != 0 || last[n] != '\0') {
                memcpy(last, line, n);
                last[n] = '\0';
                printf("%s\n", last);
                column_header();
            }
            return;
        }
        if (end == NULL)
            break;
        line = end + 1;
    }
    if (strcmp(last, "(no mapping)") != 0) {
        strcpy(last, "(no mapping)");
        printf("%s\n", last);
        column_header();
    }
}

int main(int argc, char **argv)
{
    char path[64], pm_names[128], frame_names[512], pfn_text[32], maps_text[16];
    int pid, pm, count_fd, flags_fd;
    unsigned long addr, count;

    if (argc < 3 || argc > 4) {
        fprintf(stderr, "Usage: pagemap PID ADDR [COUNT]\n");
        return 1;
    }
    pid = atoi(argv[1]);
    addr = strtoul(argv[2], NULL, 0) & ~(PAGE_SIZE - 1);
    count = argc == 4 ? strtoul(argv[3], NULL, 0) : 1;
    snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
    pm = open(path, O_RDONLY);
    if (pm < 0) {
        perror(path);
        return 1;
    }
    count_fd = open("/proc/kpagecount", O_RDONLY);
    flags_fd = open("/proc/kpageflags", O_RDONLY);
    for (unsigned long i = 0; i < count; i++, addr += PAGE_SIZE) {
        unsigned long long entry, mapcount = 0, kflags = 0;
        unsigned long pfn;
        int have_frame;

        show_vma(pid, addr);
        if (read_entry(pm, addr / PAGE_SIZE, &entry) < 0) {
            printf("0x%-16lx (beyond the end of user space)\n", addr);
            break;
        }
        flag_names(entry, 1, pm_names, sizeof(pm_names));
        if (!(entry >> 63 & 1)) {
            printf("0x%-16lx %-10s %5s  not present\n", addr, "-", "-");
            continue;
        }
        pfn = (unsigned long)(entry & PM_PFN_MASK);
        have_frame = read_entry(count_fd, pfn, &mapcount) == 0 &&
                     read_entry(flags_fd, pfn, &kflags) == 0;
        flag_names(kflags, 0, frame_names, sizeof(frame_names));
        snprintf(pfn_text, sizeof(pfn_text), "0x%lx", pfn);
        snprintf(maps_text, sizeof(maps_text), "%llu", mapcount);
        printf("0x%-16lx %-10s %5s  %-25s %s\n", addr, pfn_text, have_frame ? maps_text : "?",
               pm_names, have_frame ? frame_names : "(kpagecount/kpageflags unreadable)");
    }
    return 0;
}
