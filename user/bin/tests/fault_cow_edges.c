/*
 * fault_cow_edges - copy-on-write where the write does not come from a
 * plain store in user mode, or comes after the protection was changed:
 *   - read() from a pipe and from a file into a page the parent also maps
 *     (the kernel writes it, through copy_to_user): the child gets the
 *     data, the parent's copy is unchanged, and the child's
 *     MicaFaultCowCopy grows by exactly 1 for that page;
 *   - mprotect(PROT_READ) then mprotect(PROT_READ|PROT_WRITE) on a COW
 *     page before the write, in the child and (while the child still maps
 *     the page) in the parent: the write still copies, the other side's
 *     data is unchanged;
 *   - the same mprotect pair on a page that maps the shared zero page: the
 *     write gets a fresh frame, and other untouched memory still reads 0.
 */
#include "fault_util.h"

static int mica;
static char tmp_path[64];

static const char message[] = "data read into a copy-on-write page";
#define MSG_LEN ((ssize_t)sizeof(message) - 1)
#define OFFSET 1000 /* where in the page the data goes */

static volatile char *new_page(char fill)
{
    volatile char *p = (volatile char *)map_anon(PAGE);

    if (p)
        memset((void *)p, fill, PAGE);
    return p;
}

/* 1 if all len bytes at p are c. */
static int all_bytes(const volatile char *p, size_t len, char c)
{
    for (size_t i = 0; i < len; i++)
        if (p[i] != c)
            return 0;
    return 1;
}

/*
 * The child's part: read() from fd into the shared page, count the copy.
 * Exit codes: 0 fine, 1 read failed, 2 wrong data, 3 wrong count.
 */
static void child_read_into(volatile char *p, int fd)
{
    struct fault_counts c0, c1;
    ssize_t n;

    touch_proc_buffers();
    fault_counts_get(&c0);
    n = read(fd, (char *)p + OFFSET, MSG_LEN);
    fault_counts_get(&c1);
    if (n != MSG_LEN) {
        printf("  child: read returned %ld (%s)\n", (long)n, n < 0 ? strerror(errno) : "short");
        exit(1);
    }
    if (memcmp((const char *)p + OFFSET, message, MSG_LEN) != 0 || !all_bytes(p, OFFSET, 'p'))
        _exit(2);
    if (mica && (fc_delta(&c0, &c1, FC_COW_COPY) != 1 || fc_delta(&c0, &c1, FC_COW_REUSE) != 0)) {
        printf("  child: read() into a COW page: MicaFaultCowCopy +%ld, MicaFaultCowReuse +%ld"
               " (expected +1, +0)\n", fc_delta(&c0, &c1, FC_COW_COPY),
               fc_delta(&c0, &c1, FC_COW_REUSE));
        exit(3);
    }
    _exit(0);
}

/* from_pipe: the data comes through a pipe, else from a file in /tmp. */
static void read_into_cow(int from_pipe)
{
    volatile char *p = new_page('p');
    const char *what = from_pipe ? "read() from a pipe into a COW page" :
                                   "read() from a file into a COW page";
    int fds[2] = { -1, -1 }, fd = -1;
    pid_t pid;

    if (!p)
        return;
    if (from_pipe) {
        if (!CHECK(pipe(fds) == 0, "pipe: %s", strerror(errno)))
            return;
        CHECK(write(fds[1], message, MSG_LEN) == MSG_LEN);
        fd = fds[0];
    } else {
        fd = open(tmp_path, O_CREAT | O_TRUNC | O_RDWR, 0600);
        if (!CHECK(fd >= 0, "open %s: %s", tmp_path, strerror(errno)))
            return;
        CHECK(write(fd, message, MSG_LEN) == MSG_LEN);
        lseek(fd, 0, SEEK_SET);
    }
    pid = fork_flushed();
    if (pid == 0)
        child_read_into(p, fd);
    if (CHECK(pid > 0, "fork: %s", strerror(errno)))
        expect_exit0(pid, what);
    CHECK(all_bytes(p, PAGE, 'p'), "%s: the parent's copy changed", what);
    close(fd);
    if (from_pipe)
        close(fds[1]);
    else
        unlink(tmp_path);
    munmap((void *)p, PAGE);
}

/* mprotect read-only and back to read-write, then write: must still copy. */
static int protect_dance_and_write(volatile char *p, char c)
{
    if (mprotect((void *)p, PAGE, PROT_READ) != 0 ||
        mprotect((void *)p, PAGE, PROT_READ | PROT_WRITE) != 0)
        return -1;
    p[0] = c;
    p[PAGE - 1] = c;
    return 0;
}

static void mprotect_in_child(void)
{
    volatile char *p = new_page('m');
    pid_t pid;

    if (!p)
        return;
    pid = fork_flushed();
    if (pid == 0) {
        struct fault_counts c0, c1;

        touch_proc_buffers();
        fault_counts_get(&c0);
        if (protect_dance_and_write(p, 'c') < 0)
            _exit(1);
        fault_counts_get(&c1);
        if (p[0] != 'c' || p[1] != 'm')
            _exit(2);
        if (mica && fc_delta(&c0, &c1, FC_COW_COPY) != 1) {
            printf("  child: MicaFaultCowCopy +%ld after mprotect and a write (expected +1)\n",
                   fc_delta(&c0, &c1, FC_COW_COPY));
            exit(3);
        }
        _exit(0);
    }
    if (CHECK(pid > 0, "fork: %s", strerror(errno)))
        expect_exit0(pid, "mprotect R, RW, write in the child (1: mprotect, 2: data, 3: count)");
    CHECK(all_bytes(p, PAGE, 'm'), "the child's write after mprotect reached the parent");
    munmap((void *)p, PAGE);
}

static void mprotect_in_parent(void)
{
    volatile char *p = new_page('m');
    int go[2], done[2];
    char c;
    pid_t pid;

    if (!p || !CHECK(pipe(go) == 0 && pipe(done) == 0))
        return;
    pid = fork_flushed();
    if (pid == 0) {
        /* still maps the page while the parent writes; then checks it is unchanged */
        if (read(go[0], &c, 1) != 1)
            _exit(1);
        _exit(all_bytes(p, PAGE, 'm') ? 0 : 2);
    }
    if (!CHECK(pid > 0, "fork: %s", strerror(errno)))
        return;
    CHECK(protect_dance_and_write(p, 'P') == 0, "mprotect: %s", strerror(errno));
    CHECK(p[0] == 'P' && p[1] == 'm' && p[PAGE - 1] == 'P');
    CHECK(write(go[1], "g", 1) == 1);
    expect_exit0(pid, "the parent's write after mprotect R, RW (2: the child saw it)");
    close(go[0]), close(go[1]), close(done[0]), close(done[1]);
    munmap((void *)p, PAGE);
}

/* A page that maps the zero page, made read-only and writable again, then written. */
static void mprotect_zero_page(void)
{
    volatile char *p = (volatile char *)map_anon(2 * PAGE), *q;
    struct fault_counts c0, c1;

    if (!p)
        return;
    CHECK(p[0] == 0 && p[PAGE] == 0);
    touch_proc_buffers();
    fault_counts_get(&c0);
    CHECK(protect_dance_and_write(p, 'z') == 0, "mprotect: %s", strerror(errno));
    fault_counts_get(&c1);
    CHECK(p[0] == 'z' && p[1] == 0 && p[PAGE] == 0, "after the write: %#x %#x %#x", p[0], p[1],
          p[PAGE]);
    if (mica)
        CHECK(fc_delta(&c0, &c1, FC_ZERO_FILL) == 1, "MicaFaultZeroFill +%ld, not +1",
              fc_delta(&c0, &c1, FC_ZERO_FILL));
    q = (volatile char *)map_anon(PAGE);
    if (q) {
        CHECK(q[0] == 0 && q[PAGE - 1] == 0, "a fresh page reads %#x: the zero page was written",
              q[0]);
        munmap((void *)q, PAGE);
    }
    munmap((void *)p, 2 * PAGE);
}

int main(void)
{
    mica = on_mica();
    snprintf(tmp_path, sizeof(tmp_path), "/tmp/fault_cow_edges.%d", getpid());
    read_into_cow(1);
    read_into_cow(0);
    mprotect_in_child();
    mprotect_in_parent();
    mprotect_zero_page();
    if (mica)
        CHECK(mm_check() == 0, "MICA_MM_CHECK failed");
    return utest_result();
}
