/*
 * cli_inventory.c - shopvox reconcile inventory, shopvox report inventory.
 *
 * `reconcile inventory` queues the reconcile_inventory job (the same key
 * the leader's hourly schedule uses, so a queued run is brought forward,
 * never doubled); with --wait SECONDS it waits for that job to finish and
 * prints the report it stored (exit 1 when the job failed or the wait ran
 * out). `report inventory` prints the latest report: the counts, the
 * variance, the SKUs on one side only and the largest drifts; --json gives
 * the stored row as it is (drift_store_latest).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_int.h"
#include "drift_jobs.h"
#include "drift_store.h"

#define WAIT_MAX_S 86400
#define WAIT_POLL_MS 200

static const struct cli_col report_cols[] = {
    {"id", "Report", 0},
    {"started_at", "Started", 0},
    {"finished_at", "Finished", 0},
    {"checked", "Levels checked", 0},
    {"drifted_text", "Drifted", 0},
    {"corrected", "Corrected", 0},
    {"pending", "Push due (not drift)", 0},
    {"unread", "Not in the store", 0},
    {"variance_text", "Variance", 0},
    {"over_threshold", "Over threshold", 0},
    {"calls", "Shopline calls", 0},
    {"peoplevox_only_text", "Peoplevox only", 100},
    {"shopline_only_text", "Shopline only", 100},
};

static const struct cli_col top_cols[] = {
    {"sku", "SKU", 40},       {"location_id", "LOCATION", 0}, {"wanted", "WANTED", 0},
    {"pushed", "PUSHED", 0},  {"shown", "SHOWN", 0},          {"variance", "VARIANCE", 0},
};

/* "N (first, ...)" of a one-side member {"count", "first"}; owned. */
static char *one_side_text(struct json_object *side)
{
    struct json_object *first = NULL;
    struct buf b;
    char *out;
    long long n = cli_jint(side, "count");

    buf_init(&b, 0);
    buf_appendf(&b, "%lld", n < 0 ? 0 : n);
    if (json_object_object_get_ex(side, "first", &first) && json_object_array_length(first) > 0) {
        buf_appendf(&b, " (");
        for (size_t i = 0; i < json_object_array_length(first); i++)
            buf_appendf(&b, "%s%s", i ? ", " : "",
                        json_object_get_string(json_object_array_get_idx(first, i)));
        buf_appendf(&b, "%s)", (long long)json_object_array_length(first) < n ? ", ..." : "");
    }
    out = xstrdup(buf_cstr(&b));
    buf_cleanup(&b);
    return out;
}

static void print_report(struct json_object *report)
{
    struct json_object *view = json_object_new_object(), *top = NULL, *side = NULL;
    char text[160], *s;

    json_object_object_foreach(report, key, val) json_object_object_add(view, key,
                                                                        json_object_get(val));
    snprintf(text, sizeof(text), "%lld (%s %%)", cli_jint(report, "drifted"),
             cli_jstr(report, "drifted_pct"));
    cli_jset_str(view, "drifted_text", text);
    snprintf(text, sizeof(text), "%lld units (%s %% of %lld wanted)",
             cli_jint(report, "variance_units"), cli_jstr(report, "variance_pct"),
             cli_jint(report, "expected_units"));
    cli_jset_str(view, "variance_text", text);
    json_object_object_get_ex(report, "peoplevox_only", &side);
    cli_jset_str(view, "peoplevox_only_text", s = one_side_text(side));
    free(s);
    json_object_object_get_ex(report, "shopline_only", &side);
    cli_jset_str(view, "shopline_only_text", s = one_side_text(side));
    free(s);
    cli_print_fields(view, report_cols, ARRAY_LEN(report_cols), 0);
    if (json_object_object_get_ex(report, "top_items", &top) && json_object_array_length(top)) {
        printf("\nLargest drifts (what the store showed, what shopvox wants there):\n");
        cli_print_table(top, top_cols, ARRAY_LEN(top_cols), 2);
    }
    json_object_put(view);
}

/* The latest report into *report (owned): CLI_EXIT_OK, NOT_FOUND (printed) or ERROR. */
static int latest_report(struct cli *x, struct json_object **report)
{
    struct errbuf err = {""};
    enum st st;
    int rc = cli_one_row(x, "read the inventory drift report",
                         drift_store_latest(x->db, x->shop, &st, &err), &err, report);

    if (rc == CLI_EXIT_NOT_FOUND)
        cli_error(x, "no inventory drift report yet: `shopvox reconcile inventory` makes one");
    return rc;
}

int cli_report_inventory(struct cli *x)
{
    struct cli_args a;
    struct json_object *report = NULL;
    int rc = cli_start(x, NULL, 0, 0, 0, &a);

    if (rc == CLI_EXIT_OK)
        rc = latest_report(x, &report);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (x->json)
        cli_print_json(report);
    else
        print_report(report);
    json_object_put(report);
    return CLI_EXIT_OK;
}

/* Waits for job id to finish: 0 done, -1 (printed) failed, dead or out of time. */
static int wait_job(struct cli *x, long long id, long wait_s)
{
    char state[16], last_error[512];
    struct errbuf err = {""};

    for (long waited_ms = 0;; waited_ms += WAIT_POLL_MS) {
        if (drift_store_job_state(x->db, id, state, sizeof(state), last_error,
                                  sizeof(last_error), &err) != ST_OK) {
            cli_error(x, "could not read job %lld: %s", id, err.msg);
            return -1;
        }
        if (strcmp(state, "done") == 0)
            return 0;
        if (strcmp(state, "dead") == 0 || state[0] == '\0') {
            cli_error(x, "reconcile_inventory job %lld %s: %s", id,
                      state[0] ? "is dead" : "is gone", last_error[0] ? last_error : "-");
            return -1;
        }
        if (waited_ms >= wait_s * 1000) {
            cli_error(x, "reconcile_inventory job %lld is still %s after %ld s%s%s", id, state,
                      wait_s, last_error[0] ? "; last error: " : "", last_error);
            return -1;
        }
        usleep(WAIT_POLL_MS * 1000);
    }
}

int cli_reconcile_inventory(struct cli *x)
{
    struct cli_opt opts[] = {{"wait", NULL}};
    struct cli_args a;
    struct cli_job_outcome j;
    struct json_object *out, *report = NULL;
    char *end = NULL;
    long wait_s = 0;
    int rc = cli_parse(x, opts, ARRAY_LEN(opts), 0, 0, &a);

    if (rc == 0 && opts[0].value != NULL) {
        wait_s = strtol(opts[0].value, &end, 10);
        if (end == opts[0].value || *end != '\0' || wait_s < 1 || wait_s > WAIT_MAX_S) {
            cli_error(x, "invalid --wait '%s': seconds, 1..%d", opts[0].value, WAIT_MAX_S);
            return CLI_EXIT_USAGE;
        }
    }
    if (rc != 0)
        return CLI_EXIT_USAGE;
    rc = cli_connect(x);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (cli_job_run_now(x, DRIFT_RECONCILE_KIND, DRIFT_RECONCILE_KEY, "{}", &j) < 0)
        return CLI_EXIT_ERROR;
    if (wait_s > 0 && wait_job(x, j.job_id, wait_s) != 0)
        return CLI_EXIT_ERROR;
    if (wait_s > 0 && (rc = latest_report(x, &report)) != CLI_EXIT_OK)
        return rc;
    out = json_object_new_object();
    cli_jset_int(out, "job_id", j.job_id);
    cli_jset_str(out, "action", j.created ? "job_enqueued" : j.running ? "job_running"
                                                                        : "job_retried");
    cli_audit(x, "reconcile.inventory", "job", DRIFT_RECONCILE_KEY, NULL, out);
    if (report != NULL)
        json_object_object_add(out, "report", json_object_get(report));
    if (x->json)
        cli_print_json(out);
    else if (report != NULL)
        print_report(report);
    else
        printf("%s reconcile_inventory job %lld; a worker reads the store's levels next "
               "(`shopvox report inventory` shows the result)\n",
               j.created ? "enqueued" : j.running ? "already running:" : "brought forward",
               j.job_id);
    json_object_put(report);
    json_object_put(out);
    return CLI_EXIT_OK;
}
