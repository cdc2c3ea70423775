/*
 * ls [-a] [-l] [PATH...] - lists the names in each directory, sorted
 * (names starting with '.' only with -a); a PATH that is a file is
 * listed as itself. -l adds the type and permissions, the link count and
 * the size: "drwxr-xr-x  2     4096 name".
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int show_all, long_format;

/* A growable array of malloc'd names. */
struct names {
    char **v;
    size_t n, cap;
};

static int names_add(struct names *ns, const char *name)
{
    if (ns->n == ns->cap) {
        size_t cap = ns->cap ? ns->cap * 2 : 32;
        char **v = realloc(ns->v, cap * sizeof(*v));
        if (v == NULL)
            return -1;
        ns->v = v;
        ns->cap = cap;
    }
    ns->v[ns->n] = strdup(name);
    return ns->v[ns->n++] == NULL ? -1 : 0;
}

static void names_free(struct names *ns)
{
    for (size_t i = 0; i < ns->n; i++)
        free(ns->v[i]);
    free(ns->v);
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "drwxr-xr-x" for a mode: the type letter, then rwx for owner, group, others. */
static void mode_string(unsigned int mode, char out[11])
{
    static const char rwx[] = "rwxrwxrwx";

    out[0] = S_ISDIR(mode) ? 'd' : S_ISCHR(mode) ? 'c' : S_ISFIFO(mode) ? 'p'
           : S_ISLNK(mode) ? 'l' : S_ISBLK(mode) ? 'b' : S_ISSOCK(mode) ? 's' : '-';
    for (int i = 0; i < 9; i++)
        out[1 + i] = (mode & (0400 >> i)) ? rwx[i] : '-';
    if (mode & 01000) /* sticky (/tmp): only a file's owner may remove it */
        out[9] = (mode & 1) ? 't' : 'T';
    out[10] = '\0';
}

/* Prints one entry; path is where to stat it, name what to show. */
static void print_entry(const char *path, const char *name)
{
    struct stat st;
    char mode[11];

    if (!long_format) {
        puts(name);
        return;
    }
    if (lstat(path, &st) < 0) {
        fprintf(stderr, "ls: %s: %s\n", path, strerror(errno));
        return;
    }
    mode_string(st.st_mode, mode);
    printf("%s %3lu %8ld %s\n", mode, (unsigned long)st.st_nlink, (long)st.st_size, name);
}

/* Lists directory path; 0, or -1 after printing why. */
static int list_dir(const char *path)
{
    struct names ns = { 0 };
    struct dirent *e;
    char full[PATH_MAX];
    DIR *dir = opendir(path);

    if (dir == NULL) {
        fprintf(stderr, "ls: %s: %s\n", path, strerror(errno));
        return -1;
    }
    while ((e = readdir(dir)) != NULL)
        if ((show_all || e->d_name[0] != '.') && names_add(&ns, e->d_name) < 0)
            break;
    closedir(dir);
    qsort(ns.v, ns.n, sizeof(ns.v[0]), compare_names);
    for (size_t i = 0; i < ns.n; i++) {
        snprintf(full, sizeof(full), "%s/%s", path, ns.v[i]);
        print_entry(full, ns.v[i]);
    }
    names_free(&ns);
    return 0;
}

static int list_path(const char *path)
{
    struct stat st;

    if (stat(path, &st) < 0) {
        fprintf(stderr, "ls: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        print_entry(path, path);
        return 0;
    }
    return list_dir(path);
}

int main(int argc, char **argv)
{
    int i = 1, status = 0, npaths;

    for (; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
        for (const char *o = argv[i] + 1; *o != '\0'; o++) {
            if (*o == 'a')
                show_all = 1;
            else if (*o == 'l')
                long_format = 1;
            else {
                fprintf(stderr, "usage: ls [-a] [-l] [PATH...]\n");
                return 2;
            }
        }
    }
    npaths = argc - i;
    if (npaths == 0)
        return list_path(".") < 0;
    for (; i < argc; i++) {
        if (npaths > 1)
            printf("%s:\n", argv[i]);
        if (list_path(argv[i]) < 0)
            status = 1;
        if (npaths > 1 && i + 1 < argc)
            putchar('\n');
    }
    return status;
}
