/*
 * user/lib/lineedit.c - reading a line from the terminal with editing and
 * history (what readline does for bash, in small).
 *
 * Keys: a printable character goes in at the cursor; Backspace (DEL or
 * ^H) deletes before the cursor; Left/Right move it, Home/End or ^A/^E
 * jump; Up/Down walk the history; ^U empties the line; ^C abandons it;
 * ^D on an empty line is end of file; Enter ends the line.
 *
 * While a line is read the terminal is in raw mode (no ICANON, ECHO or
 * ISIG: the keys come one by one and nothing is echoed by the kernel), and
 * back in its old mode after. Every change redraws the whole line: "\r",
 * the prompt, the text, ESC [K (erase to the end of the screen line), then
 * the cursor goes back to its place with ESC [nD. The arrow keys arrive as
 * ESC [ A/B/C/D (Home and End as ESC [ H/F or ESC [1~/[4~).
 * State: buf holds len bytes, cursor <= len; history holds the last
 * HISTORY_MAX lines, oldest first.
 */
#include <lineedit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define HISTORY_MAX 64
#define CTRL(c) ((c) & 0x1f)
#define KEY_DEL 0x7f
#define KEY_ESC 0x1b

static char *history[HISTORY_MAX];
static int history_len;

struct edit {
    const char *prompt;
    char *buf;
    size_t len, cursor, cap;
    int history_pos; /* history_len: the line being typed, not a history entry */
};

static int read_key(void)
{
    unsigned char c;
    return read(STDIN_FILENO, &c, 1) == 1 ? c : -1;
}

static void redraw(const struct edit *e)
{
    printf("\r%s", e->prompt);
    fwrite(e->buf, 1, e->len, stdout);
    printf("\x1b[K");
    if (e->len > e->cursor)
        printf("\x1b[%zuD", e->len - e->cursor);
    fflush(stdout);
}

static void insert_char(struct edit *e, char c)
{
    if (e->len + 1 >= e->cap)
        return;
    memmove(e->buf + e->cursor + 1, e->buf + e->cursor, e->len - e->cursor);
    e->buf[e->cursor++] = c;
    e->len++;
}

static void delete_before_cursor(struct edit *e)
{
    if (e->cursor == 0)
        return;
    memmove(e->buf + e->cursor - 1, e->buf + e->cursor, e->len - e->cursor);
    e->cursor--;
    e->len--;
}

/* Replaces the line with history entry pos (history_len: an empty line). */
static void show_history(struct edit *e, int pos)
{
    if (pos < 0 || pos > history_len)
        return;
    e->history_pos = pos;
    const char *text = pos < history_len ? history[pos] : "";
    e->len = e->cursor = strnlen(text, e->cap - 1);
    memcpy(e->buf, text, e->len);
}

/* After ESC: the rest of an arrow, Home or End key. */
static void escape_sequence(struct edit *e)
{
    if (read_key() != '[')
        return;
    int key = read_key();
    if (key >= '0' && key <= '9' && read_key() != '~')
        return;
    switch (key) {
    case 'A': show_history(e, e->history_pos - 1); break;
    case 'B': show_history(e, e->history_pos + 1); break;
    case 'C': if (e->cursor < e->len) e->cursor++; break;
    case 'D': if (e->cursor > 0) e->cursor--; break;
    case 'H': case '1': e->cursor = 0; break;
    case 'F': case '4': e->cursor = e->len; break;
    }
}

/* Edits until Enter (1), ^D on an empty line or end of input (0). */
static int edit_loop(struct edit *e)
{
    for (;;) {
        redraw(e);
        int c = read_key();
        if (c < 0 || (c == CTRL('D') && e->len == 0))
            return 0;
        if (c == '\n' || c == '\r')
            return 1;
        if (c == CTRL('C')) {
            printf("^C");
            e->len = e->cursor = 0;
            return 1;
        }
        if (c == KEY_DEL || c == CTRL('H'))
            delete_before_cursor(e);
        else if (c == CTRL('U'))
            e->len = e->cursor = 0;
        else if (c == CTRL('A'))
            e->cursor = 0;
        else if (c == CTRL('E'))
            e->cursor = e->len;
        else if (c == KEY_ESC)
            escape_sequence(e);
        else if (c >= ' ')
            insert_char(e, (char)c);
    }
}

static void remember(const char *line)
{
    if (line[0] == '\0' || (history_len > 0 && strcmp(history[history_len - 1], line) == 0))
        return;
    if (history_len == HISTORY_MAX) {
        free(history[0]);
        memmove(history, history + 1, (HISTORY_MAX - 1) * sizeof(history[0]));
        history_len--;
    }
    char *copy = strdup(line);
    if (copy != NULL)
        history[history_len++] = copy;
}

int line_edit(const char *prompt, char *buf, size_t size)
{
    struct termios saved, raw;
    if (tcgetattr(STDIN_FILENO, &saved) < 0)
        return -1;
    raw = saved;
    raw.c_lflag &= ~(ICANON | ECHO | ISIG | IEXTEN);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    tcsetattr(STDIN_FILENO, TCSADRAIN, &raw);
    struct edit e = { prompt, buf, 0, 0, size, history_len };
    int got_line = edit_loop(&e);
    tcsetattr(STDIN_FILENO, TCSADRAIN, &saved);
    e.cursor = e.len;
    redraw(&e);
    printf("\n");
    fflush(stdout);
    buf[e.len] = '\0';
    if (got_line)
        remember(buf);
    return got_line ? (int)e.len : -1;
}
