/*
 * it_migrations.c - schema migrations and start-up checks of the real binary.
 *
 * Every case gets its own fresh database: `migrate` applies every file in
 * sql/ once and is then a no-op; `serve` without --migrate starts on an
 * unmigrated database but is not ready until `migrate` runs (no restart);
 * a database ahead of the binary makes `serve` exit 1 without ever being
 * healthy; configuration mistakes make `check-config` and `serve` exit 2
 * and name every problem on stderr. The expected migration count comes
 * from the sql/ directory itself, not from the code under test.
 */
#include <dirent.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "common.h"
#include "it.h"
#include "it_cli_run.h"
#include "store.h"

#define EXIT_CONFIG 2
#define QUICK_EXIT_MS 10000

/* The migration files in sql/: count, highest number, names in order. */
struct sql_files {
    int count;
    int max_version;
    char names[2048]; /* "001_a.sql,002_b.sql" */
};

static bool is_migration_name(const char *name)
{
    size_t len = strlen(name), digits = 0;

    while (name[digits] >= '0' && name[digits] <= '9')
        digits++;
    return digits > 0 && name[digits] == '_' && len > 4 && strcmp(name + len - 4, ".sql") == 0;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void sql_files_scan(struct sql_files *f)
{
    DIR *d = opendir(SHOPVOX_SQL_DIR);
    char *names[256];
    struct dirent *e;
    size_t n = 0;

    assert_non_null(d);
    memset(f, 0, sizeof(*f));
    while ((e = readdir(d)) != NULL && n < ARRAY_LEN(names))
        if (is_migration_name(e->d_name))
            names[n++] = xstrdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof(names[0]), name_cmp); /* NNN_ is zero-padded */
    for (size_t i = 0; i < n; i++) {
        int v = atoi(names[i]);

        if (v > f->max_version)
            f->max_version = v;
        snprintf(f->names + strlen(f->names), sizeof(f->names) - strlen(f->names), "%s%s",
                 i > 0 ? "," : "", names[i]);
        free(names[i]);
    }
    f->count = (int)n;
    assert_true(f->count > 0);
}

static void run(struct it_cli_result *r, const char *db, const char *const *env,
                const char *const *args)
{
    it_cli_run_env(r, db, env, args);
    if (getenv("IT_VERBOSE") != NULL)
        fprintf(stderr, "%s: exit %d\nstdout:\n%s\nstderr:\n%s\n", args[0], r->exit_code, r->out,
                r->err);
}

static void migrate_ok(const char *db, const char *want_applied)
{
    static const char *const args[] = {"migrate", NULL};
    struct it_cli_result r;

    run(&r, db, NULL, args);
    if (r.exit_code != 0 || strstr(r.err, want_applied) == NULL)
        fprintf(stderr, "migrate: exit %d, wanted %s in:\n%s\n", r.exit_code, want_applied,
                r.err);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.err, want_applied));
    it_cli_result_free(&r);
}

static long readyz(int port, char **body)
{
    struct it_resp resp;

    assert_int_equal(it_http(port, "GET", "/readyz", NULL, 0, NULL, &resp), 0);
    *body = resp.body;
    return resp.status;
}

/* ---- migrate ------------------------------------------------------------ */

static void test_migrate_applies_every_file_once(void **state)
{
    const char *db = it_db_create("mig_fresh");
    struct sql_files f;
    char applied[32];
    char *names, *first_applied_at, *again_applied_at;

    sql_files_scan(&f);
    snprintf(applied, sizeof(applied), "applied=%d", f.count);
    migrate_ok(db, applied);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM schema_migrations"), f.count);
    assert_int_equal(it_sql_long(db, "SELECT max(version) FROM schema_migrations"),
                     f.max_version);
    names = it_sql_text(db, "SELECT string_agg(name, ',' ORDER BY version) FROM "
                            "schema_migrations");
    assert_string_equal(names, f.names);
    free(names);
    first_applied_at = it_sql_text(db, "SELECT max(applied_at)::text FROM schema_migrations");

    migrate_ok(db, "applied=0"); /* nothing left to do, and that is success */
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM schema_migrations"), f.count);
    again_applied_at = it_sql_text(db, "SELECT max(applied_at)::text FROM schema_migrations");
    assert_string_equal(again_applied_at, first_applied_at);
    free(first_applied_at);
    free(again_applied_at);
}

/*
 * sql/032: webhook bodies written from now on are lz4-compressed (cheaper
 * than pglz at ingest) and read back byte for byte; on a server without
 * lz4 the migration leaves pglz and this test has nothing to check.
 */
static void test_webhook_bodies_are_stored_with_lz4(void **state)
{
    const char *db = it_db_create("mig_lz4");

    (void)state;
    migrate_ok(db, "applied=");
    if (it_sql_long(db, "SELECT count(*) FROM pg_settings WHERE name = "
                        "'default_toast_compression' AND 'lz4' = ANY(enumvals)") == 0)
        skip();
#define BIG_BODY "convert_to(repeat('{\"sku\":\"VOX-TEE\",\"qty\":1},', 400), 'UTF8')"
    assert_int_equal(it_sql_long(db, "INSERT INTO webhook_events (shop, webhook_id, topic, body, "
                                     "outcome) SELECT 's', 'big', 'orders/updated', " BIG_BODY
                                     ", 'pending' RETURNING 1"), 1);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM webhook_events WHERE webhook_id = "
                                     "'big' AND pg_column_compression(body) = 'lz4' AND body = "
                                     BIG_BODY), 1);
#undef BIG_BODY
}

/* ---- serve on an unmigrated database -------------------------------------- */

static void test_serve_is_not_ready_until_migrate_runs(void **state)
{
    static const char *const args[] = {"serve", NULL};
    const char *db = it_db_create("mig_ready");
    struct it_proc p;
    struct sql_files f;
    char want[96], *body = NULL;
    long status;

    sql_files_scan(&f);
    assert_int_equal(it_shopvox_start(&p, db, NULL, args), 0);
    status = readyz(p.ops_port, &body);
    snprintf(want, sizeof(want), "schema version 0, this binary expects %d", f.max_version);
    if (status != 503 || strstr(body, want) == NULL)
        fprintf(stderr, "readyz before migrate: %ld %s\n", status, body);
    assert_int_equal(status, 503);
    assert_non_null(strstr(body, want));
    free(body);
    /* it saw the pending schema at start and left it alone: migrations run only before
     * the start line, so nothing migrates behind our back once it is up */
    assert_true(it_proc_log_has(&p, "event=schema_pending"));
    assert_false(it_proc_log_has(&p, "event=migrate_done"));
    assert_int_equal(readyz(p.ops_port, &body), 503);
    free(body);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM pg_tables WHERE tablename = "
                                     "'schema_migrations'"),
                     0);

    migrate_ok(db, "applied=");
    status = readyz(p.ops_port, &body); /* the same process, no restart */
    if (status != 200)
        fprintf(stderr, "readyz after migrate: %ld %s\n", status, body);
    assert_int_equal(status, 200);
    assert_non_null(strstr(body, "ready"));
    free(body);
    assert_int_equal(it_proc_stop(&p, SIGTERM, 30000), 0);
}

/* ---- a database ahead of the binary --------------------------------------- */

/*
 * `serve ARGS` must exit by itself with want_exit, quickly, never healthy.
 * it_shopvox_start proves "never healthy and gone" (it sees the exit);
 * the second run, now known to end, captures the status and stderr.
 */
static void assert_serve_refuses(const char *db, const char *const *args, int want_exit,
                                 const char *want_in_stderr)
{
    struct it_proc p;
    struct it_cli_result r;
    int64_t started;

    assert_int_equal(it_shopvox_start(&p, db, NULL, args), -1);
    if (p.pid > 0) {
        it_proc_stop(&p, SIGKILL, 1000);
        fail_msg("shopvox %s kept running on a database it must refuse", args[0]);
    }
    started = now_ms_monotonic();
    run(&r, db, it_serve_env, args);
    if (r.exit_code != want_exit || strstr(r.err, want_in_stderr) == NULL)
        fprintf(stderr, "exit %d, wanted %d and %s in:\n%s\n", r.exit_code, want_exit,
                want_in_stderr, r.err);
    assert_int_equal(r.exit_code, want_exit);
    assert_true(now_ms_monotonic() - started < QUICK_EXIT_MS);
    assert_non_null(strstr(r.err, want_in_stderr));
    it_cli_result_free(&r);
}

static void test_serve_refuses_a_schema_newer_than_the_binary(void **state)
{
    static const char *const serve[] = {"serve", NULL};
    static const char *const serve_migrate[] = {"serve", "--migrate", NULL};
    const char *db = it_db_create("mig_ahead");
    struct sql_files f;
    char want[96];

    sql_files_scan(&f);
    migrate_ok(db, "applied=");
    it_sql_exec(db, "INSERT INTO schema_migrations (version, name) VALUES (9999, "
                    "'9999_from_a_newer_release.sql')");
    snprintf(want, sizeof(want), "event=schema_ahead db_version=9999 code_version=%d",
             f.max_version);
    assert_serve_refuses(db, serve, 1, want);
    assert_serve_refuses(db, serve_migrate, 1, want); /* --migrate does not paper over it */
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM schema_migrations"), f.count + 1);
}

/* ---- configuration errors ---------------------------------------------------- */

static void test_check_config_reports_every_problem_and_exits_2(void **state)
{
    static const char *const args[] = {"check-config", NULL};
    static const char *const env[] = {
        "SHOPVOX_WORKERS=abc",           "SHOPLINE_ACCESS_TOKEN=it-token",
        "PEOPLEVOX_URL=https://127.0.0.1:9/x", "PEOPLEVOX_CLIENT_ID=it",
        "PEOPLEVOX_USERNAME=it",         "PEOPLEVOX_PASSWORD=it-password",
        NULL, /* and no SHOPLINE_APP_SECRET */
    };
    const char *db = getenv("SHOPVOX_TEST_PG_URL");
    struct it_cli_result r;

    run(&r, db, env, args);
    if (r.exit_code != EXIT_CONFIG)
        fprintf(stderr, "check-config: exit %d\n%s\n", r.exit_code, r.err);
    assert_int_equal(r.exit_code, EXIT_CONFIG);
    assert_string_equal(r.err, "shopvox: 2 configuration problems:\n"
                               "SHOPVOX_WORKERS=abc: must be an integer between 0 and 256\n"
                               "SHOPLINE_APP_SECRET is required (set SHOPLINE_APP_SECRET or SHOPLINE_APP_SECRET_FILE)\n");
    /* the effective configuration is still printed, secrets masked */
    assert_non_null(strstr(r.out, "\nPEOPLEVOX_PASSWORD=***\n"));
    assert_null(strstr(r.out, "it-password"));
    assert_non_null(strstr(r.out, "\nSHOPLINE_SHOP_DOMAIN=" IT_SHOP "\n"));
    it_cli_result_free(&r);
}

static void test_check_config_with_a_good_environment_exits_0(void **state)
{
    static const char *const args[] = {"check-config", NULL};
    const char *db = getenv("SHOPVOX_TEST_PG_URL");
    struct it_cli_result r;

    run(&r, db, it_serve_env, args);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.err, "");
    assert_non_null(strstr(r.out, "\nSHOPVOX_DATABASE_URL=***\n"));
    it_cli_result_free(&r);
}

static void test_serve_with_invalid_routing_rules_exits_2(void **state)
{
    static const char *const args[] = {"serve", NULL};
    const char *db = it_db_create("mig_routing");
    const char *env[32];
    struct it_proc p;
    struct it_cli_result r;
    size_t n = 0;

    for (; it_serve_env[n] != NULL; n++)
        env[n] = it_serve_env[n];
    env[n++] = "SHOPVOX_ROUTING_RULES=nonsense";
    env[n] = NULL;

    /* never healthy, and gone by itself */
    assert_int_equal(it_shopvox_start(&p, db, env + n - 1, args), -1);
    if (p.pid > 0) {
        it_proc_stop(&p, SIGKILL, 1000);
        fail_msg("serve kept running with invalid SHOPVOX_ROUTING_RULES");
    }
    run(&r, db, env, args);
    assert_int_equal(r.exit_code, EXIT_CONFIG);
    assert_string_equal(r.err, "shopvox: 1 configuration problem:\n"
                               "SHOPVOX_ROUTING_RULES=nonsense: routing rule 'nonsense': "
                               "expected KIND[:MATCH]=SITE\n");
    it_cli_result_free(&r);
    /* the configuration was rejected before the database was touched */
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM pg_tables WHERE tablename = "
                                     "'schema_migrations'"),
                     0);
}

/* Service connections carry statement_timeout: a runaway query cannot hold a thread. */
static void test_statement_timeout_cuts_a_long_query(void **state)
{
    const char *db = getenv("SHOPVOX_TEST_PG_URL");
    struct store_conn *c;
    struct errbuf err = {""};
    enum st st;

    store_set_statement_timeout(200);
    c = store_conn_create(db);
    PQclear(store_exec(c, "SELECT pg_sleep(3)", 0, NULL, &st, &err));
    store_set_statement_timeout(0);
    assert_int_not_equal(st, ST_OK);
    assert_non_null(strstr(err.msg, "statement timeout"));
    store_conn_destroy(c);
    c = store_conn_create(db); /* and 0 turns it off again */
    PQclear(store_exec(c, "SELECT pg_sleep(0.3)", 0, NULL, &st, &err));
    assert_int_equal(st, ST_OK);
    store_conn_destroy(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_migrate_applies_every_file_once),
        cmocka_unit_test(test_webhook_bodies_are_stored_with_lz4),
        cmocka_unit_test(test_serve_is_not_ready_until_migrate_runs),
        cmocka_unit_test(test_serve_refuses_a_schema_newer_than_the_binary),
        cmocka_unit_test(test_check_config_reports_every_problem_and_exits_2),
        cmocka_unit_test(test_check_config_with_a_good_environment_exits_0),
        cmocka_unit_test(test_serve_with_invalid_routing_rules_exits_2),
        cmocka_unit_test(test_statement_timeout_cuts_a_long_query),
    };

    it_require_db();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
