/*
 * tee [-a] [FILE...] - copies standard input to standard output and to
 * each FILE (appending with -a).
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MAX_FILES 16

int main(int argc, char **argv)
{
    int fds[MAX_FILES], nfds = 0, i = 1, status = 0;
    int flags = O_WRONLY | O_CREAT | O_TRUNC;
    char buf[4096];
    ssize_t n;

    if (i < argc && strcmp(argv[i], "-a") == 0) {
        flags = O_WRONLY | O_CREAT | O_APPEND;
        i++;
    }
    for (; i < argc && nfds < MAX_FILES; i++) {
        int fd = open(argv[i], flags, 0666);
        if (fd < 0) {
            perror(argv[i]);
            status = 1;
        } else {
            fds[nfds++] = fd;
        }
    }
    while ((n = read(STDIN_FILENO, buf, sizeof(buf))) > 0) {
        write(STDOUT_FILENO, buf, (size_t)n);
        for (int f = 0; f < nfds; f++)
            if (write(fds[f], buf, (size_t)n) != n)
                status = 1;
    }
    return n < 0 ? 1 : status;
}
