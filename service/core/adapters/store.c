/*
 * store.c - libpq adapter: connections, pool, migrations.
 *
 * Connections are opened with a short connect timeout and TCP keepalives so
 * a dead database is noticed quickly and reported as ST_RETRY (the HTTP
 * handler turns that into 503 and Shopline redelivers). The pool is a
 * mutex + condition variable over a fixed array.
 *
 * The service sets a statement_timeout on every connection it opens after
 * start-up (store_set_statement_timeout), so a lock wait or a runaway query
 * cannot hold a webhook thread or a worker for ever; migrations run before
 * it is set and are not cut short.
 *
 * Pipeline mode (store_pipeline_begin, used by the intake committers):
 * statements whose result nobody reads (store_exec_deferred,
 * store_cmd_deferred) are only sent; the next statement whose result is
 * read sends a Sync and reads everything since the last one, so a
 * delivery's writes cost one round trip with the read that follows them.
 * The first failure of such a batch is reported by that read (the server
 * skips the rest of the batch), named after the statement that failed;
 * the caller undoes the whole batch anyway (its savepoint or transaction).
 * Batches are small (STORE_MAX_DEFERRED statements of one delivery), so the
 * blocking sends cannot fill both socket buffers and stall.
 */
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "log.h"

#define STORE_MAX_PREPARED 256
#define STORE_MAX_DEFERRED 16

/* A statement sent in pipeline mode whose result is not read yet. */
struct deferred {
    const char *name;   /* for the error message */
    bool prepare;       /* a Prepare of name: forgotten again if it fails */
};

struct store_conn {
    char *url;
    PGconn *pg;
    const char *prepared[STORE_MAX_PREPARED]; /* names prepared on pg */
    int n_prepared;
    bool pipelined;                           /* pg is in pipeline mode */
    struct deferred deferred[STORE_MAX_DEFERRED];
    int n_deferred;
};

/* Server notices (e.g. "relation exists, skipping") are debug noise, not stderr. */
static void on_notice(void *arg, const char *message)
{
    char line[LOG_MAX_VALUE_BYTES];
    size_t n = strlen(message);

    while (n > 0 && message[n - 1] == '\n')
        n--;
    snprintf(line, sizeof(line), "%.*s", (int)n, message);
    log_event(LOG_DEBUG, "db_notice", "message", line, NULL);
}

static atomic_int store_statement_timeout_ms;

void store_set_statement_timeout(int timeout_ms)
{
    atomic_store(&store_statement_timeout_ms, timeout_ms > 0 ? timeout_ms : 0);
}

static PGconn *store_connect(const char *url)
{
    char options[64];
    int timeout_ms = atomic_load(&store_statement_timeout_ms);
    /*
     * tcp_user_timeout: a statement sent into a network that went away (a
     * removed route, a partition: no reset comes back) fails after 10 s of
     * unacknowledged data instead of the kernel's ~15 minutes of
     * retransmissions, so no thread waits on it for ever (a stop included).
     */
    const char *keys[] = {"dbname",           "connect_timeout", "keepalives_idle",
                          "tcp_user_timeout", "application_name",
                          timeout_ms > 0 ? "options" : NULL, NULL};
    const char *vals[] = {url, "5", "30", "10000", "shopvox", options, NULL};
    PGconn *pg;

    snprintf(options, sizeof(options), "-c statement_timeout=%d", timeout_ms);
    pg = PQconnectdbParams(keys, vals, 1);

    if (pg != NULL)
        PQsetNoticeProcessor(pg, on_notice, NULL);
    return pg;
}

struct store_conn *store_conn_create(const char *url)
{
    struct store_conn *c = xcalloc(1, sizeof(*c));

    c->url = xstrdup(url);
    c->pg = store_connect(url);
    return c;
}

void store_conn_destroy(struct store_conn *c)
{
    if (c == NULL)
        return;
    PQfinish(c->pg);
    free(c->url);
    free(c);
}

enum st store_ensure(struct store_conn *c, struct errbuf *err)
{
    if (c->pg != NULL && PQstatus(c->pg) == CONNECTION_OK)
        return ST_OK;
    PQfinish(c->pg);
    c->n_prepared = 0;
    c->pipelined = false;
    c->n_deferred = 0;
    c->pg = store_connect(c->url);
    if (PQstatus(c->pg) == CONNECTION_OK)
        return ST_OK;
    errbuf_set(err, "could not connect to database: %s", PQerrorMessage(c->pg));
    return ST_RETRY;
}

PGconn *store_pg(struct store_conn *c)
{
    return c->pg;
}

/* Strips the trailing newline libpq puts on messages. */
static void set_pg_error(struct errbuf *err, const char *what, const char *msg)
{
    size_t n = strlen(msg);

    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        n--;
    errbuf_set(err, "%s: %.*s", what, (int)n, msg);
}

/*
 * What a failed statement means: ST_RETRY when the connection is gone or
 * the server says trying again can succeed (SQLSTATE class 40: deadlock,
 * serialization failure; 53: out of resources; 57: cancelled, statement
 * timeout, shutting down; 08: connection; 55P03: lock not available),
 * ST_FAIL for everything else (the statement itself is wrong for the data).
 */
static enum st failure_status(const struct store_conn *c, const PGresult *res)
{
    const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

    if (PQstatus(c->pg) != CONNECTION_OK)
        return ST_RETRY;
    if (state == NULL || strlen(state) != 5)
        return ST_FAIL;
    if (strncmp(state, "40", 2) == 0 || strncmp(state, "53", 2) == 0 ||
        strncmp(state, "57", 2) == 0 || strncmp(state, "08", 2) == 0 ||
        strcmp(state, "55P03") == 0)
        return ST_RETRY;
    return ST_FAIL;
}

/* Where name is in the prepared table, or -1. */
static int prepared_index(const struct store_conn *c, const char *name)
{
    for (int i = 0; i < c->n_prepared; i++)
        if (c->prepared[i] == name || strcmp(c->prepared[i], name) == 0)
            return i;
    return -1;
}

static bool is_prepared(const struct store_conn *c, const char *name)
{
    return prepared_index(c, name) >= 0;
}

/* ---- pipeline mode ---- */

static void forget_prepared(struct store_conn *c, const char *name)
{
    int i = prepared_index(c, name);

    if (i >= 0)
        c->prepared[i] = c->prepared[--c->n_prepared];
}

/* Queues the result slot of a sent statement. */
static void pipe_note(struct store_conn *c, const char *name, bool prepare)
{
    c->deferred[c->n_deferred++] = (struct deferred){name, prepare};
}

/*
 * Sends name (sql unnamed when name is NULL or the table is full),
 * preparing it first when new; false when libpq could not queue it.
 */
static bool pipe_send(struct store_conn *c, const char *name, const char *sql, int n,
                      const char *const *params, const int *lengths, const int *formats)
{
    bool known = name != NULL && is_prepared(c, name);

    if (name != NULL && !known && c->n_prepared < STORE_MAX_PREPARED) {
        if (PQsendPrepare(c->pg, name, sql, n, NULL) != 1)
            return false;
        c->prepared[c->n_prepared++] = name;
        pipe_note(c, name, true);
        known = true;
    }
    if (known)
        return PQsendQueryPrepared(c->pg, name, n, params, lengths, formats, 0) == 1;
    return PQsendQueryParams(c->pg, sql, n, NULL, params, lengths, formats, 0) == 1;
}

/* A pipeline that lost its place cannot be trusted: the next store_ensure reconnects. */
static void pipe_break(struct store_conn *c)
{
    PQfinish(c->pg);
    c->pg = NULL;
    c->pipelined = false;
    c->n_deferred = 0;
}

/*
 * Sends a Sync and reads the results of everything sent since the last
 * one, in order. Returns the last statement's result when keep_last and
 * the whole batch succeeded (caller PQclear); else NULL with *st and err
 * from the first statement that failed.
 */
static PGresult *pipe_sync(struct store_conn *c, bool keep_last, enum st *st,
                           struct errbuf *err)
{
    PGresult *res, *last = NULL;
    int n = c->n_deferred;

    *st = ST_OK;
    if (PQpipelineSync(c->pg) != 1) {
        *st = ST_RETRY;
        set_pg_error(err, "could not send to database", PQerrorMessage(c->pg));
        pipe_break(c);
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        while ((res = PQgetResult(c->pg)) != NULL) {
            ExecStatusType s = PQresultStatus(res);

            if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK) {
                if (keep_last && i == n - 1 && last == NULL) {
                    last = res;
                    continue;
                }
            } else if (s != PGRES_PIPELINE_ABORTED) {
                if (c->deferred[i].prepare)
                    forget_prepared(c, c->deferred[i].name);
                if (*st == ST_OK) {
                    *st = failure_status(c, res);
                    set_pg_error(err, c->deferred[i].name, PQresultErrorMessage(res));
                }
            }
            PQclear(res);
        }
    }
    c->n_deferred = 0;
    res = PQgetResult(c->pg);
    if (PQresultStatus(res) != PGRES_PIPELINE_SYNC) {
        if (*st == ST_OK)
            set_pg_error(err, "database pipeline lost its place", PQerrorMessage(c->pg));
        *st = ST_RETRY;
        pipe_break(c);
    }
    PQclear(res);
    if (*st == ST_OK)
        return last;
    PQclear(last);
    return NULL;
}

/* Sends one statement and queues its slot; false (err set) when it could not be sent. */
static bool pipe_queue(struct store_conn *c, const char *name, const char *sql, int n,
                       const char *const *params, const int *lengths, const int *formats,
                       enum st *st, struct errbuf *err)
{
    if (c->n_deferred + 2 > STORE_MAX_DEFERRED) {
        PQclear(pipe_sync(c, false, st, err));
        if (*st != ST_OK)
            return false;
    }
    if (!pipe_send(c, name, sql, n, params, lengths, formats)) {
        *st = ST_RETRY;
        set_pg_error(err, "could not send to database", PQerrorMessage(c->pg));
        pipe_break(c);
        return false;
    }
    pipe_note(c, name != NULL ? name : "query failed", false);
    return true;
}

/* store_exec_prepared in pipeline mode: the statement, then a Sync. */
static PGresult *pipe_exec(struct store_conn *c, const char *name, const char *sql, int n,
                           const char *const *params, const int *lengths, const int *formats,
                           enum st *st, struct errbuf *err)
{
    if (!pipe_queue(c, name, sql, n, params, lengths, formats, st, err))
        return NULL;
    return pipe_sync(c, true, st, err);
}

enum st store_pipeline_begin(struct store_conn *c, struct errbuf *err)
{
    if (c->pg == NULL || PQenterPipelineMode(c->pg) != 1) {
        errbuf_set(err, "could not enter pipeline mode: %s",
                   c->pg != NULL ? PQerrorMessage(c->pg) : "no connection");
        return ST_RETRY;
    }
    c->pipelined = true;
    c->n_deferred = 0;
    return ST_OK;
}

void store_pipeline_end(struct store_conn *c)
{
    struct errbuf ignored = {""};

    if (!c->pipelined)
        return;
    if (store_flush(c, &ignored) == ST_RETRY || !c->pipelined)
        return; /* pipe_break closed it */
    c->pipelined = false;
    if (PQexitPipelineMode(c->pg) != 1)
        pipe_break(c);
}

enum st store_flush(struct store_conn *c, struct errbuf *err)
{
    enum st st = ST_OK;

    if (c->pipelined && c->n_deferred > 0)
        PQclear(pipe_sync(c, false, &st, err));
    return st;
}

enum st store_exec_deferred(struct store_conn *c, const char *name, const char *sql, int n,
                            const char *const *params, struct errbuf *err)
{
    enum st st = ST_OK;

    if (!c->pipelined)
        PQclear(store_exec_prepared(c, name, sql, n, params, NULL, NULL, &st, err));
    else
        pipe_queue(c, name, sql, n, params, NULL, NULL, &st, err);
    return st;
}

enum st store_cmd_deferred(struct store_conn *c, const char *sql, struct errbuf *err)
{
    enum st st = ST_OK;

    if (!c->pipelined)
        return store_cmd(c, sql, err);
    pipe_queue(c, NULL, sql, 0, NULL, NULL, NULL, &st, err);
    return st;
}

/* ---- one statement at a time ---- */

PGresult *store_exec(struct store_conn *c, const char *sql, int n, const char *const *params,
                     enum st *st, struct errbuf *err)
{
    PGresult *res;
    ExecStatusType s;

    if (c->pipelined)
        return pipe_exec(c, NULL, sql, n, params, NULL, NULL, st, err);
    res = PQexecParams(c->pg, sql, n, NULL, params, NULL, NULL, 0);
    s = PQresultStatus(res);

    if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK) {
        *st = ST_OK;
        return res;
    }
    *st = failure_status(c, res);
    set_pg_error(err, "query failed", res ? PQresultErrorMessage(res) : PQerrorMessage(c->pg));
    PQclear(res);
    return NULL;
}

static enum st store_prepare(struct store_conn *c, const char *name, const char *sql, int n,
                             struct errbuf *err)
{
    PGresult *res;
    enum st st = ST_OK;

    if (is_prepared(c, name))
        return ST_OK;
    res = PQprepare(c->pg, name, sql, n, NULL);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        st = PQstatus(c->pg) == CONNECTION_OK ? ST_FAIL : ST_RETRY;
        set_pg_error(err, name, res ? PQresultErrorMessage(res) : PQerrorMessage(c->pg));
    } else if (c->n_prepared < STORE_MAX_PREPARED) {
        c->prepared[c->n_prepared++] = name;
    }
    PQclear(res);
    return st;
}

PGresult *store_exec_prepared(struct store_conn *c, const char *name, const char *sql, int n,
                              const char *const *params, const int *lengths, const int *formats,
                              enum st *st, struct errbuf *err)
{
    PGresult *res;
    ExecStatusType s;

    if (c->pipelined)
        return pipe_exec(c, name, sql, n, params, lengths, formats, st, err);
    if (!is_prepared(c, name) && c->n_prepared == STORE_MAX_PREPARED) {
        /* table full: run unnamed rather than re-prepare a name each time */
        res = PQexecParams(c->pg, sql, n, NULL, params, lengths, formats, 0);
    } else {
        *st = store_prepare(c, name, sql, n, err);
        if (*st != ST_OK)
            return NULL;
        res = PQexecPrepared(c->pg, name, n, params, lengths, formats, 0);
    }
    s = PQresultStatus(res);
    if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK)
        return res;
    *st = failure_status(c, res);
    set_pg_error(err, name, res ? PQresultErrorMessage(res) : PQerrorMessage(c->pg));
    PQclear(res);
    return NULL;
}

enum st store_cmd(struct store_conn *c, const char *sql, struct errbuf *err)
{
    enum st st;
    PGresult *res = store_exec(c, sql, 0, NULL, &st, err);

    PQclear(res);
    return st;
}

void store_rollback(struct store_conn *c)
{
    PGTransactionStatusType ts;

    if (c->pg == NULL || PQstatus(c->pg) != CONNECTION_OK)
        return;
    if (c->pipelined) { /* the status may be stale here: a ROLLBACK outside one only warns */
        struct errbuf ignored = {""};

        store_flush(c, &ignored);
        if (c->pipelined)
            store_cmd(c, "ROLLBACK", &ignored);
        return;
    }
    ts = PQtransactionStatus(c->pg);
    if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR)
        PQclear(PQexec(c->pg, "ROLLBACK"));
}

struct store_pool {
    pthread_mutex_t lock;
    pthread_cond_t freed;
    struct store_conn **free_conns;
    int n_free;
    int size;
};

struct store_pool *store_pool_create(const char *url, int size)
{
    struct store_pool *p = xcalloc(1, sizeof(*p));

    pthread_mutex_init(&p->lock, NULL);
    cond_init_monotonic(&p->freed);
    p->free_conns = xcalloc((size_t)size, sizeof(*p->free_conns));
    for (int i = 0; i < size; i++)
        p->free_conns[i] = store_conn_create(url);
    p->n_free = size;
    p->size = size;
    return p;
}

void store_pool_destroy(struct store_pool *p)
{
    if (p == NULL)
        return;
    for (int i = 0; i < p->n_free; i++)
        store_conn_destroy(p->free_conns[i]);
    free(p->free_conns);
    pthread_cond_destroy(&p->freed);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

struct store_conn *store_pool_acquire(struct store_pool *p, int timeout_ms)
{
    struct timespec deadline = deadline_after_ms(timeout_ms);
    struct store_conn *c = NULL;
    int rc = 0;

    pthread_mutex_lock(&p->lock);
    while (p->n_free == 0 && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&p->freed, &p->lock, &deadline);
    if (p->n_free > 0)
        c = p->free_conns[--p->n_free];
    pthread_mutex_unlock(&p->lock);
    return c;
}

void store_pool_release(struct store_pool *p, struct store_conn *c)
{
    if (c == NULL)
        return;
    pthread_mutex_lock(&p->lock);
    p->free_conns[p->n_free++] = c;
    pthread_cond_signal(&p->freed);
    pthread_mutex_unlock(&p->lock);
}

/* ---- migrations ---- */

struct migration {
    int version;
    char *file;
};

static int migration_cmp(const void *a, const void *b)
{
    return ((const struct migration *)a)->version - ((const struct migration *)b)->version;
}

/* Lists NNN_*.sql files sorted by number; returns count or -1. */
static int migrations_list(const char *dir, struct migration **out)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    struct migration *list = NULL;
    int n = 0;

    *out = NULL;
    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        char *end = NULL;
        long v = strtol(e->d_name, &end, 10);

        if (len < 5 || strcmp(e->d_name + len - 4, ".sql") != 0 || end == e->d_name ||
            *end != '_' || v <= 0 || v > 99999)
            continue;
        list = xrealloc(list, sizeof(*list) * (size_t)(n + 1));
        list[n].version = (int)v;
        list[n].file = xasprintf("%s/%s", dir, e->d_name);
        n++;
    }
    closedir(d);
    if (n > 0)
        qsort(list, (size_t)n, sizeof(*list), migration_cmp);
    *out = list;
    return n;
}

static void migrations_free(struct migration *list, int n)
{
    for (int i = 0; i < n; i++)
        free(list[i].file);
    free(list);
}

int store_code_version(const char *sql_dir)
{
    struct migration *list;
    int n = migrations_list(sql_dir, &list);
    int v = n > 0 ? list[n - 1].version : (n == 0 ? 0 : -1);

    migrations_free(list, n);
    return v;
}

static const char *const migrations_table_sql =
    "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, "
    "name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())";

static enum st db_version(struct store_conn *c, int *version, struct errbuf *err)
{
    enum st st;
    PGresult *res = store_exec(c,
                               "SELECT coalesce(max(version), 0) FROM schema_migrations "
                               "WHERE to_regclass('schema_migrations') IS NOT NULL",
                               0, NULL, &st, err);

    if (res == NULL) {
        /* the table itself may be missing: a fresh database */
        if (st == ST_FAIL) {
            *version = 0;
            return ST_OK;
        }
        return st;
    }
    *version = atoi(PQgetvalue(res, 0, 0));
    PQclear(res);
    return ST_OK;
}

enum st store_schema_status(struct store_conn *c, const char *sql_dir, struct schema_status *out,
                            struct errbuf *err)
{
    struct migration *list;
    enum st st;
    int n;

    out->db_version = -1;
    out->pending = 0;
    out->code_version = store_code_version(sql_dir);
    st = store_ensure(c, err);
    if (st == ST_OK)
        st = db_version(c, &out->db_version, err);
    if (st != ST_OK)
        return st;
    n = migrations_list(sql_dir, &list);
    for (int i = 0; i < n; i++)
        if (list[i].version > out->db_version)
            out->pending++;
    migrations_free(list, n);
    return ST_OK;
}

static char *read_file(const char *path, struct errbuf *err)
{
    FILE *f = fopen(path, "rb");
    struct buf b;
    char chunk[8192];
    size_t n;

    if (f == NULL) {
        errbuf_set(err, "could not open %s: %s", path, strerror(errno));
        return NULL;
    }
    buf_init(&b, 16u << 20);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        buf_append(&b, chunk, n);
    fclose(f);
    return buf_steal(&b);
}

/* Applies one migration file in its own transaction. */
static enum st migration_apply(struct store_conn *c, const struct migration *m,
                               struct errbuf *err)
{
    char *sql = read_file(m->file, err);
    char version[16];
    const char *base = strrchr(m->file, '/');
    const char *params[2];
    enum st st = ST_FAIL;
    PGresult *res;

    if (sql == NULL)
        return ST_FAIL;
    snprintf(version, sizeof(version), "%d", m->version);
    params[0] = version;
    params[1] = base ? base + 1 : m->file;
    st = store_cmd(c, "BEGIN", err);
    if (st != ST_OK)
        goto out;
    res = PQexec(c->pg, sql); /* a file holds several statements */
    if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
        st = PQstatus(c->pg) == CONNECTION_OK ? ST_FAIL : ST_RETRY;
        set_pg_error(err, params[1], PQresultErrorMessage(res));
        PQclear(res);
        goto out;
    }
    PQclear(res);
    res = store_exec(c, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", 2,
                     params, &st, err);
    PQclear(res);
    if (st == ST_OK)
        st = store_cmd(c, "COMMIT", err);
out:
    if (st != ST_OK)
        store_rollback(c);
    free(sql);
    return st;
}

enum st store_migrate(struct store_conn *c, const char *sql_dir, int *applied, struct errbuf *err)
{
    struct migration *list = NULL;
    int n = migrations_list(sql_dir, &list);
    int current = 0;
    enum st st;

    *applied = 0;
    if (n < 0) {
        errbuf_set(err, "could not read migrations directory %s: %s", sql_dir, strerror(errno));
        return ST_FAIL;
    }
    st = store_ensure(c, err);
    if (st == ST_OK)
        st = store_cmd(c, "SELECT pg_advisory_lock(hashtext('shopvox.migrate'))", err);
    if (st != ST_OK)
        goto out;
    st = store_cmd(c, migrations_table_sql, err);
    if (st == ST_OK)
        st = db_version(c, &current, err);
    for (int i = 0; st == ST_OK && i < n; i++) {
        if (list[i].version <= current)
            continue;
        st = migration_apply(c, &list[i], err);
        if (st == ST_OK) {
            (*applied)++;
            log_event(LOG_INFO, "migration_applied", LOG_I64("version", list[i].version), NULL);
        }
    }
    PQclear(PQexec(c->pg, "SELECT pg_advisory_unlock(hashtext('shopvox.migrate'))"));
out:
    migrations_free(list, n);
    return st;
}

enum st store_delete_batch(struct store_conn *c, const char *name, const char *sql,
                           const char *shop, int days, int limit, long *deleted,
                           struct errbuf *err)
{
    char d[16], n[16];
    const char *p[3] = {shop, d, n};
    enum st st;
    PGresult *res;

    snprintf(d, sizeof(d), "%d", days);
    snprintf(n, sizeof(n), "%d", limit);
    res = store_exec_prepared(c, name, sql, 3, p, NULL, NULL, &st, err);
    *deleted = res != NULL ? atol(PQcmdTuples(res)) : 0;
    PQclear(res);
    return st;
}
