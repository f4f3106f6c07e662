/*
 * test_config_sources.c - the configuration loader through a fake
 * environment (tests/support/ts_config_env): secrets masked in errors and
 * in cfg_print, NAME and NAME_FILE both set, NAME_FILE read, validated or
 * missing, insecure http only when allowed, the booleans, rejected values
 * never printed as accepted, misspelled names, and the daily report's
 * webhook URL and time.
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
    assert_int_equal(count_lines(out), 78); /* one line per variable */
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
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

