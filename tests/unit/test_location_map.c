/*
 * test_location_map.c - SHOPVOX_LOCATION_MAP: a table of good texts (the
 * rows they give), a table of bad ones (the part the error names), the
 * lookup, and a failed parse leaving the map empty.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "location_map.h"

struct good_case {
    const char *text;
    size_t n;
    const char *rows[4][2];    /* site, location id */
};

static const struct good_case good_cases[] = {
    { "", 0, { { NULL, NULL } } },
    { "   \t ", 0, { { NULL, NULL } } },
    { ";;", 0, { { NULL, NULL } } },
    { "PrimarySite=123", 1, { { "PrimarySite", "123" } } },
    { "PrimarySite=123;SecondSite=456", 2, { { "PrimarySite", "123" }, { "SecondSite", "456" } } },
    { "  PrimarySite = 123 ;\tSecondSite=\t456  ;", 2,
      { { "PrimarySite", "123" }, { "SecondSite", "456" } } },
    { "Main Warehouse=7;", 1, { { "Main Warehouse", "7" } } },
    { "A=12345678901234567890123456", 1, { { "A", "12345678901234567890123456" } } },
    { "primarysite=1;PrimarySite=2", 2, { { "primarysite", "1" }, { "PrimarySite", "2" } } },
};

static void test_good_maps(void **state)
{
    size_t i, r;

    (void)state;
    for (i = 0; i < sizeof(good_cases) / sizeof(good_cases[0]); i++) {
        const struct good_case *c = &good_cases[i];
        struct location_map m;
        struct errbuf err = { "" };

        location_map_init(&m);
        if (location_map_parse(&m, c->text, &err) != 0)
            fail_msg("\"%s\" refused: %s", c->text, err.msg);
        assert_int_equal(m.n, c->n);
        for (r = 0; r < c->n; r++) {
            assert_string_equal(m.rows[r].site, c->rows[r][0]);
            assert_string_equal(m.rows[r].location_id, c->rows[r][1]);
            assert_string_equal(location_map_location(&m, c->rows[r][0]), c->rows[r][1]);
        }
        location_map_cleanup(&m);
    }
}

struct bad_case {
    const char *text;
    const char *error_has;   /* a part of the message */
};

static const struct bad_case bad_cases[] = {
    { "PrimarySite", "pair 1 (\"PrimarySite\") is not SITE=LOCATION_ID" },
    { "A=1;B", "pair 2 (\"B\")" },
    { "=123", "has no site" },
    { "A=", "has no location id" },
    { "A= ;B=2", "pair 1 (\"A=\") has no location id" },
    { "A=abc", "not a Shopline id" },
    { "A=12x", "not a Shopline id" },
    { "A=-5", "not a Shopline id" },
    { "A=012", "not a Shopline id" },
    { "A=1 2", "not a Shopline id" },
    { "A=1=2", "not a Shopline id" },
    { "A=1;A=2", "pair 2 (\"A=2\") maps a site that an earlier pair maps already" },
    { "A=1; A =2", "maps a site" },
    { "A=1;B=1", "maps a location id" },
    { "SystemSite=1", "SystemSite" },
    { "A\x01=1", "control character" },
    { "A=12345678901234567890123456789012345678901", "not a Shopline id" },
};

static void test_bad_maps(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        const struct bad_case *c = &bad_cases[i];
        struct location_map m;
        struct errbuf err = { "" };

        location_map_init(&m);
        if (location_map_parse(&m, c->text, &err) != -1)
            fail_msg("\"%s\" accepted", c->text);
        if (strstr(err.msg, c->error_has) == NULL)
            fail_msg("\"%s\": error \"%s\" lacks \"%s\"", c->text, err.msg, c->error_has);
        assert_int_equal(m.n, 0);
        assert_null(m.rows);
        location_map_cleanup(&m);
    }
}

static void test_long_site_and_too_many(void **state)
{
    char text[8192];
    struct location_map m;
    struct errbuf err = { "" };
    size_t i, at = 0;

    (void)state;
    memset(text, 'S', 101);
    strcpy(text + 101, "=1");
    location_map_init(&m);
    assert_int_equal(location_map_parse(&m, text, &err), -1);
    assert_non_null(strstr(err.msg, "longer than 100"));
    text[1] = '\0';
    for (i = 0; i < 257; i++)
        at += (size_t)snprintf(text + at, sizeof(text) - at, "S%zu=%zu;", i, i + 1);
    assert_int_equal(location_map_parse(&m, text, &err), -1);
    assert_non_null(strstr(err.msg, "pair 257"));
    location_map_cleanup(&m);
}

static void test_lookup_and_replace(void **state)
{
    struct location_map m;
    struct errbuf err = { "" };

    (void)state;
    location_map_init(&m);
    assert_null(location_map_location(&m, "PrimarySite"));
    assert_int_equal(location_map_parse(&m, "PrimarySite=123;SecondSite=456", &err), 0);
    assert_null(location_map_location(&m, "primarysite"));   /* exact, as Peoplevox */
    assert_null(location_map_location(&m, "Third"));
    assert_null(location_map_location(&m, NULL));
    assert_string_equal(location_map_location(&m, "SecondSite"), "456");
    /* a second parse replaces the rows; a failed one leaves nothing */
    assert_int_equal(location_map_parse(&m, "Third=9", &err), 0);
    assert_int_equal(m.n, 1);
    assert_null(location_map_location(&m, "PrimarySite"));
    assert_int_equal(location_map_parse(&m, "Third=x", &err), -1);
    assert_int_equal(m.n, 0);
    assert_null(location_map_location(&m, "Third"));
    assert_int_equal(location_map_parse(&m, NULL, &err), 0);
    assert_int_equal(m.n, 0);
    location_map_cleanup(&m);
    location_map_cleanup(&m);
}

static void test_first_unknown(void **state)
{
    static const char *const store[] = {"123", "456", "789"};
    struct location_map m;
    struct errbuf err = { "" };

    (void)state;
    location_map_init(&m);
    assert_null(location_map_first_unknown(&m, store, 3));   /* no rows: nothing to check */
    assert_int_equal(location_map_parse(&m, "A=123;B=456", &err), 0);
    assert_null(location_map_first_unknown(&m, store, 3));
    assert_non_null(location_map_first_unknown(&m, store, 1));
    assert_string_equal(location_map_first_unknown(&m, store, 1)->site, "B");
    assert_string_equal(location_map_first_unknown(&m, NULL, 0)->site, "A");
    assert_int_equal(location_map_parse(&m, "A=123;B=45", &err), 0);   /* exact, not a prefix */
    assert_string_equal(location_map_first_unknown(&m, store, 3)->location_id, "45");
    location_map_cleanup(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_maps),
        cmocka_unit_test(test_bad_maps),
        cmocka_unit_test(test_long_site_and_too_many),
        cmocka_unit_test(test_lookup_and_replace),
        cmocka_unit_test(test_first_unknown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
