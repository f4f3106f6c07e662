/*
 * jobs.c - the durable queue (see jobs.h).
 *
 * Claiming is one statement: pick the due row of the lowest rank (the
 * kind's priority: HIGH, NORMAL, LOW), oldest first, with FOR UPDATE SKIP
 * LOCKED (so concurrent workers, in any process, never pick the same row;
 * job_pick_next and job_pick_more, sql/034, always in index order) and
 * mark it running with a lease in the same UPDATE. Ranking keeps a
 * paid order's post and a despatch's fulfillment ahead of a stock take's
 * thousands of inventory pushes that were due earlier. Completion and
 * failure are fenced by (id, attempts): a worker whose lease expired and
 * whose job was re-claimed cannot overwrite the newer attempt's result.
 *
 * Enqueueing work whose job is waiting (pending, due later: a backoff or a
 * wait) brings it forward to the new request's time: something changed,
 * so try now. Enqueueing work whose job is running marks it
 * rerun_requested instead of dropping the request: the running attempt may have read the world before
 * the change that prompted the request (a held order re-checked by a
 * catalogue sync while its post job still ran), so the job runs once more
 * after it finishes. attempts only ever grows (it is the fencing token);
 * the budget is attempts - uncounted_attempts, where uncounted attempts are
 * throttled ones and all attempts before a requested re-run.
 *
 * Leases belong to a process: every worker id starts with "host:pid:", so
 * the pool's heartbeat (job_extend_leases) and its release at shutdown
 * (job_release_owned) each touch all of one process's running jobs in one
 * statement, and never another replica's.
 */
#include "jobs.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backoff.h"
#include "exceptions.h"
#include "log.h"
#include "metrics.h"

#define JOB_BACKOFF_BASE_MS 1000
#define JOB_BACKOFF_CAP_MS (5 * 60 * 1000)

void job_cleanup(struct job *j)
{
    free(j->payload);
    j->payload = NULL;
}

static uint64_t job_random(void)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    static uint64_t state;
    uint64_t r;

    pthread_mutex_lock(&lock);
    if (state == 0)
        state = (uint64_t)now_ms_wall() ^ ((uint64_t)pthread_self() << 16);
    r = backoff_next_random(&state);
    pthread_mutex_unlock(&lock);
    return r;
}

int64_t job_backoff_ms(int attempts)
{
    return backoff_delay_ms(attempts, JOB_BACKOFF_BASE_MS, JOB_BACKOFF_CAP_MS, job_random());
}

void job_result_throttle(struct job_result *r, int64_t retry_after_ms)
{
    int64_t spread = retry_after_ms / 4 > 200 ? retry_after_ms / 4 : 200;

    r->throttled = true;
    r->retry_delay_ms = (retry_after_ms > 0 ? retry_after_ms : 0) +
                        (int64_t)(job_random() % (uint64_t)(spread + 1));
}

/* Kind -> claim rank (0 HIGH, 1 NORMAL, 2 LOW); set at start, read-only after. */
#define JOB_MAX_RANKED_KINDS 48
static struct {
    char kind[48]; /* struct job's */
    int rank;
} job_ranks[JOB_MAX_RANKED_KINDS];
static size_t job_n_ranks;

static int job_rank_of(enum rl_priority prio)
{
    return prio == RL_PRIO_HIGH ? 0 : prio == RL_PRIO_LOW ? 2 : 1;
}

void job_kind_priority_set(const char *kind, enum rl_priority prio)
{
    for (size_t i = 0; i < job_n_ranks; i++) {
        if (strcmp(job_ranks[i].kind, kind) == 0) {
            job_ranks[i].rank = job_rank_of(prio);
            return;
        }
    }
    if (job_n_ranks == JOB_MAX_RANKED_KINDS || strlen(kind) >= sizeof(job_ranks[0].kind))
        return; /* claimed as NORMAL */
    snprintf(job_ranks[job_n_ranks].kind, sizeof(job_ranks[0].kind), "%s", kind);
    job_ranks[job_n_ranks++].rank = job_rank_of(prio);
}

static int job_kind_rank(const char *kind)
{
    for (size_t i = 0; i < job_n_ranks; i++)
        if (strcmp(job_ranks[i].kind, kind) == 0)
            return job_ranks[i].rank;
    return job_rank_of(RL_PRIO_NORMAL);
}

static const char *const enqueue_sql =
    "WITH j AS (INSERT INTO jobs (shop, kind, dedupe_key, payload, run_at, rank) "
    "VALUES ($1, $2, $3, $4::jsonb, now() + ($5::bigint * interval '1 millisecond'), "
    "$6::smallint) "
    "ON CONFLICT (kind, dedupe_key) WHERE state IN ('pending', 'running') DO UPDATE "
    "SET rerun_requested = jobs.rerun_requested OR jobs.state = 'running', "
    "run_at = CASE WHEN jobs.state = 'pending' THEN least(jobs.run_at, EXCLUDED.run_at) "
    "ELSE jobs.run_at END "
    "WHERE jobs.state = 'running' OR jobs.run_at > EXCLUDED.run_at "
    "RETURNING id, xmax = 0 AS inserted) "
    "SELECT id, inserted, pg_notify('" JOB_NOTIFY_CHANNEL "', $2) FROM j";

enum st job_enqueue(struct store_conn *c, const char *shop, const char *kind,
                    const char *dedupe_key, const char *payload_json, int64_t delay_ms,
                    bool *created, struct errbuf *err)
{
    char delay[24], rank[4];
    const char *p[6] = {shop, kind, dedupe_key, payload_json ? payload_json : "{}", delay, rank};
    enum st st;
    PGresult *res;

    snprintf(delay, sizeof(delay), "%lld", (long long)(delay_ms > 0 ? delay_ms : 0));
    snprintf(rank, sizeof(rank), "%d", job_kind_rank(kind));
    if (created == NULL) /* nothing to read back: deferred in pipeline mode (store.h) */
        return store_exec_deferred(c, "job_enqueue", enqueue_sql, 6, p, err);
    res = store_exec_prepared(c, "job_enqueue", enqueue_sql, 6, p, NULL, NULL, &st, err);
    if (res != NULL && created != NULL)
        *created = PQntuples(res) > 0 && PQgetvalue(res, 0, 1)[0] == 't';
    PQclear(res);
    return st;
}

static const char *const claim_sql =
    "UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_by = $1, "
    "lease_until = now() + ($2::int * interval '1 second'), updated_at = now() "
    "WHERE id = (SELECT job_pick_next()) "
    "RETURNING id, kind, shop, dedupe_key, payload::text, attempts, max_attempts, "
    "uncounted_attempts";

/*
 * One RETURNING row (id, kind, shop, dedupe_key, payload, attempts,
 * max_attempts, uncounted_attempts).
 */
static void job_from_row(const PGresult *res, int row, struct job *out)
{
    out->id = atoll(PQgetvalue(res, row, 0));
    snprintf(out->kind, sizeof(out->kind), "%s", PQgetvalue(res, row, 1));
    snprintf(out->shop, sizeof(out->shop), "%s", PQgetvalue(res, row, 2));
    snprintf(out->dedupe_key, sizeof(out->dedupe_key), "%s", PQgetvalue(res, row, 3));
    out->payload = xstrdup(PQgetvalue(res, row, 4));
    out->attempts = atoi(PQgetvalue(res, row, 5));
    out->max_attempts = atoi(PQgetvalue(res, row, 6));
    out->uncounted_attempts = atoi(PQgetvalue(res, row, 7));
}

int job_claim(struct store_conn *c, const char *worker_id, int lease_s, struct job *out,
              struct errbuf *err)
{
    char lease[16];
    const char *p[2] = {worker_id, lease};
    enum st st;
    PGresult *res;
    int n;

    memset(out, 0, sizeof(*out));
    snprintf(lease, sizeof(lease), "%d", lease_s);
    res = store_exec_prepared(c, "job_claim", claim_sql, 2, p, NULL, NULL, &st, err);
    if (res == NULL)
        return -1;
    n = PQntuples(res);
    if (n > 0)
        job_from_row(res, 0, out);
    PQclear(res);
    return n > 0 ? 1 : 0;
}

static const char *const claim_more_sql =
    "WITH picked AS (SELECT id FROM job_pick_more($3, $4, $5::int) id), "
    "claimed AS (UPDATE jobs j SET state = 'running', attempts = attempts + 1, locked_by = $1, "
    "lease_until = now() + ($2::int * interval '1 second'), updated_at = now() "
    "FROM picked WHERE j.id = picked.id "
    "RETURNING j.id, j.kind, j.shop, j.dedupe_key, j.payload::text, j.attempts, "
    "j.max_attempts, j.uncounted_attempts, j.run_at) "
    "SELECT id, kind, shop, dedupe_key, payload, attempts, max_attempts, uncounted_attempts "
    "FROM claimed "
    "ORDER BY run_at, id";

long job_count_due(struct store_conn *c, const char *kind, const char *shop, long limit,
                   struct errbuf *err)
{
    char lim[24];
    const char *p[3] = {kind, shop, lim};
    enum st st;
    PGresult *res;
    long n;

    snprintf(lim, sizeof(lim), "%ld", limit > 0 ? limit : 1);
    res = store_exec_prepared(c, "job_count_due",
                              "SELECT count(*) FROM (SELECT 1 FROM jobs WHERE kind = $1 AND "
                              "shop = $2 AND state = 'pending' AND run_at <= now() "
                              "LIMIT $3::bigint) due",
                              3, p, NULL, NULL, &st, err);
    if (res == NULL)
        return -1;
    n = strtol(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return n;
}

int job_claim_more(struct store_conn *c, const char *worker_id, int lease_s, const char *kind,
                   const char *shop, int max, struct job *out, struct errbuf *err)
{
    char lease[16], limit[16];
    const char *p[5] = {worker_id, lease, kind, shop, limit};
    enum st st;
    PGresult *res;
    int n;

    if (max <= 0)
        return 0;
    snprintf(lease, sizeof(lease), "%d", lease_s);
    snprintf(limit, sizeof(limit), "%d", max);
    res = store_exec_prepared(c, "job_claim_more", claim_more_sql, 5, p, NULL, NULL, &st, err);
    if (res == NULL)
        return -1;
    n = PQntuples(res) < max ? PQntuples(res) : max;
    for (int i = 0; i < n; i++) {
        memset(&out[i], 0, sizeof(out[i]));
        job_from_row(res, i, &out[i]);
    }
    PQclear(res);
    return n;
}

static void job_params(const struct job *j, char id[24], char attempts[16])
{
    snprintf(id, 24, "%lld", j->id);
    snprintf(attempts, 16, "%d", j->attempts);
}

enum st job_complete(struct store_conn *c, const struct job *j, struct errbuf *err)
{
    char id[24], attempts[16];
    const char *p[2] = {id, attempts};
    enum st st;

    job_params(j, id, attempts);
    PQclear(store_exec_prepared(
        c, "job_complete",
        "UPDATE jobs SET state = CASE WHEN rerun_requested THEN 'pending' ELSE 'done' END, "
        "finished_at = CASE WHEN rerun_requested THEN NULL ELSE now() END, "
        "uncounted_attempts = CASE WHEN rerun_requested THEN attempts "
        "ELSE uncounted_attempts END, run_at = CASE WHEN rerun_requested THEN now() "
        "ELSE run_at END, rerun_requested = false, locked_by = NULL, "
        "updated_at = now(), lease_until = NULL, last_error = NULL "
        "WHERE id = $1::bigint AND attempts = $2::int AND state = 'running'",
        2, p, NULL, NULL, &st, err));
    return st;
}

/* Dead: stop retrying and tell a person, in one transaction. */
static enum st job_bury(struct store_conn *c, const struct job *j, const char *error,
                        struct errbuf *err)
{
    char id[24], attempts[16], subject[64], detail[1024];
    const char *p[3] = {id, attempts, error};
    struct exc_new e = {j->shop, "job_dead", "ops", "job", subject, NULL, detail,
                        "Fix the cause, then run: shopvox exceptions retry <id>"};
    enum st st = store_cmd(c, "BEGIN", err);
    PGresult *res = NULL;

    job_params(j, id, attempts);
    snprintf(subject, sizeof(subject), "job:%lld", j->id);
    snprintf(detail, sizeof(detail), "%s job %lld (key %s) gave up after %d attempt%s: %s",
             j->kind, j->id, j->dedupe_key, j->attempts, j->attempts == 1 ? "" : "s", error);
    if (st == ST_OK)
        res = store_exec_prepared(c, "job_bury",
                                  "WITH old AS (SELECT id, rerun_requested FROM jobs "
                                  "WHERE id = $1::bigint FOR UPDATE) "
                                  "UPDATE jobs SET state = 'dead', finished_at = now(), "
                                  "updated_at = now(), lease_until = NULL, last_error = $3, "
                                  "rerun_requested = false FROM old WHERE jobs.id = old.id "
                                  "AND jobs.attempts = $2::int AND jobs.state = 'running' "
                                  "RETURNING old.rerun_requested",
                                  3, p, NULL, NULL, &st, err);
    if (st == ST_OK && PQntuples(res) == 1)
        st = exc_raise(c, &e, NULL, err);
    if (st == ST_OK && PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't')
        st = job_enqueue(c, j->shop, j->kind, j->dedupe_key, j->payload, 0, NULL, err);
    PQclear(res);
    if (st == ST_OK)
        st = store_cmd(c, "COMMIT", err);
    if (st != ST_OK)
        store_rollback(c);
    return st;
}

enum st job_extend_leases(struct store_conn *c, const char *owner_prefix, int lease_s,
                          struct errbuf *err)
{
    char lease[16];
    const char *p[2] = {owner_prefix, lease};
    enum st st;

    snprintf(lease, sizeof(lease), "%d", lease_s);
    PQclear(store_exec(c,
                       "UPDATE jobs SET lease_until = now() + ($2::int * interval '1 second') "
                       "WHERE state = 'running' AND starts_with(locked_by, $1)",
                       2, p, &st, err));
    return st;
}

int job_release_owned(struct store_conn *c, const char *owner_prefix, struct errbuf *err)
{
    const char *p[1] = {owner_prefix};
    enum st st;
    PGresult *res = store_exec(c,
                               "UPDATE jobs SET state = 'pending', run_at = now(), "
                               "lease_until = NULL, locked_by = NULL, updated_at = now(), "
                               "uncounted_attempts = uncounted_attempts + 1, "
                               "last_error = 'released at shutdown' "
                               "WHERE state = 'running' AND starts_with(locked_by, $1) "
                               "RETURNING id",
                               1, p, &st, err);
    int n = st == ST_OK ? PQntuples(res) : -1;

    PQclear(res);
    return n;
}

int job_counted_attempts(const struct job *j)
{
    return j->attempts - j->uncounted_attempts;
}

enum st job_fail(struct store_conn *c, const struct job *j, const struct job_result *r,
                 struct errbuf *err)
{
    char id[24], attempts[16], delay[24];
    const char *p[5] = {id, attempts, r->err.msg, delay, r->throttled ? "1" : "0"};
    bool throttled = r->st == ST_RETRY && r->throttled;
    int counted = job_counted_attempts(j);
    enum st st;

    if (r->st != ST_RETRY || (!throttled && counted >= j->max_attempts))
        return job_bury(c, j, r->err.msg, err);
    job_params(j, id, attempts);
    snprintf(delay, sizeof(delay), "%lld",
             (long long)(r->retry_delay_ms > 0 ? r->retry_delay_ms
                                               : job_backoff_ms(counted > 0 ? counted : 1)));
    PQclear(store_exec_prepared(
        c, "job_reschedule",
        "UPDATE jobs SET state = 'pending', lease_until = NULL, locked_by = NULL, "
        "last_error = $3, updated_at = now(), "
        "uncounted_attempts = uncounted_attempts + $5::int, "
        "run_at = now() + (CASE WHEN rerun_requested THEN 0 ELSE $4::bigint END "
        "* interval '1 millisecond'), rerun_requested = false "
        "WHERE id = $1::bigint AND attempts = $2::int AND state = 'running'",
        5, p, NULL, NULL, &st, err));
    return st;
}

/*
 * The operator's look-ups run unprepared (the CLI runs each once). The
 * first row's columns 0 and 1 of res go to *id (when non-NULL) and text;
 * *found tells whether there was a row. Takes res (PQclear).
 */
static void job_first_row(PGresult *res, long long *id, char *text, size_t cap, bool *found)
{
    *found = res != NULL && PQntuples(res) > 0;
    if (*found && id != NULL)
        *id = atoll(PQgetvalue(res, 0, 0));
    if (*found)
        snprintf(text, cap, "%s", PQgetvalue(res, 0, id != NULL ? 1 : 0));
    PQclear(res);
}

enum st job_find_live(struct store_conn *c, const char *kind, const char *dedupe_key,
                      long long *id, char *state, size_t cap, bool *found, struct errbuf *err)
{
    const char *p[2] = {kind, dedupe_key};
    enum st st;

    job_first_row(store_exec(c,
                             "SELECT id, state FROM jobs WHERE kind = $1 AND dedupe_key = $2 "
                             "AND state IN ('pending', 'running')", /* dead ones may remain */
                             2, p, &st, err),
                  id, state, cap, found);
    return st;
}

enum st job_find_kind(struct store_conn *c, const char *shop, long long job_id, char *kind,
                      size_t cap, bool *found, struct errbuf *err)
{
    char ids[24];
    const char *p[2] = {shop, ids};
    enum st st;

    snprintf(ids, sizeof(ids), "%lld", job_id);
    job_first_row(store_exec(c, "SELECT kind FROM jobs WHERE shop = $1 AND id = $2::bigint", 2,
                             p, &st, err),
                  NULL, kind, cap, found);
    return st;
}

#define JOB_REPORT_COLUMNS                                                                       \
    "SELECT id, kind, state, attempts, max_attempts, " STORE_ISO_UTC("run_at")                   \
    " AS run_at, last_error, " STORE_ISO_UTC("created_at") " AS created_at, "                   \
    STORE_ISO_UTC("finished_at") " AS finished_at"

PGresult *job_report_for_order(struct store_conn *c, const char *shop, const char *order_id,
                               enum st *st, struct errbuf *err)
{
    const char *p[2] = {order_id, shop};

    return store_exec(c,
                      JOB_REPORT_COLUMNS " FROM jobs "
                      "WHERE payload->>'order_id' = $1 AND shop = $2 ORDER BY id",
                      2, p, st, err);
}

enum st job_retry(struct store_conn *c, long long job_id, struct errbuf *err)
{
    char id[24];
    const char *p[1] = {id};
    enum st st;
    PGresult *res;

    snprintf(id, sizeof(id), "%lld", job_id);
    res = store_exec_prepared(c, "job_retry",
                              "UPDATE jobs j SET state = 'pending', attempts = 0, run_at = now(), "
                              "lease_until = NULL, locked_by = NULL, finished_at = NULL, "
                              "updated_at = now() WHERE j.id = $1::bigint "
                              "AND j.state IN ('dead', 'pending') AND NOT EXISTS (SELECT 1 FROM "
                              "jobs k WHERE k.kind = j.kind AND k.dedupe_key = j.dedupe_key "
                              "AND k.state IN ('pending', 'running') AND k.id <> j.id) "
                              "RETURNING kind",
                              1, p, NULL, NULL, &st, err);
    if (res == NULL)
        return st;
    if (PQntuples(res) == 0) {
        errbuf_set(err, "job %lld is not dead, or the same work is already queued", job_id);
        st = ST_FAIL;
    } else {
        PQclear(PQexec(store_pg(c), "NOTIFY " JOB_NOTIFY_CHANNEL));
    }
    PQclear(res);
    return st;
}

enum st job_purge_done(struct store_conn *c, const char *shop, int days, int limit,
                       long *deleted, struct errbuf *err)
{
    return store_delete_batch(c, "job_purge_done",
                              "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE "
                              "state = 'done' AND shop = $1 AND finished_at < now() - "
                              "($2::int * interval '1 day') LIMIT $3::int)",
                              shop, days, limit, deleted, err);
}

PGresult *job_count_live(struct store_conn *c, enum st *st, struct errbuf *err)
{
    return store_exec_prepared(c, "job_count_live",
                               "SELECT kind, state, count(*) FROM jobs WHERE state <> 'done' "
                               "GROUP BY 1, 2",
                               0, NULL, NULL, NULL, st, err);
}

enum st job_run_now(struct store_conn *c, const char *shop, const char *kind,
                    const char *dedupe_key, const char *payload_json,
                    struct job_run_outcome *out, struct errbuf *err)
{
    char state[sizeof(out->prior_state)] = "";
    bool found = false;
    enum st st;

    memset(out, 0, sizeof(*out));
    st = job_enqueue(c, shop, kind, dedupe_key, payload_json, 0, &out->created, err);
    if (st == ST_OK)
        st = job_find_live(c, kind, dedupe_key, &out->job_id, state, sizeof(state), &found, err);
    if (st != ST_OK)
        return st;
    if (!found) {
        errbuf_set(err, "could not find %s job %s after enqueueing it", kind, dedupe_key);
        return ST_FAIL;
    }
    if (!out->created)
        snprintf(out->prior_state, sizeof(out->prior_state), "%s", state);
    out->running = strcmp(out->prior_state, "running") == 0;
    if (out->created || out->running)
        return ST_OK;
    return job_retry(c, out->job_id, err);
}

PGresult *job_report_page(struct store_conn *c, const char *shop, const char *state,
                          const char *kind, long long before_id, int limit, enum st *st,
                          struct errbuf *err)
{
    char before[24], lim[16];
    const char *p[5] = {shop, state, kind, before, lim};

    snprintf(before, sizeof(before), "%lld", before_id);
    snprintf(lim, sizeof(lim), "%d", limit);
    return store_exec(c,
                      JOB_REPORT_COLUMNS ", dedupe_key, payload FROM jobs WHERE shop = $1 "
                      "AND ($2::text IS NULL OR state = $2) AND ($3::text IS NULL OR kind = $3) "
                      "AND ($4::bigint = 0 OR id < $4::bigint) ORDER BY id DESC LIMIT $5::int",
                      5, p, st, err);
}
