/*
 * fault_demand_zero - anonymous memory is demand-zero:
 *   - an untouched private anonymous mapping reads as zero everywhere,
 *     and reading it costs no frame: within a 2 MiB block whose page table
 *     exists, reading 511 more pages leaves the free-frame count exactly
 *     unchanged; over the whole 64 MiB only page tables are allocated
 *     (at most one per 512 pages plus the upper levels), RssAnon does not
 *     move and MicaFaultZeroPage grows by exactly the page count;
 *   - writing every page of 64 MiB (16,384 pages) raises RssAnon by
 *     exactly 65,536 kB and MicaFaultZeroFill by exactly 16,384, whether
 *     the page was read before (it mapped the zero page) or not;
 *   - a write after a read replaces the zero page: the data reads back,
 *     the neighbouring page still reads 0, and so does a page of another
 *     fresh mapping (nothing was written into the shared zero frame);
 *   - munmap gives every frame back.
 * When MemTotal is too small for 64 MiB (the 32 MiB boot) the same checks
 * run over 4 MiB and a line says so.
 */
#include "fault_util.h"

#define BIG (64ul << 20)
#define SMALL (4ul << 20)
#define BLOCK (2ul << 20) /* what one page table covers */

static int mica;

/* Reads one byte of every page; returns how many were not zero. */
static unsigned long read_pages(const volatile char *p, size_t len)
{
    unsigned long nonzero = 0;

    for (size_t off = 0; off < len; off += PAGE)
        nonzero += p[off] != 0;
    return nonzero;
}

static void write_pages(volatile char *p, size_t len)
{
    for (size_t off = 0; off < len; off += PAGE)
        p[off] = (char)(off / PAGE) | 1;
}

/* Reading inside a 2 MiB block whose page table exists already allocates nothing at all. */
static void read_costs_nothing(void)
{
    char *raw = map_anon(2 * BLOCK), *block;
    long before, after;

    if (!raw)
        return;
    block = (char *)(((unsigned long)raw + BLOCK - 1) & ~(BLOCK - 1));
    CHECK(((volatile char *)block)[0] == 0); /* makes the page table */
    before = free_frames();
    CHECK(read_pages(block + PAGE, BLOCK - PAGE) == 0, "untouched memory is not zero");
    after = free_frames();
    if (mica)
        CHECK(after == before, "reading 511 untouched pages took %ld frames", before - after);
    munmap(raw, 2 * BLOCK);
}

/* Reads, then writes every page of a fresh size-byte mapping, checking the counts at each step. */
static void read_then_write(size_t size)
{
    unsigned long pages = size / PAGE;
    long max_tables = (long)(pages / 512) + 4, frames0, frames1, frames2, frames3;
    struct fault_counts c0, c1, c2;
    char *p = map_anon(size);

    if (!p)
        return;
    touch_proc_buffers();
    frames0 = free_frames();
    fault_counts_get(&c0);
    CHECK(read_pages(p, size) == 0, "untouched memory is not zero");
    fault_counts_get(&c1);
    frames1 = free_frames();
    CHECK(c1.rss_anon_kb == c0.rss_anon_kb, "RssAnon %ld kB -> %ld kB after reading",
          c0.rss_anon_kb, c1.rss_anon_kb);
    if (mica) {
        printf("  reading %lu untouched pages took %ld frames (page tables)\n", pages,
               frames0 - frames1);
        CHECK(frames0 - frames1 <= max_tables,
              "reading %lu pages took %ld frames (page tables need at most %ld)", pages,
              frames0 - frames1, max_tables);
        CHECK(fc_delta(&c0, &c1, FC_ZERO_PAGE) == (long)pages, "MicaFaultZeroPage +%ld, not +%lu",
              fc_delta(&c0, &c1, FC_ZERO_PAGE), pages);
        CHECK(fc_delta(&c0, &c1, FC_ZERO_FILL) == 0, "MicaFaultZeroFill +%ld while only reading",
              fc_delta(&c0, &c1, FC_ZERO_FILL));
    }

    write_pages(p, size);
    fault_counts_get(&c2);
    frames2 = free_frames();
    CHECK(c2.rss_anon_kb - c1.rss_anon_kb == (long)(size / 1024),
          "writing %lu pages raised RssAnon by %ld kB, not %lu kB", pages,
          c2.rss_anon_kb - c1.rss_anon_kb, size / 1024);
    if (mica) {
        CHECK(fc_delta(&c1, &c2, FC_ZERO_FILL) == (long)pages, "MicaFaultZeroFill +%ld, not +%lu",
              fc_delta(&c1, &c2, FC_ZERO_FILL), pages);
        CHECK(frames1 - frames2 == (long)pages, "writing %lu pages took %ld frames", pages,
              frames1 - frames2);
    }
    for (size_t off = 0; off < size; off += PAGE)
        if (!CHECK(((volatile char *)p)[off] == ((char)(off / PAGE) | 1), "page %zu lost its byte",
                   off / PAGE))
            break;

    CHECK(munmap(p, size) == 0);
    frames3 = free_frames();
    if (mica)
        CHECK(frames3 == frames0, "free frames %ld before, %ld after munmap", frames0, frames3);
}

/* Untouched memory written after being read: it gets its own frame. */
static void write_after_read(void)
{
    volatile char *p = (volatile char *)map_anon(4 * PAGE), *q;
    struct fault_counts c0, c1;

    if (!p)
        return;
    CHECK(p[0] == 0 && p[PAGE] == 0 && p[2 * PAGE + 100] == 0, "untouched memory is not zero");
    touch_proc_buffers();
    fault_counts_get(&c0);
    p[0] = 'x';
    p[100] = 'y';
    fault_counts_get(&c1);
    CHECK(p[0] == 'x' && p[100] == 'y', "the write did not stick: %#x %#x", p[0], p[100]);
    CHECK(p[1] == 0 && p[PAGE] == 0 && p[2 * PAGE + 100] == 0,
          "other bytes of the mapping are no longer zero");
    if (mica)
        CHECK(fc_delta(&c0, &c1, FC_ZERO_FILL) == 1, "MicaFaultZeroFill +%ld, not +1",
              fc_delta(&c0, &c1, FC_ZERO_FILL));
    CHECK(c1.rss_anon_kb - c0.rss_anon_kb == 4, "RssAnon +%ld kB, not +4",
          c1.rss_anon_kb - c0.rss_anon_kb);
    q = (volatile char *)map_anon(PAGE);
    if (q) {
        CHECK(q[0] == 0 && q[100] == 0, "a fresh mapping reads %#x %#x: the zero page was written",
              q[0], q[100]);
        munmap((void *)q, PAGE);
    }
    munmap((void *)p, 4 * PAGE);
}

int main(void)
{
    long total_kb = meminfo_kb("MemTotal:");
    size_t size = BIG;

    mica = on_mica();
    read_costs_nothing();
    write_after_read();
    /* 64 MiB plus room for everything else (kernel, init, page tables) */
    if (total_kb >= 0 && (unsigned long)total_kb < (BIG + (32ul << 20)) / 1024) {
        printf("  MemTotal %ld kB: too small for 64 MiB, checking 4 MiB instead\n", total_kb);
        size = SMALL;
    }
    read_then_write(size);
    if (mica)
        CHECK(mm_check() == 0, "MICA_MM_CHECK failed");
    return utest_result();
}
