/*
 * cli_schedules.c - shopvox schedules: the scheduler's status.
 *
 * One row per periodic task (scheduler_tasks: the same list and intervals
 * the leader runs with this configuration), with when it was last enqueued
 * and how its last run ended (schedule_store), plus the replica that leads
 * and the despatch watermark (cursors). A task that never ran is listed
 * with nulls: "never ran" is an answer, not a missing row.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cli_int.h"
#include "cursor_store.h"
#include "despatch_jobs.h"
#include "schedule_store.h"
#include "scheduler.h"

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

/* Unix seconds (text) as ISO 8601 UTC (owned), NULL when there are none. */
static char *iso_from_unix(const char *text)
{
    time_t t = text != NULL ? (time_t)strtoll(text, NULL, 10) : 0;
    struct tm tm;
    char out[32];

    if (t <= 0 || gmtime_r(&t, &tm) == NULL)
        return NULL;
    strftime(out, sizeof(out), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return xstrdup(out);
}

/* The task rows, each with its configured interval. NULL (printed) on failure. */
static struct json_object *task_rows(struct cli *x)
{
    struct scheduler_task t[SCHEDULER_MAX_TASKS];
    const char *names[SCHEDULER_MAX_TASKS];
    size_t n = scheduler_tasks(&x->cfg, t);
    struct errbuf err = {""};
    struct json_object *rows;
    enum st st;
    PGresult *res;

    for (size_t i = 0; i < n; i++)
        names[i] = t[i].name;
    res = cli_checked(x, "read the schedules",
                      schedule_store_report(x->db, names, n, &st, &err), &err);
    if (res == NULL)
        return NULL;
    rows = cli_rows_json(res);
    PQclear(res);
    for (size_t i = 0; i < n && i < json_object_array_length(rows); i++)
        cli_jset_int(json_object_array_get_idx(rows, i), "interval_s", t[i].interval_s);
    return rows;
}

/* The leader and the watermark into out; -1 (printed) on failure. */
static int add_marks(struct cli *x, struct json_object *out)
{
    struct errbuf err = {""};
    char *leader = NULL, *mark = NULL, *iso;
    enum st st = cursor_store_get(x->db, SCHEDULER_LEADER_CURSOR, &leader, &err);

    if (st == ST_OK)
        st = cursor_store_get(x->db, DESPATCH_WATERMARK, &mark, &err);
    if (st != ST_OK) {
        cli_error(x, "could not read the scheduler's cursors: %s", err.msg);
        free(leader);
        return -1;
    }
    iso = iso_from_unix(mark);
    cli_jset_str(out, "leader", leader);
    cli_jset_str(out, "despatch_watermark", iso);
    free(iso);
    free(leader);
    free(mark);
    return 0;
}

int cli_schedules(struct cli *x)
{
    struct cli_args a;
    struct json_object *out, *rows;
    int rc = cli_start(x, NULL, 0, 0, 0, &a);

    if (rc != CLI_EXIT_OK)
        return rc;
    rows = task_rows(x);
    if (rows == NULL)
        return CLI_EXIT_ERROR;
    out = json_object_new_object();
    json_object_object_add(out, "tasks", rows);
    if (add_marks(x, out) != 0) {
        json_object_put(out);
        return CLI_EXIT_ERROR;
    }
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
