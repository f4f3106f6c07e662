/*
 * cli_schedules.c - shopvox schedules: the scheduler's status.
 *
 * One row per periodic task (the same list and intervals the leader runs
 * with this configuration), with when it was last enqueued, when it is
 * due next and how its last run ended, plus the replica that leads and the
 * despatch watermark: ops_status.h's report, which the admin API shares.
 */
#include <stdio.h>

#include "cli_int.h"
#include "ops_status.h"

static const struct cli_col task_cols[] = {
    {"task", "TASK", 0},           {"interval_s", "EVERY_S", 0},
    {"last_run_at", "LAST_RUN", 0}, {"last_success_at", "LAST_SUCCESS", 0},
    {"failing", "FAILING", 0},     {"replica", "REPLICA", 0},
    {"last_error_at", "LAST_ERROR_AT", 0}, {"last_error", "LAST_ERROR", 60},
};

static const struct cli_col head_cols[] = {
    {"leader", "Leader", 0},
    {"despatch_watermark", "Despatch watermark", 0},
};

int cli_schedules(struct cli *x)
{
    struct cli_args a;
    struct errbuf err = {""};
    struct json_object *out = NULL, *rows;
    int rc = cli_start(x, NULL, 0, 0, 0, &a);

    if (rc != CLI_EXIT_OK)
        return rc;
    if (ops_schedules_report(x->db, &x->cfg, &out, &err) != ST_OK) {
        cli_error(x, "could not read the schedules: %s", err.msg);
        return CLI_EXIT_ERROR;
    }
    rows = json_object_object_get(out, "tasks");
    if (x->json) {
        cli_print_json(out);
    } else {
        cli_print_fields(out, head_cols, ARRAY_LEN(head_cols), 0);
        putchar('\n');
        cli_print_table(rows, task_cols, ARRAY_LEN(task_cols), 0);
    }
    json_object_put(out);
    return CLI_EXIT_OK;
}
