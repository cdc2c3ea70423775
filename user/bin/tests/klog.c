/*
 * klog - the kernel log through syslog(2): a quiet boot still logs the
 * banner and the boot messages; the buffer's size; each line starts with
 * "<6>[" and a time; CLEAR empties what READ_ALL returns; Linux's errors
 * for a bad length and a bad pointer.
 */
#include <sys/syscall.h>

#include "utest.h"

#define READ_ALL 3
#define CLEAR 5
#define SIZE_BUFFER 10

static char log[65536];

int main(void)
{
    CHECK(syscall3(SYS_syslog, SIZE_BUFFER, 0, 0) == 65536, "size of the log");
    long n = syscall3(SYS_syslog, READ_ALL, (long)log, sizeof(log) - 1);
    if (CHECK(n > 0, "READ_ALL: %ld", n)) {
        log[n] = '\0';
        CHECK(strstr(log, "a small x86-64 kernel for learning virtual memory") != NULL,
              "the banner is in the log of a quiet boot");
        CHECK(strncmp(log, "<6>[", 4) == 0 && strstr(log, "\n<6>[") != NULL,
              "lines start \"<6>[\": \"%.20s\"", log);
    }
    CHECK(syscall3(SYS_syslog, READ_ALL, (long)log, -1) == -EINVAL, "a negative length");
    CHECK(syscall3(SYS_syslog, READ_ALL, 0, 10) == -EINVAL, "a NULL buffer");
    CHECK(syscall3(SYS_syslog, READ_ALL, 1, 10) == -EFAULT, "a bad buffer");
    CHECK(syscall3(SYS_syslog, 99, 0, 0) == -EINVAL, "an unknown action");
    CHECK(syscall3(SYS_syslog, CLEAR, 0, 0) == 0, "CLEAR");
    CHECK(syscall3(SYS_syslog, READ_ALL, (long)log, sizeof(log)) == 0, "empty after CLEAR");
    return utest_result();
}
