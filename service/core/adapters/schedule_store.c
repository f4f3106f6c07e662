/*
 * schedule_store.c - the schedules table (see schedule_store.h).
 *
 * One upsert per finished run, so the row of a task that never ran does
 * not exist (the report fills it in from the task list) and the first
 * run creates it. The record is one prepared statement: it runs after
 * every scheduled job, on whichever replica's worker ran it.
 */
#include "schedule_store.h"

#include <stdio.h>

#include "buf.h"

enum st schedule_store_record(struct store_conn *c, const char *task, const char *replica,
                              const char *error, struct errbuf *err)
{
    const char *p[3] = {task, replica, error};
    enum st st;

    PQclear(store_exec_prepared(
        c, "schedule_record",
        "INSERT INTO schedules AS s (task, last_run_at, last_success_at, last_error, "
        "last_error_at, failing, replica, failures) VALUES ($1, now(), CASE WHEN $3::text IS "
        "NULL THEN now() END, $3, CASE WHEN $3 IS NOT NULL THEN now() END, $3 IS NOT NULL, $2, "
        "CASE WHEN $3 IS NULL THEN 0 ELSE 1 END) "
        "ON CONFLICT (task) DO UPDATE SET last_run_at = now(), "
        "last_success_at = coalesce(EXCLUDED.last_success_at, s.last_success_at), "
        "last_error = coalesce(EXCLUDED.last_error, s.last_error), "
        "last_error_at = coalesce(EXCLUDED.last_error_at, s.last_error_at), "
        "failing = EXCLUDED.failing, replica = EXCLUDED.replica, runs = s.runs + 1, "
        "failures = s.failures + EXCLUDED.failures",
        3, p, NULL, NULL, &st, err));
    return st;
}

PGresult *schedule_store_gauges(struct store_conn *c, enum st *st, struct errbuf *err)
{
    return store_exec_prepared(c, "schedule_gauges",
                               "SELECT task, extract(epoch FROM last_run_at)::bigint, "
                               "coalesce(extract(epoch FROM last_success_at)::bigint, 0), "
                               "failing::int FROM schedules ORDER BY task",
                               0, NULL, NULL, NULL, st, err);
}

PGresult *schedule_store_report(struct store_conn *c, const char *const *tasks, size_t n,
                                enum st *st, struct errbuf *err)
{
    struct buf arr;
    const char *p[1];
    PGresult *r;

    buf_init(&arr, 0);
    buf_append_str(&arr, "{");
    for (size_t i = 0; i < n; i++)
        buf_appendf(&arr, "%s\"%s\"", i ? "," : "", tasks[i]); /* names of ours: no quoting */
    buf_append_str(&arr, "}");
    p[0] = buf_cstr(&arr);
    r = store_exec(c,
                   "SELECT t.task, " STORE_ISO_UTC("cu.updated_at") " AS enqueued_at, "
                   STORE_ISO_UTC("s.last_run_at") " AS last_run_at, "
                   STORE_ISO_UTC("s.last_success_at") " AS last_success_at, "
                   "coalesce(s.failing, false) AS failing, s.last_error, "
                   STORE_ISO_UTC("s.last_error_at") " AS last_error_at, s.replica, "
                   "coalesce(s.runs, 0) AS runs, coalesce(s.failures, 0) AS failures "
                   "FROM unnest($1::text[]) WITH ORDINALITY AS t(task, i) "
                   "LEFT JOIN schedules s ON s.task = t.task "
                   "LEFT JOIN cursors cu ON cu.name = t.task ORDER BY t.i",
                   1, p, st, err);
    buf_cleanup(&arr);
    return r;
}
