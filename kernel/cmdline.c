/*
 * kernel/cmdline.c - splitting the kernel command line into options.
 *
 * words[] point into `buffer`, a private copy of the line in which each
 * separator was replaced by NUL; a word's '=' stays in place, so lookups
 * compare the key part and return what follows '='. The words before "--"
 * are kernel options; those after it are /init's arguments. Words beyond
 * CMDLINE_MAX_WORDS and text beyond the buffer are ignored.
 */
#include <kernel/cmdline.h>
#include <lib/string.h>

#define CMDLINE_MAX 1024
#define CMDLINE_MAX_WORDS 64

static char full[CMDLINE_MAX];
static char buffer[CMDLINE_MAX];
static const char *words[CMDLINE_MAX_WORDS];
static int word_count;   /* options: the words before "--" */
static int init_arg_first; /* words[init_arg_first..total_words) are /init's arguments */
static int total_words;

/* Words after "--" are not kernel options: they belong to /init. */
static void split_off_init_args(void)
{
    total_words = word_count;
    init_arg_first = word_count;
    for (int i = 0; i < word_count; i++) {
        if (strcmp(words[i], "--") == 0) {
            init_arg_first = i + 1;
            word_count = i;
            return;
        }
    }
}

void cmdline_parse(const char *line)
{
    word_count = 0;
    if (!line)
        line = "";
    strlcpy(full, line, sizeof(full));
    strlcpy(buffer, line, sizeof(buffer));
    char *p = buffer;
    while (*p && word_count < CMDLINE_MAX_WORDS) {
        while (*p == ' ' || *p == '\t')
            *p++ = '\0';
        if (*p == '\0')
            break;
        words[word_count++] = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
    }
    while (*p) { /* terminate the last word */
        if (*p == ' ' || *p == '\t')
            *p = '\0';
        p++;
    }
    split_off_init_args();
}

/* If word is "key" or "key=...", returns what follows the key ("" or "=..."). */
static const char *match_key(const char *word, const char *key)
{
    size_t n = strlen(key);
    if (strncmp(word, key, n) != 0)
        return NULL;
    if (word[n] != '\0' && word[n] != '=')
        return NULL;
    return word + n;
}

const char *cmdline_get(const char *key)
{
    const char *value = NULL;
    for (int i = 0; i < word_count; i++) { /* the last occurrence wins */
        const char *rest = match_key(words[i], key);
        if (rest)
            value = *rest == '=' ? rest + 1 : rest;
    }
    return value;
}

bool cmdline_has(const char *key)
{
    return cmdline_get(key) != NULL;
}

const char *cmdline_full(void)
{
    return full;
}

int cmdline_init_args(const char **args, int max)
{
    int n = 0;
    for (int i = init_arg_first; i < total_words && n < max; i++)
        args[n++] = words[i];
    return n;
}
