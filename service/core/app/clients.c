/*
 * clients.c - the outbound clients from the configuration (see clients.h).
 *
 * Moved out of main.c so the operator commands that call Shopline
 * (shopvox webhooks) build the very client the service uses, and take
 * their tokens from the same shared buckets.
 */
#include "clients.h"

#include "log.h"
#include "ratelimit.h"

void clients_rate_limits(const struct cfg *c, struct rl_limits out[RL_API_COUNT])
{
    struct errbuf ignored = {""};

    if (rl_parse_window_margin(c->pvx_rate, c->pvx_rate_margin_ms, &out[RL_API_PEOPLEVOX],
                               &ignored) < 0)
        out[RL_API_PEOPLEVOX] = rl_leaky_limits(1, 1); /* config.c refuses it at start */
    out[RL_API_SHOPLINE] = rl_leaky_limits(c->shopline_rate_per_sec, c->shopline_burst);
}

/* The shared buckets' limits (PEOPLEVOX_RATE checked by load_config; its margin: ratelimit.h). */
struct limiter *clients_limiter(const struct cfg *c)
{
    struct limiter_opts lo = {.database_url = c->database_url, .shop = c->shop_domain,
                              .connections = c->pvx_max_concurrency + 2};

    clients_rate_limits(c, lo.limits);
    return limiter_create(&lo);
}

/* The Shopline client of the store, or NULL (logged) when it cannot be made. */
struct shopline_client *clients_shopline(const struct cfg *c)
{
    struct shopline_config sc = {.api_base = c->shopline_api_base,
                                 .shop_domain = c->shop_domain,
                                 .api_version = c->shopline_api_version,
                                 .access_token = c->shopline_access_token,
                                 .allow_insecure_http = c->allow_insecure_http == 1,
                                 .timeout_ms = CLIENTS_SHOPLINE_TIMEOUT_MS};
    struct errbuf err = {""};
    struct shopline_client *cl = NULL;

    if (c->shopline_access_token == NULL || c->shopline_access_token[0] == '\0')
        log_event(LOG_WARN, "shopline_client_off", "why", "SHOPLINE_ACCESS_TOKEN is not set",
                  NULL);
    else if ((cl = shopline_client_create(&sc, &err)) == NULL)
        log_event(LOG_ERROR, "shopline_client_failed", "error", err.msg, NULL);
    return cl;
}
