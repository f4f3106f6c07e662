/*
 * sweep_run.c - one sweep run's row and job (see sweep_run.h).
 */
#include "sweep_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs.h"
#include "log.h"
#include "sweep_window.h"

enum st sweep_run_request(struct store_conn *c, const char *shop, const char *sweep,
                          const char *kind, const char *since_iso, long long *id,
                          struct errbuf *err)
{
    char key[48], payload[64];
    enum st st = sweep_store_create(c, shop, sweep, "operator", since_iso, id, err);

    if (st != ST_OK)
        return st;
    snprintf(key, sizeof(key), SWEEP_OPERATOR_KEY "%lld", *id);
    snprintf(payload, sizeof(payload), "{\"sweep_id\": %lld}", *id);
    return job_enqueue(c, shop, kind, key, payload, 0, NULL, err);
}

enum st sweep_job_open(struct store_conn *c, const char *shop, const char *sweep,
                       const struct job *j, struct sweep_job *s, struct errbuf *err)
{
    enum st st = ST_OK;

    memset(s, 0, sizeof(*s));
    s->scheduled = strncmp(j->dedupe_key, SWEEP_OPERATOR_KEY, strlen(SWEEP_OPERATOR_KEY)) != 0;
    if (s->scheduled)
        st = sweep_store_create(c, shop, sweep, "schedule", NULL, &s->id, err);
    else
        s->id = strtoll(j->dedupe_key + strlen(SWEEP_OPERATOR_KEY), NULL, 10);
    if (st == ST_OK)
        st = sweep_store_get(c, s->id, &s->run, err);
    return st;
}

bool sweep_job_start_days(struct store_conn *c, struct sweep_job *s, int days, int64_t now_ms,
                          char *from_iso, size_t cap, struct job_result *r)
{
    struct sweep_window_in in = {now_ms, -1, -1};
    enum sweep_window_rc wrc;
    int64_t from_ms = 0;

    in.since_ms = s->run.since_ms >= 0 ? s->run.since_ms : now_ms - (int64_t)days * 86400 * 1000;
    wrc = sweep_window_from(&in, &from_ms);
    if (wrc != SWEEP_WINDOW_OK) {
        errbuf_set(&r->err, "since %s", sweep_window_rc_text(wrc));
        r->st = ST_FAIL;
        return false;
    }
    sweep_window_format(from_ms, from_iso, cap);
    r->st = sweep_store_start(c, s->id, from_iso, &r->err);
    return r->st == ST_OK;
}

void sweep_job_close(struct store_conn *c, struct sweep_job *s, const struct job_result *r)
{
    const char *state = r->st == ST_OK ? "done"
                        : (r->st == ST_RETRY && !s->scheduled) ? "pending" : "failed";
    struct errbuf err;

    if (s->id <= 0)
        return;
    snprintf(s->run.error, sizeof(s->run.error), "%.255s", r->st == ST_OK ? "" : r->err.msg);
    if (sweep_store_finish(c, s->id, state, &s->run, &err) != ST_OK)
        log_event(LOG_WARN, "sweep_not_recorded", "sweep", s->run.sweep, "error", err.msg, NULL);
}
