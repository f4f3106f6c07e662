/*
 * it_proc.c - child processes of the tests (see it_proc.h).
 */
#include "it_proc.h"

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "common.h"
#include "it_http.h"
#include "it_wait.h"

#define IT_MAX_CHILDREN 32
#define IT_MAX_ARGS 31
#define IT_MAX_ENV 64

const char *const it_serve_env[] = {
    "SHOPVOX_LISTEN=127.0.0.1:0",
    "SHOPVOX_OPS_LISTEN=127.0.0.1:0",
    "SHOPLINE_SHOP_DOMAIN=" IT_SHOP,
    "SHOPLINE_ACCESS_TOKEN=it-token",
    "SHOPLINE_APP_SECRET=" IT_SECRET,
    "PEOPLEVOX_URL=http://127.0.0.1:9/it/resources/integrationservicev4.asmx",
    "SHOPVOX_ALLOW_INSECURE_HTTP=1", /* the sandbox speaks plain http */
    "PEOPLEVOX_CLIENT_ID=it",
    "PEOPLEVOX_USERNAME=it",
    "PEOPLEVOX_PASSWORD=it-password",
    "SHOPVOX_WORKERS=0",
    /* a shared Peoplevox budget that never bites: every call still takes a token;
       the limiter's own tests set theirs */
    "PEOPLEVOX_RATE=100000/1s",
    NULL,
};

char *it_file_read(const char *path)
{
    FILE *f = fopen(path, "rb");
    struct buf b;
    char chunk[4096];
    size_t n;

    buf_init(&b, 0);
    while (f != NULL && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        buf_append(&b, chunk, n);
    if (f != NULL)
        fclose(f);
    return buf_steal(&b);
}

/* ---- children killed at exit ---- */

static pid_t it_children[IT_MAX_CHILDREN];

static void it_kill_children(void)
{
    for (int i = 0; i < IT_MAX_CHILDREN; i++) {
        if (it_children[i] > 0) {
            kill(it_children[i], SIGKILL);
            waitpid(it_children[i], NULL, 0);
            it_children[i] = 0;
        }
    }
}

static void it_track_child(pid_t pid, bool add)
{
    static bool registered;

    if (!registered) {
        atexit(it_kill_children);
        registered = true;
    }
    for (int i = 0; i < IT_MAX_CHILDREN; i++) {
        if (add && it_children[i] == 0) {
            it_children[i] = pid;
            return;
        }
        if (!add && it_children[i] == pid) {
            it_children[i] = 0;
            return;
        }
    }
}

/* ---- starting ---- */

static void child_exec(int fd, const char *const *env, const char *const *args)
{
    char *argv[IT_MAX_ARGS + 1];
    int n = 0;

    if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
    }
    argv[n++] = (char *)(uintptr_t)SHOPVOX_BIN;
    for (size_t i = 0; args != NULL && args[i] != NULL && n < IT_MAX_ARGS; i++)
        argv[n++] = (char *)(uintptr_t)args[i];
    argv[n] = NULL;
    for (size_t i = 0; env[i] != NULL; i++)
        putenv((char *)(uintptr_t)env[i]);
    execv(SHOPVOX_BIN, argv);
    _exit(127);
}

/*
 * The port of `key` (listen or ops_listen) in a complete start line of
 * log, or -1: `event=started listen=HOST:PORT ops_listen=HOST:PORT` in
 * text, `"event":"started",...,"listen":"HOST:PORT"` in JSON.
 */
static int port_from_log(const char *log, const char *key)
{
    const char *ev = strstr(log, "event=started");
    const char *end, *at, *colon;
    char text[32], json[40];

    if (ev == NULL)
        ev = strstr(log, "\"event\":\"started\"");
    if (ev == NULL || (end = strchr(ev, '\n')) == NULL)
        return -1;
    snprintf(text, sizeof(text), " %s=", key);
    snprintf(json, sizeof(json), "\"%s\":\"", key);
    at = strstr(ev, text);
    if (at == NULL || at > end)
        at = strstr(ev, json);
    if (at == NULL || at > end)
        return -1;
    at = strpbrk(at + 1, "=:") + 1;
    at += *at == '"';
    colon = NULL;
    for (const char *c = at; c < end && *c != ' ' && *c != '"'; c++)
        if (*c == ':')
            colon = c;
    return colon != NULL ? atoi(colon + 1) : -1;
}

/* Until the child has logged its ports and answers /healthz (true), or exited (true, pid -1). */
static bool up_or_gone(void *arg)
{
    struct it_proc *p = arg;

    if (waitpid(p->pid, NULL, WNOHANG) == p->pid) {
        it_track_child(p->pid, false);
        p->pid = -1;
        return true;
    }
    if (p->port <= 0 || p->ops_port <= 0) {
        char *log = it_file_read(p->log_path);

        p->port = port_from_log(log, "listen");
        p->ops_port = port_from_log(log, "ops_listen");
        free(log);
    }
    return p->port > 0 && p->ops_port > 0 && it_http_get_status(p->ops_port, "/healthz") == 200;
}

/* NULL when env may be used, else why not. */
static const char *env_refused(const char *const *extra_env)
{
    for (size_t i = 0; extra_env != NULL && extra_env[i] != NULL; i++)
        if (strcmp(extra_env[i], "SHOPVOX_LOG_LEVEL=warn") == 0 ||
            strcmp(extra_env[i], "SHOPVOX_LOG_LEVEL=error") == 0)
            return "the start line is logged at info: SHOPVOX_LOG_LEVEL must stay info or debug";
    return NULL;
}

int it_shopvox_start(struct it_proc *p, const char *db_url, const char *const *extra_env,
                     const char *const *args)
{
    static int seq;
    const char *env[IT_MAX_ENV + 1];
    const char *refused = env_refused(extra_env);
    char *dbvar;
    size_t n = 0;
    int log_fd;

    p->pid = -1;
    p->port = -1;
    p->ops_port = -1;
    snprintf(p->log_path, sizeof(p->log_path), "/tmp/shopvox-it-%d-%d.log", (int)getpid(), ++seq);
    if (refused != NULL) {
        fprintf(stderr, "it: %s\n", refused);
        return -1;
    }
    dbvar = xasprintf("SHOPVOX_DATABASE_URL=%s", db_url);
    for (size_t i = 0; it_serve_env[i] != NULL; i++)
        env[n++] = it_serve_env[i];
    env[n++] = dbvar;
    for (size_t i = 0; extra_env != NULL && extra_env[i] != NULL && n < IT_MAX_ENV; i++)
        env[n++] = extra_env[i];
    env[n] = NULL;
    /* emptied before the child exists: a log left by an earlier program of the same pid
     * must never be read as this child's start line */
    log_fd = open(p->log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    p->pid = fork();
    if (p->pid == 0)
        child_exec(log_fd, env, args);
    if (log_fd >= 0)
        close(log_fd);
    free(dbvar);
    it_track_child(p->pid, true);
    if (!it_wait_until(up_or_gone, p, IT_START_TIMEOUT_MS) || p->pid < 0) {
        fprintf(stderr, "it: shopvox %s did not become healthy (pid %d, ports %d and %d)\n",
                args != NULL && args[0] != NULL ? args[0] : "", (int)p->pid, p->port,
                p->ops_port);
        it_proc_dump_log(p);
        return -1;
    }
    return 0;
}

/* ---- stopping ---- */

struct exit_wait {
    pid_t pid;
    int status;
};

static bool exited(void *arg)
{
    struct exit_wait *w = arg;

    return waitpid(w->pid, &w->status, WNOHANG) == w->pid;
}

int it_proc_stop(struct it_proc *p, int sig, int timeout_ms)
{
    struct exit_wait w = {p->pid, 0};

    if (p->pid <= 0)
        return -1;
    it_track_child(p->pid, false);
    kill(p->pid, sig);
    p->pid = -1;
    if (it_wait_until(exited, &w, timeout_ms))
        return WIFEXITED(w.status) ? WEXITSTATUS(w.status) : 128 + WTERMSIG(w.status);
    kill(w.pid, SIGKILL);
    waitpid(w.pid, NULL, 0);
    return -1;
}

void it_proc_dump_log(const struct it_proc *p)
{
    char *log = it_file_read(p->log_path);

    fprintf(stderr, "---- %s ----\n%s", p->log_path, log);
    free(log);
}

bool it_proc_log_has(const struct it_proc *p, const char *needle)
{
    char *log = it_file_read(p->log_path);
    bool has = strstr(log, needle) != NULL;

    free(log);
    return has;
}
