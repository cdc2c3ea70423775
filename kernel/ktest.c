/*
 * kernel/ktest.c - running the in-kernel test table.
 *
 * The table is the .ktests section, [_ktests_start, _ktests_end), filled by
 * KTEST() in any file. One test runs at a time; `current_failure` holds the
 * first failure message of the running test ("" while it has none).
 * Around every test the free-frame count is taken (after kmalloc gives back
 * its spare slabs): a test that does not give back every frame fails.
 */
#include <kernel/bench.h>
#include <kernel/console.h>
#include <kernel/ktest.h>
#include <kernel/power.h>
#include <lib/format.h>
#include <lib/string.h>
#include <mm/frame.h>
#include <mm/kmalloc.h>

extern const struct ktest _ktests_start[], _ktests_end[];

static char current_failure[256];

void ktest_fail(const char *file, int line, const char *fmt, ...)
{
    if (current_failure[0])
        return; /* keep the first failure: later ones are usually its echo */
    int n = fmt_snprintf(current_failure, sizeof(current_failure), "%s:%d: ", file, line);
    va_list ap;
    va_start(ap, fmt);
    fmt_vsnprintf(current_failure + n, sizeof(current_failure) - (size_t)n, fmt, ap);
    va_end(ap);
}

bool name_matches_filter(const char *filter, const char *name)
{
    if (strcmp(filter, "all") == 0)
        return true;
    size_t n = strlen(filter);
    if (n > 0 && filter[n - 1] == '*')
        return strncmp(filter, name, n - 1) == 0;
    return strcmp(filter, name) == 0;
}

/* Free frames, with the caches that hold free memory emptied first. */
static uint64_t free_frames_settled(void)
{
    kmalloc_shrink();
    return frame_free_count();
}

/* Runs one test; returns true when it passed (and leaked no frame). */
static bool ktest_run_one(const struct ktest *t)
{
    current_failure[0] = '\0';
    uint64_t free_before = free_frames_settled();
    t->run();
    frame_fail_nth_alloc(0); /* a test may leave the switch armed */
    uint64_t free_after = free_frames_settled();
    if (free_after != free_before)
        ktest_fail(__FILE__, __LINE__, "free frames %lu before, %lu after: %ld leaked",
                   free_before, free_after, (long)(free_before - free_after));
    if (current_failure[0]) {
        kprintf_always("FAIL %s: %s\n", t->name, current_failure);
        return false;
    }
    kprintf_always("ok %s\n", t->name);
    return true;
}

void ktest_run(const char *filter)
{
    int passed = 0, failed = 0;
    kprintf_always("ktest: running \"%s\"\n", filter);
    for (const struct ktest *t = _ktests_start; t < _ktests_end; t++) {
        if (!name_matches_filter(filter, t->name))
            continue;
        if (ktest_run_one(t))
            passed++;
        else
            failed++;
    }
    if (passed + failed == 0) {
        kprintf_always("FAIL ktest: no test matches \"%s\"\n", filter);
        failed = 1;
    }
    kprintf_always("ktest: %d passed, %d failed\n", passed, failed);
    qemu_exit(failed ? QEMU_EXIT_FAIL : QEMU_EXIT_PASS);
}
