/*
 * it_proc.h - the real shopvox binary as a child process of a test.
 *
 * `serve` children listen on 127.0.0.1:0 twice (webhooks, and the probes
 * and /metrics): the kernel picks free ports in the child and the harness
 * reads them back from the child's own start line (`event=started
 * listen=127.0.0.1:PORT ops_listen=127.0.0.1:PORT`, or its JSON form), so no port is
 * ever guessed, reserved or raced for. The child inherits the test's
 * environment plus it_serve_env and the test's overrides; its stdout and
 * stderr go to a log file kept for it_proc_dump_log. Children still running
 * when the test program exits (a failed assertion skips the test's own
 * stop) are killed, so no test leaves a process behind.
 */
#ifndef SHOPVOX_IT_PROC_H
#define SHOPVOX_IT_PROC_H

#include <stdbool.h>
#include <sys/types.h>

#define IT_SECRET "it-app-secret"
#define IT_SHOP "it-store.myshopline.com"
#define IT_START_TIMEOUT_MS 15000

/*
 * What `serve` needs besides the database, NULL-terminated: both listeners
 * on 127.0.0.1:0, shop IT_SHOP with secret IT_SECRET, a Peoplevox nobody
 * answers, no workers.
 */
extern const char *const it_serve_env[];

struct it_proc {
    pid_t pid;          /* -1 once stopped or gone */
    int port;           /* the public port the child bound (webhooks) */
    int ops_port;       /* its operations port (/healthz, /readyz, /metrics) */
    char log_path[256];
};

/*
 * Starts `shopvox ARGS...` on db_url with it_serve_env plus extra_env
 * ("NAME=value", NULL-terminated, may be NULL; later entries win), waits
 * for its start line and then for /healthz on the ops port. 0, or -1 when it exited or did
 * not become healthy within IT_START_TIMEOUT_MS (the log is printed; p->pid
 * is -1 when it exited by itself). The start line is logged at info: an
 * extra SHOPVOX_LOG_LEVEL of warn or error is refused.
 */
int it_shopvox_start(struct it_proc *p, const char *db_url, const char *const *extra_env,
                     const char *const *args);
/* Sends sig and waits up to timeout_ms; the exit status (128 + signal when killed) or -1. */
int it_proc_stop(struct it_proc *p, int sig, int timeout_ms);
/* Prints the process log to stderr (on failure). */
void it_proc_dump_log(const struct it_proc *p);
/* Whether the process log contains needle. */
bool it_proc_log_has(const struct it_proc *p, const char *needle);

/* The whole file as a malloc'd string ("" when it cannot be read). */
char *it_file_read(const char *path);

#endif
