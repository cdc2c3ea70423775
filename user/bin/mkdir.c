/*
 * mkdir [-p] DIR... - creates directories (mode 0777 less the umask).
 * With -p, missing parents are created too and an existing directory is
 * no error.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* mkdir that counts "already a directory" as success. */
static int mkdir_exists_ok(const char *path)
{
    struct stat st;

    if (mkdir(path, 0777) == 0)
        return 0;
    if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return 0;
    return -1;
}

/* Creates every prefix of path that ends before a '/', then path itself. */
static int mkdir_parents(const char *path)
{
    char buf[PATH_MAX];

    if (strlcpy(buf, path, sizeof(buf)) >= sizeof(buf)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = buf + 1; *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir_exists_ok(buf) < 0)
            return -1;
        *p = '/';
    }
    return mkdir_exists_ok(buf);
}

int main(int argc, char **argv)
{
    int parents = 0, status = 0, i = 1;

    if (argc > 1 && strcmp(argv[1], "-p") == 0) {
        parents = 1;
        i++;
    }
    if (i >= argc) {
        fprintf(stderr, "usage: mkdir [-p] DIR...\n");
        return 2;
    }
    for (; i < argc; i++) {
        if ((parents ? mkdir_parents(argv[i]) : mkdir(argv[i], 0777)) < 0) {
            fprintf(stderr, "mkdir: %s: %s\n", argv[i], strerror(errno));
            status = 1;
        }
    }
    return status;
}
