/*
 * oom_victim - the OOM killer picks the process whose death frees the most
 * memory, not the one whose fault happened to fail (issue 19), and the
 * process that ran out carries on once the memory is back.
 *
 *   the hog     touches 60% of MemFree, says so on a pipe, and waits;
 *   the eater   then touches more pages than are left free (but fewer than
 *               would be free without the hog), and exits 0 if it got them all.
 *
 * The eater's fault fails first; the hog has the higher badness (resident
 * pages + page tables + kernel stack), so it must die by SIGKILL, and the
 * eater must finish and exit 0. Then every frame is back (MICA_MM_CHECK
 * passes; init compares MemFree).
 *
 * Only on mica: on Linux it would wake the host's OOM killer.
 */
#include "fault_util.h"

/* Touches `bytes` of fresh memory, a page at a time. */
static void touch(unsigned long bytes)
{
    char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    if (p == MAP_FAILED)
        _exit(2);
    for (unsigned long off = 0; off < bytes; off += PAGE)
        p[off] = 1;
}

static void run(void)
{
    long free_kb = meminfo_kb("MemFree:");
    unsigned long hog_bytes = (unsigned long)free_kb * 1024 / 10 * 6;
    int ready[2], hold[2], status = 0;
    char c;

    CHECK(free_kb > 4096, "MemFree %ld kB", free_kb);
    if (!CHECK(pipe(ready) == 0 && pipe(hold) == 0, "pipe"))
        return;
    pid_t hog = fork();
    if (hog == 0) {
        touch(hog_bytes);
        write(ready[1], "r", 1);
        read(hold[0], &c, 1); /* until killed */
        _exit(0);
    }
    CHECK(read(ready[0], &c, 1) == 1, "the hog did not get ready");
    long left_kb = meminfo_kb("MemFree:");
    unsigned long eat_bytes = (unsigned long)(left_kb + (long)(hog_bytes / 1024) / 2) * 1024;
    printf("  hog: %lu kB; %ld kB left; the eater wants %lu kB\n", hog_bytes / 1024, left_kb,
           eat_bytes / 1024);
    pid_t eater = fork();
    if (eater == 0) {
        touch(eat_bytes);
        _exit(0);
    }
    CHECK(waitpid(eater, &status, 0) == eater, "waitpid(eater)");
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
          "the eater (the smaller process) ended with status %#x, not exit 0", status);
    close(hold[1]);
    CHECK(waitpid(hog, &status, 0) == hog, "waitpid(hog)");
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
          "the hog (the bigger process) ended with status %#x, not SIGKILL", status);
    close(ready[0]), close(ready[1]), close(hold[0]);
    CHECK(mm_check() == 0, "MICA_MM_CHECK");
}

int main(void)
{
    if (!on_mica()) {
        printf("  not mica: skipped (it would wake the host's OOM killer)\n");
        return utest_result();
    }
    run();
    return utest_result();
}
