/*
 * store.h - PostgreSQL access: connections, a small pool, migrations.
 *
 * A struct store_conn owns one PGconn and its URL; it is used by one
 * thread at a time (threads share no handles). A broken connection
 * (database restart) is re-established lazily by store_ensure, so the
 * service recovers without a restart. Migrations are numbered files
 * NNN_name.sql in a directory, applied in order, each inside its own
 * transaction under an advisory lock so concurrent replicas do not race.
 */
#ifndef SHOPVOX_STORE_H
#define SHOPVOX_STORE_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "common.h"

struct store_conn;

/* A timestamptz column as ISO 8601 UTC text ("2026-11-26T02:00:00Z"), for SELECT lists. */
#define STORE_ISO_UTC(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/* Creates a handle and tries to connect; a failed connect is not fatal
 * (store_ensure retries). Never returns NULL. */
struct store_conn *store_conn_create(const char *url);

/*
 * Every connection opened from now on gets statement_timeout = timeout_ms
 * (0: none, the default). Set once by `serve` after its migrations; the
 * `options` of a URL are replaced by it.
 */
void store_set_statement_timeout(int timeout_ms);

/*
 * Runs a batch delete whose parameters are ($1 shop, $2 days, $3 limit),
 * e.g. "DELETE ... WHERE id IN (SELECT ... LIMIT $3)", prepared as name;
 * *deleted gets its row count (retention).
 */
enum st store_delete_batch(struct store_conn *c, const char *name, const char *sql,
                           const char *shop, int days, int limit, long *deleted,
                           struct errbuf *err);
void store_conn_destroy(struct store_conn *c);
/* Ensures the connection is up (reconnecting if needed); ST_OK or ST_RETRY. */
enum st store_ensure(struct store_conn *c, struct errbuf *err);
/* The underlying connection (borrowed; valid until the next store_ensure). */
PGconn *store_pg(struct store_conn *c);

/*
 * Runs a parameterised statement. Returns the result (caller PQclear) when
 * its status is COMMAND_OK or TUPLES_OK, else NULL with err set; *st tells
 * whether the failure is a lost connection (ST_RETRY) or SQL (ST_FAIL).
 */
PGresult *store_exec(struct store_conn *c, const char *sql, int n, const char *const *params,
                     enum st *st, struct errbuf *err);
/*
 * Like store_exec but through a named prepared statement, prepared on this
 * connection at first use (name must be a static string). lengths/formats
 * may be NULL (all text); a binary parameter needs both.
 */
PGresult *store_exec_prepared(struct store_conn *c, const char *name, const char *sql, int n,
                              const char *const *params, const int *lengths, const int *formats,
                              enum st *st, struct errbuf *err);
/* Runs a parameterless command (BEGIN, COMMIT, ...); ST_OK/ST_RETRY/ST_FAIL. */
enum st store_cmd(struct store_conn *c, const char *sql, struct errbuf *err);
/* ROLLBACK, ignoring errors (used on error paths). */
void store_rollback(struct store_conn *c);

/*
 * Pipeline mode on c (libpq's), until store_pipeline_end: every function
 * above still works and returns its own statement's outcome, and the
 * deferred functions below only send. begin needs a connected c (after
 * store_ensure); ST_RETRY when libpq refuses. end reads what is pending
 * (its errors are dropped: flush first to see them) and leaves pipeline
 * mode; a connection that lost its place is closed, and the next
 * store_ensure reconnects.
 */
enum st store_pipeline_begin(struct store_conn *c, struct errbuf *err);
void store_pipeline_end(struct store_conn *c);
/*
 * A statement whose result is not needed (name/sql/params as for
 * store_exec_prepared, all text). Outside pipeline mode it runs at once.
 * In pipeline mode it is only sent: its failure is reported by the next
 * statement whose result is read on c (or store_flush), as that one's
 * failure, with this statement's name in err; the statements sent after
 * it are skipped by the server. So a caller uses it only where any
 * failure undoes the whole batch (a savepoint, the transaction).
 */
enum st store_exec_deferred(struct store_conn *c, const char *name, const char *sql, int n,
                            const char *const *params, struct errbuf *err);
/* store_cmd, deferred likewise. */
enum st store_cmd_deferred(struct store_conn *c, const char *sql, struct errbuf *err);
/* Reads the results of every deferred statement; the first failure, else ST_OK. */
enum st store_flush(struct store_conn *c, struct errbuf *err);

/* A fixed pool of connections shared by HTTP threads. */
struct store_pool;
struct store_pool *store_pool_create(const char *url, int size);
void store_pool_destroy(struct store_pool *p);
/* Blocks up to timeout_ms for a connection; NULL on timeout. */
struct store_conn *store_pool_acquire(struct store_pool *p, int timeout_ms);
void store_pool_release(struct store_pool *p, struct store_conn *c);

struct schema_status {
    int db_version;      /* highest applied migration, 0 when none (-1 unknown) */
    int code_version;    /* highest migration file this binary knows */
    int pending;         /* files not yet applied */
};

/* Reads the migration state; ST_RETRY when the database is unreachable. */
enum st store_schema_status(struct store_conn *c, const char *sql_dir, struct schema_status *out,
                            struct errbuf *err);
/* Applies pending migrations; *applied counts them. */
enum st store_migrate(struct store_conn *c, const char *sql_dir, int *applied,
                      struct errbuf *err);
/* Highest migration number found in sql_dir, or -1 when unreadable. */
int store_code_version(const char *sql_dir);

#endif
