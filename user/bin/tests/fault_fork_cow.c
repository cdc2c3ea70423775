/*
 * fault_fork_cow - fork gives the child a copy-on-write copy of memory:
 *   - isolation both ways: a parent's write after fork is not seen by the
 *     child, and the child's write is not seen by the parent (the two
 *     take turns through pipes, so each write surely comes after the fork
 *     and before the other side looks);
 *   - three generations, each writing the same page at its level (before
 *     and after forking the next) keep their own data;
 *   - 100 rounds of nested fork (a child that forks a grandchild, both
 *     writing, both exiting) leave every frame reference right: the free
 *     frame count comes back exactly and MICA_MM_CHECK passes;
 *   - the counters: the child's first write to a page the parent still
 *     maps is one MicaFaultCowCopy; the parent's write to such a page
 *     after the child has exited (it is the only mapper again) is one
 *     MicaFaultCowReuse, with no copy.
 */
#include "fault_util.h"

static int mica;

/* A page with a known first byte, in memory of its own (not shared with stdio or the stack). */
static volatile char *new_page(char value)
{
    volatile char *p = (volatile char *)map_anon(PAGE);

    if (p)
        p[0] = value;
    return p;
}

static void put_byte(int fd, char c)
{
    if (write(fd, &c, 1) != 1)
        _exit(90);
}

static char get_byte(int fd)
{
    char c = 0;

    if (read(fd, &c, 1) != 1)
        _exit(91);
    return c;
}

static void isolation(void)
{
    volatile char *p = new_page('A');
    int to_child[2], to_parent[2];
    pid_t pid;

    if (!p || !CHECK(pipe(to_child) == 0 && pipe(to_parent) == 0, "pipe: %s", strerror(errno)))
        return;
    pid = fork_flushed();
    if (pid == 0) {
        get_byte(to_child[0]);      /* the parent has written 'P' */
        if (p[0] != 'A')
            _exit(1);               /* saw the parent's write */
        p[0] = 'C';
        put_byte(to_parent[1], p[0]);
        get_byte(to_child[0]);      /* the parent has looked */
        _exit(p[0] == 'C' ? 0 : 2);
    }
    if (!CHECK(pid > 0, "fork: %s", strerror(errno)))
        return;
    p[0] = 'P';
    put_byte(to_child[1], 'w');
    CHECK(get_byte(to_parent[0]) == 'C');
    CHECK(p[0] == 'P', "the parent sees %c: the child's write leaked into it", p[0]);
    put_byte(to_child[1], 'l');
    expect_exit0(pid, "isolation (1: the child saw the parent's write)");
    close(to_child[0]), close(to_child[1]), close(to_parent[0]), close(to_parent[1]);
    munmap((void *)p, PAGE);
}

/*
 * Generation gen (0, 1, 2) finds its parent's byte, writes its own, forks
 * the next (except the last), writes again and checks that its byte
 * survived the next generation's writes. Returns 0 when all held.
 */
static int generation(volatile char *p, int gen)
{
    pid_t pid;
    int status = 0, bad = 0;

    if (gen > 0 && (p[0] != 'A' + gen - 1 || p[1] != 'A' + gen - 1))
        return 10 + gen; /* saw the post-fork write of its parent, or lost the pre-fork one */
    p[0] = (char)('A' + gen);
    p[1] = (char)('A' + gen);
    if (gen == 2)
        return p[0] == 'C' && p[1] == 'C' ? 0 : 20;
    pid = fork_flushed();
    if (pid == 0)
        _exit(generation(p, gen + 1) ? 1 : 0);
    if (pid < 0)
        return 30;
    p[0] = (char)('a' + gen); /* after the fork: the next generation must not see it */
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        bad = 40;
    if (p[0] != 'a' + gen || p[1] != 'A' + gen)
        bad = 50;
    return bad;
}

static void three_generations(void)
{
    volatile char *p = new_page('A');
    int rc;

    if (!p)
        return;
    /* each child sees its parent's pre-fork byte ('A'+gen-1), never the post-fork 'a'+gen-1 */
    p[0] = 'A';
    rc = generation(p, 0);
    CHECK(rc == 0, "three generations: code %d", rc);
    munmap((void *)p, PAGE);
}

static void nested_rounds(void)
{
    volatile char *p = new_page('r');
    long before, after;
    pid_t pid;
    int bad = 0;

    if (!p)
        return;
    before = free_frames();
    for (int round = 0; round < 100 && !bad; round++) {
        pid = fork_flushed();
        if (pid == 0) {
            pid_t grandchild;
            int status = 0;

            p[0] = 'c';
            grandchild = fork();
            if (grandchild == 0) {
                p[0] = 'g';
                p[PAGE - 1] = 'g';
                _exit(p[0] == 'g' ? 0 : 1);
            }
            if (grandchild < 0 || waitpid(grandchild, &status, 0) != grandchild)
                _exit(2);
            _exit(status == 0 && p[0] == 'c' && p[PAGE - 1] == 0 ? 0 : 3);
        }
        if (!CHECK(pid > 0, "fork in round %d: %s", round, strerror(errno)))
            break;
        if (!expect_exit0(pid, "nested fork round"))
            bad = 1;
        p[0] = (char)round; /* a COW fault in the parent too, now reusing */
    }
    after = free_frames();
    if (mica) {
        CHECK(after == before, "free frames %ld before 100 rounds, %ld after", before, after);
        CHECK(mm_check() == 0, "MICA_MM_CHECK failed after the rounds (see the kernel's line)");
    }
    munmap((void *)p, PAGE);
}

/* The child's first write to a shared page is one copy; the parent's later write is one reuse. */
static void counters(void)
{
    volatile char *p = new_page('s');
    struct fault_counts c0, c1;
    pid_t pid;

    if (!p || !mica)
        return;
    pid = fork_flushed();
    if (pid == 0) {
        touch_proc_buffers(); /* copies the buffer and stack pages before the first sample */
        fault_counts_get(&c0);
        p[0] = 'x';
        fault_counts_get(&c1);
        if (fc_delta(&c0, &c1, FC_COW_COPY) != 1 || fc_delta(&c0, &c1, FC_COW_REUSE) != 0 ||
            c1.rss_anon_kb != c0.rss_anon_kb) {
            printf("  child: MicaFaultCowCopy +%ld, MicaFaultCowReuse +%ld, RssAnon %+ld kB"
                   " (expected +1, +0, +0)\n", fc_delta(&c0, &c1, FC_COW_COPY),
                   fc_delta(&c0, &c1, FC_COW_REUSE), c1.rss_anon_kb - c0.rss_anon_kb);
            exit(1);
        }
        _exit(p[0] == 'x' ? 0 : 2);
    }
    if (!CHECK(pid > 0, "fork: %s", strerror(errno)))
        return;
    expect_exit0(pid, "the child's COW copy");
    CHECK(p[0] == 's', "the child's write reached the parent");
    touch_proc_buffers(); /* the parent's own pages: reused now, before the sample */
    fault_counts_get(&c0);
    p[0] = 'y';
    fault_counts_get(&c1);
    CHECK(fc_delta(&c0, &c1, FC_COW_REUSE) == 1 && fc_delta(&c0, &c1, FC_COW_COPY) == 0,
          "the parent's write after the child exited: MicaFaultCowReuse +%ld, MicaFaultCowCopy +%ld"
          " (expected +1, +0)", fc_delta(&c0, &c1, FC_COW_REUSE), fc_delta(&c0, &c1, FC_COW_COPY));
    CHECK(p[0] == 'y');
    munmap((void *)p, PAGE);
}

int main(void)
{
    mica = on_mica();
    isolation();
    three_generations();
    nested_rounds();
    counters();
    if (mica)
        CHECK(mm_check() == 0, "MICA_MM_CHECK failed at the end");
    return utest_result();
}
