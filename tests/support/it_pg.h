/*
 * it_pg.h - the throw-away PostgreSQL of the integration tests.
 *
 * `tests/pg.sh start DIR` runs a private cluster and prints its URL; the
 * tests find it in SHOPVOX_TEST_PG_URL (and, for the outage test, the
 * script and directory in SHOPVOX_TEST_PG_SCRIPT / SHOPVOX_TEST_PG_DIR).
 * Each test program makes its own fresh databases on it, so programs run
 * side by side. Every helper here opens its own connection, so any thread
 * may call it; a database error ends the program (the test is wrong).
 */
#ifndef SHOPVOX_IT_PG_H
#define SHOPVOX_IT_PG_H

#include <stdarg.h>

#include "common.h"

/* Skips the whole program (exit 77 -> ctest "skipped") without a database. */
void it_require_db(void);
/* Creates a fresh, empty database and returns its URL (static storage, one per call). */
const char *it_db_create(const char *prefix);
/* it_db_create, then every migration in sql/ applied (as `shopvox migrate` would). */
const char *it_db_create_migrated(const char *prefix);

/* Runs sql; the first column of the first row as a number, -1 when none or NULL. */
long it_sql_long(const char *url, const char *sql);
/* The same with a printf format (test-made values only: nothing is quoted). */
long it_sql_longf(const char *url, const char *fmt, ...) SV_PRINTF(2, 3);
long it_sql_vlongf(const char *url, const char *fmt, va_list ap) SV_PRINTF(2, 0);
/* Runs sql; a malloc'd copy of the first value ("" when none). */
char *it_sql_text(const char *url, const char *sql);
char *it_sql_textf(const char *url, const char *fmt, ...) SV_PRINTF(2, 3);
void it_sql_exec(const char *url, const char *sql);

/* Polls sql until it returns want or timeout_ms pass; returns the last value. */
long it_wait_sql_long(const char *url, const char *sql, long want, int timeout_ms);

/*
 * Waits (up to 30 s) until no delivery is pending in url's inbox: every
 * webhook answered "accepted" had its order logic applied (intake_apply.h);
 * 0 when none is left.
 */
long it_wait_inbox_applied(const char *url);

/* Stops / starts the throw-away cluster (tests/pg.sh); 0 ok. */
int it_pg_stop(void);
int it_pg_start(void);

#endif
