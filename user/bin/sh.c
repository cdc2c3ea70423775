/*
 * sh - a small shell.
 *
 *   sh               reads commands from standard input; prompts "$ " when
 *                    that is a terminal
 *   sh FILE          runs the commands in FILE
 *   sh -c COMMANDS   runs COMMANDS
 *
 * Each line goes through four steps, one function each:
 *
 *   read    a line of input (run_stream, run_string)
 *   lex     the words and operators of the next pipeline (lex_pipeline),
 *           just before it runs, so $? is already up to date:
 *           'single quotes' keep everything,
 *           "double quotes" keep all but $ and \" \\ \$, a backslash
 *           outside quotes keeps the next character; $? is the last exit
 *           status, $! the pid of the last background job, $$ our pid,
 *           $NAME an environment variable (there are no shell variables);
 *           '#' at the start of a word begins a comment
 *   parse   operators into pipelines (parse_pipeline):
 *             cmd [< in] [> out | >> out] | cmd ... [&] ; ...
 *   run     builtins (cd [DIR], exit [N], wait [PID]) inside the shell;
 *           programs with fork + execve (PATH=/bin search, a name with '/'
 *           used as it is), joined by pipes, waited for unless the
 *           pipeline ends with '&' - then "[PID]" is printed and $! set
 *
 * Exit statuses: a program's own, 128+N if signal N killed it, 127 if it
 * was not found, 126 if it was found but could not be run, 2 for a syntax
 * error, 1 for a failed redirection.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_TOKENS 256
#define MAX_ARGS 64
#define MAX_CMDS 16
#define MAX_JOBS 32
#define STORE_SIZE 16384 /* room for the words of one pipeline, after $ expansion */

static int last_status;   /* $? */
static pid_t last_bg_pid; /* $!, 0 before the first background job */
static int interactive;   /* reading from a terminal: prompt, report finished jobs */

/* ---- lexing: a line into tokens ---- */

enum token_kind { T_WORD, T_PIPE, T_AMP, T_SEMI, T_IN, T_OUT, T_APPEND, T_END };

struct token {
    enum token_kind kind;
    char *word; /* T_WORD: the word after quotes and $ are dealt with */
};

struct lexer {
    const char *p;       /* the next input character */
    char *store;         /* STORE_SIZE bytes for the words of one pipeline */
    char *out, *out_end; /* where the next word character goes; the end of store */
    struct token toks[MAX_TOKENS];
    int ntoks;
    const char *error;   /* set on the first error */
};

/* Appends c to the current word; past the end of the store, records an error instead. */
static void put_char(struct lexer *lx, char c)
{
    if (lx->out == lx->out_end)
        lx->error = "line too long";
    else
        *lx->out++ = c;
}

/* After a '$' and a letter or '_': appends the environment variable's value (nothing if unset). */
static void expand_variable(struct lexer *lx)
{
    char name[64];
    size_t len = 0;
    const char *value;

    while ((isalnum((unsigned char)*lx->p) || *lx->p == '_') && len < sizeof(name) - 1)
        name[len++] = *lx->p++;
    name[len] = '\0';
    value = getenv(name);
    for (; value != NULL && *value != '\0'; value++)
        put_char(lx, *value);
}

/* After a '$': appends the value of $?, $!, $$ or $NAME; any other '$' stays a '$'. */
static void expand_dollar(struct lexer *lx)
{
    char c = *lx->p;
    char num[16] = ""; /* stays empty for $! before the first background job */

    if (isalpha((unsigned char)c) || c == '_') {
        expand_variable(lx);
        return;
    }
    if (c != '?' && c != '!' && c != '$') {
        put_char(lx, '$'); /* a '$' followed by nothing special is just a dollar sign */
        return;
    }
    if (c == '?')
        snprintf(num, sizeof(num), "%d", last_status);
    else if (c == '!' && last_bg_pid != 0)
        snprintf(num, sizeof(num), "%d", last_bg_pid);
    else if (c == '$')
        snprintf(num, sizeof(num), "%d", getpid());
    lx->p++;
    for (char *s = num; *s != '\0'; s++)
        put_char(lx, *s);
}

/* Inside "...": everything is kept except $ and the escapes \" \\ \$. */
static void lex_double_quoted(struct lexer *lx)
{
    for (;;) {
        char c = *lx->p++;
        if (c == '\0') {
            lx->error = "unterminated \"";
            return;
        }
        if (c == '"')
            return;
        if (c == '\\' && (*lx->p == '"' || *lx->p == '\\' || *lx->p == '$'))
            put_char(lx, *lx->p++);
        else if (c == '$')
            expand_dollar(lx);
        else
            put_char(lx, c);
    }
}

static int ends_word(char c)
{
    return c == '\0' || strchr(" \t\n|&;<>", c) != NULL;
}

/* Reads one word (quotes may make it empty: "" is a word) into a new token. */
static void lex_word(struct lexer *lx)
{
    char *start = lx->out;

    while (!ends_word(*lx->p) && lx->error == NULL) {
        char c = *lx->p++;
        if (c == '\'') {
            const char *close = strchr(lx->p, '\'');
            if (close == NULL) {
                lx->error = "unterminated '";
                return;
            }
            while (lx->p < close)
                put_char(lx, *lx->p++);
            lx->p++;
        } else if (c == '"') {
            lex_double_quoted(lx);
        } else if (c == '\\' && *lx->p != '\0') {
            put_char(lx, *lx->p++);
        } else if (c == '$') {
            expand_dollar(lx);
        } else {
            put_char(lx, c);
        }
    }
    put_char(lx, '\0');
    lx->toks[lx->ntoks].kind = T_WORD;
    lx->toks[lx->ntoks].word = start;
}

/* The operator at p, and its length in *len; T_WORD if there is none. */
static enum token_kind operator_at(const char *p, int *len)
{
    *len = 1;
    switch (*p) {
    case '|': return T_PIPE;
    case '&': return T_AMP;
    case ';': return T_SEMI;
    case '<': return T_IN;
    case '>':
        if (p[1] == '>') {
            *len = 2;
            return T_APPEND;
        }
        return T_OUT;
    default: return T_WORD;
    }
}

/* Starts lexing line; words will be written to store (STORE_SIZE bytes). */
static void lex_start(struct lexer *lx, const char *line, char *store)
{
    lx->p = line;
    lx->store = store;
    lx->out_end = store + STORE_SIZE;
    lx->error = NULL;
}

/*
 * Reads the tokens of the next pipeline into lx->toks: up to and including
 * the ';' or '&' that ends it, then T_END. Lexing one pipeline at a time
 * lets "false; echo $?" expand $? after false has run. Returns the number
 * of tokens (0 at the end of the line), or -1 after printing an error.
 */
static int lex_pipeline(struct lexer *lx)
{
    lx->ntoks = 0;
    lx->out = lx->store; /* the previous pipeline's words are done with */
    for (;;) {
        enum token_kind kind;
        int len;
        while (*lx->p == ' ' || *lx->p == '\t' || *lx->p == '\n')
            lx->p++;
        if (*lx->p == '\0' || *lx->p == '#')
            break;
        if (lx->ntoks == MAX_TOKENS - 1) {
            lx->error = "too many words";
            break;
        }
        kind = operator_at(lx->p, &len);
        lx->toks[lx->ntoks].kind = kind;
        if (kind != T_WORD)
            lx->p += len;
        else
            lex_word(lx);
        if (lx->error != NULL)
            break;
        lx->ntoks++;
        if (kind == T_SEMI || kind == T_AMP)
            break;
    }
    lx->toks[lx->ntoks].kind = T_END;
    if (lx->error != NULL) {
        fprintf(stderr, "sh: %s\n", lx->error);
        return -1;
    }
    return lx->ntoks;
}

/* ---- parsing: tokens into pipelines ---- */

struct command {
    char *argv[MAX_ARGS + 1];
    int argc;
    char *in, *out; /* redirections, or NULL */
    int append;     /* '>>' rather than '>' */
};

struct pipeline {
    struct command cmds[MAX_CMDS];
    int ncmds;
    int background; /* ended with '&' */
};

static int syntax_error(const char *what)
{
    fprintf(stderr, "sh: syntax error: %s\n", what);
    return -1;
}

/* Parses words and redirections up to the next operator. 0, or -1 on a syntax error. */
static int parse_command(const struct token *toks, int *pos, struct command *cmd)
{
    memset(cmd, 0, sizeof(*cmd));
    for (;;) {
        const struct token *t = &toks[*pos];
        if (t->kind == T_WORD) {
            if (cmd->argc == MAX_ARGS)
                return syntax_error("too many arguments");
            cmd->argv[cmd->argc++] = t->word;
        } else if (t->kind == T_IN || t->kind == T_OUT || t->kind == T_APPEND) {
            if (toks[*pos + 1].kind != T_WORD)
                return syntax_error("a redirection needs a file name");
            *pos += 1;
            if (t->kind == T_IN)
                cmd->in = toks[*pos].word;
            else {
                cmd->out = toks[*pos].word;
                cmd->append = t->kind == T_APPEND;
            }
        } else {
            break;
        }
        *pos += 1;
    }
    return cmd->argc > 0 ? 0 : syntax_error("missing command");
}

/*
 * Parses one pipeline starting at toks[*pos], and the ';' or '&' after it.
 * Returns 0 when pl is ready to run, 1 if there was nothing to run (an
 * empty command between ';'s), -1 on a syntax error.
 */
static int parse_pipeline(const struct token *toks, int *pos, struct pipeline *pl)
{
    pl->ncmds = 0;
    pl->background = 0;
    if (toks[*pos].kind == T_SEMI) {
        *pos += 1;
        return 1;
    }
    for (;;) {
        if (pl->ncmds == MAX_CMDS)
            return syntax_error("pipeline too long");
        if (parse_command(toks, pos, &pl->cmds[pl->ncmds++]) < 0)
            return -1;
        if (toks[*pos].kind != T_PIPE)
            break;
        *pos += 1;
    }
    switch (toks[*pos].kind) {
    case T_AMP:
        pl->background = 1;
        /* fall through */
    case T_SEMI:
        *pos += 1;
        /* fall through */
    case T_END:
        return 0;
    default:
        return syntax_error("unexpected operator");
    }
}

/* ---- background jobs ---- */

struct job {
    pid_t pid;
    int done;   /* reaped already; status is valid */
    int status; /* the shell's exit status for it */
};

static struct job jobs[MAX_JOBS];
static int njobs;

/* The shell's exit status for a wait status: the exit code, or 128 + the signal. */
static int decode_status(int wstatus)
{
    return WIFSIGNALED(wstatus) ? 128 + WTERMSIG(wstatus) : WEXITSTATUS(wstatus);
}

static void remove_job(int i)
{
    jobs[i] = jobs[--njobs];
}

/* Remembers a background child so `wait` can find it and its zombie is reaped. */
static void add_job(pid_t pid)
{
    for (int i = 0; i < njobs && njobs == MAX_JOBS; i++)
        if (jobs[i].done)
            remove_job(i); /* make room: forget a finished job */
    if (njobs < MAX_JOBS)
        jobs[njobs++] = (struct job){ pid, 0, 0 };
}

/* Reaps background jobs that have ended, without waiting. */
static void check_jobs(void)
{
    int wstatus;

    for (int i = 0; i < njobs; i++) {
        if (!jobs[i].done && waitpid(jobs[i].pid, &wstatus, WNOHANG) == jobs[i].pid) {
            jobs[i].done = 1;
            jobs[i].status = decode_status(wstatus);
            if (interactive)
                printf("[%d] done, status %d\n", jobs[i].pid, jobs[i].status);
        }
    }
}

/* Waits for pid; its shell exit status, or -1 with errno (ECHILD). */
static int wait_child(pid_t pid)
{
    int wstatus;
    pid_t got;

    do
        got = waitpid(pid, &wstatus, 0);
    while (got < 0 && errno == EINTR);
    return got < 0 ? -1 : decode_status(wstatus);
}

/* ---- builtins ---- */

static int builtin_cd(struct command *cmd)
{
    const char *dir = cmd->argc > 1 ? cmd->argv[1] : getenv("HOME");

    if (dir == NULL)
        dir = "/";
    if (chdir(dir) < 0) {
        fprintf(stderr, "sh: cd: %s: %s\n", dir, strerror(errno));
        return 1;
    }
    return 0;
}

static int builtin_exit(struct command *cmd)
{
    exit(cmd->argc > 1 ? atoi(cmd->argv[1]) : last_status);
}

/* wait: every background job; wait PID: that one, and its status. */
static int builtin_wait(struct command *cmd)
{
    pid_t pid;
    int status;

    if (cmd->argc == 1) {
        while (njobs > 0) {
            if (!jobs[0].done)
                wait_child(jobs[0].pid);
            remove_job(0);
        }
        return 0;
    }
    pid = atoi(cmd->argv[1]);
    for (int i = 0; i < njobs; i++) {
        if (jobs[i].pid == pid) {
            status = jobs[i].done ? jobs[i].status : wait_child(pid);
            remove_job(i);
            return status;
        }
    }
    status = wait_child(pid);
    if (status < 0) {
        fprintf(stderr, "sh: wait: pid %d is not a child of this shell\n", pid);
        return 127;
    }
    return status;
}

/* A builtin takes the parsed command and returns its exit status. */
typedef int builtin_fn(struct command *cmd);

/* The builtin called name, or NULL if name is not one. */
static builtin_fn *builtin_for(const char *name)
{
    if (strcmp(name, "cd") == 0)
        return builtin_cd;
    if (strcmp(name, "exit") == 0)
        return builtin_exit;
    if (strcmp(name, "wait") == 0)
        return builtin_wait;
    return NULL;
}

/* ---- running ---- */

/* Opens file and puts it on fd target. 0, or -1 after printing why. */
static int redirect(const char *file, int flags, int target)
{
    int fd = open(file, flags, 0666);

    if (fd < 0) {
        fprintf(stderr, "sh: %s: %s\n", file, strerror(errno));
        return -1;
    }
    if (fd != target) {
        dup2(fd, target);
        close(fd);
    }
    return 0;
}

/* Applies cmd's < and > / >> to fds 0 and 1. 0, or -1 after printing why. */
static int apply_redirections(const struct command *cmd)
{
    int out_flags = O_WRONLY | O_CREAT | (cmd->append ? O_APPEND : O_TRUNC);

    if (cmd->in != NULL && redirect(cmd->in, O_RDONLY, STDIN_FILENO) < 0)
        return -1;
    if (cmd->out != NULL && redirect(cmd->out, out_flags, STDOUT_FILENO) < 0)
        return -1;
    return 0;
}

/* Replaces the child with the program; reports and exits 127/126 if that fails. */
static __attribute__((noreturn)) void exec_program(struct command *cmd)
{
    execvp(cmd->argv[0], cmd->argv);
    if (errno == ENOENT) {
        fprintf(stderr, "sh: %s: not found\n", cmd->argv[0]);
        _exit(127);
    }
    fprintf(stderr, "sh: %s: %s\n", cmd->argv[0], strerror(errno));
    _exit(126);
}

/*
 * In a new child: read from in_fd and write to out_fd (when not -1, the
 * pipe ends), close the pipe end meant for the next command, apply the
 * command's own redirections (they win over the pipes), then run it.
 */
static __attribute__((noreturn)) void child_run(struct command *cmd, int in_fd, int out_fd,
                                                int other_fd)
{
    builtin_fn *builtin = builtin_for(cmd->argv[0]);

    if (in_fd >= 0) {
        dup2(in_fd, STDIN_FILENO);
        close(in_fd);
    }
    if (out_fd >= 0) {
        dup2(out_fd, STDOUT_FILENO);
        close(out_fd);
    }
    if (other_fd >= 0)
        close(other_fd);
    if (apply_redirections(cmd) < 0)
        _exit(1);
    if (builtin != NULL)
        exit(builtin(cmd));
    exec_program(cmd);
}

/*
 * Starts every command of pl in its own child, each one's stdout piped
 * into the next one's stdin. Fills pids[]; returns how many started.
 */
static int start_pipeline(struct pipeline *pl, pid_t *pids)
{
    int prev_read = -1, started = 0;

    fflush(NULL); /* the children must not inherit (and repeat) our buffered output */
    for (int i = 0; i < pl->ncmds; i++) {
        int fds[2] = { -1, -1 };
        if (i < pl->ncmds - 1 && pipe(fds) < 0) {
            perror("sh: pipe");
            break;
        }
        pids[i] = fork();
        if (pids[i] == 0)
            child_run(&pl->cmds[i], prev_read, fds[1], fds[0]);
        if (prev_read >= 0)
            close(prev_read);
        if (fds[1] >= 0)
            close(fds[1]); /* only the child writes: else the reader never sees EOF */
        prev_read = fds[0];
        if (pids[i] < 0) {
            perror("sh: fork");
            break;
        }
        started++;
    }
    if (prev_read >= 0)
        close(prev_read);
    return started;
}

/* A builtin alone runs in the shell itself (so cd changes our directory), redirections undone after. */
static int run_builtin_here(struct command *cmd, builtin_fn *builtin)
{
    int saved_in = cmd->in ? dup(STDIN_FILENO) : -1;
    int saved_out = cmd->out ? dup(STDOUT_FILENO) : -1;
    int status = 1;

    if (apply_redirections(cmd) == 0)
        status = builtin(cmd);
    fflush(stdout);
    if (saved_in >= 0) {
        dup2(saved_in, STDIN_FILENO);
        close(saved_in);
    }
    if (saved_out >= 0) {
        dup2(saved_out, STDOUT_FILENO);
        close(saved_out);
    }
    return status;
}

/* Runs a parsed pipeline; returns its exit status (0 for a background one). */
static int run_pipeline(struct pipeline *pl)
{
    pid_t pids[MAX_CMDS];
    builtin_fn *builtin = builtin_for(pl->cmds[0].argv[0]);
    int n, status = 1;

    if (pl->ncmds == 1 && builtin != NULL && !pl->background)
        return run_builtin_here(&pl->cmds[0], builtin);
    n = start_pipeline(pl, pids);
    if (pl->background) {
        for (int i = 0; i < n; i++)
            add_job(pids[i]);
        if (n > 0) {
            last_bg_pid = pids[n - 1];
            printf("[%d]\n", last_bg_pid);
            fflush(stdout);
        }
        return n == pl->ncmds ? 0 : 1;
    }
    for (int i = 0; i < n; i++)
        status = wait_child(pids[i]); /* the last command's status is the pipeline's */
    return n == pl->ncmds ? status : 1;
}

/* Lexes, parses and runs one line, pipeline by pipeline; sets $?. */
static void run_line(const char *line)
{
    static struct lexer lx;
    static struct pipeline pl;
    static char store[STORE_SIZE];
    int n;

    lex_start(&lx, line, store);
    while ((n = lex_pipeline(&lx)) != 0) {
        int pos = 0, r = n < 0 ? -1 : parse_pipeline(lx.toks, &pos, &pl);
        if (r < 0) {
            last_status = 2;
            return; /* the rest of the line is not run */
        }
        if (r == 0)
            last_status = run_pipeline(&pl);
    }
}

/* ---- input ---- */

/*
 * Runs every line of in until its end. For standard input, stdio is told
 * not to buffer: the shell then reads one byte at a time and never takes
 * input that belongs to the programs it starts (they read the same fd).
 */
static void run_stream(FILE *in)
{
    char *line = NULL;
    size_t cap = 0;

    if (in == stdin)
        setvbuf(stdin, NULL, _IONBF, 0);
    for (;;) {
        if (interactive) {
            check_jobs();
            fputs("$ ", stdout);
            fflush(stdout);
        }
        if (getline(&line, &cap, in) < 0)
            break;
        run_line(line);
    }
    if (interactive)
        putchar('\n');
    free(line);
}

/* -c: every line of the string, in order. */
static void run_string(const char *commands)
{
    char *copy = strdup(commands);
    char *line = copy;

    while (line != NULL) {
        char *nl = strchr(line, '\n');
        if (nl != NULL)
            *nl = '\0';
        run_line(line);
        line = nl ? nl + 1 : NULL;
    }
    free(copy);
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "-c") == 0) {
        run_string(argv[2]);
    } else if (argc >= 2) {
        FILE *script = fopen(argv[1], "r");
        if (script == NULL) {
            fprintf(stderr, "sh: %s: %s\n", argv[1], strerror(errno));
            return 127;
        }
        run_stream(script);
        fclose(script);
    } else {
        interactive = isatty(STDIN_FILENO);
        run_stream(stdin);
    }
    return last_status;
}
