/*
 * it.h - integration-test harness: real PostgreSQL, the real binary.
 *
 * Each test gets a fresh database on the throw-away cluster that ./dev test
 * started (SHOPVOX_TEST_PG_URL), runs build/shopvox (or the sandbox) as a
 * child process on a free loopback port, and talks to it with libcurl.
 * Nothing here is faked: the only stand-ins are the sandbox servers.
 */
#ifndef SHOPVOX_IT_H
#define SHOPVOX_IT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define IT_SECRET "it-app-secret"
#define IT_SHOP "it-store.myshopline.com"

/* Skips the whole program (exit 77 -> ctest "skipped") without a database. */
void it_require_db(void);
/* Creates a fresh database and returns its URL (static storage). */
const char *it_db_create(const char *prefix);
/* Runs SQL, returns the first column of the first row as a number (-1 none). */
long it_sql_long(const char *url, const char *sql);
/* Runs SQL; returns a malloc'd copy of the first value ("" none). */
char *it_sql_text(const char *url, const char *sql);
void it_sql_exec(const char *url, const char *sql);

/* A free TCP port on 127.0.0.1. */
int it_free_port(void);

struct it_proc {
    pid_t pid;
    int port;
    char log_path[256];
};

/*
 * Starts `shopvox ARGS...` with the standard test environment plus extra
 * "NAME=value" entries (NULL-terminated, may override), waits for /healthz.
 * Returns 0 or -1 (the log is printed).
 */
int it_shopvox_start(struct it_proc *p, const char *db_url, const char *const *extra_env,
                     const char *const *args);
/* Sends sig and waits up to timeout_ms; returns the exit status or -1. */
int it_proc_stop(struct it_proc *p, int sig, int timeout_ms);
/* Prints the process log to stderr (on failure). */
void it_proc_dump_log(const struct it_proc *p);

struct it_resp {
    long status;
    char *body;    /* malloc'd, NUL-terminated */
};

/* POSTs body to the webhook endpoint with the given topic/id; sig_mode:
 * "hex", "base64", "HEX", "none" or "bad". */
int it_post_webhook(int port, const char *topic, const char *webhook_id, const char *body,
                    const char *sig_mode, struct it_resp *out);
/* Generic request: method, path, body may be NULL. */
int it_http(int port, const char *method, const char *path, const char *body, size_t body_len,
            const char *const *headers, struct it_resp *out);
void it_resp_free(struct it_resp *r);

/* A Shopline order JSON body (malloc'd) with one line of `sku`, qty 1. */
char *it_order_json(const char *id, const char *name, const char *financial_status,
                    const char *updated_at, const char *sku);

/* Polls sql until it returns want or timeout; returns the last value. */
long it_wait_sql_long(const char *url, const char *sql, long want, int timeout_ms);

/* Stops / starts the throw-away cluster (tests/pg.sh); 0 ok. */
int it_pg_stop(void);
int it_pg_start(void);

void it_sleep_ms(int ms);

#endif
