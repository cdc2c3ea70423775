/*
 * mount [-t TYPE] [-o OPTIONS] DEVICE DIR - attaches a filesystem (mount(2));
 * mount -o remount,ro|rw DIR changes a mounted one; mount alone lists what is
 * mounted, from /proc/mounts, as "DEVICE on DIR type TYPE (OPTIONS)".
 * OPTIONS: ro, rw, remount, nosuid, nodev, noexec, sync, noatime, relatime.
 * TYPE defaults to ext2, the one disk filesystem mica has.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

/* The next space-separated word of *p (NUL-terminated in place), or NULL. */
static char *next_word(char **p)
{
    char *word = *p + strspn(*p, " \n");
    if (*word == '\0')
        return NULL;
    char *end = word + strcspn(word, " \n");
    *p = *end ? end + 1 : end;
    *end = '\0';
    return word;
}

static int list_mounts(void)
{
    FILE *f = fopen("/proc/mounts", "r");
    if (f == NULL) {
        printf("mount: /proc/mounts: %s\n", strerror(errno));
        return 1;
    }
    char line[512];
    while (fgets(line, sizeof(line), f)) {
        char *p = line, *dev = next_word(&p), *dir = next_word(&p);
        char *type = next_word(&p), *opts = next_word(&p);
        if (opts)
            printf("%s on %s type %s (%s)\n", dev, dir, type, opts);
    }
    fclose(f);
    return 0;
}

/* Turns "ro,nosuid" into MS_* flags; -1 for an option mica does not know. */
static long parse_options(char *opts)
{
    static const struct { const char *name; unsigned long set, clear; } known[] = {
        { "ro", MS_RDONLY, 0 }, { "rw", 0, MS_RDONLY }, { "remount", MS_REMOUNT, 0 },
        { "nosuid", MS_NOSUID, 0 }, { "nodev", MS_NODEV, 0 }, { "noexec", MS_NOEXEC, 0 },
        { "sync", MS_SYNCHRONOUS, 0 }, { "noatime", MS_NOATIME, 0 },
        { "relatime", MS_RELATIME, 0 }, { "defaults", 0, 0 },
    };
    unsigned long flags = 0;
    for (char *opt = opts; *opt;) {
        char *comma = opt + strcspn(opt, ",");
        char *next = *comma ? comma + 1 : comma;
        *comma = '\0';
        size_t i = 0;
        while (*opt && i < sizeof(known) / sizeof(known[0]) && strcmp(opt, known[i].name) != 0)
            i++;
        if (*opt && i == sizeof(known) / sizeof(known[0])) {
            printf("mount: unknown option %s\n", opt);
            return -1;
        }
        if (*opt)
            flags = (flags | known[i].set) & ~known[i].clear;
        opt = next;
    }
    return (long)flags;
}

int main(int argc, char **argv)
{
    const char *type = "ext2";
    char opts[128] = "";
    int i = 1;
    for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
        if (strcmp(argv[i], "-t") == 0)
            type = argv[i + 1];
        else if (strcmp(argv[i], "-o") == 0)
            snprintf(opts, sizeof(opts), "%s", argv[i + 1]);
        else
            break;
    }
    if (i == argc)
        return list_mounts();
    long flags = parse_options(opts);
    if (flags < 0)
        return 1;
    const char *dev = (flags & MS_REMOUNT) && argc - i == 1 ? "" : argv[i];
    const char *dir = argc - i == 1 ? argv[i] : argv[i + 1];
    if (!(flags & MS_REMOUNT) && argc - i != 2) {
        printf("usage: mount [-t TYPE] [-o OPTIONS] DEVICE DIR\n");
        return 1;
    }
    if (mount(dev, dir, type, (unsigned long)flags, NULL) < 0) {
        printf("mount: %s on %s: %s\n", dev, dir, strerror(errno));
        return 32; /* util-linux's "mount failure" */
    }
    return 0;
}
