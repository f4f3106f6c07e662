/*
 * cli_reconcile.c - `shopvox reconcile orders`: a missed-webhook sweep now.
 *
 * The run is an order_sweeps row plus its job (order_sweep_request); a
 * worker of the running service does the work, so the CLI needs no
 * Shopline token. --since is checked here with the sweep's own rule
 * (sweep_window_from), so a bad date is a usage error, never a dead job.
 * --wait SECONDS polls the row until the run is done or failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_int.h"
#include "order.h"
#include "order_sweep.h"
#include "sweep_store.h"
#include "sweep_window.h"

#define RECONCILE_WAIT_MAX_S 3600
#define RECONCILE_POLL_MS 200

/* --since and --wait checked; -1 printed (usage). */
static int reconcile_args(struct cli *x, const struct cli_opt *opts, char *since, size_t cap,
                          long *wait_s)
{
    struct sweep_window_in in = {now_ms_wall(), -1, -1};
    enum sweep_window_rc wrc;
    int64_t from_ms = 0;
    char *end = NULL;

    *wait_s = 0;
    if (opts[1].value != NULL) {
        *wait_s = strtol(opts[1].value, &end, 10);
        if (*end != '\0' || *wait_s < 1 || *wait_s > RECONCILE_WAIT_MAX_S) {
            cli_error(x, "--wait %s: seconds between 1 and %d", opts[1].value,
                      RECONCILE_WAIT_MAX_S);
            return -1;
        }
    }
    since[0] = '\0';
    if (opts[0].value == NULL)
        return 0;
    if (order_parse_time_ms(opts[0].value, &in.since_ms) != 0 || in.since_ms < 0) {
        cli_error(x, "--since %s: not an ISO-8601 time (e.g. 2026-03-01T00:00:00Z)",
                  opts[0].value);
        return -1;
    }
    wrc = sweep_window_from(&in, &from_ms);
    if (wrc != SWEEP_WINDOW_OK) {
        cli_error(x, "--since %s %s", opts[0].value, sweep_window_rc_text(wrc));
        return -1;
    }
    return sweep_window_format(from_ms, since, cap);
}

/* Polls run id until done or failed, at most wait_s; CLI_EXIT_OK with *run, or an exit code. */
static int reconcile_wait(struct cli *x, long long id, long wait_s, struct sweep_run *run)
{
    int64_t deadline = now_ms_monotonic() + wait_s * 1000;
    struct errbuf err = {""};

    for (;;) {
        if (sweep_store_get(x->db, id, run, &err) != ST_OK) {
            cli_error(x, "could not read order sweep %lld: %s", id, err.msg);
            return CLI_EXIT_ERROR;
        }
        if (strcmp(run->state, "done") == 0 || strcmp(run->state, "failed") == 0)
            return CLI_EXIT_OK;
        if (now_ms_monotonic() >= deadline) {
            cli_error(x, "order sweep %lld still %s after %ld s (is shopvox running?)", id,
                      run->state, wait_s);
            return CLI_EXIT_ERROR;
        }
        usleep(RECONCILE_POLL_MS * 1000);
    }
}

static void reconcile_audit(struct cli *x, long long id, const char *since)
{
    struct json_object *after = json_object_new_object();
    char ids[24];

    snprintf(ids, sizeof(ids), "%lld", id);
    cli_jset_str(after, "since", since[0] ? since : NULL);
    cli_audit(x, "reconcile.orders", "order_sweep", ids, NULL, after);
    json_object_put(after);
}

static void reconcile_print(struct cli *x, long long id, const char *since, bool waited,
                            const struct sweep_run *run)
{
    struct json_object *out = json_object_new_object();

    cli_jset_int(out, "sweep_id", id);
    cli_jset_str(out, "since", since[0] ? since : NULL);
    cli_jset_str(out, "state", waited ? run->state : "pending");
    if (waited) {
        cli_jset_int(out, "pages", run->pages);
        cli_jset_int(out, "listed", run->listed);
        cli_jset_int(out, "recovered", run->recovered);
        cli_jset_str(out, "error", run->error[0] ? run->error : NULL);
    }
    if (x->json)
        cli_print_json(out);
    else if (!waited)
        printf("enqueued order sweep %lld%s%s; a worker runs it next\n", id,
               since[0] ? " since " : "", since);
    else if (strcmp(run->state, "done") == 0)
        printf("order sweep %lld done: %ld orders listed, %ld recovered\n", id, run->listed,
               run->recovered);
    else
        printf("order sweep %lld failed: %s\n", id, run->error);
    json_object_put(out);
}

int cli_reconcile_orders(struct cli *x)
{
    struct cli_opt opts[] = {{"since", NULL}, {"wait", NULL}};
    struct sweep_run run;
    struct errbuf err = {""};
    struct cli_args a;
    char since[32];
    long long id = 0;
    long wait_s = 0;
    int rc;

    memset(&run, 0, sizeof(run));
    if (cli_parse(x, opts, ARRAY_LEN(opts), 0, 0, &a) < 0 ||
        reconcile_args(x, opts, since, sizeof(since), &wait_s) < 0)
        return CLI_EXIT_USAGE;
    rc = cli_connect(x);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (order_sweep_request(x->db, x->shop, since[0] ? since : NULL, &id, &err) != ST_OK) {
        cli_error(x, "could not enqueue the order sweep: %s", err.msg);
        return CLI_EXIT_ERROR;
    }
    reconcile_audit(x, id, since);
    if (wait_s > 0)
        rc = reconcile_wait(x, id, wait_s, &run);
    if (rc == CLI_EXIT_OK)
        reconcile_print(x, id, since, wait_s > 0, &run);
    if (rc == CLI_EXIT_OK && wait_s > 0 && strcmp(run.state, "failed") == 0)
        rc = CLI_EXIT_ERROR;
    return rc;
}
