/*
 * api_dashboard.c - /api/v1/dashboard: the web page's home view in one
 * read (dashboard_store.h), plus what only the configuration knows: the
 * store's time zone (PEOPLEVOX_TIMEZONE, the zone the page shows times
 * in) and each rate bucket's size and refill, from which its level now
 * and the share of the budget in use are computed here (the stored
 * tokens are as of the bucket's last take).
 */
#include <math.h>
#include <string.h>

#include "api_int.h"
#include "clients.h"
#include "dashboard_store.h"
#include "ratelimit.h"

/* The limits of a bucket named api; false when the configuration has none. */
static bool bucket_limits(const struct cfg *cfg, const char *api, struct rl_limits *out)
{
    struct rl_limits limits[RL_API_COUNT];

    if (strcmp(api, "shopline") == 0) {
        out->rate_per_s = cfg->shopline_rate_per_sec;
        out->burst = cfg->shopline_burst;
        return true;
    }
    if (strcmp(api, "peoplevox") != 0)
        return false;
    clients_rate_limits(cfg, limits);
    *out = limits[RL_API_PEOPLEVOX];
    return true;
}

/* Adds "burst", "tokens_now" and "used_pct" to each bucket. */
static void buckets_complete(const struct cfg *cfg, struct json_object *buckets)
{
    for (size_t i = 0; i < json_object_array_length(buckets); i++) {
        struct json_object *b = json_object_array_get_idx(buckets, i), *v;
        struct rl_limits l;
        double tokens, age_s, now;

        if (!json_object_object_get_ex(b, "api", &v) ||
            !bucket_limits(cfg, json_object_get_string(v), &l))
            continue;
        json_object_object_get_ex(b, "tokens", &v);
        tokens = json_object_get_double(v);
        json_object_object_get_ex(b, "age_s", &v);
        age_s = json_object_get_double(v);
        now = fmin(l.burst, tokens + (age_s > 0 ? age_s * l.rate_per_s : 0));
        json_object_object_add(b, "burst", json_object_new_double(l.burst));
        json_object_object_add(b, "tokens_now", json_object_new_double(floor(now * 10) / 10));
        json_object_object_add(b, "used_pct",
                               json_object_new_int((int)lround(100.0 * (1.0 - now / l.burst))));
    }
}

void api_dashboard(struct api_req *r)
{
    struct errbuf err = {""};
    struct json_object *o, *buckets;
    enum st st;
    PGresult *res = dashboard_read(r->db, r->shop, &st, &err);

    if (res == NULL) {
        api_error_db(r, st, &err);
        return;
    }
    o = json_tokener_parse(PQgetvalue(res, 0, 0));
    PQclear(res);
    if (o == NULL) {
        api_error(r->resp, 500, API_E_INTERNAL, "the dashboard did not read back");
        return;
    }
    if (json_object_object_get_ex(o, "buckets", &buckets))
        buckets_complete(r->api->cfg, buckets);
    json_object_object_add(o, "time_zone", json_object_new_string(r->api->cfg->pvx_timezone));
    api_reply(r, 200, o);
}
