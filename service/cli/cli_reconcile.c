/*
 * cli_reconcile.c - `shopvox reconcile orders|warehouse|despatches`: a
 * sweep now, and `shopvox report reconcile`: the latest run of each.
 *
 * A run is an order_sweeps row plus its job (sweep_run_request); a worker
 * of the running service does the work, so the CLI needs no Shopline or
 * Peoplevox credentials. --since (orders) and --days (warehouse,
 * despatches: the window starts N days ago) are checked here with the
 * sweeps' own rule (sweep_window_from), so a bad window is a usage error,
 * never a dead job. --wait SECONDS polls the row until the run is done or
 * failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_int.h"
#include "ops_status.h"
#include "order.h"
#include "order_sweep.h"
#include "reconcile.h"
#include "sweep_run.h"
#include "sweep_store.h"
#include "sweep_window.h"

#define RECONCILE_WAIT_MAX_S 3600
#define RECONCILE_POLL_MS 200

/* --wait into *wait_s (0 when absent); -1 printed (usage). */
static int reconcile_wait_arg(struct cli *x, const char *value, long *wait_s)
{
    char *end = NULL;

    *wait_s = 0;
    if (value == NULL)
        return 0;
    *wait_s = strtol(value, &end, 10);
    if (*end != '\0' || *wait_s < 1 || *wait_s > RECONCILE_WAIT_MAX_S) {
        cli_error(x, "--wait %s: seconds between 1 and %d", value, RECONCILE_WAIT_MAX_S);
        return -1;
    }
    return 0;
}

/* A window start checked by the sweeps' rule into since (UTC); -1 printed (usage). */
static int reconcile_since(struct cli *x, const char *opt, const char *value, int64_t since_ms,
                           char *since, size_t cap)
{
    struct sweep_window_in in = {now_ms_wall(), -1, since_ms};
    enum sweep_window_rc wrc;
    int64_t from_ms = 0;

    wrc = sweep_window_from(&in, &from_ms);
    if (wrc != SWEEP_WINDOW_OK) {
        cli_error(x, "%s %s %s", opt, value, sweep_window_rc_text(wrc));
        return -1;
    }
    return sweep_window_format(from_ms, since, cap);
}

/* --since and --wait checked; -1 printed (usage). */
static int reconcile_args(struct cli *x, const struct cli_opt *opts, char *since, size_t cap,
                          long *wait_s)
{
    int64_t since_ms = -1;

    if (reconcile_wait_arg(x, opts[1].value, wait_s) < 0)
        return -1;
    since[0] = '\0';
    if (opts[0].value == NULL)
        return 0;
    if (order_parse_time_ms(opts[0].value, &since_ms) != 0 || since_ms < 0) {
        cli_error(x, "--since %s: not an ISO-8601 time (e.g. 2026-03-01T00:00:00Z)",
                  opts[0].value);
        return -1;
    }
    return reconcile_since(x, "--since", opts[0].value, since_ms, since, cap);
}

/* --days and --wait checked; since is now minus the days ("" without --days); -1 printed. */
static int reconcile_days_args(struct cli *x, const struct cli_opt *opts, char *since,
                               size_t cap, long *wait_s)
{
    char *end = NULL;
    long days;

    if (reconcile_wait_arg(x, opts[1].value, wait_s) < 0)
        return -1;
    since[0] = '\0';
    if (opts[0].value == NULL)
        return 0;
    days = strtol(opts[0].value, &end, 10);
    if (*end != '\0' || end == opts[0].value || days < 1) {
        cli_error(x, "--days %s: a whole number of days, at least 1", opts[0].value);
        return -1;
    }
    return reconcile_since(x, "--days", opts[0].value, now_ms_wall() - days * 86400 * 1000,
                           since, cap);
}

/* Polls run id until done or failed, at most wait_s; CLI_EXIT_OK with *run, or an exit code. */
static int reconcile_wait(struct cli *x, long long id, long wait_s, struct sweep_run *run)
{
    int64_t deadline = now_ms_monotonic() + wait_s * 1000;
    struct errbuf err = {""};

    for (;;) {
        if (sweep_store_get(x->db, id, run, &err) != ST_OK) {
            cli_error(x, "could not read sweep run %lld: %s", id, err.msg);
            return CLI_EXIT_ERROR;
        }
        if (strcmp(run->state, "done") == 0 || strcmp(run->state, "failed") == 0)
            return CLI_EXIT_OK;
        if (now_ms_monotonic() >= deadline) {
            cli_error(x, "sweep run %lld still %s after %ld s (is shopvox running?)", id,
                      run->state, wait_s);
            return CLI_EXIT_ERROR;
        }
        usleep(RECONCILE_POLL_MS * 1000);
    }
}

/* The operator asked for a run of sweep: one audit row (reconcile.<sweep>). */
static void reconcile_audit(struct cli *x, const char *sweep, long long id, const char *since)
{
    struct json_object *after = json_object_new_object();
    char ids[24];
    char action[48];

    snprintf(ids, sizeof(ids), "%lld", id);
    cli_jset_str(after, "since", since[0] ? since : NULL);
    snprintf(action, sizeof(action), "reconcile.%s", sweep);
    cli_audit(x, action, "sweep_run", ids, NULL, after);
    json_object_put(after);
}

/* The counts a sweep fills, as JSON members (every one) and for the line printed. */
static void reconcile_counts(struct json_object *out, const struct sweep_run *run)
{
    cli_jset_int(out, "pages", run->pages);
    cli_jset_int(out, "listed", run->listed);
    cli_jset_int(out, "recovered", run->recovered);
    cli_jset_int(out, "missing", run->missing);
    cli_jset_int(out, "different", run->different);
    cli_jset_int(out, "unknown", run->unknown);
    cli_jset_int(out, "requeued", run->requeued);
}

static void reconcile_print_done(const char *sweep, long long id, const struct sweep_run *run)
{
    if (strcmp(sweep, ORDER_SWEEP_NAME) == 0)
        printf("order sweep %lld done: %ld orders listed, %ld recovered\n", id, run->listed,
               run->recovered);
    else if (strcmp(sweep, WAREHOUSE_SWEEP_NAME) == 0)
        printf("warehouse sweep %lld done: %ld sent orders checked, %ld missing, %ld different, "
               "%ld unknown Sales Orders\n", id, run->listed, run->missing, run->different,
               run->unknown);
    else
        printf("despatch sweep %lld done: %ld despatches, %ld re-enqueued\n", id, run->listed,
               run->requeued);
}

static void reconcile_print(struct cli *x, const char *sweep, long long id, const char *since,
                            bool waited, const struct sweep_run *run)
{
    struct json_object *out = json_object_new_object();

    cli_jset_int(out, "sweep_id", id);
    cli_jset_str(out, "sweep", sweep);
    cli_jset_str(out, "since", since[0] ? since : NULL);
    cli_jset_str(out, "state", waited ? run->state : "pending");
    if (waited) {
        reconcile_counts(out, run);
        cli_jset_str(out, "error", run->error[0] ? run->error : NULL);
    }
    if (x->json)
        cli_print_json(out);
    else if (!waited)
        printf("enqueued %s sweep %lld%s%s; a worker runs it next\n", sweep, id,
               since[0] ? " since " : "", since);
    else if (strcmp(run->state, "done") == 0)
        reconcile_print_done(sweep, id, run);
    else
        printf("%s sweep %lld failed: %s\n", sweep, id, run->error);
    json_object_put(out);
}

/* Asks for a run of sweep (job kind) since (may be ""), waits wait_s (0: not), prints it. */
static int reconcile_run(struct cli *x, const char *sweep, const char *kind, const char *since,
                         long wait_s)
{
    struct sweep_run run;
    struct errbuf err = {""};
    long long id = 0;
    int rc = cli_connect(x);

    memset(&run, 0, sizeof(run));
    if (rc != CLI_EXIT_OK)
        return rc;
    if (sweep_run_request(x->db, x->shop, sweep, kind, since[0] ? since : NULL, &id, &err) !=
        ST_OK) {
        cli_error(x, "could not enqueue the %s sweep: %s", sweep, err.msg);
        return CLI_EXIT_ERROR;
    }
    reconcile_audit(x, sweep, id, since);
    if (wait_s > 0)
        rc = reconcile_wait(x, id, wait_s, &run);
    if (rc == CLI_EXIT_OK)
        reconcile_print(x, sweep, id, since, wait_s > 0, &run);
    if (rc == CLI_EXIT_OK && wait_s > 0 && strcmp(run.state, "failed") == 0)
        rc = CLI_EXIT_ERROR;
    return rc;
}

int cli_reconcile_orders(struct cli *x)
{
    struct cli_opt opts[] = {{"since", NULL}, {"wait", NULL}};
    struct cli_args a;
    char since[32];
    long wait_s = 0;

    if (cli_parse(x, opts, ARRAY_LEN(opts), 0, 0, &a) < 0 ||
        reconcile_args(x, opts, since, sizeof(since), &wait_s) < 0)
        return CLI_EXIT_USAGE;
    return reconcile_run(x, ORDER_SWEEP_NAME, ORDER_SWEEP_KIND, since, wait_s);
}

/* reconcile warehouse|despatches [--days N] [--wait SECONDS] */
static int reconcile_days_command(struct cli *x, const char *sweep, const char *kind)
{
    struct cli_opt opts[] = {{"days", NULL}, {"wait", NULL}};
    struct cli_args a;
    char since[32];
    long wait_s = 0;

    if (cli_parse(x, opts, ARRAY_LEN(opts), 0, 0, &a) < 0 ||
        reconcile_days_args(x, opts, since, sizeof(since), &wait_s) < 0)
        return CLI_EXIT_USAGE;
    return reconcile_run(x, sweep, kind, since, wait_s);
}

int cli_reconcile_warehouse(struct cli *x)
{
    return reconcile_days_command(x, WAREHOUSE_SWEEP_NAME, WAREHOUSE_SWEEP_KIND);
}

int cli_reconcile_despatches(struct cli *x)
{
    return reconcile_days_command(x, DESPATCH_SWEEP_NAME, DESPATCH_SWEEP_KIND);
}

/* The counts of a sweep as one text cell ("missing 1, different 0, ..."). */
static void report_counts_text(struct json_object *o)
{
    const char *sweep = cli_jstr(o, "sweep");
    char text[160];

    if (strcmp(cli_jstr(o, "state"), "never") == 0)
        snprintf(text, sizeof(text), "-");
    else if (strcmp(sweep, ORDER_SWEEP_NAME) == 0)
        snprintf(text, sizeof(text), "listed %lld, recovered %lld", cli_jint(o, "listed"),
                 cli_jint(o, "recovered"));
    else if (strcmp(sweep, WAREHOUSE_SWEEP_NAME) == 0)
        snprintf(text, sizeof(text), "checked %lld, missing %lld, different %lld, unknown %lld",
                 cli_jint(o, "listed"), cli_jint(o, "missing"), cli_jint(o, "different"),
                 cli_jint(o, "unknown"));
    else
        snprintf(text, sizeof(text), "despatches %lld, re-enqueued %lld", cli_jint(o, "listed"),
                 cli_jint(o, "requeued"));
    cli_jset_str(o, "counts", text);
}

int cli_report_reconcile(struct cli *x)
{
    static const struct cli_col cols[] = {
        {"sweep", "SWEEP", 0},        {"state", "STATE", 0},
        {"finished_at", "FINISHED", 0}, {"window_from", "SINCE", 0},
        {"counts", "COUNTS", 0},      {"error", "ERROR", 60},
    };
    struct cli_args a;
    struct errbuf err = {""};
    struct json_object *out = NULL, *rows;
    int rc = cli_start(x, NULL, 0, 0, 0, &a);

    if (rc != CLI_EXIT_OK)
        return rc;
    if (ops_reconcile_report(x->db, x->shop, &out, &err) != ST_OK) {
        cli_error(x, "could not read the sweep runs: %s", err.msg);
        return CLI_EXIT_ERROR;
    }
    rows = json_object_object_get(out, "sweeps");
    if (x->json) {
        cli_print_json(out);
    } else {
        for (size_t i = 0; i < json_object_array_length(rows); i++)
            report_counts_text(json_object_array_get_idx(rows, i));
        cli_print_table(rows, cols, ARRAY_LEN(cols), 0);
    }
    json_object_put(out);
    return CLI_EXIT_OK;
}
