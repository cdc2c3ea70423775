/*
 * dmesg [-c | -C] - prints the kernel log (syslog(2), kernel/klog.c): every
 * line the kernel printed since boot (as much as its 64 KiB ring holds),
 * even those a "quiet" boot kept off the console, each with its time in
 * seconds since boot, as Linux's dmesg shows them. -c prints and then
 * clears the log, -C only clears it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SYSLOG_ACTION_READ_ALL 3
#define SYSLOG_ACTION_READ_CLEAR 4
#define SYSLOG_ACTION_CLEAR 5
#define SYSLOG_ACTION_SIZE_BUFFER 10

/* Writes the log without the "<level>" each line starts with. */
static void print_log(const char *log, long len)
{
    for (long i = 0; i < len;) {
        long end = i;
        while (end < len && log[end] != '\n')
            end++;
        long start = i;
        if (log[start] == '<') { /* "<6>": the level, which dmesg does not show */
            long close = start;
            while (close < end && log[close] != '>')
                close++;
            if (close < end)
                start = close + 1;
        }
        fwrite(log + start, 1, (size_t)(end - start), stdout);
        putchar('\n');
        i = end + 1;
    }
}

int main(int argc, char **argv)
{
    int action = SYSLOG_ACTION_READ_ALL;
    if (argc == 2 && strcmp(argv[1], "-c") == 0)
        action = SYSLOG_ACTION_READ_CLEAR;
    else if (argc == 2 && strcmp(argv[1], "-C") == 0)
        action = SYSLOG_ACTION_CLEAR;
    else if (argc != 1) {
        printf("usage: dmesg [-c | -C]\n");
        return 1;
    }
    long size = syscall3(SYS_syslog, SYSLOG_ACTION_SIZE_BUFFER, 0, 0);
    char *log = size > 0 ? malloc((size_t)size) : NULL;
    if (!log) {
        printf("dmesg: cannot size the kernel log\n");
        return 1;
    }
    long n = syscall3(SYS_syslog, action, action == SYSLOG_ACTION_CLEAR ? 0 : (long)log,
                      action == SYSLOG_ACTION_CLEAR ? 0 : size);
    if (n < 0) {
        printf("dmesg: %s\n", strerror((int)-n));
        return 1;
    }
    if (action != SYSLOG_ACTION_CLEAR)
        print_log(log, n);
    return 0;
}
