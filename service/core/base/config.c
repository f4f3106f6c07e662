/*
 * config.c - table-driven configuration (see config.h).
 *
 * The table is the single place that knows a variable's name, default,
 * bounds and secrecy; loading, validation and printing all walk it. Values
 * are parsed strictly: "12x" is not 12, and an out-of-range number names
 * the allowed range in its error.
 *
 * After the table walk, format checks that a type cannot express run once
 * (cfg_check_formats): the listen address, the shop domain (a host name,
 * not a handle or a URL), URLs parsed by libcurl's own parser (https only,
 * unless SHOPVOX_ALLOW_INSECURE_HTTP=1 for the demo and tests), the
 * database URL parsed by libpq (its error text is never echoed: libpq
 * quotes the offending token, which may be the password) and the Sales
 * Order prefix length. A rejected value is remembered, so cfg_print never
 * shows a default or a 0 in its place as if it had been accepted.
 * Misspelled variable names are found by cfg_find_unknown (a warning with
 * the closest known name), since a silently ignored setting is a setting
 * that does nothing.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <libpq-fe.h>

#include "admin_tokens.h"
#include "inventory.h"
#include "location_map.h"

enum cfg_kind { CK_STR, CK_INT, CK_LONG, CK_ENUM, CK_BOOL }; /* CK_BOOL: an int, 0 or 1 */

#define CF_SECRET 1u
#define CF_REQUIRED 2u

struct cfg_var {
    const char *name;
    enum cfg_kind kind;
    size_t offset;
    const char *def;
    long min, max;
    const char *choices; /* CK_ENUM: '|'-separated */
    unsigned flags;
};

#define OFF(f) offsetof(struct cfg, f)

static const struct cfg_var cfg_vars[] = {
    {"SHOPVOX_LISTEN", CK_STR, OFF(listen), "0.0.0.0:8080", 0, 0, NULL, 0},
    {"SHOPVOX_OPS_LISTEN", CK_STR, OFF(ops_listen), "0.0.0.0:9090", 0, 0, NULL, 0},
    {"SHOPVOX_DATABASE_URL", CK_STR, OFF(database_url), NULL, 0, 0, NULL, CF_SECRET | CF_REQUIRED},
    {"SHOPVOX_WORKERS", CK_INT, OFF(workers), "4", 0, 256, NULL, 0},
    {"SHOPVOX_HTTP_THREADS", CK_INT, OFF(http_threads), "16", 1, 64, NULL, 0},
    {"SHOPVOX_ADMIN_TOKEN", CK_STR, OFF(admin_token), NULL, 0, 0, NULL, CF_SECRET},
    {"SHOPVOX_LOG_LEVEL", CK_ENUM, OFF(log_level), "info", 0, 0, "debug|info|warn|error", 0},
    {"SHOPVOX_LOG_FORMAT", CK_ENUM, OFF(log_format), "text", 0, 0, "text|json", 0},
    {"SHOPVOX_MAX_BODY_BYTES", CK_LONG, OFF(max_body_bytes), "1048576", 1024, 64L << 20, NULL, 0},
    {"SHOPVOX_BODY_BUDGET_BYTES", CK_LONG, OFF(body_budget_bytes), "8388608", 1024, 1L << 30,
     NULL, 0},
    {"SHOPVOX_HEADER_DEADLINE_MS", CK_INT, OFF(header_deadline_ms), "10000", 100, 600000, NULL, 0},
    {"SHOPVOX_REQUEST_DEADLINE_MS", CK_INT, OFF(request_deadline_ms), "15000", 100, 600000, NULL,
     0},
    {"SHOPVOX_SQL_DIR", CK_STR, OFF(sql_dir), SHOPVOX_SQL_DIR, 0, 0, NULL, 0},
    {"SHOPLINE_SHOP_DOMAIN", CK_STR, OFF(shop_domain), NULL, 0, 0, NULL, CF_REQUIRED},
    {"SHOPLINE_API_BASE", CK_STR, OFF(shopline_api_base), "", 0, 0, NULL, 0},
    {"SHOPLINE_API_VERSION", CK_STR, OFF(shopline_api_version), "v20260301", 0, 0, NULL, 0},
    {"SHOPLINE_ACCESS_TOKEN", CK_STR, OFF(shopline_access_token), NULL, 0, 0, NULL,
     CF_SECRET | CF_REQUIRED},
    {"SHOPLINE_APP_SECRET", CK_STR, OFF(app_secret), NULL, 0, 0, NULL, CF_SECRET | CF_REQUIRED},
    {"SHOPLINE_APP_SECRET_PREVIOUS", CK_STR, OFF(app_secret_previous), "", 0, 0, NULL, CF_SECRET},
    {"SHOPLINE_RATE_PER_SEC", CK_INT, OFF(shopline_rate_per_sec), "4", 1, 1000, NULL, 0},
    {"SHOPLINE_BURST", CK_INT, OFF(shopline_burst), "40", 1, 10000, NULL, 0},
    {"SHOPVOX_PAID_STATUSES", CK_STR, OFF(paid_statuses), "paid", 0, 0, NULL, 0},
    {"SHOPVOX_ORDER_PREFIX", CK_STR, OFF(order_prefix), "", 0, 0, NULL, 0},
    {"PEOPLEVOX_URL", CK_STR, OFF(pvx_url), NULL, 0, 0, NULL, CF_REQUIRED},
    {"PEOPLEVOX_CLIENT_ID", CK_STR, OFF(pvx_client_id), NULL, 0, 0, NULL, CF_REQUIRED},
    {"PEOPLEVOX_USERNAME", CK_STR, OFF(pvx_username), NULL, 0, 0, NULL, CF_REQUIRED},
    {"PEOPLEVOX_PASSWORD", CK_STR, OFF(pvx_password), NULL, 0, 0, NULL, CF_SECRET | CF_REQUIRED},
    {"PEOPLEVOX_PASSWORD_ENCODING", CK_ENUM, OFF(pvx_password_encoding), "base64", 0, 0,
     "base64|plain", 0},
    {"PEOPLEVOX_DEFAULT_SITE", CK_STR, OFF(pvx_default_site), "PrimarySite", 0, 0, NULL, 0},
    {"PEOPLEVOX_MAX_CONCURRENCY", CK_INT, OFF(pvx_max_concurrency), "2", 1, 32, NULL, 0},
    {"PEOPLEVOX_TIMEOUT_MS", CK_INT, OFF(pvx_timeout_ms), "30000", 100, 600000, NULL, 0},
    {"PEOPLEVOX_THROTTLE_COOLDOWN_MS", CK_INT, OFF(pvx_throttle_cooldown_ms), "1000", 10, 600000,
     NULL, 0},
    {"PEOPLEVOX_THROTTLE_COOLDOWN_MAX_MS", CK_INT, OFF(pvx_throttle_cooldown_max_ms), "15000", 10,
     600000, NULL, 0},
    {"PEOPLEVOX_RATE", CK_STR, OFF(pvx_rate), "15/15s", 0, 0, NULL, 0},
    {"SHOPVOX_PVX_BATCH_MAX", CK_INT, OFF(pvx_batch_max), "500", 1, 1000, NULL, 0},
    {"SHOPVOX_DESPATCH_POLL_S", CK_INT, OFF(despatch_poll_s), "60", 1, 86400, NULL, 0},
    {"SHOPVOX_INVENTORY_SYNC_S", CK_INT, OFF(inventory_sync_s), "60", 1, 86400, NULL, 0},
    {"SHOPVOX_CATALOGUE_SYNC_S", CK_INT, OFF(catalogue_sync_s), "300", 1, 86400, NULL, 0},
    {"SHOPVOX_STALLED_ORDER_S", CK_INT, OFF(stalled_order_s), "900", 10, 604800, NULL, 0},
    {"SHOPVOX_UNCONFIRMED_DESPATCH_S", CK_INT, OFF(unconfirmed_despatch_s), "900", 2, 604800,
     NULL, 0},
    {"SHOPVOX_JOB_MAX_ATTEMPTS", CK_INT, OFF(job_max_attempts), "12", 1, 1000, NULL, 0},
    {"SHOPVOX_JOB_LEASE_S", CK_INT, OFF(job_lease_s), "120", 5, 3600, NULL, 0},
    {"SHOPVOX_SHUTDOWN_DEADLINE_S", CK_INT, OFF(shutdown_deadline_s), "25", 1, 3600, NULL, 0},
    {"SHOPVOX_ROUTING_RULES", CK_STR, OFF(routing_rules), "", 0, 0, NULL, 0},
    {"SHOPVOX_RETENTION_DAYS", CK_INT, OFF(retention_days), "30", 3, 3650, NULL, 0},
    {"SHOPVOX_METRICS_REFRESH_S", CK_INT, OFF(metrics_refresh_s), "15", 1, 3600, NULL, 0},
    {"SHOPVOX_ALLOW_INSECURE_HTTP", CK_BOOL, OFF(allow_insecure_http), "0", 0, 1, NULL, 0},
    {"SHOPVOX_STATEMENT_TIMEOUT_MS", CK_INT, OFF(statement_timeout_ms), "30000", 100, 3600000,
     NULL, 0},
    {"SHOPVOX_NOTIFY_CUSTOMER", CK_BOOL, OFF(notify_customer), "1", 0, 1, NULL, 0},
    {"PEOPLEVOX_TIMEZONE", CK_STR, OFF(pvx_timezone), "UTC", 0, 0, NULL, 0},
    {"PEOPLEVOX_WEBHOOK_TOKEN", CK_STR, OFF(pvx_webhook_token), "", 0, 0, NULL, CF_SECRET},
    {"SHOPVOX_LOCATION_MAP", CK_STR, OFF(location_map), "", 0, 0, NULL, 0},
    {"SHOPVOX_VARIANT_SYNC_S", CK_INT, OFF(variant_sync_s), "3600", 1, 86400, NULL, 0},
    {"SHOPVOX_INVENTORY_FULL_SYNC_S", CK_INT, OFF(inventory_full_sync_s), "3600", 60, 86400, NULL,
     0},
    {"SHOPVOX_RESERVE_IN_FLIGHT", CK_BOOL, OFF(reserve_in_flight), "1", 0, 1, NULL, 0},
    {"PEOPLEVOX_INVENTORY_CHANGES", CK_STR, OFF(pvx_inventory_changes), "events", 0, 0, NULL, 0},
    {"SHOPVOX_INVENTORY_RECONCILE_S", CK_INT, OFF(inventory_reconcile_s), "3600", 60, 86400, NULL,
     0},
    {"SHOPVOX_INVENTORY_DRIFT_PCT", CK_INT, OFF(inventory_drift_pct), "1", 0, 100, NULL, 0},
    {"SHOPVOX_INVENTORY_DRIFT_UNITS", CK_LONG, OFF(inventory_drift_units), "1000", 0, 1000000000L,
     NULL, 0},
    {"SHOPVOX_ORDER_SWEEP_S", CK_INT, OFF(order_sweep_s), "600", 60, 86400, NULL, 0},
    {"SHOPVOX_PUBLIC_URL", CK_STR, OFF(public_url), "", 0, 0, NULL, 0},
    {"SHOPVOX_WEBHOOK_ENSURE_S", CK_INT, OFF(webhook_ensure_s), "3600", 60, 86400, NULL, 0},
    {"SHOPVOX_WAREHOUSE_SWEEP_S", CK_INT, OFF(warehouse_sweep_s), "86400", 60, 604800, NULL, 0},
    {"SHOPVOX_DESPATCH_SWEEP_S", CK_INT, OFF(despatch_sweep_s), "86400", 60, 604800, NULL, 0},
    {"SHOPVOX_RECONCILE_DAYS", CK_INT, OFF(reconcile_days), "7", 1, 31, NULL, 0},
    {"SHOPVOX_ADMIN_TOKENS", CK_STR, OFF(admin_tokens), "", 0, 0, NULL, CF_SECRET},
    {"SHOPVOX_RETURNS_MODE", CK_ENUM, OFF(returns_mode), "authorise", 0, 0, "authorise|auto", 0},
    {"SHOPVOX_RETURNS_POLL_S", CK_INT, OFF(returns_poll_s), "300", 1, 86400, NULL, 0},
    {"SHOPVOX_CONSOLE_SECURE_COOKIE", CK_BOOL, OFF(console_secure_cookie), "0", 0, 1, NULL, 0},
    {"SHOPVOX_CONSOLE_SESSION_IDLE_S", CK_INT, OFF(console_session_idle_s), "43200", 300, 604800,
     NULL, 0},
    {"SHOPVOX_INTAKE_COMMITTERS", CK_INT, OFF(intake_committers), "2", 1, 16, NULL, 0},
    {"SHOPVOX_INTAKE_GROUP_MAX", CK_INT, OFF(intake_group_max), "32", 1, 60, NULL, 0},
    {"SHOPVOX_REPORT_WEBHOOK_URL", CK_STR, OFF(report_webhook_url), "", 0, 0, NULL, CF_SECRET},
    {"SHOPVOX_REPORT_DAILY_AT", CK_STR, OFF(report_daily_at), "07:00", 0, 0, NULL, 0},
    {"SHOPVOX_PVX_BATCH_MIN", CK_INT, OFF(pvx_batch_min), "20", 1, 1000, NULL, 0},
    {"SHOPVOX_PVX_BATCH_MAX_BYTES", CK_INT, OFF(pvx_batch_max_bytes), "1048576", 16384, 4194304,
     NULL, 0},
    {"SHOPVOX_PVX_RATE_MARGIN_MS", CK_INT, OFF(pvx_rate_margin_ms), "2500", 0, 60000, NULL, 0},
    {"SHOPVOX_INTAKE_DEFER_AT", CK_INT, OFF(intake_defer_at), "2", 0, 60, NULL, 0},
};

_Static_assert(ARRAY_LEN(cfg_vars) <= CFG_MAX_VARS, "raise CFG_MAX_VARS (cfg.rejected)");

static const char *env_get(const char *name, void *ctx)
{
    (void)ctx;
    return getenv(name);
}

static char **str_field(struct cfg *c, const struct cfg_var *v)
{
    return (char **)(void *)((char *)c + v->offset);
}

/*
 * One problem line: "NAME=value: reason", secrets as ***, control bytes as
 * '?', so the line stays one line; an empty value reads "NAME is empty:
 * reason" and a missing required one "NAME is required (...)".
 */
static void report(struct buf *errors, const struct cfg_var *v, const char *value,
                   const char *reason)
{
    if (errors == NULL)
        return;
    if (value == NULL || *value == '\0') {
        if (strcmp(reason, "is required") == 0)
            buf_appendf(errors, "%s is required (set %s or %s_FILE)\n", v->name, v->name,
                        v->name);
        else
            buf_appendf(errors, "%s is empty: %s\n", v->name, reason);
        return;
    }
    buf_appendf(errors, "%s=", v->name);
    if (v->flags & CF_SECRET) {
        buf_append_str(errors, "***");
    } else {
        for (const char *p = value; *p != '\0' && p - value < 200; p++)
            buf_appendf(errors, "%c", (unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p);
    }
    buf_appendf(errors, ": %s\n", reason);
}

static size_t var_index(const struct cfg_var *v)
{
    return (size_t)(v - cfg_vars);
}

/* The table row of a struct cfg field (every checked field has one). */
static const struct cfg_var *var_at(size_t offset)
{
    for (size_t i = 0; i < ARRAY_LEN(cfg_vars); i++)
        if (cfg_vars[i].offset == offset)
            return &cfg_vars[i];
    abort(); /* a field without a row is a programming error */
}

/* Bit i of a set of table variables (cfg.rejected, cfg_load's unread). */
static bool var_bit(const uint64_t *set, size_t i)
{
    return (set[i / 64] >> (i % 64)) & 1;
}

static void var_bit_set(uint64_t *set, size_t i)
{
    set[i / 64] |= (uint64_t)1 << (i % 64);
}

/* Reports a rejected value and remembers it for cfg_print. Returns 1. */
static int reject(struct cfg *c, struct buf *errors, const struct cfg_var *v, const char *value,
                  const char *reason)
{
    var_bit_set(c->rejected, var_index(v));
    report(errors, v, value, reason);
    return 1;
}

/* Reads NAME_FILE into a new string (trailing newlines dropped), or NULL. */
static char *read_secret_file(const char *path, char *why, size_t why_len)
{
    FILE *f = fopen(path, "rb");
    struct buf b;
    char chunk[4096];
    size_t n;

    if (f == NULL) {
        snprintf(why, why_len, "could not open %s: %s", path, strerror(errno));
        return NULL;
    }
    buf_init(&b, 1 << 20);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (buf_append(&b, chunk, n) < 0) {
            snprintf(why, why_len, "file %s is larger than 1 MiB", path);
            fclose(f);
            buf_cleanup(&b);
            return NULL;
        }
    }
    fclose(f);
    while (b.len > 0 && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == '\r'))
        b.data[--b.len] = '\0';
    return buf_steal(&b);
}

static int parse_long(const char *s, long *out)
{
    char *end = NULL;
    long v;

    if (!(*s == '-' || (*s >= '0' && *s <= '9'))) /* no blanks, no '+' */
        return -1;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

/* "0"/"false" -> 0, "1"/"true" -> 1 (any case); -1 for anything else. */
static int parse_bool(const char *s, long *out)
{
    if (strcmp(s, "0") == 0 || strcasecmp(s, "false") == 0)
        *out = 0;
    else if (strcmp(s, "1") == 0 || strcasecmp(s, "true") == 0)
        *out = 1;
    else
        return -1;
    return 0;
}

static bool enum_allows(const char *choices, const char *value)
{
    size_t n = strlen(value);
    const char *p = choices;

    while (*p != '\0') {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);

        if (len == n && strncmp(p, value, n) == 0)
            return true;
        p += len + (bar ? 1 : 0);
    }
    return false;
}

/* Validates one raw value and stores it; returns 0 or 1 (problems). */
static int cfg_set(struct cfg *c, const struct cfg_var *v, const char *raw, struct buf *errors)
{
    char why[160];
    long n = 0;

    switch (v->kind) {
    case CK_STR:
        *str_field(c, v) = xstrdup(raw);
        return 0;
    case CK_ENUM:
        *str_field(c, v) = xstrdup(raw);
        if (enum_allows(v->choices, raw))
            return 0;
        snprintf(why, sizeof(why), "must be one of %s", v->choices);
        return reject(c, errors, v, raw, why);
    case CK_BOOL:
        if (parse_bool(raw, &n) < 0)
            return reject(c, errors, v, raw, "must be 0, 1, true or false");
        *(int *)(void *)((char *)c + v->offset) = (int)n;
        return 0;
    case CK_INT:
    case CK_LONG:
        if (parse_long(raw, &n) < 0 || n < v->min || n > v->max) {
            snprintf(why, sizeof(why), "must be an integer between %ld and %ld", v->min, v->max);
            return reject(c, errors, v, raw, why);
        }
        if (v->kind == CK_INT)
            *(int *)(void *)((char *)c + v->offset) = (int)n;
        else
            *(long *)(void *)((char *)c + v->offset) = n;
        return 0;
    }
    return 0;
}

/* Finds the raw value of one variable (direct or _FILE); returns problems. */
static int cfg_raw(const struct cfg_var *v, cfg_getenv_fn get, void *ctx, char **out,
                   struct buf *errors)
{
    char file_name[128];
    const char *direct = get(v->name, ctx);
    const char *file;
    char why[300];

    snprintf(file_name, sizeof(file_name), "%s_FILE", v->name);
    file = get(file_name, ctx);
    *out = NULL;
    if (file != NULL && *file != '\0') {
        if (direct != NULL) {
            report(errors, v, direct, "set both directly and through _FILE");
            return 1;
        }
        *out = read_secret_file(file, why, sizeof(why));
        if (*out == NULL) {
            report(errors, v, file, why);
            return 1;
        }
        return 0;
    }
    *out = xstrdup(direct);
    return 0;
}

/* Splits the HOST:PORT variable at offset into host and port; returns problems. */
static int cfg_parse_listen(struct cfg *c, struct buf *errors, const uint64_t *unread,
                            size_t offset, char **host, int *port_out)
{
    const struct cfg_var *v = var_at(offset);
    const char *listen = *str_field(c, v);
    const char *colon = strrchr(listen, ':');
    long port = -1;

    if (var_bit(unread, var_index(v)))
        return 0; /* reported already */
    if (colon != NULL && colon > listen && parse_long(colon + 1, &port) == 0 && port >= 0 &&
        port <= 65535) {
        *host = xstrndup(listen, (size_t)(colon - listen));
        *port_out = (int)port;
        return 0;
    }
    return reject(c, errors, v, listen, "must be HOST:PORT with a port from 0 to 65535");
}

/* A DNS host name with at least one dot: "acme.myshopline.com", not "acme" or a URL. */
static bool is_host_name(const char *s)
{
    size_t label = 0;
    bool dot = false;

    if (*s == '\0' || strlen(s) > 253)
        return false;
    for (const char *p = s; *p != '\0'; p++) {
        if (*p == '.') {
            if (label == 0)
                return false;
            dot = true;
            label = 0;
        } else if (isalnum((unsigned char)*p) || (*p == '-' && label > 0)) {
            if (++label > 63)
                return false;
        } else {
            return false;
        }
    }
    return dot && label > 0;
}

/* "" when url is an absolute http(s) URL with a host we may use, else why not. */
static const char *url_problem(const char *url, bool allow_http)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    const char *why = "";

    if (u == NULL || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
        why = "is not a valid absolute URL";
    else if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
             curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || host[0] == '\0')
        why = "is not a valid absolute URL";
    else if (strcmp(scheme, "https") != 0 && !(allow_http && strcmp(scheme, "http") == 0))
        why = allow_http ? "must be an http:// or https:// URL"
                         : "must be an https:// URL (http:// only with "
                           "SHOPVOX_ALLOW_INSECURE_HTTP=1, for demos and tests)";
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return why;
}

static int check_url(struct cfg *c, struct buf *errors, size_t offset)
{
    const struct cfg_var *v = var_at(offset);
    const char *url = *str_field(c, v);
    const char *why;

    if (url[0] == '\0' || var_bit(c->rejected, var_index(v)))
        return 0; /* optional and unset, or required and reported already */
    why = url_problem(url, c->allow_insecure_http == 1);
    return why[0] != '\0' ? reject(c, errors, v, url, why) : 0;
}

/* libpq's own parser; its message is not echoed (it quotes the bad token). */
static int check_database_url(struct cfg *c, struct buf *errors)
{
    const struct cfg_var *v = var_at(offsetof(struct cfg, database_url));
    char *pq_err = NULL;
    PQconninfoOption *opts;

    if (c->database_url[0] == '\0')
        return 0;
    opts = PQconninfoParse(c->database_url, &pq_err);
    PQfreemem(pq_err);
    if (opts != NULL) {
        PQconninfoFree(opts);
        return 0;
    }
    return reject(c, errors, v, c->database_url,
                  "is not a valid libpq connection string or postgresql:// URI");
}

/*
 * An IANA zone name by its syntax: "UTC", "Europe/London",
 * "America/Argentina/Buenos_Aires", "Etc/GMT+5": parts of letters, digits,
 * '_', '-' and '+' starting with a letter, joined by '/'. A path ("/etc",
 * "..") or a POSIX rule ("CET-1CEST,M3.5.0") is not one.
 */
bool cfg_zone_name_ok(const char *s)
{
    bool start = true;
    size_t n = 0;

    for (; s[n] != '\0'; n++) {
        unsigned char ch = (unsigned char)s[n];

        if (ch == '/' && !start) {
            start = true;
        } else if (start ? isalpha(ch) : (isalnum(ch) || ch == '_' || ch == '-' || ch == '+')) {
            start = false;
        } else {
            return false;
        }
    }
    return n > 0 && n <= CFG_ZONE_MAX_BYTES && !start;
}

/* A nudge token: unset, or at least CFG_TOKEN_MIN_BYTES URL-safe characters. */
static const char *token_problem(const char *t)
{
    size_t n = strlen(t);

    if (n == 0)
        return NULL;
    if (n < CFG_TOKEN_MIN_BYTES)
        return "must be at least " CFG_STR(CFG_TOKEN_MIN_BYTES) " characters (it is the "
               "URL's only secret), e.g. openssl rand -hex 24";
    for (const char *p = t; *p != '\0'; p++)
        if (!isalnum((unsigned char)*p) && strchr("-._~", *p) == NULL)
            return "may only hold letters, digits and - . _ ~ (it goes in a URL path)";
    return NULL;
}

/* SHOPVOX_LOCATION_MAP by location_map_parse (the service parses it again where it uses it). */
static int check_location_map(struct cfg *c, struct buf *errors)
{
    struct location_map m;
    struct errbuf why = {""};
    int bad;

    location_map_init(&m);
    bad = location_map_parse(&m, c->location_map, &why) < 0;
    location_map_cleanup(&m);
    return bad ? reject(c, errors, var_at(OFF(location_map)), c->location_map, why.msg) : 0;
}

/* PEOPLEVOX_INVENTORY_CHANGES by inventory_source_parse (parsed again where it is used). */
static int check_inventory_changes(struct cfg *c, struct buf *errors)
{
    struct inventory_source src;
    struct errbuf why = {""};

    if (inventory_source_parse(c->pvx_inventory_changes, &src, &why) == 0)
        return 0;
    return reject(c, errors, var_at(OFF(pvx_inventory_changes)), c->pvx_inventory_changes,
                  why.msg);
}

/*
 * The admin API's tokens by admin_tokens_parse (parsed again by the API):
 * a problem of the old single token is SHOPVOX_ADMIN_TOKEN's, any other
 * SHOPVOX_ADMIN_TOKENS's. The reason names entries, never a token.
 */
static int check_admin_tokens(struct cfg *c, struct buf *errors)
{
    struct admin_tokens *t = xcalloc(1, sizeof(*t));
    struct errbuf why = {""};
    int problems = 0;

    if (admin_tokens_parse(t, "", c->admin_token, &why) < 0)
        problems = reject(c, errors, var_at(OFF(admin_token)), c->admin_token, why.msg);
    else if (admin_tokens_parse(t, c->admin_tokens, c->admin_token, &why) < 0)
        problems = reject(c, errors, var_at(OFF(admin_tokens)), c->admin_tokens, why.msg);
    free(t);
    return problems;
}

int cfg_daily_at_minutes(const char *hhmm)
{
    int h, m, used = 0;

    if (strlen(hhmm) != 5 || hhmm[2] != ':' || sscanf(hhmm, "%2d:%2d%n", &h, &m, &used) != 2 ||
        used != 5 || hhmm[0] < '0' || hhmm[0] > '2' || hhmm[3] < '0' || hhmm[3] > '5' ||
        h > 23 || m > 59)
        return -1;
    return h * 60 + m;
}

/*
 * The daily report's POST: https, or http to this machine (a receiver on
 * the loopback: tests, a local relay), whatever SHOPVOX_ALLOW_INSECURE_HTTP
 * says; and the time of day it is sent at.
 */
static int check_report_webhook(struct cfg *c, struct buf *errors)
{
    static const char *const loopbacks[] = {"http://127.0.0.1:", "http://127.0.0.1/",
                                            "http://localhost:", "http://localhost/",
                                            "http://[::1]:", "http://[::1]/"};
    const char *url = c->report_webhook_url, *why;
    int problems = 0;
    bool loopback = false;

    for (size_t i = 0; i < ARRAY_LEN(loopbacks); i++)
        loopback = loopback || strncmp(url, loopbacks[i], strlen(loopbacks[i])) == 0;
    if (url[0] != '\0') {
        why = url_problem(url, loopback);
        if (why[0] != '\0')
            problems += reject(c, errors, var_at(OFF(report_webhook_url)), url,
                               loopback ? why : "must be an https:// URL (http:// only to "
                                                "127.0.0.1, localhost or [::1])");
    }
    if (cfg_daily_at_minutes(c->report_daily_at) < 0)
        problems += reject(c, errors, var_at(OFF(report_daily_at)), c->report_daily_at,
                           "must be a time of day HH:MM (24-hour, the store's time zone)");
    return problems;
}

/* Checks no type in the table can express; returns the number of problems. */
static int cfg_check_formats(struct cfg *c, struct buf *errors)
{
    const struct cfg_var *shop = var_at(offsetof(struct cfg, shop_domain));
    const struct cfg_var *prefix = var_at(offsetof(struct cfg, order_prefix));
    const struct cfg_var *budget = var_at(offsetof(struct cfg, body_budget_bytes));
    const char *token_why = token_problem(c->pvx_webhook_token);
    char value[32];
    int problems = 0;

    if (c->shop_domain[0] != '\0' && !is_host_name(c->shop_domain))
        problems += reject(c, errors, shop, c->shop_domain,
                           "must be the store's host name, e.g. acme.myshopline.com");
    problems += check_url(c, errors, offsetof(struct cfg, pvx_url));
    problems += check_url(c, errors, offsetof(struct cfg, shopline_api_base));
    problems += check_url(c, errors, offsetof(struct cfg, public_url));
    problems += check_database_url(c, errors);
    if (c->body_budget_bytes > 0 && c->body_budget_bytes < c->max_body_bytes) {
        snprintf(value, sizeof(value), "%ld", c->body_budget_bytes);
        problems += reject(c, errors, budget, value,
                           "must be at least SHOPVOX_MAX_BODY_BYTES (one largest body)");
    }
    if (strlen(c->order_prefix) > CFG_ORDER_PREFIX_MAX_BYTES)
        problems += reject(c, errors, prefix, c->order_prefix,
                           "must be at most " CFG_STR(CFG_ORDER_PREFIX_MAX_BYTES)
                           " bytes (Sales Order numbers are at most 30 characters with the "
                           "order name)");
    if (!cfg_zone_name_ok(c->pvx_timezone))
        problems += reject(c, errors, var_at(OFF(pvx_timezone)), c->pvx_timezone,
                           "must be an IANA time zone name, e.g. UTC or Europe/London");
    if (token_why != NULL)
        problems += reject(c, errors, var_at(OFF(pvx_webhook_token)), c->pvx_webhook_token,
                           token_why);
    problems += check_location_map(c, errors);
    problems += check_inventory_changes(c, errors);
    problems += check_admin_tokens(c, errors);
    problems += check_report_webhook(c, errors);
    return problems;
}

int cfg_load(struct cfg *c, cfg_getenv_fn get, void *ctx, bool require_all, struct buf *errors)
{
    int problems = 0;
    uint64_t unread[CFG_MAX_VARS / 64] = {0}; /* bit i: the i-th could not be read (reported) */

    memset(c, 0, sizeof(*c));
    if (get == NULL)
        get = env_get;
    for (size_t i = 0; i < ARRAY_LEN(cfg_vars); i++) {
        const struct cfg_var *v = &cfg_vars[i];
        char *raw = NULL;
        int bad = cfg_raw(v, get, ctx, &raw, errors);

        problems += bad;
        if (bad != 0)
            var_bit_set(unread, i);
        if (!bad && (raw == NULL || *raw == '\0') && (v->flags & CF_REQUIRED)) {
            if (require_all) {
                report(errors, v, raw, "is required");
                problems++;
            }
        } else if (!bad) {
            problems += cfg_set(c, v, raw != NULL ? raw : (v->def ? v->def : ""), errors);
        }
        free(raw);
        if ((v->kind == CK_STR || v->kind == CK_ENUM) && *str_field(c, v) == NULL)
            *str_field(c, v) = xstrdup("");
    }
    problems += cfg_parse_listen(c, errors, unread, OFF(listen), &c->listen_host,
                                 &c->listen_port);
    problems += cfg_parse_listen(c, errors, unread, OFF(ops_listen), &c->ops_listen_host,
                                 &c->ops_listen_port);
    return problems + cfg_check_formats(c, errors);
}

void cfg_cleanup(struct cfg *c)
{
    for (size_t i = 0; i < ARRAY_LEN(cfg_vars); i++) {
        const struct cfg_var *v = &cfg_vars[i];

        if (v->kind == CK_STR || v->kind == CK_ENUM) {
            free(*str_field(c, v));
            *str_field(c, v) = NULL;
        }
    }
    free(c->listen_host);
    c->listen_host = NULL;
    free(c->ops_listen_host);
    c->ops_listen_host = NULL;
}

void cfg_print(const struct cfg *c, FILE *out)
{
    struct cfg *m = (struct cfg *)(uintptr_t)c; /* read-only walk through the table */

    for (size_t i = 0; i < ARRAY_LEN(cfg_vars); i++) {
        const struct cfg_var *v = &cfg_vars[i];

        if (var_bit(c->rejected, i))
            fprintf(out, "%s=(rejected, see the problems above)\n", v->name);
        else if (v->kind == CK_INT || v->kind == CK_BOOL)
            fprintf(out, "%s=%d\n", v->name, *(int *)(void *)((char *)m + v->offset));
        else if (v->kind == CK_LONG)
            fprintf(out, "%s=%ld\n", v->name, *(long *)(void *)((char *)m + v->offset));
        else if ((v->flags & CF_SECRET) && **str_field(m, v) != '\0')
            fprintf(out, "%s=***\n", v->name);
        else
            fprintf(out, "%s=%s\n", v->name, *str_field(m, v));
    }
}

/* ---- misspelled variables ---- */

static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t *row = xcalloc(lb + 1, sizeof(*row));
    size_t d;

    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];

        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);

            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    d = row[lb];
    free(row);
    return d;
}

static bool is_known(const char *name, size_t len)
{
    for (size_t i = 0; i < ARRAY_LEN(cfg_vars); i++) {
        size_t n = strlen(cfg_vars[i].name);

        if ((len == n || (len == n + 5 && strncmp(name + n, "_FILE", 5) == 0)) &&
            strncmp(name, cfg_vars[i].name, n) == 0)
            return true;
    }
    return false;
}

static bool looks_ours(const char *name)
{
    static const char *const prefixes[] = {"SHOPVOX_", "SHOPLINE_", "PEOPLEVOX_"};

    if (strncmp(name, "SHOPVOX_TEST_", 13) == 0)
        return false;
    for (size_t i = 0; i < ARRAY_LEN(prefixes); i++)
        if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0)
            return true;
    return false;
}

int cfg_find_unknown(char *const *envp, struct buf *warnings)
{
    int found = 0;

    for (size_t e = 0; envp != NULL && envp[e] != NULL; e++) {
        const char *eq = strchr(envp[e], '=');
        size_t len = eq != NULL ? (size_t)(eq - envp[e]) : strlen(envp[e]);
        char name[128];
        const char *best = NULL;
        size_t best_d = (size_t)-1;
        bool file;

        if (len == 0 || len >= sizeof(name))
            continue;
        memcpy(name, envp[e], len);
        name[len] = '\0';
        if (!looks_ours(name) || is_known(name, len))
            continue;
        file = len > 5 && strcmp(name + len - 5, "_FILE") == 0;
        if (file)
            name[len - 5] = '\0'; /* compare the variable, suggest the _FILE form */
        for (size_t i = 0; i < ARRAY_LEN(cfg_vars); i++) {
            size_t d = edit_distance(name, cfg_vars[i].name);

            if (d < best_d) {
                best_d = d;
                best = cfg_vars[i].name;
            }
        }
        found++;
        if (best != NULL && best_d <= 4)
            buf_appendf(warnings, "%s%s is not a shopvox setting; did you mean %s%s?\n", name,
                        file ? "_FILE" : "", best, file ? "_FILE" : "");
        else
            buf_appendf(warnings, "%s%s is not a shopvox setting (ignored)\n", name,
                        file ? "_FILE" : "");
    }
    return found;
}
