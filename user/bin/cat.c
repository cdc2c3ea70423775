/*
 * cat [FILE...] - copies each file (standard input for "-" or when there
 * are none) to standard output. Exit status 1 if some file could not be read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Writes all n bytes, going on after short writes; 0, or -1 with errno. */
static int write_all(int fd, const char *buf, size_t n)
{
    while (n > 0) {
        ssize_t done = write(fd, buf, n);
        if (done < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        buf += done;
        n -= (size_t)done;
    }
    return 0;
}

/* Copies fd to standard output; 0, or -1 after printing why (name is for the message). */
static int copy(int fd, const char *name)
{
    static char buf[4096];
    ssize_t n;

    while ((n = read(fd, buf, sizeof(buf))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fprintf(stderr, "cat: %s: %s\n", name, strerror(errno));
            return -1;
        }
        if (write_all(STDOUT_FILENO, buf, (size_t)n) < 0) {
            fprintf(stderr, "cat: write error: %s\n", strerror(errno));
            return -1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    int status = 0;

    if (argc < 2)
        return copy(STDIN_FILENO, "stdin") < 0;
    for (int i = 1; i < argc; i++) {
        int fd = strcmp(argv[i], "-") == 0 ? STDIN_FILENO : open(argv[i], O_RDONLY);
        if (fd < 0) {
            fprintf(stderr, "cat: %s: %s\n", argv[i], strerror(errno));
            status = 1;
            continue;
        }
        if (copy(fd, argv[i]) < 0)
            status = 1;
        if (fd != STDIN_FILENO)
            close(fd);
    }
    return status;
}
