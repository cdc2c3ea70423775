/*
 * wc [-l] [-w] [-c] [FILE...] - counts lines, words and bytes (all three
 * unless some are asked for), per file and, for several, in total.
 * No FILE: standard input.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

struct counts {
    long lines, words, bytes;
};

static int show_lines, show_words, show_bytes;

static void count_stream(FILE *in, struct counts *c)
{
    int ch, in_word = 0;
    while ((ch = getc(in)) != EOF) {
        c->bytes++;
        if (ch == '\n')
            c->lines++;
        if (isspace(ch)) {
            in_word = 0;
        } else if (!in_word) {
            in_word = 1;
            c->words++;
        }
    }
}

static void print_counts(const struct counts *c, const char *name)
{
    const char *sep = "";
    if (show_lines) { printf("%ld", c->lines); sep = " "; }
    if (show_words) { printf("%s%ld", sep, c->words); sep = " "; }
    if (show_bytes) printf("%s%ld", sep, c->bytes);
    printf(name ? " %s\n" : "\n", name);
}

int main(int argc, char **argv)
{
    int i = 1, status = 0;
    struct counts total = { 0, 0, 0 };

    for (; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
        show_lines |= strchr(argv[i], 'l') != NULL;
        show_words |= strchr(argv[i], 'w') != NULL;
        show_bytes |= strchr(argv[i], 'c') != NULL;
    }
    if (!show_lines && !show_words && !show_bytes)
        show_lines = show_words = show_bytes = 1;
    if (i == argc) {
        struct counts c = { 0, 0, 0 };
        count_stream(stdin, &c);
        print_counts(&c, NULL);
        return 0;
    }
    for (int f = i; f < argc; f++) {
        struct counts c = { 0, 0, 0 };
        FILE *in = fopen(argv[f], "r");
        if (in == NULL) {
            perror(argv[f]);
            status = 1;
            continue;
        }
        count_stream(in, &c);
        fclose(in);
        print_counts(&c, argv[f]);
        total.lines += c.lines;
        total.words += c.words;
        total.bytes += c.bytes;
    }
    if (argc - i > 1)
        print_counts(&total, "total");
    return status;
}
