/*
 * it_pg.c - the test database (see it_pg.h).
 */
#include "it_pg.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "it_wait.h"
#include "store.h"

#define IT_MAX_DATABASES 16

void it_require_db(void)
{
    if (getenv("SHOPVOX_TEST_PG_URL") == NULL) {
        fprintf(stderr, "SHOPVOX_TEST_PG_URL not set (run ./dev test): skipping\n");
        exit(77);
    }
}

static PGconn *connect_or_die(const char *url)
{
    PGconn *c = PQconnectdb(url);

    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "it: could not connect to %s: %s", url, PQerrorMessage(c));
        exit(1);
    }
    return c;
}

/* Replaces the database name at the end of a postgresql:// URL. */
static char *url_with_db(const char *base, const char *db)
{
    const char *slash = strrchr(base, '/');
    size_t n = slash ? (size_t)(slash - base) : strlen(base);

    return xasprintf("%.*s/%s", (int)n, base, db);
}

static PGresult *sql_run(const char *url, const char *sql, PGconn **conn)
{
    PGresult *r;

    *conn = connect_or_die(url);
    r = PQexec(*conn, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK) {
        fprintf(stderr, "it: %s: %s", sql, PQerrorMessage(*conn));
        exit(1);
    }
    return r;
}

const char *it_db_create(const char *prefix)
{
    static char urls[IT_MAX_DATABASES][512];
    static int n_urls, seq;
    const char *base = getenv("SHOPVOX_TEST_PG_URL");
    char *sql, *url;
    char name[96];
    PGconn *c;

    if (base == NULL || n_urls == IT_MAX_DATABASES) {
        fprintf(stderr, "it: no test database URL, or more than %d databases\n",
                IT_MAX_DATABASES);
        exit(1);
    }
    snprintf(name, sizeof(name), "it_%s_%d_%ld_%d", prefix, (int)getpid(), (long)time(NULL),
             ++seq);
    sql = xasprintf("CREATE DATABASE %s", name);
    PQclear(sql_run(base, sql, &c));
    PQfinish(c);
    free(sql);
    url = url_with_db(base, name);
    snprintf(urls[n_urls], sizeof(urls[n_urls]), "%s", url);
    free(url);
    return urls[n_urls++];
}

const char *it_db_create_migrated(const char *prefix)
{
    const char *url = it_db_create(prefix);
    struct store_conn *c = store_conn_create(url);
    struct errbuf err = {""};
    int applied = 0;

    if (c == NULL || store_migrate(c, SHOPVOX_SQL_DIR, &applied, &err) != ST_OK) {
        fprintf(stderr, "it: could not migrate %s: %s\n", url, err.msg);
        exit(1);
    }
    store_conn_destroy(c);
    return url;
}

long it_sql_long(const char *url, const char *sql)
{
    PGconn *c;
    PGresult *r = sql_run(url, sql, &c);
    long v = PQntuples(r) > 0 && !PQgetisnull(r, 0, 0) ? atol(PQgetvalue(r, 0, 0)) : -1;

    PQclear(r);
    PQfinish(c);
    return v;
}

long it_sql_vlongf(const char *url, const char *fmt, va_list ap)
{
    char *sql = NULL;
    long v;

    if (vasprintf(&sql, fmt, ap) < 0)
        abort();
    v = it_sql_long(url, sql);
    free(sql);
    return v;
}

long it_sql_longf(const char *url, const char *fmt, ...)
{
    va_list ap;
    long v;

    va_start(ap, fmt);
    v = it_sql_vlongf(url, fmt, ap);
    va_end(ap);
    return v;
}

char *it_sql_text(const char *url, const char *sql)
{
    PGconn *c;
    PGresult *r = sql_run(url, sql, &c);
    char *v = xstrdup(PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "");

    PQclear(r);
    PQfinish(c);
    return v;
}

char *it_sql_textf(const char *url, const char *fmt, ...)
{
    va_list ap;
    char *sql = NULL, *v;
    int n;

    va_start(ap, fmt);
    n = vasprintf(&sql, fmt, ap);
    va_end(ap);
    if (n < 0)
        abort();
    v = it_sql_text(url, sql);
    free(sql);
    return v;
}

void it_sql_exec(const char *url, const char *sql)
{
    PGconn *c;

    PQclear(sql_run(url, sql, &c));
    PQfinish(c);
}

struct sql_wait {
    const char *url, *sql;
    long want, last;
};

static bool sql_has_value(void *arg)
{
    struct sql_wait *w = arg;

    w->last = it_sql_long(w->url, w->sql);
    return w->last == w->want;
}

long it_wait_sql_long(const char *url, const char *sql, long want, int timeout_ms)
{
    struct sql_wait w = {url, sql, want, -1};

    it_wait_until(sql_has_value, &w, timeout_ms);
    return w.last;
}

long it_wait_inbox_applied(const char *url)
{
    return it_wait_sql_long(url, "SELECT count(*) FROM webhook_events WHERE outcome = 'pending'",
                            0, 30000);
}

static int pg_script(const char *verb)
{
    const char *script = getenv("SHOPVOX_TEST_PG_SCRIPT");
    const char *dir = getenv("SHOPVOX_TEST_PG_DIR");
    char *cmd;
    int rc;

    if (script == NULL || dir == NULL)
        return -1;
    cmd = xasprintf("'%s' %s '%s' >/dev/null", script, verb, dir);
    rc = system(cmd);
    free(cmd);
    return rc;
}

int it_pg_stop(void)
{
    return pg_script("stop");
}

int it_pg_start(void)
{
    return pg_script("start");
}
