/*
 * pmap [-x | -d | -X | -XX] [-p] [-q] PID... - the memory map of processes, in
 * the layouts of procps-ng's pmap:
 *
 *   pmap 1          address, size, mode and name of each mapping, and a total
 *   pmap -x 1       also resident and dirty kB (from /proc/PID/smaps)
 *   pmap -d 1       the "device format": offset and device of each mapping,
 *                   and mapped / writeable-private / shared totals
 *   pmap -X 1       every smaps field but the page sizes and the shared/private
 *                   split; -XX: all of them and VmFlags
 *   -p              full paths instead of file names; -q: no header or footer
 *
 * The default view reads /proc/PID/maps, the others /proc/PID/smaps: a
 * maps line per VMA, then "Name:   value kB" lines and "VmFlags: ...".
 * -X shows the fields in the order the kernel prints them, so its columns
 * follow the kernel's smaps format; each column is as wide as its widest
 * entry (header, value or total).
 */
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_FIELDS 40
#define FIELD_NAME_MAX 32

enum view { VIEW_PLAIN, VIEW_D, VIEW_X, VIEW_XX_SOME, VIEW_XX_ALL };

struct mapping {
    char start[20], perms[8], offset[20], dev[16], inode[24];
    unsigned long start_addr, end_addr;
    const char *path;              /* points into the file's text ("" if none) */
    unsigned long values[MAX_FIELDS]; /* kB, in the order of fields[] */
    const char *vmflags;           /* into the text; NULL if none */
};

struct smaps {
    char *text;
    struct mapping *maps;
    int count;
    char fields[MAX_FIELDS][FIELD_NAME_MAX]; /* names in the kernel's order */
    int nfields;
};

static int opt_path, opt_quiet;

/*
 * The whole of a file in a malloc'd, NUL-terminated buffer (its length in
 * *lenp if not NULL); NULL if it cannot be read.
 */
static char *slurp(const char *path, size_t *lenp)
{
    int fd = open(path, O_RDONLY);
    size_t len = 0, cap = 4096;
    char *buf;
    ssize_t n;

    if (fd < 0)
        return NULL;
    buf = malloc(cap);
    while (buf != NULL && (n = read(fd, buf + len, cap - 1 - len)) > 0) {
        len += (size_t)n;
        if (len == cap - 1) {
            char *bigger = realloc(buf, cap * 2);
            if (bigger == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
    }
    close(fd);
    if (buf != NULL)
        buf[len] = '\0';
    if (lenp != NULL)
        *lenp = len;
    return buf;
}

/* Copies the next space-separated word of *s into out (size bytes) and moves *s past it. */
static void next_word(char **s, char *out, size_t size)
{
    size_t n = 0;

    while (**s == ' ')
        (*s)++;
    while (**s != '\0' && **s != ' ' && **s != '\n') {
        if (n + 1 < size)
            out[n++] = **s;
        (*s)++;
    }
    out[n] = '\0';
}

/* Parses a maps line (NUL-terminated, in place) into m. Returns 0, or -1 if it is not one. */
static int parse_maps_line(char *line, struct mapping *m)
{
    char range[48], *dash, *s = line;

    memset(m, 0, sizeof(*m));
    next_word(&s, range, sizeof(range));
    dash = strchr(range, '-');
    if (dash == NULL || !isxdigit((unsigned char)range[0]))
        return -1;
    *dash = '\0';
    strlcpy(m->start, range, sizeof(m->start));
    m->start_addr = strtoul(range, NULL, 16);
    m->end_addr = strtoul(dash + 1, NULL, 16);
    next_word(&s, m->perms, sizeof(m->perms));
    next_word(&s, m->offset, sizeof(m->offset));
    next_word(&s, m->dev, sizeof(m->dev));
    next_word(&s, m->inode, sizeof(m->inode));
    while (*s == ' ')
        s++;
    m->path = s; /* the rest of the line, spaces included ("/dev/zero (deleted)") */
    return 0;
}

static int field_index(struct smaps *sm, const char *name)
{
    for (int i = 0; i < sm->nfields; i++)
        if (strcmp(sm->fields[i], name) == 0)
            return i;
    if (sm->nfields == MAX_FIELDS)
        return -1;
    strlcpy(sm->fields[sm->nfields], name, FIELD_NAME_MAX);
    return sm->nfields++;
}

/* Splits the text into lines and fills sm->maps. 0, or -1 when out of memory. */
static int parse(struct smaps *sm)
{
    int lines = 1;
    char *line = sm->text;

    for (char *c = sm->text; *c != '\0'; c++)
        lines += *c == '\n';
    sm->maps = calloc((size_t)lines, sizeof(struct mapping));
    if (sm->maps == NULL)
        return -1;
    while (*line != '\0') {
        char *end = strchr(line, '\n'), *colon;
        struct mapping *cur = sm->count ? &sm->maps[sm->count - 1] : NULL;

        if (end != NULL)
            *end = '\0';
        colon = strchr(line, ':');
        if (strncmp(line, "VmFlags:", 8) == 0 && cur != NULL) {
            char *last = line + strlen(line);

            while (last > line + 8 && last[-1] == ' ')
                *--last = '\0'; /* the kernel ends the list with a space */
            cur->vmflags = line + 8 + strspn(line + 8, " ");
        } else if (colon != NULL && colon[1] == ' ' && !strchr(line, '-') && cur != NULL) {
            *colon = '\0'; /* "Name:   123 kB" */
            int i = field_index(sm, line);
            if (i >= 0)
                cur->values[i] = strtoul(colon + 1, NULL, 10);
        } else if (parse_maps_line(line, &sm->maps[sm->count]) == 0) {
            sm->count++;
        }
        if (end == NULL)
            break;
        line = end + 1;
    }
    return 0;
}

/* What pmap shows as a mapping's name: the file's base name, or [ anon ] / [ stack ]. */
static const char *short_name(const struct mapping *m)
{
    const char *slash = strrchr(m->path, '/');

    if (slash != NULL) {
        if (opt_path)
            return strchr(m->path, '/');
        return slash[1] ? slash + 1 : slash;
    }
    return strcmp(m->path, "[stack]") == 0 ? "  [ stack ]" : "  [ anon ]";
}

/* "r-x--": permissions, 's' for shared, and the unused fifth column. */
static void mode_of(const struct mapping *m, char mode[6])
{
    mode[0] = m->perms[0];
    mode[1] = m->perms[1];
    mode[2] = m->perms[2];
    mode[3] = m->perms[3] == 's' ? 's' : '-';
    mode[4] = '-';
    mode[5] = '\0';
}

static unsigned long value(const struct smaps *sm, const struct mapping *m, const char *name)
{
    for (int i = 0; i < sm->nfields; i++)
        if (strcmp(sm->fields[i], name) == 0)
            return m->values[i];
    return 0;
}

static void show_plain(const struct smaps *sm)
{
    unsigned long total = 0;
    char mode[6];

    for (int i = 0; i < sm->count; i++) {
        const struct mapping *m = &sm->maps[i];
        unsigned long kb = (m->end_addr - m->start_addr) >> 10;

        mode_of(m, mode);
        printf("%016lx %6luK %s %s\n", m->start_addr, kb, mode, short_name(m));
        total += kb;
    }
    if (!opt_quiet)
        printf(" total %16luK\n", total);
}

/* -d: offset and device (maps' "MAJ:MIN" in hex, printed as procps does: "%03x:%05x"). */
static void show_d(const struct smaps *sm)
{
    unsigned long mapped = 0, private_writeable = 0, shared = 0;
    char mode[6];

    if (!opt_quiet)
        printf("Address           Kbytes Mode  Offset           Device    Mapping\n");
    for (int i = 0; i < sm->count; i++) {
        const struct mapping *m = &sm->maps[i];
        unsigned long kb = (m->end_addr - m->start_addr) >> 10;
        char *colon;
        unsigned long major = strtoul(m->dev, &colon, 16);
        unsigned long minor = *colon == ':' ? strtoul(colon + 1, NULL, 16) : 0;

        mode_of(m, mode);
        printf("%016lx %7lu %s %016lx %03lx:%05lx %s\n", m->start_addr, kb, mode,
               strtoul(m->offset, NULL, 16), major, minor, short_name(m));
        mapped += kb;
        if (m->perms[3] == 's')
            shared += kb;
        else if (m->perms[1] == 'w')
            private_writeable += kb;
    }
    if (!opt_quiet)
        printf("mapped: %luK    writeable/private: %luK    shared: %luK\n", mapped,
               private_writeable, shared);
}

static void show_x(const struct smaps *sm)
{
    unsigned long total = 0, rss = 0, dirty = 0;
    char mode[6];

    if (!opt_quiet)
        printf("Address           Kbytes     RSS   Dirty Mode  Mapping\n");
    for (int i = 0; i < sm->count; i++) {
        const struct mapping *m = &sm->maps[i];
        unsigned long kb = (m->end_addr - m->start_addr) >> 10;
        unsigned long r = value(sm, m, "Rss");
        unsigned long d = value(sm, m, "Shared_Dirty") + value(sm, m, "Private_Dirty");

        mode_of(m, mode);
        printf("%016lx %7lu %7lu %7lu %s %s\n", m->start_addr, kb, r, d, mode, short_name(m));
        total += kb;
        rss += r;
        dirty += d;
    }
    if (!opt_quiet) {
        printf("---------------- ------- ------- ------- \n");
        printf("%-16s %7lu %7lu %7lu\n", "total kB", total, rss, dirty);
    }
}

static int digits(unsigned long v)
{
    int n = 1;

    while (v >= 10) {
        v /= 10;
        n++;
    }
    return n;
}

static int max_int(int a, int b)
{
    return a > b ? a : b;
}

/* Whether -X shows a field (-XX shows them all). */
static int x_shows(const char *name, enum view view)
{
    static const char *const hidden[] = {
        "KernelPageSize", "MMUPageSize", "Shared_Clean", "Shared_Dirty",
        "Private_Clean", "Private_Dirty", "AnonHugePages",
    };

    if (view == VIEW_XX_ALL)
        return 1;
    for (size_t i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++)
        if (strcmp(name, hidden[i]) == 0)
            return 0;
    return 1;
}

/* The mapping's name in -X: what maps says, the file's base name without -p. */
static const char *x_name(const struct mapping *m)
{
    const char *slash = strrchr(m->path, '/');

    if (slash == NULL || opt_path)
        return m->path;
    return slash[1] ? slash + 1 : slash;
}

struct x_layout {
    int addr, offset, dev, inode, vmflags;
    int width[MAX_FIELDS];   /* 0: column not shown */
    unsigned long total[MAX_FIELDS];
};

/*
 * Column widths: the widest of header, values and total; with -q (no
 * header, no total) the widest value.
 */
static void x_measure(const struct smaps *sm, enum view view, struct x_layout *l)
{
    int shown = !opt_quiet;

    memset(l, 0, sizeof(*l));
    l->addr = shown ? 7 : 0;
    l->offset = shown ? 6 : 0;
    l->dev = shown ? 6 : 0;
    l->inode = shown ? 5 : 0;
    l->vmflags = shown ? 7 : 0;
    for (int i = 0; i < sm->count; i++) {
        const struct mapping *m = &sm->maps[i];

        l->addr = max_int(l->addr, (int)strlen(m->start));
        l->offset = max_int(l->offset, (int)strlen(m->offset));
        l->dev = max_int(l->dev, (int)strlen(m->dev));
        l->inode = max_int(l->inode, (int)strlen(m->inode));
        if (m->vmflags != NULL)
            l->vmflags = max_int(l->vmflags, (int)strlen(m->vmflags));
        for (int f = 0; f < sm->nfields; f++) {
            l->total[f] += m->values[f];
            if (x_shows(sm->fields[f], view))
                l->width[f] = max_int(l->width[f], digits(m->values[f]));
        }
    }
    for (int f = 0; f < sm->nfields && shown; f++)
        if (x_shows(sm->fields[f], view))
            l->width[f] = max_int((int)strlen(sm->fields[f]), digits(l->total[f]));
}

static void show_X(const struct smaps *sm, enum view view)
{
    struct x_layout l;
    int lead;

    x_measure(sm, view, &l);
    lead = l.addr + 1 + 4 + 1 + l.offset + 1 + l.dev + 1 + l.inode + 1;
    if (!opt_quiet) {
        printf("%*s %s %*s %*s %*s ", l.addr, "Address", "Perm", l.offset, "Offset", l.dev,
               "Device", l.inode, "Inode");
        for (int f = 0; f < sm->nfields; f++)
            if (l.width[f])
                printf("%*s ", l.width[f], sm->fields[f]);
        if (view == VIEW_XX_ALL)
            printf("%*s ", l.vmflags, "VmFlags");
        printf("Mapping\n");
    }
    for (int i = 0; i < sm->count; i++) {
        const struct mapping *m = &sm->maps[i];

        printf("%*s %s %*s %*s %*s ", l.addr, m->start, m->perms, l.offset, m->offset, l.dev,
               m->dev, l.inode, m->inode);
        for (int f = 0; f < sm->nfields; f++)
            if (l.width[f])
                printf("%*lu ", l.width[f], m->values[f]);
        if (view == VIEW_XX_ALL)
            printf("%*s ", l.vmflags, m->vmflags != NULL ? m->vmflags : "");
        printf("%s\n", x_name(m));
    }
    if (opt_quiet)
        return;
    printf("%*s", lead, "");
    for (int f = 0; f < sm->nfields; f++) {
        if (!l.width[f])
            continue;
        for (int c = 0; c < l.width[f]; c++)
            putchar('=');
        putchar(' ');
    }
    printf("\n%*s", lead, "");
    for (int f = 0; f < sm->nfields; f++)
        if (l.width[f])
            printf("%*lu ", l.width[f], l.total[f]);
    printf("KB \n");
}

/* "PID:   command line": argv joined by spaces, control characters shown as spaces. */
static void show_header(int pid)
{
    char path[64], *cmd;
    size_t len;

    snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
    cmd = slurp(path, &len);
    if (cmd == NULL)
        return;
    if (len > 0 && cmd[len - 1] == '\0')
        len--; /* the last argument's terminator */
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)cmd[i] < ' ')
            cmd[i] = ' ';
    cmd[len] = '\0';
    printf("%d:   %s\n", pid, cmd);
    free(cmd);
}

/* Shows one process; 0, or 1 when it does not exist. */
static int show(int pid, enum view view)
{
    char path[64];
    struct smaps sm;

    memset(&sm, 0, sizeof(sm));
    snprintf(path, sizeof(path), "/proc/%d/%s", pid,
             view == VIEW_PLAIN || view == VIEW_D ? "maps" : "smaps");
    sm.text = slurp(path, NULL);
    if (sm.text == NULL)
        return 1;
    if (parse(&sm) < 0) {
        fprintf(stderr, "pmap: out of memory\n");
        exit(1);
    }
    show_header(pid);
    if (view == VIEW_PLAIN)
        show_plain(&sm);
    else if (view == VIEW_D)
        show_d(&sm);
    else if (view == VIEW_X)
        show_x(&sm);
    else
        show_X(&sm, view);
    free(sm.maps);
    free(sm.text);
    return 0;
}

static void usage(void)
{
    fprintf(stderr, "Usage: pmap [-x | -d | -X | -XX] [-p] [-q] PID [PID ...]\n");
    exit(1);
}

int main(int argc, char **argv)
{
    enum view view = VIEW_PLAIN;
    int errors = 0, pids = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (strcmp(a, "-x") == 0 || strcmp(a, "--extended") == 0)
            view = VIEW_X;
        else if (strcmp(a, "-d") == 0 || strcmp(a, "--device") == 0)
            view = VIEW_D;
        else if (strcmp(a, "-X") == 0)
            view = VIEW_XX_SOME;
        else if (strcmp(a, "-XX") == 0)
            view = VIEW_XX_ALL;
        else if (strcmp(a, "-p") == 0 || strcmp(a, "--show-path") == 0)
            opt_path = 1;
        else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0)
            opt_quiet = 1;
        else if (a[0] == '-')
            usage();
    }
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-')
            continue;
        pids++;
        errors += show(atoi(argv[i]), view);
    }
    if (pids == 0)
        usage();
    return errors ? 42 : 0;
}
