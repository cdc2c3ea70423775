/*
 * sh - a small shell.
 *
 *   sh               reads commands from standard input; on a terminal it
 *                    prompts "$ ", edits lines (arrows, history: lineedit.h)
 *                    and does job control
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
 *             cmd [N< in] [N> out | N>> out | N>&M] | cmd ...  then
 *             ';' (next), '&' (background), '&&' (next if this one
 *             succeeded), '||' (next if it failed)
 *   run     builtins (cd, exit, export, jobs, fg, bg, wait) inside the
 *           shell; programs with fork + execve (PATH search, a name with
 *           '/' used as it is), joined by pipes, waited for unless the
 *           pipeline ends with '&'
 *
 * Job control (interactive, on the controlling terminal): every pipeline
 * is a process group that gets the terminal while in the foreground, so
 * ^C and ^Z reach it and not the shell; a stopped job waits in the job
 * table for fg or bg. `a && b &` puts only b in the background (a
 * difference from POSIX shells, which would put the whole list there).
 *
 * Exit statuses: a program's own, 128+N if signal N killed (or stopped)
 * it, 127 if it was not found, 126 if it was found but could not be run,
 * 2 for a syntax error, 1 for a failed redirection.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <lineedit.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_TOKENS 256
#define MAX_ARGS 64
#define MAX_CMDS 16
#define MAX_REDIRS 8
#define MAX_JOBS 32
#define JOB_TEXT_MAX 80
#define LINE_EDIT_MAX 1024
#define STORE_SIZE 16384 /* room for the words of one pipeline, after $ expansion */

static int last_status;   /* $? */
static pid_t last_bg_pid; /* $!, 0 before the first background job */
static int interactive;   /* reading from a terminal: prompt, edit lines, report jobs */

/* ---- lexing: a line into tokens ---- */

enum token_kind { T_WORD, T_PIPE, T_AMP, T_SEMI, T_AND, T_OR, T_REDIR, T_END };

struct token {
    enum token_kind kind;
    char *word;     /* T_WORD: the word after quotes and $ are dealt with */
    int fd, flags;  /* T_REDIR: the descriptor, and open()'s flags for a file */
    int dup_fd;     /* T_REDIR: N>&M's M, else -1 (a file name follows) */
};

struct lexer {
    const char *p;       /* the next input character */
    char *store;         /* STORE_SIZE bytes for the words of one pipeline */
    char *out, *out_end; /* where the next word character goes; the end of store */
    struct token toks[MAX_TOKENS];
    int ntoks;
    const char *text;    /* where the current pipeline's text starts */
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

/*
 * A redirection at p: [N]< [N]> [N]>> with a file name to follow, or
 * [N]>&M (make N a copy of M). N defaults to 0 for '<', 1 for '>'.
 * Fills t and returns its length.
 */
static int lex_redirection(const char *p, struct token *t)
{
    const char *q = p;
    int fd = -1;

    if (isdigit((unsigned char)*q))
        fd = *q++ - '0';
    if (*q == '<') {
        t->fd = fd < 0 ? 0 : fd;
        t->flags = O_RDONLY;
        q++;
    } else {
        t->fd = fd < 0 ? 1 : fd;
        t->flags = O_WRONLY | O_CREAT | (q[1] == '>' ? O_APPEND : O_TRUNC);
        q += q[1] == '>' ? 2 : 1;
    }
    t->dup_fd = -1;
    if (*q == '&' && isdigit((unsigned char)q[1])) {
        t->dup_fd = q[1] - '0';
        q += 2;
    }
    t->kind = T_REDIR;
    return (int)(q - p);
}

/* The operator at p, put in t; returns its length, 0 if p starts a word. */
static int lex_operator(const char *p, struct token *t)
{
    if (*p == '<' || *p == '>' || (isdigit((unsigned char)*p) && (p[1] == '<' || p[1] == '>')))
        return lex_redirection(p, t);
    if ((p[0] == '&' || p[0] == '|') && p[1] == p[0]) {
        t->kind = p[0] == '&' ? T_AND : T_OR;
        return 2;
    }
    switch (*p) {
    case '|': t->kind = T_PIPE; return 1;
    case '&': t->kind = T_AMP; return 1;
    case ';': t->kind = T_SEMI; return 1;
    default: return 0;
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

static int ends_pipeline(enum token_kind kind)
{
    return kind == T_SEMI || kind == T_AMP || kind == T_AND || kind == T_OR;
}

/*
 * Reads the tokens of the next pipeline into lx->toks: up to and including
 * the ';', '&', '&&' or '||' that ends it, then T_END. Lexing one pipeline
 * at a time lets "false; echo $?" expand $? after false has run. Returns
 * the number of tokens (0 at the end of the line), or -1 after printing an
 * error. lx->text..lx->p is the pipeline's text (for `jobs`).
 */
static int lex_pipeline(struct lexer *lx)
{
    lx->ntoks = 0;
    lx->out = lx->store; /* the previous pipeline's words are done with */
    while (*lx->p == ' ' || *lx->p == '\t' || *lx->p == '\n')
        lx->p++;
    lx->text = lx->p;
    for (;;) {
        struct token *t = &lx->toks[lx->ntoks];
        int len;
        while (*lx->p == ' ' || *lx->p == '\t' || *lx->p == '\n')
            lx->p++;
        if (*lx->p == '\0' || *lx->p == '#')
            break;
        if (lx->ntoks == MAX_TOKENS - 1) {
            lx->error = "too many words";
            break;
        }
        len = lex_operator(lx->p, t);
        if (len > 0)
            lx->p += len;
        else
            lex_word(lx);
        if (lx->error != NULL)
            break;
        lx->ntoks++;
        if (ends_pipeline(t->kind))
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

struct redirection {
    int fd, flags;    /* the descriptor; open()'s flags when file is set */
    int dup_fd;       /* >&M: fd becomes a copy of dup_fd; -1 for a file */
    const char *file;
};

struct command {
    char *argv[MAX_ARGS + 1];
    int argc;
    struct redirection redirs[MAX_REDIRS]; /* applied in order, as written */
    int nredirs;
};

struct pipeline {
    struct command cmds[MAX_CMDS];
    int ncmds;
    enum token_kind end; /* T_SEMI, T_AMP (background), T_AND, T_OR or T_END */
};

static int syntax_error(const char *what)
{
    fprintf(stderr, "sh: syntax error: %s\n", what);
    return -1;
}

/* Adds the redirection at toks[*pos] (and its file name) to cmd. 0, or -1 on a syntax error. */
static int parse_redirection(const struct token *toks, int *pos, struct command *cmd)
{
    const struct token *t = &toks[*pos];
    struct redirection *r = &cmd->redirs[cmd->nredirs];

    if (cmd->nredirs == MAX_REDIRS)
        return syntax_error("too many redirections");
    *r = (struct redirection){ t->fd, t->flags, t->dup_fd, NULL };
    if (t->dup_fd < 0) {
        if (toks[*pos + 1].kind != T_WORD)
            return syntax_error("a redirection needs a file name");
        *pos += 1;
        r->file = toks[*pos].word;
    }
    cmd->nredirs++;
    return 0;
}

/* Parses words and redirections up to the next operator. 0, or -1 on a syntax error. */
static int parse_command(const struct token *toks, int *pos, struct command *cmd)
{
    memset(cmd, 0, sizeof(*cmd));
    for (;; *pos += 1) {
        const struct token *t = &toks[*pos];
        if (t->kind == T_WORD) {
            if (cmd->argc == MAX_ARGS)
                return syntax_error("too many arguments");
            cmd->argv[cmd->argc++] = t->word;
        } else if (t->kind == T_REDIR) {
            if (parse_redirection(toks, pos, cmd) < 0)
                return -1;
        } else {
            break;
        }
    }
    return cmd->argc > 0 ? 0 : syntax_error("missing command");
}

/*
 * Parses one pipeline starting at toks[*pos], and the operator after it.
 * Returns 0 when pl is ready to run, 1 if there was nothing to run (an
 * empty command between ';'s), -1 on a syntax error.
 */
static int parse_pipeline(const struct token *toks, int *pos, struct pipeline *pl)
{
    pl->ncmds = 0;
    pl->end = T_SEMI;
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
    pl->end = toks[*pos].kind;
    if (pl->end == T_END || ends_pipeline(pl->end))
        return 0;
    return syntax_error("unexpected operator");
}

/* ---- jobs ---- */

/*
 * A job is one pipeline that runs in the background or was stopped; the
 * table keeps it until all its processes are reaped (and, interactively,
 * until "Done" was said). With job control (an interactive shell with a
 * controlling terminal) each pipeline is a process group, pgid = its
 * first process, and the group in the foreground owns the terminal.
 */
enum job_state { JOB_RUNNING, JOB_STOPPED, JOB_DONE };

struct job {
    int id;                  /* the N of %N; 0: the slot is free */
    pid_t pgid;
    pid_t pids[MAX_CMDS];
    int reaped[MAX_CMDS];
    int npids;
    enum job_state state;
    int status;              /* the shell status of its last process, once known */
    char text[JOB_TEXT_MAX]; /* the command line, for `jobs` */
};

static struct job jobs[MAX_JOBS];
static int job_control; /* each job its own group; ^C and ^Z reach only it */
static pid_t shell_pgid;

/* The shell's exit status for a wait status: the exit code, 128 + the signal, or 128 + the stop signal. */
static int decode_status(int wstatus)
{
    if (WIFSTOPPED(wstatus))
        return 128 + WSTOPSIG(wstatus);
    return WIFSIGNALED(wstatus) ? 128 + WTERMSIG(wstatus) : WEXITSTATUS(wstatus);
}

/* A free slot with the next id, or NULL when the table is full. */
static struct job *job_new(void)
{
    int max_id = 0;
    struct job *free_slot = NULL;

    for (int i = 0; i < MAX_JOBS; i++) {
        if (jobs[i].id > max_id)
            max_id = jobs[i].id;
        else if (jobs[i].id == 0 && free_slot == NULL)
            free_slot = &jobs[i];
    }
    if (free_slot != NULL)
        free_slot->id = max_id + 1;
    return free_slot;
}

/* %N, N (a pid or a job number) or nothing (the most recent job); NULL if there is none. */
static struct job *job_find(const char *spec)
{
    struct job *found = NULL;
    int n = spec ? atoi(spec[0] == '%' ? spec + 1 : spec) : 0;

    for (int i = 0; i < MAX_JOBS; i++) {
        struct job *j = &jobs[i];
        if (j->id == 0)
            continue;
        if (spec == NULL ? (found == NULL || j->id > found->id)
                         : (spec[0] == '%' ? j->id == n : j->pgid == n || j->pids[0] == n))
            found = j;
    }
    return found;
}

/* What `jobs` says of j, in bash's words: Running, Stopped, Done, Exit N, Terminated... */
static const char *job_state_text(const struct job *j, char *buf, size_t size)
{
    int sig = j->status - 128;

    if (j->state != JOB_DONE)
        return j->state == JOB_RUNNING ? "Running" : "Stopped";
    if (j->status == 0)
        return "Done";
    if (j->status <= 128)
        snprintf(buf, size, "Exit %d", j->status);
    else
        snprintf(buf, size, "%s", sig == SIGTERM ? "Terminated" : sig == SIGKILL ? "Killed"
                                  : sig == SIGINT ? "Interrupt" : "Signal");
    if (j->status > 128 && sig != SIGTERM && sig != SIGKILL && sig != SIGINT)
        snprintf(buf, size, "Signal %d", sig);
    return buf;
}

static void job_print(const struct job *j)
{
    char buf[32];
    printf("[%d]  %-10s  %s\n", j->id, job_state_text(j, buf, sizeof(buf)), j->text);
}

/* Records what waitpid said about one of j's processes. */
static void job_update(struct job *j, int index, int wstatus)
{
    if (WIFSTOPPED(wstatus)) {
        j->state = JOB_STOPPED;
        j->status = decode_status(wstatus);
        return;
    }
    if (WIFCONTINUED(wstatus)) {
        j->state = JOB_RUNNING;
        return;
    }
    j->reaped[index] = 1;
    if (index == j->npids - 1)
        j->status = decode_status(wstatus);
    for (int i = 0; i < j->npids; i++)
        if (!j->reaped[i])
            return;
    j->state = JOB_DONE;
}

/* Collects whatever j's processes have to report; waits (for a change) unless options has WNOHANG. */
static void job_poll(struct job *j, int options)
{
    for (int i = 0; i < j->npids; i++) {
        int wstatus;
        pid_t got;
        if (j->reaped[i])
            continue;
        do
            got = waitpid(j->pids[i], &wstatus, options | WUNTRACED | WCONTINUED);
        while (got < 0 && errno == EINTR);
        if (got == j->pids[i])
            job_update(j, i, wstatus);
        else if (got < 0)
            j->reaped[i] = 1; /* not our child any more: nothing to wait for */
    }
}

/* Before a prompt: says which jobs ended or stopped, and forgets the ended ones. */
static void check_jobs(int report)
{
    for (int i = 0; i < MAX_JOBS; i++) {
        struct job *j = &jobs[i];
        enum job_state before = j->state;
        if (j->id == 0)
            continue;
        job_poll(j, WNOHANG);
        if (report && (j->state != before || j->state == JOB_DONE))
            job_print(j);
        if (report && j->state == JOB_DONE)
            j->id = 0;
    }
}

/* Sends sig to every process of j (to its group, with job control). */
static void job_signal(const struct job *j, int sig)
{
    if (job_control) {
        kill(-j->pgid, sig);
        return;
    }
    for (int i = 0; i < j->npids; i++)
        if (!j->reaped[i])
            kill(j->pids[i], sig);
}

/*
 * Lets j run in the foreground until it ends or stops: it gets the
 * terminal, and the shell takes it back after. Returns the shell status;
 * a job that stopped stays in the table, a finished one leaves it.
 */
static int job_wait_foreground(struct job *j)
{
    if (job_control)
        tcsetpgrp(STDIN_FILENO, j->pgid);
    while (j->state == JOB_RUNNING)
        job_poll(j, 0);
    if (job_control)
        tcsetpgrp(STDIN_FILENO, shell_pgid);
    if (j->state == JOB_STOPPED) {
        printf("\n");
        job_print(j);
        return j->status;
    }
    if (j->status == 128 + SIGINT && job_control)
        printf("\n"); /* the terminal echoed ^C: end that line */
    int status = j->status;
    j->id = 0;
    return status;
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

/* export NAME=VALUE...: puts them in the environment of the programs we start; alone: lists it. */
static int builtin_export(struct command *cmd)
{
    if (cmd->argc == 1) {
        for (char **e = environ; *e != NULL; e++)
            printf("export %s\n", *e);
        return 0;
    }
    for (int i = 1; i < cmd->argc; i++) {
        char *eq = strchr(cmd->argv[i], '=');
        if (eq == NULL)
            continue; /* there are no shell variables: NAME alone has nothing to export */
        *eq = '\0';
        if (setenv(cmd->argv[i], eq + 1, 1) < 0) {
            fprintf(stderr, "sh: export: %s: %s\n", cmd->argv[i], strerror(errno));
            return 1;
        }
    }
    return 0;
}

static int builtin_jobs(struct command *cmd)
{
    (void)cmd;
    check_jobs(0);
    for (int i = 0; i < MAX_JOBS; i++)
        if (jobs[i].id != 0)
            job_print(&jobs[i]);
    return 0;
}

/* fg [%N]: continues the job in the foreground and waits for it. */
static int builtin_fg(struct command *cmd)
{
    struct job *j = job_find(cmd->argc > 1 ? cmd->argv[1] : NULL);

    if (j == NULL) {
        fprintf(stderr, "sh: fg: no such job\n");
        return 1;
    }
    printf("%s\n", j->text);
    fflush(stdout);
    j->state = JOB_RUNNING;
    if (job_control)
        tcsetpgrp(STDIN_FILENO, j->pgid); /* before it runs, so it does not read in the background */
    job_signal(j, SIGCONT);
    return job_wait_foreground(j);
}

/* bg [%N]: continues a stopped job in the background. */
static int builtin_bg(struct command *cmd)
{
    struct job *j = job_find(cmd->argc > 1 ? cmd->argv[1] : NULL);

    if (j == NULL) {
        fprintf(stderr, "sh: bg: no such job\n");
        return 1;
    }
    j->state = JOB_RUNNING;
    job_signal(j, SIGCONT);
    printf("[%d]  %s &\n", j->id, j->text);
    return 0;
}

/* wait: every job; wait %N or PID: that one, and its status. */
static int builtin_wait(struct command *cmd)
{
    if (cmd->argc == 1) {
        for (int i = 0; i < MAX_JOBS; i++) {
            while (jobs[i].id != 0 && jobs[i].state == JOB_RUNNING)
                job_poll(&jobs[i], 0);
            if (jobs[i].state == JOB_DONE)
                jobs[i].id = 0;
        }
        return 0;
    }
    struct job *j = job_find(cmd->argv[1]);
    if (j == NULL) {
        fprintf(stderr, "sh: wait: %s is not a job of this shell\n", cmd->argv[1]);
        return 127;
    }
    while (j->state == JOB_RUNNING)
        job_poll(j, 0);
    int status = j->status;
    if (j->state == JOB_DONE)
        j->id = 0;
    return status;
}

/* A builtin takes the parsed command and returns its exit status. */
typedef int builtin_fn(struct command *cmd);

/* The builtin called name, or NULL if name is not one. */
static builtin_fn *builtin_for(const char *name)
{
    static const struct {
        const char *name;
        builtin_fn *fn;
    } builtins[] = {
        { "cd", builtin_cd }, { "exit", builtin_exit }, { "export", builtin_export },
        { "jobs", builtin_jobs }, { "fg", builtin_fg }, { "bg", builtin_bg },
        { "wait", builtin_wait },
    };

    for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
        if (strcmp(name, builtins[i].name) == 0)
            return builtins[i].fn;
    return NULL;
}

/* ---- running ---- */

/* Applies cmd's redirections in order. 0, or -1 after printing why. */
static int apply_redirections(const struct command *cmd)
{
    for (int i = 0; i < cmd->nredirs; i++) {
        const struct redirection *r = &cmd->redirs[i];
        int fd = r->file ? open(r->file, r->flags, 0666) : r->dup_fd;
        if (fd < 0) {
            fprintf(stderr, "sh: %s: %s\n", r->file, strerror(errno));
            return -1;
        }
        if (fd != r->fd && dup2(fd, r->fd) < 0) {
            fprintf(stderr, "sh: %d: %s\n", fd, strerror(errno));
            return -1;
        }
        if (r->file && fd != r->fd)
            close(fd);
    }
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

static const int job_signals[] = { SIGINT, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU };

/*
 * In a new child, with job control: join the job's group (pgid 0: start
 * it), take the terminal if the job is in the foreground, and let the
 * terminal's signals do their default again (the shell ignores them).
 */
static void child_join_job(pid_t pgid, int foreground)
{
    if (!job_control)
        return;
    setpgid(0, pgid);
    if (foreground)
        tcsetpgrp(STDIN_FILENO, pgid ? pgid : getpid());
    for (size_t i = 0; i < sizeof(job_signals) / sizeof(job_signals[0]); i++)
        signal(job_signals[i], SIG_DFL_HANDLER);
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
 * into the next one's stdin, all in job j's process group. Fills j's
 * pids; returns how many started.
 */
static int start_pipeline(struct pipeline *pl, struct job *j, int foreground)
{
    int prev_read = -1;

    fflush(NULL); /* the children must not inherit (and repeat) our buffered output */
    for (int i = 0; i < pl->ncmds; i++) {
        int fds[2] = { -1, -1 };
        if (i < pl->ncmds - 1 && pipe(fds) < 0) {
            perror("sh: pipe");
            break;
        }
        pid_t pid = fork();
        if (pid == 0) {
            child_join_job(j->pgid, foreground);
            child_run(&pl->cmds[i], prev_read, fds[1], fds[0]);
        }
        if (prev_read >= 0)
            close(prev_read);
        if (fds[1] >= 0)
            close(fds[1]); /* only the child writes: else the reader never sees EOF */
        prev_read = fds[0];
        if (pid < 0) {
            perror("sh: fork");
            break;
        }
        if (j->npids == 0)
            j->pgid = pid;
        if (job_control)
            setpgid(pid, j->pgid); /* here too: whichever of us runs first, the group exists */
        j->pids[j->npids++] = pid;
    }
    if (prev_read >= 0)
        close(prev_read);
    return j->npids;
}

/* A builtin alone runs in the shell itself (so cd changes our directory), redirections undone after. */
static int run_builtin_here(struct command *cmd, builtin_fn *builtin)
{
    int saved[3];
    int status = 1;

    for (int fd = 0; fd < 3; fd++)
        saved[fd] = cmd->nredirs ? dup(fd) : -1;
    if (apply_redirections(cmd) == 0)
        status = builtin(cmd);
    fflush(stdout);
    for (int fd = 0; fd < 3; fd++) {
        if (saved[fd] >= 0) {
            dup2(saved[fd], fd);
            close(saved[fd]);
        }
    }
    return status;
}

/* Copies the pipeline's text (up to its operator) into the job, for `jobs`. */
static void job_set_text(struct job *j, const char *text, const char *end)
{
    size_t len = (size_t)(end - text);
    while (len > 0 && strchr(" \t\n;&|", text[len - 1]) != NULL)
        len--;
    if (len >= sizeof(j->text))
        len = sizeof(j->text) - 1;
    memcpy(j->text, text, len);
    j->text[len] = '\0';
}

/* Runs a parsed pipeline; returns its exit status (0 for a background one). */
static int run_pipeline(struct pipeline *pl, const char *text, const char *text_end)
{
    builtin_fn *builtin = builtin_for(pl->cmds[0].argv[0]);
    int background = pl->end == T_AMP;

    if (pl->ncmds == 1 && builtin != NULL && !background)
        return run_builtin_here(&pl->cmds[0], builtin);
    struct job *j = job_new();
    if (j == NULL) {
        fprintf(stderr, "sh: too many jobs\n");
        return 1;
    }
    memset(j->pids, 0, sizeof(j->pids));
    memset(j->reaped, 0, sizeof(j->reaped));
    j->npids = 0;
    j->state = JOB_RUNNING;
    j->status = 0;
    job_set_text(j, text, text_end);
    int n = start_pipeline(pl, j, !background);
    if (n == 0) {
        j->id = 0;
        return 1;
    }
    if (!background)
        return job_wait_foreground(j);
    last_bg_pid = j->pids[n - 1];
    if (interactive)
        printf("[%d] %d\n", j->id, last_bg_pid);
    return 0;
}

/* Whether the pipeline after operator `after` runs, given the last status: && and || decide. */
static int should_run(enum token_kind after)
{
    if (after == T_AND)
        return last_status == 0;
    if (after == T_OR)
        return last_status != 0;
    return 1;
}

/* Lexes, parses and runs one line, pipeline by pipeline; sets $?. */
static void run_line(const char *line)
{
    static struct lexer lx;
    static struct pipeline pl;
    static char store[STORE_SIZE];
    enum token_kind after = T_SEMI;
    int n;

    lex_start(&lx, line, store);
    while ((n = lex_pipeline(&lx)) != 0) {
        int pos = 0, r = n < 0 ? -1 : parse_pipeline(lx.toks, &pos, &pl);
        if (r < 0) {
            last_status = 2;
            return; /* the rest of the line is not run */
        }
        if (r == 0 && should_run(after))
            last_status = run_pipeline(&pl, lx.text, lx.p);
        after = r == 0 ? pl.end : T_SEMI;
    }
}

/* ---- input ---- */

/*
 * An interactive shell with a controlling terminal does job control: it
 * waits until it is in the foreground, leads its own group, owns the
 * terminal, and ignores the signals the terminal sends (^C, ^Z...) and
 * the ones that would stop it for using the terminal from the background.
 */
static void job_control_init(void)
{
    if (!interactive || tcgetpgrp(STDIN_FILENO) < 0)
        return; /* no controlling terminal (say, started by init's test mode): no job control */
    while (tcgetpgrp(STDIN_FILENO) != getpgrp())
        kill(-getpgrp(), SIGTTIN); /* started in the background: stop until fg */
    for (size_t i = 0; i < sizeof(job_signals) / sizeof(job_signals[0]); i++)
        signal(job_signals[i], SIG_IGN_HANDLER);
    if (getpgrp() != getpid())
        setpgid(0, 0);
    shell_pgid = getpgrp();
    tcsetpgrp(STDIN_FILENO, shell_pgid);
    job_control = 1;
}

/*
 * Runs every line of in until its end. For standard input, stdio is told
 * not to buffer: the shell then reads one byte at a time and never takes
 * input that belongs to the programs it starts (they read the same fd).
 * A terminal's lines are read with editing and history (lineedit.h).
 */
static void run_stream(FILE *in)
{
    static char edited[LINE_EDIT_MAX];
    char *line = NULL;
    size_t cap = 0;

    if (in == stdin)
        setvbuf(stdin, NULL, _IONBF, 0);
    for (;;) {
        if (interactive) {
            check_jobs(1);
            fflush(stdout);
            if (line_edit("$ ", edited, sizeof(edited)) < 0)
                break;
            run_line(edited);
            continue;
        }
        if (getline(&line, &cap, in) < 0)
            break;
        run_line(line);
    }
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
        job_control_init();
        run_stream(stdin);
    }
    return last_status;
}
