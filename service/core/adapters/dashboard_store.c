/*
 * dashboard_store.c - the home view's figures (see dashboard_store.h),
 * built as JSON by PostgreSQL in one statement. The 24-hour counts read
 * order_events by time; each is a count of distinct orders, so an order
 * despatched in two parts counts once.
 */
#include "dashboard_store.h"

#define DAY "now() - interval '24 hours'"
#define MOVED_TO(states)                                                                         \
    "(SELECT count(DISTINCT e.order_id) FROM order_events e JOIN orders o ON o.id = e.order_id " \
    "WHERE o.shop = $1 AND e.to_state IN (" states ") AND e.at > " DAY ")"
#define AGE_S(col) "floor(extract(epoch FROM now() - " col "))::bigint"

PGresult *dashboard_read(struct store_conn *c, const char *shop, enum st *st,
                         struct errbuf *err)
{
    const char *p[1] = {shop};

    return store_exec(
        c,
        "SELECT json_build_object("
        "'orders', json_build_object("
        "'received', (SELECT count(*) FROM orders WHERE shop = $1 AND created_at > " DAY "), "
        "'posted', " MOVED_TO("'sent'") ", "
        "'despatched', " MOVED_TO("'partially_despatched', 'despatched'") ", "
        "'fulfilled', " MOVED_TO("'fulfilled'") "), "
        "'exceptions', (SELECT coalesce(json_agg(json_build_object('team', team, 'open', n, "
        "'oldest_age_s', age) ORDER BY team), '[]') FROM (SELECT team, count(*) AS n, "
        AGE_S("min(first_seen)") " AS age FROM exceptions WHERE shop = $1 AND state = 'open' "
        "GROUP BY team) t), "
        "'schedules', (SELECT coalesce(json_agg(json_build_object('task', task, "
        "'last_run_at', " STORE_ISO_UTC("last_run_at") ", 'last_success_at', "
        STORE_ISO_UTC("last_success_at") ", 'failing', failing, 'last_error', last_error) "
        "ORDER BY task), '[]') FROM schedules), "
        "'buckets', (SELECT coalesce(json_agg(json_build_object('api', api, 'tokens', tokens, "
        "'age_s', extract(epoch FROM now() - updated_at)) ORDER BY api), '[]') "
        "FROM rate_buckets WHERE shop = $1), "
        "'stock_sync_age_s', (SELECT " AGE_S("last_success_at") " FROM schedules "
        "WHERE task = 'sync_inventory'))::text",
        1, p, st, err);
}
