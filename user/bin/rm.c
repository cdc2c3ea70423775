/*
 * rm [-f] [-r] PATH... - removes files. -r removes directories with
 * everything in them; -f keeps quiet about paths that do not exist.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int recursive, force;

static int remove_path(const char *path);

/* Removes everything inside directory path, then the directory. 0 or -1. */
static int remove_tree(const char *path)
{
    DIR *dir = opendir(path);
    struct dirent *e;
    char child[PATH_MAX];
    int ret = 0;

    if (dir == NULL)
        return -1;
    while ((e = readdir(dir)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(child, sizeof(child), "%s/%s", path, e->d_name);
        if (remove_path(child) < 0)
            ret = -1; /* already reported; go on with the rest */
    }
    closedir(dir);
    return ret < 0 ? -1 : rmdir(path);
}

/* Removes one path (a tree with -r); prints why on failure and returns -1. */
static int remove_path(const char *path)
{
    struct stat st;
    int ret;

    if (lstat(path, &st) < 0) {
        if (force && errno == ENOENT)
            return 0;
        ret = -1;
    } else if (S_ISDIR(st.st_mode)) {
        if (!recursive) {
            fprintf(stderr, "rm: %s: is a directory (use -r)\n", path);
            return -1;
        }
        ret = remove_tree(path);
    } else {
        ret = unlink(path);
    }
    if (ret < 0)
        fprintf(stderr, "rm: %s: %s\n", path, strerror(errno));
    return ret;
}

int main(int argc, char **argv)
{
    int status = 0, i = 1;

    for (; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
        for (const char *o = argv[i] + 1; *o != '\0'; o++) {
            if (*o == 'r' || *o == 'R')
                recursive = 1;
            else if (*o == 'f')
                force = 1;
            else {
                fprintf(stderr, "usage: rm [-f] [-r] PATH...\n");
                return 2;
            }
        }
    }
    if (i >= argc && !force) {
        fprintf(stderr, "usage: rm [-f] [-r] PATH...\n");
        return 2;
    }
    for (; i < argc; i++)
        if (remove_path(argv[i]) < 0)
            status = 1;
    return status;
}
