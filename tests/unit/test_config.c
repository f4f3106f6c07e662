/*
 * test_config.c - the configuration loader through a fake environment.
 *
 * cfg_load takes a getenv callback, so every case is a small name=value
 * table: an override table searched first (a NULL value means "unset")
 * over a base table holding the required variables. The cases cover the
 * defaults, missing required variables (one line each), several bad values
 * reported in one pass, secrets masked in errors and in cfg_print, NAME_FILE
 * (read, clash with NAME, missing file) and require_all=false. Error text
 * is compared exactly: it is what an operator reads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"

/* ---- fake environment ------------------------------------------------- */

struct env_var {
    const char *name;
    const char *value; /* NULL in an override: the variable is unset */
};

struct fake_env {
    const struct env_var *base;  /* {NULL, NULL}-terminated, may be NULL */
    const struct env_var *over;  /* searched first, may be NULL */
    int lookups;
};

static const struct env_var *env_find(const struct env_var *t, const char *name)
{
    for (size_t i = 0; t != NULL && t[i].name != NULL; i++)
        if (strcmp(t[i].name, name) == 0)
            return &t[i];
    return NULL;
}

static const char *fake_getenv(const char *name, void *ctx)
{
    struct fake_env *fe = ctx;
    const struct env_var *v = env_find(fe->over, name);

    fe->lookups++;
    if (v != NULL)
        return v->value;
    v = env_find(fe->base, name);
    return v != NULL ? v->value : NULL;
}

/* Exactly the variables marked required, in table order. */
static const struct env_var required_env[] = {
    {"SHOPVOX_DATABASE_URL", "postgresql://svx:db-pass-77@db.internal/shopvox"},
    {"SHOPLINE_SHOP_DOMAIN", "shop.example.com"},
    {"SHOPLINE_ACCESS_TOKEN", "access-token-77"},
    {"SHOPLINE_APP_SECRET", "app-secret-77"},
    {"PEOPLEVOX_URL", "https://pvx.example/ws.asmx"},
    {"PEOPLEVOX_CLIENT_ID", "client-1"},
    {"PEOPLEVOX_USERNAME", "bob"},
    {"PEOPLEVOX_PASSWORD", "pvx-pass-77"},
    {NULL, NULL},
};

/* Loads with required_env under over; errors is initialised here. */
static int load_with(struct cfg *c, const struct env_var *base, const struct env_var *over,
                     bool require_all, struct buf *errors)
{
    struct fake_env fe = {base, over, 0};
    int problems;

    buf_init(errors, 0);
    problems = cfg_load(c, fake_getenv, &fe, require_all, errors);
    assert_true(fe.lookups > 0); /* the callback, not the real environment */
    return problems;
}

static int load(struct cfg *c, const struct env_var *over, struct buf *errors)
{
    return load_with(c, required_env, over, true, errors);
}

/* cfg_print into a malloc'd string. */
static char *print_config(const struct cfg *c)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    assert_non_null(f);
    cfg_print(c, f);
    assert_int_equal(fclose(f), 0);
    return text;
}

static int count_lines(const char *s)
{
    int n = 0;

    for (; *s != '\0'; s++)
        n += *s == '\n';
    return n;
}

/* Creates a temporary file holding content; its name goes to path. */
static const char *temp_file_with(const char *content, char *path, size_t cap)
{
    int fd;
    size_t len = strlen(content);

    snprintf(path, cap, "/tmp/shopvox-test-config-XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, content, len), (ssize_t)len);
    close(fd);
    return path;
}

/* ---- defaults ----------------------------------------------------------- */

static void test_defaults_when_only_required_vars_are_set(void **state)
{
    struct cfg c;
    struct buf errors;

    assert_int_equal(load(&c, NULL, &errors), 0);
    assert_string_equal(buf_cstr(&errors), "");

    assert_string_equal(c.listen, "0.0.0.0:8080");
    assert_string_equal(c.listen_host, "0.0.0.0");
    assert_int_equal(c.listen_port, 8080);
    assert_string_equal(c.ops_listen_host, "0.0.0.0");
    assert_int_equal(c.ops_listen_port, 9090);
    assert_int_equal(c.body_budget_bytes, 8L << 20);
    assert_int_equal(c.header_deadline_ms, 10000);
    assert_int_equal(c.request_deadline_ms, 15000);
    assert_int_equal(c.workers, 4);
    assert_int_equal(c.http_threads, 16);
    assert_int_equal(c.intake_committers, 2);
    assert_int_equal(c.intake_group_max, 32);
    assert_string_equal(c.admin_token, "");
    assert_string_equal(c.log_level, "info");
    assert_string_equal(c.log_format, "text");
    assert_int_equal(c.max_body_bytes, 1048576);
    assert_string_equal(c.sql_dir, SHOPVOX_SQL_DIR);
    assert_string_equal(c.shopline_api_base, "");
    assert_string_equal(c.shopline_api_version, "v20260301");
    assert_string_equal(c.app_secret_previous, "");
    assert_int_equal(c.shopline_rate_per_sec, 4);
    assert_int_equal(c.shopline_burst, 40);
    assert_string_equal(c.paid_statuses, "paid");
    assert_string_equal(c.order_prefix, "");
    assert_string_equal(c.pvx_password_encoding, "base64");
    assert_string_equal(c.pvx_default_site, "PrimarySite");
    assert_int_equal(c.pvx_max_concurrency, 2);
    assert_int_equal(c.pvx_timeout_ms, 30000);
    assert_int_equal(c.despatch_poll_s, 60);
    assert_int_equal(c.inventory_sync_s, 60);
    assert_int_equal(c.catalogue_sync_s, 300);
    assert_int_equal(c.stalled_order_s, 900);
    assert_int_equal(c.unconfirmed_despatch_s, 900);
    assert_int_equal(c.job_max_attempts, 12);
    assert_int_equal(c.job_lease_s, 120);
    assert_string_equal(c.routing_rules, "");
    assert_string_equal(c.pvx_timezone, "UTC");
    assert_string_equal(c.pvx_webhook_token, "");
    assert_string_equal(c.location_map, "");
    assert_int_equal(c.variant_sync_s, 3600);

    /* the required values arrive unchanged */
    assert_string_equal(c.database_url, required_env[0].value);
    assert_string_equal(c.shop_domain, "shop.example.com");
    assert_string_equal(c.shopline_access_token, "access-token-77");
    assert_string_equal(c.app_secret, "app-secret-77");
    assert_string_equal(c.pvx_url, "https://pvx.example/ws.asmx");
    assert_string_equal(c.pvx_client_id, "client-1");
    assert_string_equal(c.pvx_username, "bob");
    assert_string_equal(c.pvx_password, "pvx-pass-77");
    cfg_cleanup(&c);
    buf_cleanup(&errors);
}

static void test_valid_overrides_are_parsed(void **state)
{
    static const struct env_var over[] = {
        {"SHOPVOX_LISTEN", "127.0.0.1:0"},
        {"SHOPVOX_WORKERS", "0"},
        {"SHOPVOX_HTTP_THREADS", "64"},
        {"SHOPVOX_LOG_LEVEL", "debug"},
        {"SHOPVOX_LOG_FORMAT", "json"},
        {"SHOPVOX_MAX_BODY_BYTES", "67108864"},
        {"SHOPVOX_BODY_BUDGET_BYTES", "67108864"}, /* at least one largest body */
        {"SHOPVOX_OPS_LISTEN", "127.0.0.1:0"},
        {"PEOPLEVOX_PASSWORD_ENCODING", "plain"},
        {NULL, NULL},
    };
    struct cfg c;
    struct buf errors;

    assert_int_equal(load(&c, over, &errors), 0);
    assert_string_equal(buf_cstr(&errors), "");
    assert_string_equal(c.listen_host, "127.0.0.1");
    assert_int_equal(c.listen_port, 0);
    assert_string_equal(c.ops_listen_host, "127.0.0.1");
    assert_int_equal(c.ops_listen_port, 0);
    assert_int_equal(c.workers, 0);
    assert_int_equal(c.http_threads, 64);
    assert_string_equal(c.log_level, "debug");
    assert_string_equal(c.log_format, "json");
    assert_int_equal(c.max_body_bytes, 64L << 20);
    assert_string_equal(c.pvx_password_encoding, "plain");
    cfg_cleanup(&c);
    buf_cleanup(&errors);
}

/* ---- required ------------------------------------------------------------ */

static void test_every_missing_required_var_is_one_error_line(void **state)
{
    static const char expected[] = "SHOPVOX_DATABASE_URL is required (set SHOPVOX_DATABASE_URL or SHOPVOX_DATABASE_URL_FILE)\n"
                                   "SHOPLINE_SHOP_DOMAIN is required (set SHOPLINE_SHOP_DOMAIN or SHOPLINE_SHOP_DOMAIN_FILE)\n"
                                   "SHOPLINE_ACCESS_TOKEN is required (set SHOPLINE_ACCESS_TOKEN or SHOPLINE_ACCESS_TOKEN_FILE)\n"
                                   "SHOPLINE_APP_SECRET is required (set SHOPLINE_APP_SECRET or SHOPLINE_APP_SECRET_FILE)\n"
                                   "PEOPLEVOX_URL is required (set PEOPLEVOX_URL or PEOPLEVOX_URL_FILE)\n"
                                   "PEOPLEVOX_CLIENT_ID is required (set PEOPLEVOX_CLIENT_ID or PEOPLEVOX_CLIENT_ID_FILE)\n"
                                   "PEOPLEVOX_USERNAME is required (set PEOPLEVOX_USERNAME or PEOPLEVOX_USERNAME_FILE)\n"
                                   "PEOPLEVOX_PASSWORD is required (set PEOPLEVOX_PASSWORD or PEOPLEVOX_PASSWORD_FILE)\n";
    struct cfg c;
    struct buf errors;

    assert_int_equal(load_with(&c, NULL, NULL, true, &errors), 8);
    assert_string_equal(buf_cstr(&errors), expected);
    assert_int_equal(count_lines(buf_cstr(&errors)), 8);
    cfg_cleanup(&c);
    buf_cleanup(&errors);
}

/* Dropping any one required variable is exactly one error. */
static void test_each_required_var_alone_is_reported(void **state)
{
    for (size_t i = 0; required_env[i].name != NULL; i++) {
        const struct env_var over[] = {{required_env[i].name, NULL}, {NULL, NULL}};
        char want[256];
        struct cfg c;
        struct buf errors;

        snprintf(want, sizeof(want), "%s is required (set %s or %s_FILE)\n",
                 required_env[i].name, required_env[i].name, required_env[i].name);
        assert_int_equal(load(&c, over, &errors), 1);
        assert_string_equal(buf_cstr(&errors), want);
        cfg_cleanup(&c);
        buf_cleanup(&errors);
    }
}

/*
 * A required variable set to "" counts as missing, and is shown as empty:
 * "***" would tell the operator a (hidden) value is there when none is.
 */
static void test_each_required_var_set_empty_is_reported_as_empty(void **state)
{
    for (size_t i = 0; required_env[i].name != NULL; i++) {
        const struct env_var over[] = {{required_env[i].name, ""}, {NULL, NULL}};
        char want[256];
        struct cfg c;
        struct buf errors;
        int problems = load(&c, over, &errors);

        snprintf(want, sizeof(want), "%s is required (set %s or %s_FILE)\n",
                 required_env[i].name, required_env[i].name, required_env[i].name);
        cfg_cleanup(&c);
        if (problems != 1 || strcmp(buf_cstr(&errors), want) != 0) {
            fprintf(stderr, "got %d: %s", problems, buf_cstr(&errors));
            buf_cleanup(&errors);
            fail_msg("%s set to \"\" must be reported as missing: %s", required_env[i].name,
                     want);
        }
        buf_cleanup(&errors);
    }
}

static void test_require_all_false_tolerates_missing_required(void **state)
{
    static const struct env_var bad[] = {{"SHOPVOX_WORKERS", "-1"}, {NULL, NULL}};
    struct cfg c;
    struct buf errors;

    assert_int_equal(load_with(&c, NULL, NULL, false, &errors), 0);
    assert_string_equal(buf_cstr(&errors), "");
    assert_string_equal(c.database_url, ""); /* empty, never NULL */
    assert_string_equal(c.app_secret, "");
    assert_string_equal(c.pvx_password, "");
    assert_int_equal(c.workers, 4);
    cfg_cleanup(&c);
    buf_cleanup(&errors);

    /* bad values are still bad */
    assert_int_equal(load_with(&c, NULL, bad, false, &errors), 1);
    assert_string_equal(buf_cstr(&errors),
                        "SHOPVOX_WORKERS=-1: must be an integer between 0 and 256\n");
    cfg_cleanup(&c);
    buf_cleanup(&errors);
}

/* ---- invalid values ----------------------------------------------------- */

struct bad_case {
    const char *name;
    const char *value;
    const char *line; /* the exact error line */
};

static const struct bad_case bad_cases[] = {
    {"SHOPLINE_SHOP_DOMAIN", "acme",
     "SHOPLINE_SHOP_DOMAIN=acme: must be the store's host name, e.g. acme.myshopline.com\n"},
    {"SHOPLINE_SHOP_DOMAIN", "https://acme.myshopline.com",
     "SHOPLINE_SHOP_DOMAIN=https://acme.myshopline.com: must be the store's host name, e.g. "
     "acme.myshopline.com\n"},
    {"PEOPLEVOX_URL", "ftp://x",
     "PEOPLEVOX_URL=ftp://x: must be an https:// URL (http:// only with "
     "SHOPVOX_ALLOW_INSECURE_HTTP=1, for demos and tests)\n"},
    {"PEOPLEVOX_URL", "http://wms.peoplevox.net/c/resources/integrationservicev4.asmx",
     "PEOPLEVOX_URL=http://wms.peoplevox.net/c/resources/integrationservicev4.asmx: must be an "
     "https:// URL (http:// only with SHOPVOX_ALLOW_INSECURE_HTTP=1, for demos and tests)\n"},
    {"PEOPLEVOX_URL", "not a url", "PEOPLEVOX_URL=not a url: is not a valid absolute URL\n"},
    {"SHOPLINE_API_BASE", "http://x.example/admin",
     "SHOPLINE_API_BASE=http://x.example/admin: must be an https:// URL (http:// only with "
     "SHOPVOX_ALLOW_INSECURE_HTTP=1, for demos and tests)\n"},
    {"SHOPVOX_PUBLIC_URL", "http://shopvox.example",
     "SHOPVOX_PUBLIC_URL=http://shopvox.example: must be an https:// URL (http:// only with "
     "SHOPVOX_ALLOW_INSECURE_HTTP=1, for demos and tests)\n"},
    {"SHOPVOX_PUBLIC_URL", "shopvox.example", "SHOPVOX_PUBLIC_URL=shopvox.example: is not a "
     "valid absolute URL\n"},
    {"SHOPVOX_WEBHOOK_ENSURE_S", "59",
     "SHOPVOX_WEBHOOK_ENSURE_S=59: must be an integer between 60 and 86400\n"},
    {"SHOPVOX_ORDER_PREFIX", "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456",
     "SHOPVOX_ORDER_PREFIX=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456: must be at most 20 bytes (Sales "
     "Order numbers are at most 30 characters with the order name)\n"},
    /* libpq's parser; the value (a secret: it may hold the password) is never echoed */
    {"SHOPVOX_DATABASE_URL", "host=db password='se\ncret",
     "SHOPVOX_DATABASE_URL=***: is not a valid libpq connection string or postgresql:// URI\n"},
    {"SHOPVOX_LISTEN", "bad\nline:80x",
     "SHOPVOX_LISTEN=bad?line:80x: must be HOST:PORT with a port from 0 to 65535\n"},
    {"SHOPVOX_OPS_LISTEN", "0.0.0.0:99999",
     "SHOPVOX_OPS_LISTEN=0.0.0.0:99999: must be HOST:PORT with a port from 0 to 65535\n"},
    /* the budget holds at least one largest body (SHOPVOX_MAX_BODY_BYTES, 1 MiB by default) */
    {"SHOPVOX_BODY_BUDGET_BYTES", "4096",
     "SHOPVOX_BODY_BUDGET_BYTES=4096: must be at least SHOPVOX_MAX_BODY_BYTES (one largest "
     "body)\n"},
    {"SHOPVOX_REQUEST_DEADLINE_MS", "50",
     "SHOPVOX_REQUEST_DEADLINE_MS=50: must be an integer between 100 and 600000\n"},
    {"SHOPVOX_WORKERS", "257", "SHOPVOX_WORKERS=257: must be an integer between 0 and 256\n"},
    {"SHOPVOX_HTTP_THREADS", "12x",
     "SHOPVOX_HTTP_THREADS=12x: must be an integer between 1 and 64\n"},
    {"SHOPVOX_LOG_LEVEL", "verbose",
     "SHOPVOX_LOG_LEVEL=verbose: must be one of debug|info|warn|error\n"},
    {"SHOPVOX_LOG_FORMAT", "JSON", "SHOPVOX_LOG_FORMAT=JSON: must be one of text|json\n"},
    {"SHOPVOX_MAX_BODY_BYTES", "1023",
     "SHOPVOX_MAX_BODY_BYTES=1023: must be an integer between 1024 and 67108864\n"},
    {"SHOPLINE_RATE_PER_SEC", "",
     "SHOPLINE_RATE_PER_SEC is empty: must be an integer between 1 and 1000\n"},
    {"SHOPLINE_BURST", "99999999999999999999999",
     "SHOPLINE_BURST=99999999999999999999999: must be an integer between 1 and 10000\n"},
    {"PEOPLEVOX_PASSWORD_ENCODING", "hex",
     "PEOPLEVOX_PASSWORD_ENCODING=hex: must be one of base64|plain\n"},
    {"PEOPLEVOX_TIMEOUT_MS", "99", "PEOPLEVOX_TIMEOUT_MS=99: must be an integer between 100 and "
                                   "600000\n"},
    {"SHOPVOX_JOB_LEASE_S", "3601", "SHOPVOX_JOB_LEASE_S=3601: must be an integer between 5 and "
                                    "3600\n"},
    {"SHOPVOX_STALLED_ORDER_S", "1.5",
     "SHOPVOX_STALLED_ORDER_S=1.5: must be an integer between 10 and 604800\n"},
    {"SHOPVOX_LISTEN", "localhost",
     "SHOPVOX_LISTEN=localhost: must be HOST:PORT with a port from 0 to 65535\n"},
    {"SHOPVOX_LISTEN", "0.0.0.0:65536",
     "SHOPVOX_LISTEN=0.0.0.0:65536: must be HOST:PORT with a port from 0 to 65535\n"},
    {"SHOPVOX_LISTEN", "0.0.0.0:80x",
     "SHOPVOX_LISTEN=0.0.0.0:80x: must be HOST:PORT with a port from 0 to 65535\n"},
    {"SHOPVOX_LISTEN", "0.0.0.0:", "SHOPVOX_LISTEN=0.0.0.0:: must be HOST:PORT with a port from "
                                   "0 to 65535\n"},
    {"PEOPLEVOX_TIMEZONE", "../../etc/passwd",
     "PEOPLEVOX_TIMEZONE=../../etc/passwd: must be an IANA time zone name, e.g. UTC or "
     "Europe/London\n"},
    {"PEOPLEVOX_TIMEZONE", "CET-1CEST,M3.5.0",
     "PEOPLEVOX_TIMEZONE=CET-1CEST,M3.5.0: must be an IANA time zone name, e.g. UTC or "
     "Europe/London\n"},
    {"PEOPLEVOX_TIMEZONE", "", "PEOPLEVOX_TIMEZONE is empty: must be an IANA time zone name, "
                               "e.g. UTC or Europe/London\n"},
    /* a secret: never echoed */
    {"PEOPLEVOX_WEBHOOK_TOKEN", "short-token",
     "PEOPLEVOX_WEBHOOK_TOKEN=***: must be at least 32 characters (it is the URL's only "
     "secret), e.g. openssl rand -hex 24\n"},
    {"PEOPLEVOX_WEBHOOK_TOKEN", "0123456789abcdef0123456789abcdef/x",
     "PEOPLEVOX_WEBHOOK_TOKEN=***: may only hold letters, digits and - . _ ~ (it goes in a "
     "URL path)\n"},
    /* the location map's own parser: the bad pair named */
    {"SHOPVOX_LOCATION_MAP", "PrimarySite=123;SecondSite",
     "SHOPVOX_LOCATION_MAP=PrimarySite=123;SecondSite: pair 2 (\"SecondSite\") is not "
     "SITE=LOCATION_ID\n"},
    {"SHOPVOX_LOCATION_MAP", "PrimarySite=abc",
     "SHOPVOX_LOCATION_MAP=PrimarySite=abc: pair 1 (\"PrimarySite=abc\") has a location id that "
     "is not a Shopline id (1 to 40 digits, no leading 0)\n"},
    {"SHOPVOX_LOCATION_MAP", "A=1;A=2",
     "SHOPVOX_LOCATION_MAP=A=1;A=2: pair 2 (\"A=2\") maps a site that an earlier pair maps "
     "already\n"},
    {"SHOPVOX_VARIANT_SYNC_S", "0",
     "SHOPVOX_VARIANT_SYNC_S=0: must be an integer between 1 and 86400\n"},
    /* the inventory sync's: the full read at most every minute, the change source's parser */
    {"SHOPVOX_INVENTORY_FULL_SYNC_S", "59",
     "SHOPVOX_INVENTORY_FULL_SYNC_S=59: must be an integer between 60 and 86400\n"},
    {"SHOPVOX_RESERVE_IN_FLIGHT", "yes",
     "SHOPVOX_RESERVE_IN_FLIGHT=yes: must be 0, 1, true or false\n"},
    {"SHOPVOX_INVENTORY_RECONCILE_S", "30",
     "SHOPVOX_INVENTORY_RECONCILE_S=30: must be an integer between 60 and 86400\n"},
    {"SHOPVOX_INVENTORY_DRIFT_PCT", "101",
     "SHOPVOX_INVENTORY_DRIFT_PCT=101: must be an integer between 0 and 100\n"},
    {"PEOPLEVOX_INVENTORY_CHANGES", "report:Stock changes",
     "PEOPLEVOX_INVENTORY_CHANGES=report:Stock changes: expected events, full or "
     "report:TEMPLATE:COLUMN (names of 1..95 bytes without '\"', ']' or control characters)\n"},
    /* the admin API's tokens (secrets: the entry named, never the token) */
    {"SHOPVOX_ADMIN_TOKENS", "ops:admin:0123456789abcdef0123456789abcdef",
     "SHOPVOX_ADMIN_TOKENS=***: entry 1 (ops): role must be viewer or operator\n"},
    {"SHOPVOX_ADMIN_TOKENS", "a:viewer:0123456789abcdef0123456789abcdef,a:operator:"
     "0123456789abcdef0123456789abcdeX",
     "SHOPVOX_ADMIN_TOKENS=***: entry 2: name 'a' is used twice\n"},
    {"SHOPVOX_ADMIN_TOKENS", "ops:viewer:short",
     "SHOPVOX_ADMIN_TOKENS=***: entry 1 (ops): the token is shorter than 32 characters (e.g. "
     "openssl rand -hex 24)\n"},
    {"SHOPVOX_ADMIN_TOKEN", "short",
     "SHOPVOX_ADMIN_TOKEN=***: SHOPVOX_ADMIN_TOKEN is shorter than 32 characters (e.g. openssl "
     "rand -hex 24)\n"},
};

static void test_zone_names(void **state)
{
    static const char *const ok[] = {"UTC", "Europe/London", "America/Argentina/Buenos_Aires",
                                     "Etc/GMT+5", "America/Port-au-Prince", "EST5EDT"};
    static const char *const bad[] = {"", "/etc/localtime", "Europe//London", "Europe/",
                                      "../x", "Europe/Lon don", "5Europe", "Europe/Lond\n",
                                      "CET-1CEST,M3.5.0",
                                      "Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};

    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(ok); i++)
        assert_true(cfg_zone_name_ok(ok[i]));
    for (size_t i = 0; i < ARRAY_LEN(bad); i++)
        if (cfg_zone_name_ok(bad[i]))
            fail_msg("\"%s\" accepted", bad[i]);
}

static void test_each_invalid_value_is_one_exact_line(void **state)
{
    for (size_t i = 0; i < ARRAY_LEN(bad_cases); i++) {
        const struct env_var over[] = {{bad_cases[i].name, bad_cases[i].value}, {NULL, NULL}};
        struct cfg c;
        struct buf errors;
        int problems = load(&c, over, &errors);

        if (problems != 1 || strcmp(buf_cstr(&errors), bad_cases[i].line) != 0)
            fprintf(stderr, "case %zu (%s=%s)\n", i, bad_cases[i].name, bad_cases[i].value);
        assert_int_equal(problems, 1);
        assert_string_equal(buf_cstr(&errors), bad_cases[i].line);
        cfg_cleanup(&c);
        buf_cleanup(&errors);
    }
}

/* One pass reports every problem, in table order (SHOPVOX_LISTEN last). */
static void test_several_invalid_values_are_reported_at_once(void **state)
{
    static const struct env_var over[] = {
        {"SHOPVOX_LISTEN", "no-port-here"},
        {"SHOPVOX_WORKERS", "300"},
        {"SHOPVOX_HTTP_THREADS", "12x"},
        {"SHOPVOX_LOG_LEVEL", "loud"},
        {"PEOPLEVOX_PASSWORD_ENCODING", "rot13"},
        {"SHOPLINE_APP_SECRET", NULL},
        {NULL, NULL},
    };
    static const char expected[] =
        "SHOPVOX_WORKERS=300: must be an integer between 0 and 256\n"
        "SHOPVOX_HTTP_THREADS=12x: must be an integer between 1 and 64\n"
        "SHOPVOX_LOG_LEVEL=loud: must be one of debug|info|warn|error\n"
        "SHOPLINE_APP_SECRET is required (set SHOPLINE_APP_SECRET or SHOPLINE_APP_SECRET_FILE)\n"
        "PEOPLEVOX_PASSWORD_ENCODING=rot13: must be one of base64|plain\n"
        "SHOPVOX_LISTEN=no-port-here: must be HOST:PORT with a port from 0 to 65535\n";
    struct cfg c;
    struct buf errors;

    assert_int_equal(load(&c, over, &errors), 6);
    assert_string_equal(buf_cstr(&errors), expected);
    cfg_cleanup(&c);
    buf_cleanup(&errors);
}

/* ---- secrets ------------------------------------------------------------- */

static const struct env_var all_secrets[] = {
    {"SHOPVOX_DATABASE_URL", "postgresql://svx:db-pass-77@db.internal/shopvox"},
    {"SHOPVOX_ADMIN_TOKEN", "admin-token-77-0123456789abcdefghij"},
    {"SHOPVOX_ADMIN_TOKENS", "ops:viewer:viewer-token-77-0123456789abcdefgh"},
    {"SHOPLINE_ACCESS_TOKEN", "access-token-77"},
    {"SHOPLINE_APP_SECRET", "app-secret-77"},
    {"SHOPLINE_APP_SECRET_PREVIOUS", "old-secret-77"},
    {"PEOPLEVOX_PASSWORD", "pvx-pass-77"},
    {"PEOPLEVOX_WEBHOOK_TOKEN", "nudge-token-77-0123456789abcdefghij"},
    {NULL, NULL},
};

static const char *const shown_lines[] = {
    "SHOPVOX_LISTEN=0.0.0.0:8080\n", "SHOPLINE_SHOP_DOMAIN=shop.example.com\n",
    "PEOPLEVOX_URL=https://pvx.example/ws.asmx\n", "PEOPLEVOX_CLIENT_ID=client-1\n",
    "PEOPLEVOX_USERNAME=bob\n", "SHOPVOX_WORKERS=4\n", "SHOPVOX_MAX_BODY_BYTES=1048576\n",
    "SHOPVOX_SQL_DIR=" SHOPVOX_SQL_DIR "\n", "SHOPVOX_ROUTING_RULES=\n", "PEOPLEVOX_RATE=15/15s\n",
    "SHOPVOX_INVENTORY_FULL_SYNC_S=3600\n", "SHOPVOX_RESERVE_IN_FLIGHT=1\n",
    "SHOPVOX_INVENTORY_RECONCILE_S=3600\n", "SHOPVOX_INVENTORY_DRIFT_PCT=1\n",
    "SHOPVOX_INVENTORY_DRIFT_UNITS=1000\n",
    "PEOPLEVOX_INVENTORY_CHANGES=events\n",
    "SHOPVOX_ORDER_SWEEP_S=600\n",
    "SHOPVOX_PUBLIC_URL=\n", "SHOPVOX_WEBHOOK_ENSURE_S=3600\n",
    "SHOPVOX_RETURNS_MODE=authorise\n",
};

static void test_print_masks_secrets_and_shows_the_rest(void **state)
{
    struct cfg c;
    struct buf errors;
    char *out;

    assert_int_equal(load(&c, all_secrets, &errors), 0);
    out = print_config(&c);
    for (size_t i = 0; all_secrets[i].name != NULL; i++) {
        char masked[96];

        snprintf(masked, sizeof(masked), "\n%s=***\n", all_secrets[i].name);
        if (strstr(out, masked) == NULL || strstr(out, all_secrets[i].value) != NULL)
            fprintf(stderr, "%s not masked in:\n%s", all_secrets[i].name, out);
        assert_non_null(strstr(out, masked));
        assert_null(strstr(out, all_secrets[i].value));
    }
    assert_null(strstr(out, "77")); /* no fragment of any secret either */
    for (size_t i = 0; i < ARRAY_LEN(shown_lines); i++) {
        if (strstr(out, shown_lines[i]) == NULL)
            fprintf(stderr, "missing %s in:\n%s", shown_lines[i], out);
        assert_non_null(strstr(out, shown_lines[i]));
    }
    assert_int_equal(strncmp(out, "SHOPVOX_LISTEN=", 15), 0);
    assert_int_equal(count_lines(out), 77); /* one line per variable */
    free(out);
    cfg_cleanup(&c);
    buf_cleanup(&errors);
}

/* An unset secret prints empty (so "not configured" is visible), not ***. */
static void test_print_unset_secret_is_empty(void **state)
{
    struct cfg c;
    struct buf errors;
    char *out;

    assert_int_equal(load(&c, NULL, &errors), 0);
    out = print_config(&c);
    assert_non_null(strstr(out, "\nSHOPVOX_ADMIN_TOKEN=\n"));
    assert_non_null(strstr(out, "\nSHOPLINE_APP_SECRET_PREVIOUS=\n"));
    assert_non_null(strstr(out, "\nSHOPLINE_APP_SECRET=***\n"));
    free(out);
    cfg_cleanup(&c);
    buf_cleanup(&errors);
}

/* Setting NAME and NAME_FILE is an error; a secret's value stays hidden. */
static void test_both_set_is_an_error_and_secrets_stay_masked(void **state)
{
    char path[64];

    temp_file_with("from-file-77\n", path, sizeof(path));
    for (size_t i = 0; all_secrets[i].name != NULL; i++) {
        char file_var[96], want[160];
        const struct env_var over[] = {{all_secrets[i].name, all_secrets[i].value},
                                       {file_var, path},
                                       {NULL, NULL}};
        struct cfg c;
        struct buf errors;

        snprintf(file_var, sizeof(file_var), "%s_FILE", all_secrets[i].name);
        snprintf(want, sizeof(want), "%s=***: set both directly and through _FILE\n",
                 all_secrets[i].name);
        assert_int_equal(load(&c, over, &errors), 1);
        assert_string_equal(buf_cstr(&errors), want);
        assert_null(strstr(buf_cstr(&errors), "77"));
        cfg_cleanup(&c);
        buf_cleanup(&errors);
    }
    unlink(path);
}

static void test_both_set_shows_a_non_secret_value(void **state)
{
    char path[64];
    struct cfg c;
    struct buf errors;

    temp_file_with("alice\n", path, sizeof(path));
    {
        const struct env_var over[] = {{"PEOPLEVOX_USERNAME_FILE", path}, {NULL, NULL}};

        assert_int_equal(load(&c, over, &errors), 1);
    }
    assert_string_equal(buf_cstr(&errors),
                        "PEOPLEVOX_USERNAME=bob: set both directly and through _FILE\n");
    cfg_cleanup(&c);
    buf_cleanup(&errors);
    unlink(path);
}

/* ---- NAME_FILE ----------------------------------------------------------- */

struct file_case {
    const char *content;
    const char *want;
};

static const struct file_case file_cases[] = {
    {"s3cret\n", "s3cret"},
    {"s3cret", "s3cret"},
    {"s3cret\r\n", "s3cret"},
    {"s3cret\n\n", "s3cret"},
    {"two\nlines\n", "two\nlines"},
    {" spaced \n", " spaced "},
};

static void test_file_var_reads_the_file_without_trailing_newline(void **state)
{
    for (size_t i = 0; i < ARRAY_LEN(file_cases); i++) {
        char path[64];
        const struct env_var over[] = {{"SHOPLINE_APP_SECRET", NULL},
                                       {"SHOPLINE_APP_SECRET_FILE", path},
                                       {NULL, NULL}};
        struct cfg c;
        struct buf errors;

        temp_file_with(file_cases[i].content, path, sizeof(path));
        assert_int_equal(load(&c, over, &errors), 0);
        assert_string_equal(buf_cstr(&errors), "");
        assert_string_equal(c.app_secret, file_cases[i].want);
        cfg_cleanup(&c);
        buf_cleanup(&errors);
        unlink(path);
    }
}

/* _FILE works for any variable, and the value is validated like a direct one. */
static void test_file_var_for_a_number_is_validated(void **state)
{
    char good[64], bad[64];
    struct cfg c;
    struct buf errors;

    temp_file_with("8\n", good, sizeof(good));
    temp_file_with("eight\n", bad, sizeof(bad));
    {
        const struct env_var over[] = {{"SHOPVOX_WORKERS_FILE", good}, {NULL, NULL}};

        assert_int_equal(load(&c, over, &errors), 0);
        assert_int_equal(c.workers, 8);
        cfg_cleanup(&c);
        buf_cleanup(&errors);
    }
    {
        const struct env_var over[] = {{"SHOPVOX_WORKERS_FILE", bad}, {NULL, NULL}};

        assert_int_equal(load(&c, over, &errors), 1);
        assert_string_equal(buf_cstr(&errors),
                            "SHOPVOX_WORKERS=eight: must be an integer between 0 and 256\n");
        cfg_cleanup(&c);
        buf_cleanup(&errors);
    }
    unlink(good);
    unlink(bad);
}

/* A missing file is one error that names the file (and masks a secret). */
static void test_file_var_pointing_to_a_missing_file(void **state)
{
    char path[64], want[256];
    struct cfg c;
    struct buf errors;

    temp_file_with("", path, sizeof(path));
    unlink(path); /* a name that surely does not exist */
    {
        const struct env_var over[] = {{"PEOPLEVOX_PASSWORD", NULL},
                                       {"PEOPLEVOX_PASSWORD_FILE", path},
                                       {NULL, NULL}};

        assert_int_equal(load(&c, over, &errors), 1);
    }
    snprintf(want, sizeof(want), "PEOPLEVOX_PASSWORD=***: could not open %s: No such file or "
             "directory\n", path);
    assert_string_equal(buf_cstr(&errors), want);
    cfg_cleanup(&c);
    buf_cleanup(&errors);
    {
        const struct env_var over[] = {{"PEOPLEVOX_CLIENT_ID", NULL},
                                       {"PEOPLEVOX_CLIENT_ID_FILE", path},
                                       {NULL, NULL}};

        assert_int_equal(load(&c, over, &errors), 1);
    }
    snprintf(want, sizeof(want), "PEOPLEVOX_CLIENT_ID=%s: could not open %s: No such file or "
             "directory\n", path, path);
    assert_string_equal(buf_cstr(&errors), want);
    cfg_cleanup(&c);
    buf_cleanup(&errors);
}

/* A mistake in one variable is one line, even for SHOPVOX_LISTEN. */
static void test_listen_file_problem_is_reported_once(void **state)
{
    char path[64];
    struct cfg c;
    struct buf errors;

    temp_file_with("", path, sizeof(path));
    unlink(path);
    {
        const struct env_var over[] = {{"SHOPVOX_LISTEN_FILE", path}, {NULL, NULL}};

        int problems = load(&c, over, &errors);
        char want[256];

        snprintf(want, sizeof(want), "SHOPVOX_LISTEN=%s: could not open %s: No such file or "
                 "directory\n", path, path);
        cfg_cleanup(&c);
        if (problems != 1 || strcmp(buf_cstr(&errors), want) != 0) {
            fprintf(stderr, "got %d:\n%s", problems, buf_cstr(&errors));
            buf_cleanup(&errors);
            fail_msg("a missing SHOPVOX_LISTEN_FILE must be reported once");
        }
    }
    buf_cleanup(&errors);
}

static void test_insecure_http_only_when_allowed(void **state)
{
    static const struct env_var over[] = {
        {"PEOPLEVOX_URL", "http://127.0.0.1:8090/demo/resources/integrationservicev4.asmx"},
        {"SHOPVOX_ALLOW_INSECURE_HTTP", "1"},
        {NULL, NULL}};
    struct cfg c;
    struct buf errors;

    assert_int_equal(load(&c, over, &errors), 0);
    assert_int_equal(c.allow_insecure_http, 1);
    cfg_cleanup(&c);
    buf_cleanup(&errors);
}

/* Booleans read 0, 1, true, false (any case); anything else names what is allowed. */
static void test_booleans_table(void **state)
{
    static const struct {
        const char *value;
        int want;            /* -1: rejected */
    } cases[] = {{NULL, 1}, {"1", 1}, {"true", 1}, {"TRUE", 1}, {"0", 0}, {"false", 0},
                 {"False", 0}, {"yes", -1}, {"2", -1}, {"", -1}, {" 1", -1}};

    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct env_var over[] = {{"SHOPVOX_NOTIFY_CUSTOMER", cases[i].value},
                                 {"SHOPVOX_ALLOW_INSECURE_HTTP", cases[i].value},
                                 {NULL, NULL}};
        struct cfg c;
        struct buf errors;
        int problems = load(&c, cases[i].value ? over : NULL, &errors);

        if (cases[i].want < 0) {
            assert_int_equal(problems, 2);
            assert_non_null(strstr(buf_cstr(&errors), "SHOPVOX_NOTIFY_CUSTOMER"));
            assert_non_null(strstr(buf_cstr(&errors), "must be 0, 1, true or false"));
        } else if (problems != 0 || c.notify_customer != cases[i].want ||
                   c.allow_insecure_http != (cases[i].value ? cases[i].want : 0)) {
            fail_msg("case %zu \"%s\": problems %d notify %d insecure %d (%s)", i,
                     cases[i].value ? cases[i].value : "(unset)", problems, c.notify_customer,
                     c.allow_insecure_http, buf_cstr(&errors));
        }
        cfg_cleanup(&c);
        buf_cleanup(&errors);
    }
}

static void test_rejected_values_are_not_printed_as_accepted(void **state)
{
    static const struct env_var over[] = {{"SHOPVOX_WORKERS", "lots"}, {NULL, NULL}};
    struct cfg c;
    struct buf errors;
    char *out;

    assert_int_equal(load(&c, over, &errors), 1);
    out = print_config(&c);
    assert_non_null(strstr(out, "SHOPVOX_WORKERS=(rejected, see the problems above)\n"));
    assert_null(strstr(out, "SHOPVOX_WORKERS=0\n"));
    free(out);
    cfg_cleanup(&c);
    buf_cleanup(&errors);
}

static void test_misspelled_variables_are_named_with_the_closest(void **state)
{
    char e0[] = "SHOPVOX_WORKER=8", e1[] = "SHOPVOX_WORKERS=2", e2[] = "PEOPLEVOX_PASWORD_FILE=/x",
         e3[] = "PEOPLEVOX_PASSWORD_FILE=/run/secrets/p", e4[] = "SHOPVOX_TEST_PG_URL=x",
         e5[] = "HOME=/root", e6[] = "SHOPLINE_ZZZZZZZZZZZZZZZZZZZ=1";
    char *envp[] = {e0, e1, e2, e3, e4, e5, e6, NULL};
    struct buf w;

    buf_init(&w, 0);
    assert_int_equal(cfg_find_unknown(envp, &w), 3);
    assert_string_equal(buf_cstr(&w),
                        "SHOPVOX_WORKER is not a shopvox setting; did you mean SHOPVOX_WORKERS?\n"
                        "PEOPLEVOX_PASWORD_FILE is not a shopvox setting; did you mean "
                        "PEOPLEVOX_PASSWORD_FILE?\n"
                        "SHOPLINE_ZZZZZZZZZZZZZZZZZZZ is not a shopvox setting (ignored)\n");
    buf_cleanup(&w);
}

/*
 * Loads with name=value alone overridden: want problems; with want > 0 the
 * errors contain needle and, when secret, never the value.
 */
static void load_one(const char *name, const char *value, int want, const char *needle,
                     bool secret)
{
    const struct env_var over[] = {{name, value}, {NULL, NULL}};
    struct cfg c;
    struct buf errors;

    assert_int_equal(load(&c, over, &errors), want);
    if (want > 0)
        assert_non_null(strstr(buf_cstr(&errors), needle));
    if (want > 0 && secret)
        assert_null(strstr(buf_cstr(&errors), value));
    if (want == 0)
        assert_int_equal(cfg_daily_at_minutes(c.report_daily_at) >= 0, 1);
    cfg_cleanup(&c);
    buf_cleanup(&errors);
}

/* The daily report's webhook: https, or http to the loopback only; the time HH:MM. */
static void test_report_webhook_url_and_time(void **state)
{
    static const char *const good[] = {"https://hooks.slack.com/services/T0/B0/x",
                                       "http://127.0.0.1:9999/hook", "http://localhost/x",
                                       "http://[::1]:80/"};
    static const char *const bad[] = {"http://example.com/hook", "http://127.0.0.1.evil/x",
                                      "ftp://127.0.0.1/x", "not a url"};
    static const char *const bad_at[] = {"7:00", "24:00", "07:60", "07-00", "07:00x", ""};

    for (size_t i = 0; i < ARRAY_LEN(good); i++)
        load_one("SHOPVOX_REPORT_WEBHOOK_URL", good[i], 0, NULL, true);
    for (size_t i = 0; i < ARRAY_LEN(bad); i++)
        load_one("SHOPVOX_REPORT_WEBHOOK_URL", bad[i], 1, "SHOPVOX_REPORT_WEBHOOK_URL=***: ",
                 true);
    for (size_t i = 0; i < ARRAY_LEN(bad_at); i++)
        load_one("SHOPVOX_REPORT_DAILY_AT", bad_at[i], 1, "SHOPVOX_REPORT_DAILY_AT", false);
    load_one("SHOPVOX_REPORT_DAILY_AT", "23:59", 0, NULL, false);
    assert_int_equal(cfg_daily_at_minutes("07:00"), 7 * 60);
    assert_int_equal(cfg_daily_at_minutes("23:59"), 23 * 60 + 59);
    assert_int_equal(cfg_daily_at_minutes("00:00"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_when_only_required_vars_are_set),
        cmocka_unit_test(test_valid_overrides_are_parsed),
        cmocka_unit_test(test_every_missing_required_var_is_one_error_line),
        cmocka_unit_test(test_each_required_var_alone_is_reported),
        cmocka_unit_test(test_each_required_var_set_empty_is_reported_as_empty),
        cmocka_unit_test(test_require_all_false_tolerates_missing_required),
        cmocka_unit_test(test_each_invalid_value_is_one_exact_line),
        cmocka_unit_test(test_several_invalid_values_are_reported_at_once),
        cmocka_unit_test(test_print_masks_secrets_and_shows_the_rest),
        cmocka_unit_test(test_report_webhook_url_and_time),
        cmocka_unit_test(test_print_unset_secret_is_empty),
        cmocka_unit_test(test_both_set_is_an_error_and_secrets_stay_masked),
        cmocka_unit_test(test_both_set_shows_a_non_secret_value),
        cmocka_unit_test(test_file_var_reads_the_file_without_trailing_newline),
        cmocka_unit_test(test_file_var_for_a_number_is_validated),
        cmocka_unit_test(test_file_var_pointing_to_a_missing_file),
        cmocka_unit_test(test_listen_file_problem_is_reported_once),
        cmocka_unit_test(test_insecure_http_only_when_allowed),
        cmocka_unit_test(test_booleans_table),
        cmocka_unit_test(test_rejected_values_are_not_printed_as_accepted),
        cmocka_unit_test(test_misspelled_variables_are_named_with_the_closest),
        cmocka_unit_test(test_zone_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
