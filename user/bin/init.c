/*
 * init - process 1, the first user program the kernel starts.
 *
 * Its arguments are the words of the kernel command line after "--":
 *
 *   (none)            the console: run /bin/sh on fds 0/1/2 (already open
 *                     on the console), and start a new one when it exits.
 *   test NAME|all...  the test runner: run the programs in /bin/tests (all
 *                     of them, the one named, or with "PREFIX*" those whose
 *                     name starts with PREFIX), in name order, each with
 *                     argv[0] = its name. For each prints exactly one line,
 *                       ok NAME
 *                       FAIL NAME: exit status N | killed by signal N |
 *                                  MemFree X kB before, Y kB after
 *                     (the last when the test passed but the free memory in
 *                     /proc/meminfo differs: the kernel lost or kept pages;
 *                     the disks' page cache is emptied before each reading),
 *                     then "utest: N passed, N failed", and exits 0 if
 *                     nothing failed, else 1.
 *   run               runs the command in /etc/mica-run (one argument per
 *                     line: the program, then its arguments; in the directory
 *                     named in /etc/mica-run-cwd if that exists; with the disk
 *                     named in /etc/mica-run-disk mounted at /run-files) between the lines
 *                     "mica-run: start" and "mica-run: exit N" (N: the exit
 *                     code, or 128 + the signal that killed it), then exits 0.
 *
 * In every mode it first mounts the first disk, /dev/vda, at /mnt when
 * there is one (make run attaches build/disk.img; scripts/run-elf --disk).
 *
 * Children get the environment PATH=/bin HOME=/. Orphans are handed to
 * process 1, so in every mode init reaps whatever child ends, known or not.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TEST_DIR "/bin/tests"
#define RUN_FILE "/etc/mica-run"
#define RUN_CWD_FILE "/etc/mica-run-cwd"
#define RUN_DISK_FILE "/etc/mica-run-disk" /* the disk run-elf put its big --files on */
#define MAX_TESTS 512

static char *const child_env[] = { "PATH=/bin", "HOME=/", NULL };

/* ---- children ---- */

/*
 * Starts program path with argv (a path without '/' is looked up in
 * $PATH, /bin when init has none).
 * Returns the child's pid, or -1 if fork failed. A child whose exec fails
 * prints why, prefixed with who, and exits 127.
 */
static pid_t spawn(const char *path, char *const argv[], const char *who)
{
    pid_t pid;

    fflush(NULL); /* or the child would inherit, and print again, our buffered output */
    pid = fork();
    if (pid == 0) {
        execvpe(path, argv, child_env);
        printf("%s: %s: %s\n", who, path, strerror(errno));
        fflush(stdout);
        _exit(127);
    }
    return pid;
}

/* Waits until child pid ends, reaping other children on the way. Returns its wait status. */
static int wait_for(pid_t pid)
{
    int status;

    for (;;) {
        pid_t got = wait(&status);
        if (got == pid)
            return status;
        if (got < 0 && errno != EINTR)
            return W_EXITCODE(127, 0); /* cannot happen: pid is our child */
        /* else an orphan we inherited: it is reaped now, nothing more to do */
    }
}

/* Reaps every child that has already ended, without waiting for the others. */
static void reap_zombies(void)
{
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
}

/* ---- mode (a): the console ---- */

/*
 * The console shell leads its own session with the console as its
 * controlling terminal (what getty does on Linux), so it can do job
 * control: ^C and ^Z go to its foreground job.
 */
static pid_t spawn_login_shell(char *const argv[])
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        if (setsid() < 0 || ioctl(STDIN_FILENO, TIOCSCTTY, 0) < 0)
            printf("init: no controlling terminal for the shell: %s\n", strerror(errno));
        execve("/bin/sh", argv, child_env);
        printf("init: /bin/sh: %s\n", strerror(errno));
        fflush(stdout);
        _exit(127);
    }
    return pid;
}

static long monotonic_seconds(void)
{
    struct timespec ts;
    return clock_gettime(CLOCK_MONOTONIC, &ts) == 0 ? ts.tv_sec : 0;
}

static __attribute__((noreturn)) void run_console(void)
{
    char *argv[] = { "sh", NULL };

    printf("\nWelcome to mica. Programs are in /bin (try: ls /bin, ps, cat /proc/meminfo,\n"
           "/bin/tests/hello); the source of each is in user/bin/. Ctrl-A X leaves QEMU.\n\n");
    for (;;) {
        long start = monotonic_seconds();
        pid_t pid = spawn_login_shell(argv);
        if (pid > 0) {
            int status = wait_for(pid);
            if (WIFSIGNALED(status))
                printf("init: /bin/sh killed by signal %d; starting a new one\n", WTERMSIG(status));
            else
                printf("init: /bin/sh exited with status %d; starting a new one\n",
                       WEXITSTATUS(status));
        }
        if (pid < 0 || monotonic_seconds() - start < 2)
            sleep(1); /* a shell that cannot start or dies at once must not make us spin */
    }
}

/* ---- mode (b): the test runner ---- */

/* 1 if test name is chosen by pattern ("all", "PREFIX*" or an exact name). */
static int test_matches(const char *name, const char *pattern)
{
    size_t len = strlen(pattern);

    if (strcmp(pattern, "all") == 0)
        return 1;
    if (len > 0 && pattern[len - 1] == '*')
        return strncmp(name, pattern, len - 1) == 0;
    return strcmp(name, pattern) == 0;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Fills names (malloc'd) with the tests of TEST_DIR chosen by any pattern, sorted. Returns how many. */
static int find_tests(char **patterns, int npatterns, char **names, int max)
{
    DIR *dir = opendir(TEST_DIR);
    struct dirent *e;
    int n = 0;

    if (dir == NULL) {
        printf("  init: %s: %s\n", TEST_DIR, strerror(errno));
        return 0;
    }
    while ((e = readdir(dir)) != NULL && n < max) {
        if (e->d_name[0] == '.')
            continue;
        for (int i = 0; i < npatterns; i++) {
            if (test_matches(e->d_name, patterns[i])) {
                names[n++] = strdup(e->d_name);
                break;
            }
        }
    }
    closedir(dir);
    qsort(names, (size_t)n, sizeof(names[0]), compare_names);
    return n;
}

/* 1 if pattern chose at least one of the n names. */
static int pattern_used(const char *pattern, char **names, int n)
{
    for (int i = 0; i < n; i++)
        if (test_matches(names[i], pattern))
            return 1;
    return 0;
}

/*
XX
 * /proc/sys/vm/drop_caches: 1 the clean cache, 2 free slabs, 4 no log
 * line), so MemFree before and after a test compares the memory the test
 * kept, not what it happened to leave cached (or what reclaim took away).
 */
static void drop_disk_caches(void)
{
    sync();
    int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
    if (fd >= 0) {
        if (write(fd, "3\n", 2) != 2)
            printf("  init: drop_caches: %s\n", strerror(errno));
        close(fd);
    }
}

/* MemFree from /proc/meminfo in kB, or -1 if it cannot be read. */
static long memfree_kb(void)
{
    char buf[2048];
    int fd = open("/proc/meminfo", O_RDONLY);
    ssize_t n;
    char *line;

    if (fd < 0)
        return -1;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    line = strstr(buf, "MemFree:");
    return line ? strtol(line + strlen("MemFree:"), NULL, 10) : -1;
}

/*
 * Makes init's own memory use steady before the first measurement, so a
 * test is not blamed for init's growth: touch the stack we may need, and
 * fork once, so whatever the kernel keeps after a first fork and exit
 * (caches, tables) is there already.
 */
static void warm_up(void)
{
    volatile char stack[16384];
    char *argv[] = { "true", NULL };
    pid_t pid;

    for (size_t i = 0; i < sizeof(stack); i += 512)
        stack[i] = 0;
    pid = spawn("/bin/true", argv, "  init");
    if (pid > 0)
        wait_for(pid);
    reap_zombies();
    memfree_kb();
}

/* Runs test name and prints its verdict line; returns 1 if it passed. */
static int run_test(const char *name)
{
    char path[PATH_MAX];
    char *argv[] = { (char *)name, NULL };
    long before, after;
    int status;
    pid_t pid;

    snprintf(path, sizeof(path), "%s/%s", TEST_DIR, name);
    drop_disk_caches();
    before = memfree_kb();
    pid = spawn(path, argv, "  init");
    if (pid < 0) {
        printf("FAIL %s: fork: %s\n", name, strerror(errno));
        return 0;
    }
    status = wait_for(pid);
    reap_zombies(); /* the test's orphans, so their memory counts as freed */
    drop_disk_caches();
    after = memfree_kb();
    if (WIFSIGNALED(status))
        printf("FAIL %s: killed by signal %d\n", name, WTERMSIG(status));
    else if (WEXITSTATUS(status) != 0)
        printf("FAIL %s: exit status %d\n", name, WEXITSTATUS(status));
    else if (before != after)
        printf("FAIL %s: MemFree %ld kB before, %ld kB after\n", name, before, after);
    else
        printf("ok %s\n", name);
    fflush(stdout);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 && before == after;
}

/* Returns the exit status for init: 0 if every chosen test passed. */
static int run_tests(char **patterns, int npatterns)
{
    static char *names[MAX_TESTS];
    int n, passed = 0, failed = 0;

    n = find_tests(patterns, npatterns, names, MAX_TESTS);
    if (memfree_kb() < 0)
        printf("  init: no MemFree in /proc/meminfo: memory is not checked\n");
    warm_up();
    for (int i = 0; i < n; i++) {
        if (run_test(names[i]))
            passed++;
        else
            failed++;
    }
    for (int i = 0; i < npatterns; i++) {
        if (!pattern_used(patterns[i], names, n)) {
            printf("FAIL %s: no such test in %s\n", patterns[i], TEST_DIR);
            failed++;
        }
    }
    printf("utest: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

/* ---- mode (c): run one command from /etc/mica-run ---- */

/* The whole of path in a malloc'd, NUL-terminated buffer, or NULL with errno set. */
static char *read_file(const char *path)
{
    size_t len = 0, cap = 4096;
    char *buf = malloc(cap);
    int fd = open(path, O_RDONLY);
    ssize_t n;

    if (fd < 0 || buf == NULL) {
        free(buf);
        return NULL;
    }
    while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
        len += (size_t)n;
        if (len + 1 == cap) {
            char *bigger = realloc(buf, cap *= 2);
            if (bigger == NULL)
                break;
            buf = bigger;
        }
    }
    close(fd);
    buf[len] = '\0';
    return buf;
}

/*
 * Splits text into lines, in place: one argument per line (an empty line
 * is an empty argument; the newline after the last line is optional).
 * Returns a malloc'd, NULL-terminated argv, or NULL.
 */
static char **split_lines(char *text)
{
    size_t count = 0, i = 0;
    char **argv;

    for (char *p = text; *p != '\0'; p++)
        count += *p == '\n';
    argv = calloc(count + 2, sizeof(*argv));
    while (argv != NULL && *text != '\0') {
        char *nl = strchr(text, '\n');
        argv[i++] = text;
        if (nl == NULL)
            break;
        *nl = '\0';
        text = nl + 1;
    }
    return argv;
}

/* The code "mica-run: exit N" reports for a wait status. */
static int exit_code(int status)
{
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

#define BENCH_DIR "/bin/bench"

static void run_file(void)
{
    char *text = read_file(RUN_FILE);
    int read_errno = errno; /* printf may change errno */
    char **argv = text ? split_lines(text) : NULL;
    pid_t pid;

    char *files_disk = read_file(RUN_DISK_FILE); /* run-elf's big --files */
    if (files_disk) {
        files_disk[strcspn(files_disk, "\n")] = '\0';
        mkdir("/run-files", 0755);
        if (mount(files_disk, "/run-files", "ext2", 0, NULL) < 0)
            printf("init: cannot mount %s on /run-files: %s\n", files_disk, strerror(errno));
    }
    char *cwd = read_file(RUN_CWD_FILE);
    if (cwd && (cwd[strcspn(cwd, "\n")] = '\0', chdir(cwd) < 0))
        printf("init: cannot chdir to %s: %s\n", cwd, strerror(errno));
    printf("mica-run: start\n");
    if (argv == NULL || argv[0] == NULL) {
        printf("mica-run: %s: %s\n", RUN_FILE, text ? "no command in it" : strerror(read_errno));
        printf("mica-run: exit 127\n");
        return;
    }
    pid = spawn(argv[0], argv, "mica-run");
    if (pid < 0) {
        printf("mica-run: fork: %s\n", strerror(errno));
        printf("mica-run: exit 127\n");
        return;
    }
    printf("mica-run: exit %d\n", exit_code(wait_for(pid)));
}

/* "init bench": runs every program in /bin/bench (each prints "bench NAME: ..." lines). */
static int run_benches(void)
{
    DIR *dir = opendir(BENCH_DIR);
    struct dirent *e;
    char path[256];
    if (!dir) {
        printf("init: no %s\n", BENCH_DIR);
        return 1;
    }
    while ((e = readdir(dir)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", BENCH_DIR, e->d_name);
        char *argv[] = { e->d_name, NULL };
        pid_t pid = spawn(path, argv, "bench");
        if (pid > 0)
            wait_for(pid);
    }
    closedir(dir);
    return 0;
}

/* /dev/vda, if the machine has a disk, is mounted at /mnt (ext2; read-only if the device is). */
static void mount_first_disk(void)
{
    struct stat st;
    char *files_disk = read_file(RUN_DISK_FILE);
    int is_files_disk = files_disk && strncmp(files_disk, "/dev/vda\n", 9) == 0;
    free(files_disk);
    if (stat("/dev/vda", &st) < 0 || is_files_disk) /* run-elf's files disk goes to /run-files */
        return;
    mkdir("/mnt", 0755);
    if (mount("/dev/vda", "/mnt", "ext2", 0, NULL) == 0)
        return;
    if (errno == EACCES && mount("/dev/vda", "/mnt", "ext2", MS_RDONLY, NULL) == 0) {
        printf("init: /dev/vda is write-protected, mounted read-only\n"); /* as mount(8) */
        return;
    }
    printf("init: cannot mount /dev/vda on /mnt: %s\n", strerror(errno));
}

int main(int argc, char **argv)
{
    mount_first_disk();
    if (argc >= 2 && strcmp(argv[1], "bench") == 0)
        exit(run_benches());
    if (argc >= 2 && strcmp(argv[1], "test") == 0) {
        char *all[] = { "all" };
        if (argc == 2)
            exit(run_tests(all, 1));
        exit(run_tests(argv + 2, argc - 2));
    }
    if (argc >= 2 && strcmp(argv[1], "run") == 0) {
        run_file();
        reap_zombies();
        exit(0);
    }
    if (argc >= 2)
        printf("init: unknown mode \"%s\" (known: test NAME|all, run); starting the shell\n",
               argv[1]);
    run_console();
}
