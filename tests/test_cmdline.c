/*
 * tests/test_cmdline.c - host test of kernel/cmdline.c: a table of command
 * lines and what cmdline_get() must answer for each key.
 */
#include <kernel/cmdline.h>
#include <stdio.h>
#include <string.h>

struct lookup {
    const char *line;
    const char *key;
    const char *want; /* NULL: absent */
};

static const struct lookup cases[] = {
    { "test=all quiet", "test", "all" },
    { "test=all quiet", "quiet", "" },
    { "test=all quiet", "qui", NULL },
    { "test=all quiet", "tes", NULL },
    { "  spaced   out=yes  ", "out", "yes" },
    { "  spaced   out=yes  ", "spaced", "" },
    { "a=1 a=2", "a", "2" },
    { "k=v=w", "k", "v=w" },
    { "", "test", NULL },
    { "tab\tsep=1", "sep", "1" },
    { "empty= x", "empty", "" },
    { NULL, "anything", NULL },
    { "quiet -- test all", "quiet", "" },
    { "quiet -- test all", "test", NULL }, /* after "--": init's, not the kernel's */
    { "-- run", "run", NULL },
};

static int same(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

int main(void)
{
    int passed = 0, failed = 0;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct lookup *c = &cases[i];
        cmdline_parse(c->line);
        const char *got = cmdline_get(c->key);
        if (same(got, c->want) && cmdline_has(c->key) == (c->want != NULL)) {
            passed++;
        } else {
            failed++;
            printf("FAIL \"%s\" key %s: got %s%s%s want %s%s%s\n", c->line ? c->line : "(null)",
                   c->key, got ? "\"" : "", got ? got : "NULL", got ? "\"" : "",
                   c->want ? "\"" : "", c->want ? c->want : "NULL", c->want ? "\"" : "");
        }
    }
    /* words after "--" are /init's arguments */
    const char *args[4];
    cmdline_parse("quiet -- test all");
    int n = cmdline_init_args(args, 4);
    if (n == 2 && strcmp(args[0], "test") == 0 && strcmp(args[1], "all") == 0)
        passed++;
    else
        failed++, printf("FAIL init args: got %d\n", n);
    cmdline_parse("a b");
    if (cmdline_init_args(args, 4) == 0)
        passed++;
    else
        failed++, printf("FAIL init args without --\n");
    /* a line longer than the buffer is cut, not overflowed */
    char longline[3000];
    memset(longline, 'x', sizeof(longline) - 1);
    longline[sizeof(longline) - 1] = '\0';
    cmdline_parse(longline);
    if (strlen(cmdline_full()) < sizeof(longline) - 1)
        passed++;
    else
        failed++, printf("FAIL long line not cut\n");
    printf("cmdline: %d passed, %d failed\n", passed, failed);
    return failed != 0;
}
