/*
 * fault_oom - running out of memory kills the process that ran out, and
 * only it: a child maps 1 GiB at a time and writes every page until a
 * fault finds no free frame; it must end with WIFSIGNALED and WTERMSIG 9
 * (SIGKILL, the OOM kill) after using most of the free memory, and the
 * parent carries on: it can map and write memory and fork again, every
 * frame the child had is free again, and MICA_MM_CHECK passes. Done
 * twice, to see that the second time is no different.
 *
 * The kernel prints "Out of memory: killed fault_oom[PID], badness N pages
 * (rss ...)": the child is the process whose death frees the most (kernel/oom.c).
 * On Linux the same test would wake the host's OOM killer, which may pick
 * another process: it only runs on mica (elsewhere it prints a line and
 * passes).
 */
#include "fault_util.h"

#define CHUNK (1ul << 30)

/* The child: writes pages until it is killed, counting them in *progress (shared with the parent). */
static void eat_memory(volatile unsigned long *progress)
{
    for (;;) {
        volatile char *p = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE,
                                MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED)
            _exit(2); /* the mapping itself failed: no OOM kill happened */
        for (unsigned long off = 0; off < CHUNK; off += PAGE) {
            p[off] = 1;
            (*progress)++;
        }
    }
}

/*
 * Empties the disks' clean page cache first: running out of memory makes
 * mica drop it (frame_alloc's reclaim), which would show as frames gained.
 */
static void drop_disk_caches(void)
{
    int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
    if (fd >= 0) {
        CHECK(write(fd, "3\n", 2) == 2, "drop_caches: %s", strerror(errno));
        close(fd);
    }
}

static void one_round(int round, volatile unsigned long *progress)
{
    drop_disk_caches();
    long before = free_frames(), after, free_kb = meminfo_kb("MemFree:");
    char *p;
    pid_t pid;

    *progress = 0;
    pid = fork_flushed();
    if (pid == 0)
        eat_memory(progress);
    if (!CHECK(pid > 0, "fork: %s", strerror(errno)))
        return;
    expect_signal(pid, SIGKILL, "the child that ran out of memory (exit 2: mmap failed)");
    printf("  round %d: the child wrote %lu MiB of %ld MiB free before it was killed\n", round,
           *progress * PAGE >> 20, free_kb >> 10);
    CHECK(*progress * (PAGE / 1024) >= (unsigned long)free_kb / 2,
          "killed after only %lu kB of %ld kB free", *progress * (PAGE / 1024), free_kb);

    /* the parent carries on */
    p = map_anon(1ul << 20);
    if (p) {
        memset(p, 0x77, 1ul << 20);
        CHECK(p[12345] == 0x77);
        munmap(p, 1ul << 20);
    }
    pid = fork_flushed();
    if (pid == 0)
        _exit(0);
    if (CHECK(pid > 0, "fork after the OOM kill: %s", strerror(errno)))
        expect_exit0(pid, "a child forked after the OOM kill");
    after = free_frames();
    CHECK(after == before, "free frames %ld before the OOM child, %ld after", before, after);
    CHECK(mm_check() == 0, "MICA_MM_CHECK failed after the OOM kill");
}

int main(void)
{
    volatile unsigned long *progress;

    if (!on_mica()) {
        printf("  not mica: skipped (the host's OOM killer might pick another process)\n");
        return utest_result();
    }
    progress = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (!CHECK(progress != MAP_FAILED, "mmap MAP_SHARED: %s", strerror(errno)))
        return utest_result();
    *progress = 0;
    one_round(1, progress);
    one_round(2, progress);
    munmap((void *)progress, PAGE);
    return utest_result();
}
