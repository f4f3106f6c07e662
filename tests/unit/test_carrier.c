/*
 * test_carrier.c - the carrier mapping: a table of resolutions (exact
 * carrier + service, the carrier's any-service row, case, the raw name as
 * the fallback, no carrier, no tracking), percent-encoding of the tracking
 * number, and tables of templates, names and CARRIER[/SERVICE] keys with
 * the rule each bad one breaks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carrier.h"

static const struct carrier_rule rules[] = {
    {"DPD", "Next day", "DPD UK", "https://track.dpd.co.uk/parcels/{tracking}"},
    {"DPD", "", "DPD", "https://www.dpd.com/t?n={tracking}"},
    {"Royal Mail", "Tracked 24", "Royal Mail", NULL},
    {"Evri", "", "Evri", ""},
    {"UPS", "", "UPS", "http://ups.example/{tracking}/again/{tracking}"},
};

struct resolve_case {
    const char *carrier, *service, *tracking;
    long want_rule;
    const char *want_company, *want_url;   /* NULL: none */
};

static void test_resolve_table(void **state)
{
    static const struct resolve_case cases[] = {
        {"DPD", "Next day", "15501234", 0, "DPD UK", "https://track.dpd.co.uk/parcels/15501234"},
        {"dpd", "NEXT DAY", "1", 0, "DPD UK", "https://track.dpd.co.uk/parcels/1"},
        {"DPD", "Two day", "15501234", 1, "DPD", "https://www.dpd.com/t?n=15501234"},
        {"DPD", "", "X", 1, "DPD", "https://www.dpd.com/t?n=X"},
        {"DPD", NULL, "X", 1, "DPD", "https://www.dpd.com/t?n=X"},
        {"DPD", "Next day", "", 0, "DPD UK", NULL},           /* no tracking: no link */
        {"DPD", "Next day", NULL, 0, "DPD UK", NULL},
        {"Royal Mail", "Tracked 24", "RM1", 2, "Royal Mail", NULL},
        {"Royal Mail", "Tracked 48", "RM1", -1, "Royal Mail", NULL}, /* no any-service row */
        {"Evri", "Standard", "E1", 3, "Evri", NULL},           /* empty template */
        {"UPS", "", "1Z 9/9", 4, "UPS", "http://ups.example/1Z%209%2F9/again/1Z%209%2F9"},
        {"Yodel", "Express", "Y1", -1, "Yodel", NULL},         /* unmapped: raw name */
        {"DPD Local", "", "Y1", -1, "DPD Local", NULL},        /* no prefix match */
        {"", "Next day", "T", -1, NULL, NULL},
        {NULL, NULL, NULL, -1, NULL, NULL},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        const struct resolve_case *c = &cases[i];
        struct carrier_tracking t = {NULL, NULL};
        long got = carrier_resolve(rules, ARRAY_LEN(rules), c->carrier, c->service,
                                   c->tracking, &t);
        bool company_ok = c->want_company ? t.company && strcmp(t.company, c->want_company) == 0
                                          : t.company == NULL;
        bool url_ok = c->want_url ? t.url && strcmp(t.url, c->want_url) == 0 : t.url == NULL;

        if (got != c->want_rule || !company_ok || !url_ok)
            fail_msg("case %zu (%s/%s): rule %ld company %s url %s", i,
                     c->carrier ? c->carrier : "-", c->service ? c->service : "-", got,
                     t.company ? t.company : "(null)", t.url ? t.url : "(null)");
        carrier_tracking_cleanup(&t);
    }
    /* no rules at all: the fallback */
    {
        struct carrier_tracking t;

        assert_int_equal(carrier_resolve(NULL, 0, "DPD", "Next day", "1", &t), -1);
        assert_string_equal(t.company, "DPD");
        assert_null(t.url);
        carrier_tracking_cleanup(&t);
    }
}

static void test_tracking_url_encoding(void **state)
{
    static const struct {
        const char *tpl, *tracking, *want;
    } cases[] = {
        {"https://t.example/?n={tracking}", "AB-12_x.~", "https://t.example/?n=AB-12_x.~"},
        {"https://t.example/?n={tracking}", "a&b=c#d", "https://t.example/?n=a%26b%3Dc%23d"},
        {"https://t.example/?n={tracking}", "é", "https://t.example/?n=%C3%A9"},
        {"https://t.example/?n={tracking}", "", "https://t.example/?n="},
        {"https://t.example/{tracking}{tracking}", "1", "https://t.example/11"},
        {"https://t.example/{trackin", "1", "https://t.example/{trackin"},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        char *got = carrier_tracking_url(cases[i].tpl, cases[i].tracking);

        if (strcmp(got, cases[i].want) != 0)
            fail_msg("case %zu: got %s want %s", i, got, cases[i].want);
        free(got);
    }
}

struct check_case {
    const char *text;
    const char *want;   /* NULL: accepted; else a part of the message */
};

static void test_template_table(void **state)
{
    static char too_long[CARRIER_TEMPLATE_MAX_BYTES + 2];
    static const struct check_case cases[] = {
        {"https://track.example.com/?n={tracking}", NULL},
        {"HTTPS://track.example.com/{tracking}", NULL},
        {"http://track.example.com/p/{tracking}?x={tracking}", NULL},
        {"https://track.example.com:8443/{tracking}#top", NULL},
        {"", "is empty"},
        {"ftp://track.example.com/{tracking}", "must start with https:// or http://"},
        {"track.example.com/{tracking}", "must start with https:// or http://"},
        {"javascript:alert({tracking})", "must start with https:// or http://"},
        {"https:///{tracking}", "must name a host"},
        {"https://{tracking}.evil.example/", "must name a host"},
        {"https://track.example.com/", "must contain {tracking}"},
        {"https://track.example.com/{tracking_number}", "unknown placeholder at byte 27"},
        {"https://track.example.com/{n}", "unknown placeholder"},
        {"https://track.example.com/}{tracking}", "unknown placeholder at byte 27"},
        {"https://track.example.com/ {tracking}", "a blank at byte 27"},
        {"https://track.example.com/\t{tracking}", "a control character at byte 27"},
        {"https://track.example.com/\n{tracking}", "a control character"},
        {too_long, "longer than 1000 bytes"},
    };

    (void)state;
    memcpy(too_long, "https://t.example/{tracking}", 28);
    memset(too_long + 28, 'a', sizeof(too_long) - 29);
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct errbuf err = {""};
        enum st st = carrier_check_template(cases[i].text, &err);

        if (cases[i].want == NULL ? st != ST_OK
                                  : st == ST_OK || strstr(err.msg, cases[i].want) == NULL)
            fail_msg("case %zu \"%.60s\": st %d err \"%s\"", i, cases[i].text, st, err.msg);
    }
}

struct key_case {
    const char *key;
    const char *want_carrier, *want_service; /* NULL: refused with want_service in the message */
};

static void test_parse_key_table(void **state)
{
    static char long_key[CARRIER_NAME_MAX_BYTES + 3];
    static const struct key_case cases[] = {
        {"DPD", "DPD", ""},
        {"DPD/Next day", "DPD", "Next day"},
        {"Royal Mail/Tracked 24/Signed", "Royal Mail", "Tracked 24/Signed"},
        {"", NULL, "carrier is empty"},
        {"/Next day", NULL, "carrier is empty"},
        {"DPD/", NULL, "service after '/' is empty"},
        {" DPD", NULL, "starts or ends with a blank"},
        {"DPD/Next day ", NULL, "starts or ends with a blank"},
        {"DP\tD", NULL, "control character 0x09 at byte 3"},
        {"DPD/x\x7f", NULL, "control character 0x7f at byte 2"},
        {long_key, NULL, "longer than 100 bytes"},
    };

    (void)state;
    memset(long_key, 'C', sizeof(long_key) - 1);
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        char carrier[CARRIER_NAME_MAX_BYTES + 1], service[CARRIER_NAME_MAX_BYTES + 1];
        struct errbuf err = {""};
        enum st st = carrier_parse_key(cases[i].key, carrier, service, sizeof(carrier), &err);
        bool ok = cases[i].want_carrier
                      ? st == ST_OK && strcmp(carrier, cases[i].want_carrier) == 0 &&
                            strcmp(service, cases[i].want_service) == 0
                      : st != ST_OK && strstr(err.msg, cases[i].want_service) != NULL;

        if (!ok)
            fail_msg("case %zu \"%.40s\": st %d carrier \"%s\" service \"%s\" err \"%s\"", i,
                     cases[i].key, st, carrier, service, err.msg);
    }
}

static void test_check_name(void **state)
{
    struct errbuf err = {""};

    (void)state;
    assert_int_equal(carrier_check_name("company", "DPD UK", false, &err), ST_OK);
    assert_int_equal(carrier_check_name("service", "", true, &err), ST_OK);
    assert_int_equal(carrier_check_name("company", "", false, &err), ST_FAIL);
    assert_string_equal(err.msg, "company is empty");
    assert_int_equal(carrier_check_name("company", NULL, false, &err), ST_FAIL);
    assert_int_equal(carrier_check_name("company", "A\nB", false, &err), ST_FAIL);
    assert_non_null(strstr(err.msg, "control character 0x0a at byte 2"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resolve_table),
        cmocka_unit_test(test_tracking_url_encoding),
        cmocka_unit_test(test_template_table),
        cmocka_unit_test(test_parse_key_table),
        cmocka_unit_test(test_check_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
