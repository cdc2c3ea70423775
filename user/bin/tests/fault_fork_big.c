/*
 * fault_fork_big - a process using more than half of RAM can still fork:
 * fork copies page tables and shares the frames copy-on-write, it does not
 * copy memory (nor reserve a copy of it). The test maps and writes 60% of
 * MemTotal, forks; the child checks a few pages, writes a few (a COW copy
 * each) and exits 0; the parent's data is unchanged; after munmap every
 * frame is back.
 *
 * On Linux (the host) 60% of a big machine is too much to touch in a
 * test: there the size is capped at 256 MiB and a line says so.
 */
#include "fault_util.h"

#define HOST_CAP (256ul << 20)
#define CHILD_WRITES 8

static unsigned char byte_for(size_t page) { return (unsigned char)(page * 7 + 3); }

int main(void)
{
    long total_kb = meminfo_kb("MemTotal:"), before, after;
    int mica = on_mica();
    size_t size, pages;
    unsigned char *p;
    pid_t pid;

    if (!CHECK(total_kb > 0, "no MemTotal in /proc/meminfo"))
        return utest_result();
    size = ((unsigned long)total_kb * 1024 / 10 * 6) & ~(PAGE - 1);
    if (size < (8ul << 20)) {
        printf("  MemTotal %ld kB: 60%% is below 8 MiB, skipped\n", total_kb);
        return utest_result();
    }
    if (!mica && size > HOST_CAP) {
        printf("  not mica: %zu MiB capped to %lu MiB\n", size >> 20, HOST_CAP >> 20);
        size = HOST_CAP;
    }
    pages = size / PAGE;
    before = free_frames();
    p = (unsigned char *)map_anon(size);
    if (!p)
        return utest_result();
    for (size_t i = 0; i < pages; i++)
        p[i * PAGE] = byte_for(i);
    printf("  %zu MiB of %ld MiB touched, forking\n", size >> 20, total_kb >> 10);

    pid = fork_flushed();
    if (pid == 0) {
        for (size_t i = 0; i < pages; i += pages / 64)
            if (p[i * PAGE] != byte_for(i))
                _exit(1);
        for (size_t k = 0; k < CHILD_WRITES; k++)
            p[(k * (pages / CHILD_WRITES)) * PAGE] = 0xee;
        for (size_t k = 0; k < CHILD_WRITES; k++)
            if (p[(k * (pages / CHILD_WRITES)) * PAGE] != 0xee)
                _exit(2);
        _exit(0);
    }
    if (CHECK(pid > 0, "fork with %zu MiB resident: %s", size >> 20, strerror(errno)))
        expect_exit0(pid, "the big child (1: wrong data, 2: its writes did not stick)");
    for (size_t i = 0; i < pages; i++)
        if (!CHECK(p[i * PAGE] == byte_for(i), "page %zu changed in the parent", i))
            break;
    CHECK(munmap(p, size) == 0);
    after = free_frames();
    if (mica) {
        CHECK(after == before, "free frames %ld before, %ld after", before, after);
        CHECK(mm_check() == 0, "MICA_MM_CHECK failed");
    }
    return utest_result();
}
