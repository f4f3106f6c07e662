/*
 * config.c - table-driven configuration (see config.h).
 *
 * The table is the single place that knows a variable's name, default,
 * bounds and secrecy; loading, validation and printing all walk it. Values
 * are parsed strictly: "12x" is not 12, and an out-of-range number names
 * the allowed range in its error.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum cfg_kind { CK_STR, CK_INT, CK_LONG, CK_ENUM };

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
    {"SHOPVOX_DATABASE_URL", CK_STR, OFF(database_url), NULL, 0, 0, NULL, CF_SECRET | CF_REQUIRED},
    {"SHOPVOX_WORKERS", CK_INT, OFF(workers), "4", 0, 256, NULL, 0},
    {"SHOPVOX_HTTP_THREADS", CK_INT, OFF(http_threads), "4", 1, 64, NULL, 0},
    {"SHOPVOX_ADMIN_TOKEN", CK_STR, OFF(admin_token), NULL, 0, 0, NULL, CF_SECRET},
    {"SHOPVOX_LOG_LEVEL", CK_ENUM, OFF(log_level), "info", 0, 0, "debug|info|warn|error", 0},
    {"SHOPVOX_LOG_FORMAT", CK_ENUM, OFF(log_format), "text", 0, 0, "text|json", 0},
    {"SHOPVOX_MAX_BODY_BYTES", CK_LONG, OFF(max_body_bytes), "1048576", 1024, 64L << 20, NULL, 0},
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
    {"SHOPVOX_PVX_BATCH_MAX", CK_INT, OFF(pvx_batch_max), "20", 1, 200, NULL, 0},
    {"SHOPVOX_DESPATCH_POLL_S", CK_INT, OFF(despatch_poll_s), "60", 1, 86400, NULL, 0},
    {"SHOPVOX_INVENTORY_SYNC_S", CK_INT, OFF(inventory_sync_s), "60", 1, 86400, NULL, 0},
    {"SHOPVOX_CATALOGUE_SYNC_S", CK_INT, OFF(catalogue_sync_s), "300", 1, 86400, NULL, 0},
    {"SHOPVOX_STALLED_ORDER_S", CK_INT, OFF(stalled_order_s), "900", 10, 604800, NULL, 0},
    {"SHOPVOX_UNCONFIRMED_DESPATCH_S", CK_INT, OFF(unconfirmed_despatch_s), "900", 10, 604800,
     NULL, 0},
    {"SHOPVOX_JOB_MAX_ATTEMPTS", CK_INT, OFF(job_max_attempts), "12", 1, 1000, NULL, 0},
    {"SHOPVOX_JOB_LEASE_S", CK_INT, OFF(job_lease_s), "120", 5, 3600, NULL, 0},
    {"SHOPVOX_SHUTDOWN_DEADLINE_S", CK_INT, OFF(shutdown_deadline_s), "25", 1, 3600, NULL, 0},
    {"SHOPVOX_ROUTING_RULES", CK_STR, OFF(routing_rules), "", 0, 0, NULL, 0},
};

static const char *env_get(const char *name, void *ctx)
{
    (void)ctx;
    return getenv(name);
}

static char **str_field(struct cfg *c, const struct cfg_var *v)
{
    return (char **)(void *)((char *)c + v->offset);
}

static void report(struct buf *errors, const struct cfg_var *v, const char *value,
                   const char *reason)
{
    const char *shown = value == NULL || *value == '\0' ? ""
                        : (v->flags & CF_SECRET)         ? "***"
                                                         : value;

    if (errors != NULL)
        buf_appendf(errors, "%s=%s: %s\n", v->name, shown, reason);
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
        report(errors, v, raw, why);
        return 1;
    case CK_INT:
    case CK_LONG:
        if (parse_long(raw, &n) < 0 || n < v->min || n > v->max) {
            snprintf(why, sizeof(why), "must be an integer between %ld and %ld", v->min, v->max);
            report(errors, v, raw, why);
            return 1;
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

static int cfg_parse_listen(struct cfg *c, struct buf *errors)
{
    const char *colon = strrchr(c->listen, ':');
    long port = -1;

    if (colon != NULL && colon > c->listen && parse_long(colon + 1, &port) == 0 && port >= 0 &&
        port <= 65535) {
        c->listen_host = xstrndup(c->listen, (size_t)(colon - c->listen));
        c->listen_port = (int)port;
        return 0;
    }
    report(errors, &cfg_vars[0], c->listen, "must be HOST:PORT with a port from 0 to 65535");
    return 1;
}

int cfg_load(struct cfg *c, cfg_getenv_fn get, void *ctx, bool require_all, struct buf *errors)
{
    int problems = 0;
    int listen_problems = -1;

    memset(c, 0, sizeof(*c));
    if (get == NULL)
        get = env_get;
    for (size_t i = 0; i < ARRAY_LEN(cfg_vars); i++) {
        const struct cfg_var *v = &cfg_vars[i];
        char *raw = NULL;
        int bad = cfg_raw(v, get, ctx, &raw, errors);

        problems += bad;
        if (!bad && (raw == NULL || *raw == '\0') && (v->flags & CF_REQUIRED)) {
            if (require_all) {
                report(errors, v, raw, "is required");
                problems++;
            }
        } else if (!bad) {
            problems += cfg_set(c, v, raw != NULL ? raw : (v->def ? v->def : ""), errors);
        }
        free(raw);
        if (v->offset == offsetof(struct cfg, listen))
            listen_problems = problems;
        if (v->kind != CK_INT && v->kind != CK_LONG && *str_field(c, v) == NULL)
            *str_field(c, v) = xstrdup("");
    }
    if (listen_problems == 0) /* SHOPVOX_LISTEN (first in the table) read cleanly */
        problems += cfg_parse_listen(c, errors);
    return problems;
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
}

void cfg_print(const struct cfg *c, FILE *out)
{
    struct cfg *m = (struct cfg *)(uintptr_t)c; /* read-only walk through the table */

    for (size_t i = 0; i < ARRAY_LEN(cfg_vars); i++) {
        const struct cfg_var *v = &cfg_vars[i];

        if (v->kind == CK_INT)
            fprintf(out, "%s=%d\n", v->name, *(int *)(void *)((char *)m + v->offset));
        else if (v->kind == CK_LONG)
            fprintf(out, "%s=%ld\n", v->name, *(long *)(void *)((char *)m + v->offset));
        else if ((v->flags & CF_SECRET) && **str_field(m, v) != '\0')
            fprintf(out, "%s=***\n", v->name);
        else
            fprintf(out, "%s=%s\n", v->name, *str_field(m, v));
    }
}
