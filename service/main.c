/*
 * main.c - command dispatch, start-up and shutdown. Wires modules; holds no
 * business logic.
 *
 *   shopvox [serve [--migrate]]   run the service
 *   shopvox migrate               apply pending migrations and exit
 *   shopvox check-config          print the effective configuration
 *   shopvox sandbox [...]         run the fake Peoplevox for demos and tests
 *   shopvox exceptions|sku|order|routing|catalogue ...   operator commands (cli.h)
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "catalogue.h"
#include "cli.h"
#include "config.h"
#include "gauges.h"
#include "http_server.h"
#include "log.h"
#include "pvx.h"
#include "sales_order.h"
#include "sandbox.h"
#include "scheduler.h"
#include "store.h"
#include "watchdog.h"
#include "worker.h"

#define EXIT_CONFIG 2

extern char **environ;

static int load_config(struct cfg *c, bool require_all)
{
    struct buf errors, warnings;
    struct errbuf err = {""};
    int problems;

    buf_init(&errors, 0);
    buf_init(&warnings, 0);
    problems = cfg_load(c, NULL, NULL, require_all, &errors);
    if (scheduler_seed_routing(c, NULL, &err) != 0) {
        buf_appendf(&errors, "SHOPVOX_ROUTING_RULES=%s: %s\n", c->routing_rules, err.msg);
        problems++;
    }
    if (cfg_find_unknown(environ, &warnings) > 0) {
        for (char *line = strtok(warnings.data, "\n"); line != NULL; line = strtok(NULL, "\n"))
            fprintf(stderr, "shopvox: warning: %s\n", line);
    }
    if (problems > 0)
        fprintf(stderr, "shopvox: %d configuration problem%s:\n%s", problems,
                problems == 1 ? "" : "s", buf_cstr(&errors));
    buf_cleanup(&errors);
    buf_cleanup(&warnings);
    return problems;
}

static int cmd_check_config(void)
{
    struct cfg c;
    int problems = load_config(&c, true);

    cfg_print(&c, stdout);
    cfg_cleanup(&c);
    return problems > 0 ? EXIT_CONFIG : 0;
}

static int run_migrations(const struct cfg *c)
{
    struct store_conn *conn = store_conn_create(c->database_url);
    struct errbuf err = {""};
    int applied = 0;
    enum st st = store_migrate(conn, c->sql_dir, &applied, &err);

    store_conn_destroy(conn);
    if (st != ST_OK) {
        log_msg(LOG_ERROR, "event=migrate_failed error=\"%s\"", err.msg);
        return 1;
    }
    log_msg(LOG_INFO, "event=migrate_done applied=%d", applied);
    return 0;
}

static int cmd_migrate(void)
{
    struct cfg c;
    int rc = EXIT_CONFIG;

    if (load_config(&c, false) == 0 && c.database_url[0] != '\0') {
        log_configure(c.log_level, c.log_format);
        rc = run_migrations(&c);
    } else if (c.database_url[0] == '\0') {
        fprintf(stderr, "shopvox: SHOPVOX_DATABASE_URL is required\n");
    }
    cfg_cleanup(&c);
    return rc;
}

/* Refuses a database whose schema is ahead of this binary. */
static int check_schema(const struct cfg *c)
{
    struct store_conn *conn = store_conn_create(c->database_url);
    struct schema_status ss;
    struct errbuf err = {""};
    enum st st = store_schema_status(conn, c->sql_dir, &ss, &err);
    int rc = 0;

    store_conn_destroy(conn);
    if (st != ST_OK) {
        log_msg(LOG_WARN, "event=schema_unknown error=\"%s\"", err.msg);
    } else if (ss.db_version > ss.code_version) {
        log_msg(LOG_ERROR, "event=schema_ahead db_version=%d code_version=%d", ss.db_version,
                ss.code_version);
        rc = 1;
    } else if (ss.pending > 0) {
        log_msg(LOG_WARN, "event=schema_pending pending=%d hint=\"run shopvox migrate or serve "
                          "--migrate\"", ss.pending);
    }
    return rc;
}

static void wait_for_signal(void)
{
    sigset_t set;
    int sig = 0;

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigwait(&set, &sig);
    log_msg(LOG_INFO, "event=shutdown_requested signal=%d", sig);
}

/* Stops accepting, lets in-flight requests finish until deadline_ms, stops. */
static void drain(struct http_server *hs, int64_t deadline)
{
    http_server_quiesce(hs);
    while (http_server_connections(hs) > 0 && now_ms_monotonic() < deadline)
        usleep(20 * 1000);
    http_server_stop(hs);
}

/*
 * Every job kind the workers run, and its handlers (job_handler.h). Kinds
 * with a batch handler post several jobs with one Peoplevox call when
 * SHOPVOX_PVX_BATCH_MAX > 1 (see sales_order.h).
 */
static const struct job_kind job_kinds[] = {
    {"post_sales_order", NULL, so_post_jobs, so_warm_templates}, /* always the batch path */
    {"cancel_sales_order", so_cancel_handler, NULL, NULL},
    {"catalogue_sync", catalogue_sync_handler, NULL, NULL},
    {"detect_stalled", watchdog_stalled_handler, NULL, NULL},
};

/* The background side: Peoplevox client, workers, scheduler. */
struct background {
    struct gauges *gauges;     /* every replica, intake-only ones too */
    struct pvx_client *pvx;
    struct worker_pool *workers;
    struct scheduler *sched;
};

static int background_start(const struct cfg *c, struct background *bg)
{
    struct pvx_config pc = {.url = c->pvx_url, .client_id = c->pvx_client_id,
                            .username = c->pvx_username, .password = c->pvx_password,
                            .password_encoding = c->pvx_password_encoding,
                            .timeout_ms = c->pvx_timeout_ms,
                            .max_concurrency = c->pvx_max_concurrency,
                            .throttle_base_ms = c->pvx_throttle_cooldown_ms,
                            .throttle_max_ms = c->pvx_throttle_cooldown_max_ms};
    struct errbuf err = {""};

    memset(bg, 0, sizeof(*bg));
    bg->gauges = gauges_start(c);
    if (c->workers == 0)
        return 0; /* an intake-only replica */
    bg->pvx = pvx_client_create(&pc, &err);
    if (bg->pvx == NULL) {
        log_msg(LOG_ERROR, "event=peoplevox_client_failed error=\"%s\"", err.msg);
        gauges_stop(bg->gauges);
        return -1;
    }
    bg->workers = worker_pool_start(c, bg->pvx, job_kinds, ARRAY_LEN(job_kinds));
    bg->sched = scheduler_start(c);
    return 0;
}

static void background_stop(struct background *bg)
{
    scheduler_stop(bg->sched);
    worker_pool_stop(bg->workers); /* each worker finishes its current job */
    pvx_client_destroy(bg->pvx);
    gauges_stop(bg->gauges);
}

static int serve(const struct cfg *c, bool migrate)
{
    struct app *a;
    struct http_server *hs;
    struct http_server_opts ho;
    struct background bg;
    struct errbuf err = {""};
    int64_t deadline;

    if (migrate && run_migrations(c) != 0)
        return 1;
    if (check_schema(c) != 0)
        return 1;
    store_set_statement_timeout(c->statement_timeout_ms);
    if (background_start(c, &bg) != 0)
        return 1;
    a = app_create(c);
    ho = (struct http_server_opts){.host = c->listen_host, .port = c->listen_port,
                                   .threads = c->http_threads, .handler = app_handle, .ctx = a,
                                   .max_body_bytes = (size_t)c->max_body_bytes};
    hs = http_server_start(&ho, &err);
    if (hs == NULL) {
        log_msg(LOG_ERROR, "event=listen_failed error=\"%s\"", err.msg);
        background_stop(&bg);
        app_destroy(a);
        return 1;
    }
    log_msg(LOG_INFO, "event=started listen=%s:%d workers=%d", c->listen_host,
            http_server_port(hs), c->workers);
    wait_for_signal();
    /*
     * One deadline for everything, below the pod's grace period: workers stop
     * claiming now and their calls are cut short before it, while HTTP drains.
     */
    deadline = now_ms_monotonic() + (int64_t)c->shutdown_deadline_s * 1000;
    worker_pool_quiesce(bg.workers, deadline);
    drain(hs, deadline);
    background_stop(&bg);
    app_destroy(a);
    log_msg(LOG_INFO, "event=stopped");
    return 0;
}

static int cmd_serve(int argc, char **argv)
{
    struct cfg c;
    bool migrate = false;
    int rc;

    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--migrate") == 0) {
            migrate = true;
        } else {
            fprintf(stderr, "shopvox serve: unknown option %s\n", argv[i]);
            return EXIT_CONFIG;
        }
    }
    if (load_config(&c, true) > 0) {
        cfg_cleanup(&c);
        return EXIT_CONFIG;
    }
    log_configure(c.log_level, c.log_format);
    rc = serve(&c, migrate);
    cfg_cleanup(&c);
    return rc;
}

static void usage(void)
{
    fputs("usage: shopvox [serve [--migrate] | migrate | check-config | sandbox [options]]\n",
          stderr);
    cli_usage(stderr);
}

int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : "serve";
    sigset_t set;

    /* Signals are taken synchronously by main; every thread inherits the mask. */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (strcmp(cmd, "serve") == 0)
        return cmd_serve(argc > 1 ? argc - 2 : 0, argv + 2);
    if (strcmp(cmd, "migrate") == 0)
        return cmd_migrate();
    if (strcmp(cmd, "check-config") == 0)
        return cmd_check_config();
    if (strcmp(cmd, "sandbox") == 0)
        return sandbox_main(argc - 1, argv + 1);
    if (cli_is_command(cmd)) /* exceptions, sku, order, routing, catalogue */
        return cli_main(cmd, argc - 2, argv + 2);
    usage();
    return EXIT_CONFIG;
}
