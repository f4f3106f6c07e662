/*
 * ratelimit_store.c - the rate_buckets table (see ratelimit_store.h).
 *
 * The take: a CTE locks the bucket's row (FOR UPDATE: a concurrent take
 * waits, then reads the row it left) and reads clock_timestamp() once; the
 * level is the refill of rl_refill (nothing before updated_at, half rate
 * while slow_until is ahead, capped at the burst); the UPDATE takes a
 * token when the level holds a whole one above the priority's reserve
 * ($5, computed by rl_reserve, so the priority rule has one home). It
 * returns the bucket relative to its own clock (the level, how far a
 * Retry-After pushed the refill out, how long it stays slow), and
 * rl_wait_ms computes the wait from that, so the wait rule has one home.
 * clock_timestamp(), not now(): a take that waited for the lock must
 * refill up to when it got it, and updated_at never moves backwards
 * (greatest), so a stale clock can only under-refill.
 *
 * The same statement reads outbound_pauses: a paused shop's take is
 * refused (paused true, no token taken) at no extra round trip, so every
 * outbound call, which takes a token first, stops while the pause lasts.
 *
 * A row that does not exist yet is inserted full (ON CONFLICT DO NOTHING,
 * a race with another replica is harmless) and the statement runs again.
 */
#include "ratelimit_store.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The level of row cur at cur.now for rate $3 and burst $4 (rl_refill's rule). */
#define LEVEL_SQL                                                                              \
    "CASE WHEN cur.now > cur.updated_at "                                                      \
    "  THEN least($4::float8, cur.tokens + extract(epoch FROM cur.now - cur.updated_at)::float8 " \
    "       * CASE WHEN cur.now < cur.slow_until THEN $3::float8 / 2 ELSE $3::float8 END) "    \
    "  ELSE cur.tokens END"

static const char *const take_sql =
    "WITH cur AS (SELECT api, shop, tokens, updated_at, slow_until, clock_timestamp() AS now "
    "  FROM rate_buckets WHERE api = $1 AND shop = $2 FOR UPDATE), "
    "lvl AS (SELECT cur.*, " LEVEL_SQL " AS level FROM cur), "
    "pz AS (SELECT EXISTS (SELECT 1 FROM outbound_pauses WHERE shop = $2) AS paused) "
    "UPDATE rate_buckets b SET tokens = lvl.level - "
    "  CASE WHEN NOT pz.paused AND lvl.level >= 1 + $5::float8 THEN 1 ELSE 0 END, "
    "  updated_at = greatest(lvl.updated_at, lvl.now) "
    "FROM lvl, pz WHERE b.api = lvl.api AND b.shop = lvl.shop "
    "RETURNING NOT pz.paused AND lvl.level >= 1 + $5::float8, b.tokens, "
    "  greatest(0, extract(epoch FROM b.updated_at - lvl.now)::float8 * 1000), "
    "  greatest(0, extract(epoch FROM b.slow_until - lvl.now)::float8 * 1000), pz.paused";

/* A prepared statement whose rows are not needed. */
static enum st ratelimit_store_run(struct store_conn *c, const char *name, const char *sql,
                                   int n, const char *const *p, struct errbuf *err)
{
    enum st st;

    PQclear(store_exec_prepared(c, name, sql, n, p, NULL, NULL, &st, err));
    return st;
}

/* Creates (api, shop)'s bucket, full, unless it exists. */
static enum st ratelimit_store_create(struct store_conn *c, const char *api, const char *shop,
                                      const struct rl_limits *l, struct errbuf *err)
{
    char burst[32];
    const char *p[3] = {api, shop, burst};

    snprintf(burst, sizeof(burst), "%.17g", l->burst);
    return ratelimit_store_run(c, "ratelimit_create",
                               "INSERT INTO rate_buckets (api, shop, tokens, updated_at) "
                               "VALUES ($1, $2, $3::float8, clock_timestamp()) "
                               "ON CONFLICT DO NOTHING",
                               3, p, err);
}

/* The take statement once; *found false when the bucket has no row yet. */
static enum st ratelimit_store_take_once(struct store_conn *c, const char *const *p,
                                         const struct rl_limits *l, enum rl_priority prio,
                                         struct ratelimit_grant *out, bool *found,
                                         struct errbuf *err)
{
    struct rl_bucket b = {0, 0, 0};
    enum st st;
    PGresult *res = store_exec_prepared(c, "ratelimit_take", take_sql, 5, p, NULL, NULL, &st,
                                        err);

    *found = res != NULL && PQntuples(res) == 1;
    if (*found) {
        out->granted = PQgetvalue(res, 0, 0)[0] == 't';
        out->paused = PQgetvalue(res, 0, 4)[0] == 't';
        b.tokens = strtod(PQgetvalue(res, 0, 1), NULL);
        b.updated_ms = (int64_t)ceil(strtod(PQgetvalue(res, 0, 2), NULL));
        b.slow_until_ms = (int64_t)ceil(strtod(PQgetvalue(res, 0, 3), NULL));
        out->tokens = b.tokens;
        out->wait_ms = out->granted ? 0 : rl_wait_ms(l, &b, prio, 0);
    }
    PQclear(res);
    return st;
}

enum st ratelimit_store_take(struct store_conn *c, enum rl_api api, const char *shop,
                             const struct rl_limits *l, enum rl_priority prio,
                             struct ratelimit_grant *out, struct errbuf *err)
{
    char rate[32], burst[32], reserve[32];
    const char *p[5] = {rl_api_name(api), shop, rate, burst, reserve};
    bool found = false;
    enum st st;

    out->granted = false;
    out->tokens = 0;
    out->wait_ms = 0;
    out->paused = false;
    snprintf(rate, sizeof(rate), "%.17g", l->rate_per_s);
    snprintf(burst, sizeof(burst), "%.17g", l->burst);
    snprintf(reserve, sizeof(reserve), "%.17g", rl_reserve(l, prio));
    st = ratelimit_store_take_once(c, p, l, prio, out, &found, err);
    if (st == ST_OK && !found) {
        st = ratelimit_store_create(c, p[0], shop, l, err);
        if (st == ST_OK)
            st = ratelimit_store_take_once(c, p, l, prio, out, &found, err);
        if (st == ST_OK && !found) {
            errbuf_set(err, "rate bucket %s/%s vanished", p[0], shop);
            st = ST_RETRY;
        }
    }
    return st;
}

enum st ratelimit_store_shrink(struct store_conn *c, enum rl_api api, const char *shop,
                               const struct rl_limits *l, int64_t retry_after_ms,
                               struct errbuf *err)
{
    char slow[32], after[32];
    const char *p[4] = {rl_api_name(api), shop, slow, after};
    enum st st = ratelimit_store_create(c, p[0], shop, l, err);

    if (st != ST_OK)
        return st;
    snprintf(slow, sizeof(slow), "%d", RL_SHRINK_MS);
    snprintf(after, sizeof(after), "%lld", (long long)(retry_after_ms > 0 ? retry_after_ms : 0));
    return ratelimit_store_run(c, "ratelimit_shrink",
                               "UPDATE rate_buckets SET tokens = 0, "
                               "slow_until = clock_timestamp() + $3::bigint * interval '1 ms', "
                               "updated_at = greatest(updated_at, "
                               "  clock_timestamp() + $4::bigint * interval '1 ms') "
                               "WHERE api = $1 AND shop = $2",
                               4, p, err);
}

enum st ratelimit_store_level(struct store_conn *c, enum rl_api api, const char *shop,
                              const struct rl_limits *l, struct ratelimit_level *out,
                              struct errbuf *err)
{
    char rate[32], burst[32];
    const char *p[4] = {rl_api_name(api), shop, rate, burst};
    enum st st;
    PGresult *res;

    memset(out, 0, sizeof(*out));
    snprintf(rate, sizeof(rate), "%.17g", l->rate_per_s);
    snprintf(burst, sizeof(burst), "%.17g", l->burst);
    res = store_exec(c,
                     "SELECT " LEVEL_SQL ", " STORE_ISO_UTC("cur.updated_at") ", "
                     "CASE WHEN cur.slow_until > cur.now THEN "
                     STORE_ISO_UTC("cur.slow_until") " END, CASE WHEN cur.updated_at > cur.now "
                     "THEN " STORE_ISO_UTC("cur.updated_at") " END FROM (SELECT b.*, "
                     "clock_timestamp() AS now FROM rate_buckets b WHERE api = $1 AND "
                     "shop = $2) cur",
                     4, p, &st, err);
    if (res != NULL && PQntuples(res) == 1) {
        out->exists = true;
        out->tokens = strtod(PQgetvalue(res, 0, 0), NULL);
        snprintf(out->updated_at, sizeof(out->updated_at), "%s", PQgetvalue(res, 0, 1));
        snprintf(out->slow_until, sizeof(out->slow_until), "%s", PQgetvalue(res, 0, 2));
        snprintf(out->held_until, sizeof(out->held_until), "%s", PQgetvalue(res, 0, 3));
    }
    PQclear(res);
    return st;
}
