/*
 * main.c - command dispatch, start-up and shutdown. Wires modules; holds no
 * business logic.
 *
 *   shopvox --help | --version    (also after any command)
 *   shopvox [serve [--migrate]]   run the service
 *   shopvox migrate               apply pending migrations and exit
 *   shopvox check-config          print the effective configuration
 *   shopvox sandbox [...]         run the fake Peoplevox for demos and tests
 *   shopvox exceptions|sku|order|routing|catalogue|schedules ...   operator commands (cli.h)
 */
#include <getopt.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "catalogue.h"
#include "clients.h"
#include "cli.h"
#include "config.h"
#include "despatch_jobs.h"
#include "despatch_store.h"
#include "gauges.h"
#include "retention.h"
#include "http_server.h"
#include "drift_jobs.h"
#include "inventory_jobs.h"
#include "inventory_store.h"
#include "limiter.h"
#include "location_map.h"
#include "shopline.h"
#include "log.h"
#include "order_sweep.h"
#include "reconcile.h"
#include "report_notify.h"
#include "pvx.h"
#include "ratelimit.h"
#include "sales_order.h"
#include "sandbox.h"
#include "webhook_subs.h"
#include "scheduler.h"
#include "store.h"
#include "variants.h"
#include "watchdog.h"
#include "worker.h"
#include "return_jobs.h"

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
    if (rl_parse_window(c->pvx_rate, &(struct rl_limits){0, 0}, &err) != 0) {
        buf_appendf(&errors, "PEOPLEVOX_RATE=%s: %s\n", c->pvx_rate, err.msg);
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
        log_event(LOG_ERROR, "migrate_failed", "error", err.msg, NULL);
        return 1;
    }
    log_event(LOG_INFO, "migrate_done", LOG_I64("applied", applied), NULL);
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
        log_event(LOG_WARN, "schema_unknown", "error", err.msg, NULL);
    } else if (ss.db_version > ss.code_version) {
        log_event(LOG_ERROR, "schema_ahead", LOG_I64("db_version", ss.db_version),
                  LOG_I64("code_version", ss.code_version), NULL);
        rc = 1;
    } else if (ss.pending > 0) {
        log_event(LOG_WARN, "schema_pending", LOG_I64("pending", ss.pending), "hint",
                  "run shopvox migrate or serve --migrate", NULL);
    }
    return rc;
}

/*
 * PEOPLEVOX_TIMEZONE must be a zone PostgreSQL knows (it converts the
 * report dates): EXIT_CONFIG when it is not. A database that cannot be
 * asked now only delays the verdict to the first poll (logged there).
 */
static int check_time_zone(const struct cfg *c)
{
    struct store_conn *conn = store_conn_create(c->database_url);
    struct errbuf err = {""};
    bool known = false;
    enum st st = store_ensure(conn, &err);

    if (st == ST_OK)
        st = despatch_store_zone_known(conn, c->pvx_timezone, &known, &err);
    store_conn_destroy(conn);
    if (st != ST_OK) {
        log_event(LOG_WARN, "time_zone_unchecked", "zone", c->pvx_timezone, "error", err.msg,
                  NULL);
        return 0;
    }
    if (known)
        return 0;
    fprintf(stderr, "shopvox: 1 configuration problem:\nPEOPLEVOX_TIMEZONE=%s: is not a time "
                    "zone PostgreSQL knows (an IANA name such as Europe/London, exactly as in "
                    "pg_timezone_names)\n",
            c->pvx_timezone);
    return EXIT_CONFIG;
}

static void wait_for_signal(void)
{
    sigset_t set;
    int sig = 0;

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigwait(&set, &sig);
    log_event(LOG_INFO, "shutdown_requested", LOG_I64("signal", sig), NULL);
}

/* Stops accepting, lets in-flight requests finish until deadline_ms, stops. */
static void drain(struct http_server *hs, int64_t deadline)
{
    http_server_quiesce(hs);
    while (http_server_connections(hs) > 0 && now_ms_monotonic() < deadline)
        usleep(20 * 1000);
    http_server_stop(hs);
}

/* The two listeners: the public one (webhooks) and the operations one (probes, metrics). */
struct listeners {
    struct http_server *public;
    struct http_server *ops;
};

static int listeners_start(const struct cfg *c, struct app *a, struct listeners *l)
{
    struct http_server_opts ho = {.host = c->listen_host, .port = c->listen_port,
                                  .threads = c->http_threads, .handler = app_handle,
                                  .admit = app_admit, .ctx = a,
                                  .max_body_bytes = (size_t)c->max_body_bytes,
                                  .body_budget_bytes = (size_t)c->body_budget_bytes,
                                  .header_deadline_ms = c->header_deadline_ms,
                                  .request_deadline_ms = c->request_deadline_ms};
    char listen[300], ops[300];
    struct errbuf err = {""};

    l->ops = NULL;
    l->public = http_server_start(&ho, &err);
    if (l->public != NULL) {
        ho.host = c->ops_listen_host;
        ho.port = c->ops_listen_port;
        ho.threads = APP_OPS_THREADS; /* probes, scrapes and the admin API */
        ho.handler = app_handle_ops;
        ho.admit = app_admit_ops;
        ho.max_body_bytes = API_MAX_BODY_BYTES; /* only an operator's API write has one */
        ho.body_budget_bytes = API_BODY_BUDGET_BYTES;
        l->ops = http_server_start(&ho, &err);
    }
    if (l->ops == NULL) {
        log_event(LOG_ERROR, "listen_failed", "error", err.msg, NULL);
        http_server_stop(l->public);
        return -1;
    }
    snprintf(listen, sizeof(listen), "%s:%d", c->listen_host, http_server_port(l->public));
    snprintf(ops, sizeof(ops), "%s:%d", c->ops_listen_host, http_server_port(l->ops));
    log_event(LOG_INFO, "started", "listen", listen, "ops_listen", ops,
              LOG_I64("workers", c->workers), NULL);
    return 0;
}

/*
 * Every job kind the workers run, and its handlers (job_handler.h). Kinds
 * with a batch handler post several jobs with one Peoplevox call when
 * SHOPVOX_PVX_BATCH_MAX > 1 (see sales_order.h). The priority is that of
 * the kind's Peoplevox calls when the budget is short: Sales Orders before
 * catalogue reads (create_fulfillment names its own for Shopline).
 */
static const struct job_kind job_kinds[] = {
    {"post_sales_order", NULL, so_post_jobs, so_warm_templates, RL_PRIO_HIGH}, /* batch path */
    {"cancel_sales_order", so_cancel_handler, NULL, NULL, RL_PRIO_HIGH},
    {"purge_retention", retention_purge_handler, NULL, NULL, RL_PRIO_NORMAL},
    {"catalogue_sync", catalogue_sync_handler, NULL, NULL, RL_PRIO_LOW},
    {"detect_stalled", watchdog_stalled_handler, NULL, NULL, RL_PRIO_NORMAL},
    {"poll_despatches", despatch_poll_handler, NULL, NULL, RL_PRIO_NORMAL},
    {DESPATCH_FULFIL_KIND, despatch_fulfil_handler, NULL, NULL, RL_PRIO_HIGH},
    {"detect_unconfirmed", watchdog_unconfirmed_handler, NULL, NULL, RL_PRIO_NORMAL},
    {VARIANTS_SYNC_KIND, variants_sync_handler, NULL, NULL, RL_PRIO_NORMAL},
    {INVENTORY_SYNC_KIND, inventory_sync_handler, NULL, NULL, RL_PRIO_LOW},
    {INVENTORY_FULL_KIND, inventory_full_sync_handler, NULL, NULL, RL_PRIO_LOW},
    {INVENTORY_JOB_KIND, inventory_push_handler, NULL, NULL, RL_PRIO_LOW}, /* Shopline: LOW */
    {DRIFT_RECONCILE_KIND, drift_reconcile_handler, NULL, NULL, RL_PRIO_LOW}, /* Shopline: LOW */
    {ORDER_SWEEP_KIND, order_sweep_handler, NULL, NULL, RL_PRIO_NORMAL},
    {WHSUBS_KIND, whsubs_ensure_handler, NULL, NULL, RL_PRIO_NORMAL},
    {WAREHOUSE_SWEEP_KIND, reconcile_warehouse_handler, NULL, NULL, RL_PRIO_LOW},
    {DESPATCH_SWEEP_KIND, reconcile_despatches_handler, NULL, NULL, RL_PRIO_NORMAL},
    {RETURNS_CREATE_KIND, return_create_handler, NULL, NULL, RL_PRIO_NORMAL},
    {RETURNS_POLL_KIND, return_poll_handler, NULL, NULL, RL_PRIO_NORMAL},
    {REPORT_DAILY_KIND, report_daily_handler, NULL, NULL, RL_PRIO_NORMAL},
    {REPORT_NOTIFY_KIND, report_notify_handler, NULL, NULL, RL_PRIO_NORMAL},
};

/* The background side: the shared rate limiter, Peoplevox client, workers, scheduler. */
struct background {
    struct gauges *gauges;     /* every replica, intake-only ones too */
    struct limiter *limiter;   /* borrowed by pvx: destroyed after it */
    struct pvx_client *pvx;
    struct shopline_client *shopline; /* NULL without SHOPLINE_ACCESS_TOKEN */
    struct worker_pool *workers;
    struct scheduler *sched;
};

/*
 * SHOPVOX_LOCATION_MAP against the store's locations (one locations/list.json
 * call, outside the rate limiter: once per start). A mapped location the
 * store does not have stops the start (EXIT_CONFIG); a store that cannot be
 * asked (no token, unreachable, an error) is a warning, and the start goes
 * on: a Shopline outage must not keep shopvox down.
 */
static int check_location_map(const struct cfg *c)
{
    struct location_map m;
    struct shopline_locations locs = {NULL, 0, 0};
    struct shopline_outcome oc;
    struct errbuf err = {""};
    struct shopline_client *sl = NULL;
    const struct location_map_row *bad = NULL;
    const char **ids = NULL;
    enum st st = ST_FAIL;

    location_map_init(&m);
    if (location_map_parse(&m, c->location_map, &err) < 0 || m.n == 0)
        goto out;               /* checked with the configuration, or nothing mapped */
    memset(&oc, 0, sizeof(oc));
    sl = clients_shopline(c);
    if (sl != NULL)
        st = shopline_get_locations(sl, NULL, &locs, &oc);
    if (st != ST_OK) {
        log_event(LOG_WARN, "location_map_unchecked", "why",
                  sl == NULL ? "no shopline client" : oc.err.msg, NULL);
        goto out;
    }
    ids = xcalloc(locs.n + 1, sizeof(*ids));
    for (size_t i = 0; i < locs.n; i++)
        ids[i] = locs.items[i].id;
    bad = location_map_first_unknown(&m, ids, locs.n);
    if (bad != NULL)
        fprintf(stderr, "shopvox: 1 configuration problem:\nSHOPVOX_LOCATION_MAP=%s: %s=%s: "
                        "Shopline has no location %s (locations/list.json lists %zu)\n",
                c->location_map, bad->site, bad->location_id, bad->location_id, locs.n);
    else
        log_event(LOG_INFO, "location_map_checked", LOG_I64("mapped", m.n),
                  LOG_I64("store_locations", locs.n), NULL);
out:
    free(ids);
    shopline_locations_cleanup(&locs);
    shopline_client_destroy(sl);
    location_map_cleanup(&m);
    return bad != NULL ? EXIT_CONFIG : 0;
}

static int background_start(const struct cfg *c, struct background *bg)
{
    struct pvx_config pc = {.url = c->pvx_url, .client_id = c->pvx_client_id,
                            .username = c->pvx_username, .password = c->pvx_password,
                            .password_encoding = c->pvx_password_encoding,
                            .timeout_ms = c->pvx_timeout_ms,
                            .max_concurrency = c->pvx_max_concurrency,
                            .throttle_base_ms = c->pvx_throttle_cooldown_ms,
                            .throttle_max_ms = c->pvx_throttle_cooldown_max_ms};
    struct pvx_limiter pl;
    struct errbuf err = {""};

    memset(bg, 0, sizeof(*bg));
    bg->gauges = gauges_start(c);
    if (c->workers == 0)
        return 0; /* an intake-only replica */
    bg->limiter = clients_limiter(c);
    limiter_pvx(bg->limiter, &pl);
    pc.limiter = &pl;
    bg->pvx = pvx_client_create(&pc, &err);
    if (bg->pvx == NULL) {
        log_event(LOG_ERROR, "peoplevox_client_failed", "error", err.msg, NULL);
        limiter_destroy(bg->limiter);
        gauges_stop(bg->gauges);
        return -1;
    }
    bg->shopline = clients_shopline(c);
    bg->workers = worker_pool_start(c, bg->pvx, bg->shopline, bg->limiter, job_kinds,
                                    ARRAY_LEN(job_kinds));
    bg->sched = scheduler_start(c);
    return 0;
}

static void background_stop(struct background *bg)
{
    scheduler_stop(bg->sched);
    worker_pool_stop(bg->workers); /* each worker finishes its current job */
    pvx_client_destroy(bg->pvx);
    shopline_client_destroy(bg->shopline);
    limiter_destroy(bg->limiter);
    gauges_stop(bg->gauges);
}

static int serve(const struct cfg *c, bool migrate)
{
    struct app *a;
    struct listeners l;
    struct background bg;
    int64_t deadline;

    if (migrate && run_migrations(c) != 0)
        return 1;
    if (check_schema(c) != 0)
        return 1;
    if (check_time_zone(c) != 0 || check_location_map(c) != 0)
        return EXIT_CONFIG;
    store_set_statement_timeout(c->statement_timeout_ms);
    for (size_t i = 0; i < ARRAY_LEN(job_kinds); i++) /* before anything enqueues */
        job_kind_priority_set(job_kinds[i].kind, job_kinds[i].priority);
    if (background_start(c, &bg) != 0)
        return 1;
    a = app_create(c);
    if (listeners_start(c, a, &l) != 0) {
        background_stop(&bg);
        app_destroy(a);
        return 1;
    }
    wait_for_signal();
    /*
     * One deadline for everything, below the pod's grace period: workers stop
     * claiming now and their calls are cut short before it, while HTTP drains.
     * The probes answer until the webhooks have drained.
     */
    deadline = now_ms_monotonic() + (int64_t)c->shutdown_deadline_s * 1000;
    worker_pool_quiesce(bg.workers, deadline);
    drain(l.public, deadline);
    http_server_stop(l.ops);
    background_stop(&bg);
    app_destroy(a);
    log_event(LOG_INFO, "stopped", NULL);
    return 0;
}

static void usage(FILE *out)
{
    fputs("usage: shopvox [--help] [--version]\n"
          "       shopvox [serve [--migrate] | migrate | check-config | sandbox [options]]"
          " [--help] [--version]\n",
          out);
    cli_usage(out);
}

/*
 * The words of serve, migrate and check-config (argv[0] is the command,
 * name too; "" for the binary's own options):
 * --help (usage on stdout), --version, and --migrate where migrate is not
 * NULL. Returns the exit code to stop with, or -1 to go on.
 */
static int parse_service_args(const char *name, int argc, char **argv, bool *migrate)
{
    const struct option longs[] = {{"help", no_argument, NULL, 'h'},
                                   {"version", no_argument, NULL, 'V'},
                                   {"migrate", no_argument, NULL, 'm'},
                                   {NULL, 0, NULL, 0}};
    int opt, rc = -1;

    opterr = 0;
    optind = 0;
    while ((opt = getopt_long(argc, argv, "+h", longs, NULL)) != -1) {
        if (opt == 'h' && rc != EXIT_CONFIG) {
            usage(stdout);
            rc = 0;
        } else if (opt == 'V' && rc == -1) {
            cli_print_version(stdout);
            rc = 0;
        } else if (opt == 'm' && migrate != NULL) {
            *migrate = true;
        } else if (opt != 'h' && opt != 'V') {
            fprintf(stderr, "shopvox%s%s: unknown option %s\n", name[0] ? " " : "", name,
                    argv[optind - 1]);
            rc = EXIT_CONFIG;
        }
    }
    if (rc == -1 && optind < argc) {
        fprintf(stderr, "shopvox%s%s: unexpected argument '%s'\n", name[0] ? " " : "", name,
                argv[optind]);
        rc = EXIT_CONFIG;
    }
    if (rc == EXIT_CONFIG)
        usage(stderr);
    return rc;
}

static int cmd_serve(int argc, char **argv)
{
    struct cfg c;
    bool migrate = false;
    int rc = parse_service_args("serve", argc, argv, &migrate);

    if (rc >= 0)
        return rc;
    if (load_config(&c, true) > 0) {
        cfg_cleanup(&c);
        return EXIT_CONFIG;
    }
    log_configure(c.log_level, c.log_format);
    rc = serve(&c, migrate);
    cfg_cleanup(&c);
    return rc;
}

int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : "serve";
    char *serve_argv[] = {(char *)(uintptr_t)"serve", NULL};
    sigset_t set;
    int rc;

#ifdef M_ARENA_MAX
    /* glibc gives threads that allocate at once arenas of their own, up to
     * eight per core, and each keeps what was freed in it: with ~30 threads
     * (HTTP, committers, applier, workers) that was ~3 MiB more RSS with
     * 10,000 orders waiting (bench orders with BENCH_PVX_HOLD: 31.8 MiB, 28.8
     * with two arenas). Two, unless the operator chose (MALLOC_ARENA_MAX). */
    if (getenv("MALLOC_ARENA_MAX") == NULL)
        mallopt(M_ARENA_MAX, 2);
#endif
    /* Signals are taken synchronously by main; every thread inherits the mask. */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (cmd[0] == '-') { /* shopvox --help | --version */
        rc = parse_service_args("", argc, argv, NULL);
        return rc >= 0 ? rc : EXIT_CONFIG;
    }
    if (strcmp(cmd, "serve") == 0)
        return argc > 1 ? cmd_serve(argc - 1, argv + 1) : cmd_serve(1, serve_argv);
    if (strcmp(cmd, "migrate") == 0 || strcmp(cmd, "check-config") == 0) {
        rc = parse_service_args(cmd, argc - 1, argv + 1, NULL);
        if (rc >= 0)
            return rc;
        return strcmp(cmd, "migrate") == 0 ? cmd_migrate() : cmd_check_config();
    }
    if (strcmp(cmd, "sandbox") == 0)
        return sandbox_main(argc - 1, argv + 1);
    if (cli_is_command(cmd)) /* exceptions, sku, order, routing, catalogue */
        return cli_main(cmd, argc - 2, argv + 2);
    fprintf(stderr, "shopvox: unknown command '%s'\n", cmd);
    usage(stderr);
    return EXIT_CONFIG;
}
