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
#include <stdint.h>
#include <stdio.h>

#include "buf.h"

/* SHOPVOX_ORDER_PREFIX leaves room for the order name in a 30-character number. */
#define CFG_ORDER_PREFIX_MAX_BYTES 20

/* Variables the table may hold (cfg.rejected has a bit for each). */
#define CFG_MAX_VARS 128
/* The longest IANA zone name accepted (the longest real one has 32). */
#define CFG_ZONE_MAX_BYTES 64
/* PEOPLEVOX_WEBHOOK_TOKEN's shortest length: the nudge URL's only secret. */
#define CFG_TOKEN_MIN_BYTES 32
#define CFG_STR_(x) #x
#define CFG_STR(x) CFG_STR_(x)

struct cfg {
    char *listen;            /* "host:port" as given */
    char *listen_host;       /* parsed from listen */
    int listen_port;
    char *ops_listen;        /* probes and /metrics: "host:port" as given */
    char *ops_listen_host;   /* parsed from ops_listen */
    int ops_listen_port;
    char *database_url;
    int workers;
    int http_threads;
    char *admin_token;
    char *log_level;
    char *log_format;
    long max_body_bytes;
    long body_budget_bytes;  /* request bodies buffered at once, all connections together */
    int header_deadline_ms;  /* a connection's headers complete within this, or it is cut */
    int request_deadline_ms; /* headers and body complete within this, or cut */
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
    char *pvx_rate;          /* PEOPLEVOX_RATE "CALLS/SECONDSs" (checked by rl_parse_window) */
    int pvx_batch_max;       /* Sales Orders per batch, rows per SaveData (1 = no batching) */
    int despatch_poll_s;
    int inventory_sync_s;
    int catalogue_sync_s;
    int stalled_order_s;
    int unconfirmed_despatch_s;
    int job_max_attempts;
    int job_lease_s;
    int shutdown_deadline_s; /* SIGTERM to exit, below the pod's grace period */
    char *routing_rules;
    int retention_days;       /* webhook bodies and done jobs are deleted after this */
    int metrics_refresh_s;    /* database gauges of /metrics refreshed this often */
    int allow_insecure_http;  /* 1: http:// outside URLs allowed (demo, tests, compose) */
    int statement_timeout_ms; /* on the service's database connections */
    int notify_customer;      /* 1: Shopline tells the customer of each fulfillment */
    char *pvx_timezone;       /* IANA zone of the Peoplevox report dates ("UTC"); the syntax
                               * is checked here, the zone itself in PostgreSQL at start */
    char *pvx_webhook_token;  /* the nudge URL's secret ("" = no nudge endpoint) */
    char *location_map;       /* SHOPVOX_LOCATION_MAP "Site=location id;..." (location_map.h;
                               * checked here, against Shopline's locations at start) */
    int variant_sync_s;       /* the Shopline catalogue (variants) is re-read this often */
    int inventory_full_sync_s; /* the whole Item inventory summary is read this often */
    int order_sweep_s;        /* Shopline orders are swept for missed webhooks this often */
    int reserve_in_flight;    /* 1: paid orders Peoplevox has not received reserve stock */
    char *pvx_inventory_changes; /* PEOPLEVOX_INVENTORY_CHANGES (inventory.h: events, full,
                                  * report:TEMPLATE:COLUMN) */
    int inventory_reconcile_s; /* the drift reconciliation runs this often */
    int inventory_drift_pct;  /* inventory_drift opens above this % of levels drifted */
    long inventory_drift_units; /* ... or above this many units of variance (0: off) */
    char *public_url;         /* SHOPVOX_PUBLIC_URL: the listener as Shopline reaches it
                               * ("" = webhook subscriptions are not managed) */
    int webhook_ensure_s;     /* the subscriptions are checked this often */
    int warehouse_sweep_s;    /* sent orders are checked against Peoplevox this often */
    int despatch_sweep_s;     /* unconfirmed despatches are re-enqueued this often */
    int reconcile_days;       /* ... looking back this many days (both sweeps) */
    char *report_webhook_url; /* SHOPVOX_REPORT_WEBHOOK_URL: the daily report's POST ("" = none) */
    char *report_daily_at;    /* SHOPVOX_REPORT_DAILY_AT "HH:MM" store time */
    uint64_t rejected[CFG_MAX_VARS / 64]; /* bit i: the i-th table variable was rejected */
    char *admin_tokens;       /* SHOPVOX_ADMIN_TOKENS: name:role:token entries (admin_tokens.h;
                               * checked here with admin_token, parsed again by the API) */
    char *returns_mode;       /* SHOPVOX_RETURNS_MODE: "authorise" (a person decides) or "auto" */
    int returns_poll_s;       /* Peoplevox's Return summary is read this often */
    int console_secure_cookie; /* the /ops/ page is reached over TLS: its cookie is Secure */
    int console_session_idle_s; /* a page session unused this long ends */
    int intake_committers;    /* group-commit threads, one connection each (intake_group.h) */
    int intake_group_max;     /* deliveries in one group's transaction at most */
    int pvx_batch_min;        /* Sales Orders per batch when the backlog is small */
    int pvx_batch_max_bytes;  /* CSV bytes per SaveData of a batch */
    int pvx_rate_margin_ms;   /* how late a call may reach Peoplevox after its token */
    int intake_defer_at;      /* a group this large goes to the pending inbox (0: never) */
};

/* "HH:MM" (SHOPVOX_REPORT_DAILY_AT) as minutes after midnight; -1 when it is not one. */
int cfg_daily_at_minutes(const char *hhmm);

/* Whether s is an IANA time zone name by its syntax (PEOPLEVOX_TIMEZONE's check). */
bool cfg_zone_name_ok(const char *s);

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

/*
 * Prints NAME=value lines of the effective configuration, secrets as ***;
 * a rejected variable as "NAME=(rejected, see the problems above)".
 */
void cfg_print(const struct cfg *c, FILE *out);

/*
 * Finds variables in envp ("NAME=value" entries, NULL-terminated) that look
 * like ours (SHOPVOX_, SHOPLINE_, PEOPLEVOX_ prefixes, or NAME_FILE of one)
 * but are not: one line each appended to warnings, naming the closest known
 * variable ("SHOPVOX_WORKER is not a shopvox setting; did you mean
 * SHOPVOX_WORKERS?"). SHOPVOX_TEST_* (the test harness's own) are skipped.
 * Returns how many.
 */
int cfg_find_unknown(char *const *envp, struct buf *warnings);

#endif
