/*
 * config.h - the effective configuration, loaded from the environment.
 *
 * One table describes every variable (name, type, default, bounds,
 * secret?, required?). Loading validates all of them and reports every
 * problem at once, so an operator fixes a deployment in one round trip.
 * Every variable also reads from NAME_FILE (Kubernetes secrets mounted as
 * files); setting both is an error. Secrets are never printed.
 */
#ifndef SHOPVOX_CONFIG_H
#define SHOPVOX_CONFIG_H

#include <stdbool.h>
#include <stdio.h>

#include "buf.h"

struct cfg {
    char *listen;            /* "host:port" as given */
    char *listen_host;       /* parsed from listen */
    int listen_port;
    char *database_url;
    int workers;
    int http_threads;
    char *admin_token;
    char *log_level;
    char *log_format;
    long max_body_bytes;
    char *sql_dir;
    char *shop_domain;
    char *shopline_api_base;
    char *shopline_api_version;
    char *shopline_access_token;
    char *app_secret;
    char *app_secret_previous;
    int shopline_rate_per_sec;
    int shopline_burst;
    char *paid_statuses;
    char *order_prefix;
    char *pvx_url;
    char *pvx_client_id;
    char *pvx_username;
    char *pvx_password;
    char *pvx_password_encoding;
    char *pvx_default_site;
    int pvx_max_concurrency;
    int pvx_timeout_ms;
    int pvx_throttle_cooldown_ms;     /* first cool-down after Peoplevox throttled us */
    int pvx_throttle_cooldown_max_ms; /* the cool-down doubles up to this */
    int pvx_batch_max;       /* Sales Orders per SaveData (1 = no batching) */
    int despatch_poll_s;
    int inventory_sync_s;
    int catalogue_sync_s;
    int stalled_order_s;
    int unconfirmed_despatch_s;
    int job_max_attempts;
    int job_lease_s;
    int shutdown_deadline_s; /* SIGTERM to exit, below the pod's grace period */
    char *routing_rules;
};

/* Looks up one variable; returns NULL when unset. ctx is passed through. */
typedef const char *(*cfg_getenv_fn)(const char *name, void *ctx);

/*
 * Fills c from the environment (get == NULL means getenv). Returns the
 * number of problems; each is appended to errors as one line
 * ("NAME=value: reason"), secrets shown as ***. c must be released with
 * cfg_cleanup whatever the result. With require_all=false the variables
 * marked required may be missing (used by commands that need only some).
 */
int cfg_load(struct cfg *c, cfg_getenv_fn get, void *ctx, bool require_all, struct buf *errors);
void cfg_cleanup(struct cfg *c);

/* Prints NAME=value lines of the effective configuration, secrets as ***. */
void cfg_print(const struct cfg *c, FILE *out);

#endif
