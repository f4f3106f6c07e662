/*
 * test_config.c - the configuration loader through a fake environment
 * (tests/support/ts_config_env): the defaults, valid overrides, missing
 * required variables (one line each), require_all=false, bad values (one
 * exact line each, several reported in one pass) and time zone names.
 * Secrets, NAME_FILE, booleans, misspellings and the report settings are in
 * test_config_sources.c. Error text is compared exactly: it is what an
 * operator reads.
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
#include "ts_config_env.h"

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
        cmocka_unit_test(test_zone_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

