/*
 * df [-h] [PATH...] - how full each disk filesystem is, from statfs(2):
 *
 *   Filesystem     1K-blocks   Used Available Use% Mounted on
 *   /dev/vda          126931  66650     53728  56% /mnt
 *
 * Without PATH: every mount in /proc/mounts that has blocks (the memory
 * filesystems "/" and /proc have none, and df leaves them out, as
 * coreutils does). Available excludes the blocks reserved for root; Use%
 * is Used / (Used + Available), rounded up, as coreutils computes it.
 * -h prints sizes as 1.5M, 120K...
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>

static int human;

/* kb as "%9lu", or with -h in the largest unit that keeps it under 1024 ("1.5M", "120K"). */
static void print_size(unsigned long kb)
{
    static const char units[] = "KMGT";
    if (!human) {
        printf(" %9lu", kb);
        return;
    }
    unsigned long tenths = kb * 10;
    int u = 0;
    while (tenths >= 10240 && u < 3) {
        tenths = (tenths + 1023) / 1024; /* round up, as df -h does */
        u++;
    }
    if (tenths < 100 && u > 0)
        printf(" %4lu.%lu%c", tenths / 10, tenths % 10, units[u]);
    else
        printf(" %5lu%c", (tenths + 9) / 10, units[u]);
}

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

static int show(const char *dev, const char *dir)
{
    struct statfs st;
    if (statfs(dir, &st) < 0) {
        printf("df: %s: %s\n", dir, strerror(errno));
        return 1;
    }
    unsigned long kb = (unsigned long)st.f_bsize / 1024;
    unsigned long total = st.f_blocks * kb, avail = st.f_bavail * kb;
    unsigned long used = (st.f_blocks - st.f_bfree) * kb;
    unsigned long pct = used + avail ? (used * 100 + used + avail - 1) / (used + avail) : 0;
    printf("%-14s", dev);
    print_size(total);
    print_size(used);
    print_size(avail);
    printf(" %3lu%% %s\n", pct, dir);
    return 0;
}

int main(int argc, char **argv)
{
    int i = 1, status = 0;
    if (i < argc && strcmp(argv[i], "-h") == 0) {
        human = 1;
        i++;
    }
    printf(human ? "Filesystem      Size   Used  Avail Use%% Mounted on\n"
                 : "Filesystem     1K-blocks      Used Available Use%% Mounted on\n");
    FILE *f = fopen("/proc/mounts", "r");
    char line[512];
    while (f && fgets(line, sizeof(line), f)) {
        char *p = line, *dev = next_word(&p), *dir = next_word(&p);
        if (!dir)
            continue;
        int wanted = i == argc;
        for (int j = i; j < argc; j++)
            wanted |= strcmp(argv[j], dir) == 0;
        struct statfs st;
        if (wanted && statfs(dir, &st) == 0 && (st.f_blocks > 0 || i < argc))
            status |= show(dev, dir);
    }
    if (f)
        fclose(f);
    return status;
}
