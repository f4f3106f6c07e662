/*
 * test_routing.c - site routing: a table of orders against one rule set
 * configured out of order (precedence is by kind), the stock rule with
 * and without data, SystemSite never chosen, unroutable orders, the
 * capped reason, and the rule parser's accepted forms and errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "routing.h"
#include "ts_utf8.h"

/* ---- fake stock -------------------------------------------------------- */

struct stock_row {
    const char *item;
    const char *site;
    int64_t available;
};

static const struct stock_row stock_rows[] = {
    { "A", "MANCHESTER", 5 },
    { "B", "MANCHESTER", 0 },
    { "A", "LONDON", 10 },
    { "B", "LONDON", 10 },
    { "D", "LONDON", 1 },       /* D has no row at MANCHESTER: no data */
};

struct stock_ctx {
    int calls;
    int system_calls;
};

static int64_t fake_available(void *ctx, const char *item, const char *site)
{
    struct stock_ctx *sc = ctx;
    size_t i;

    sc->calls++;
    if (strcasecmp(site, "SystemSite") == 0)
        sc->system_calls++;
    for (i = 0; i < ARRAY_LEN(stock_rows); i++)
        if (strcmp(stock_rows[i].item, item) == 0 && strcmp(stock_rows[i].site, site) == 0)
            return stock_rows[i].available;
    return -1;
}

/* Deliberately out of order: precedence must come from the kind. */
static const struct routing_rule rules_main[] = {
    { ROUTE_DEFAULT, NULL, "DEFRULE" },        /* #1 */
    { ROUTE_STOCK, NULL, "MANCHESTER" },       /* #2 */
    { ROUTE_COUNTRY, "GB", "LONDON" },         /* #3 */
    { ROUTE_LOCATION, "123", "LEEDS" },        /* #4 */
    { ROUTE_STOCK, NULL, "LONDON" },           /* #5 */
    { ROUTE_COUNTRY, "FR", "PARIS" },          /* #6 */
    { ROUTE_LOCATION, "999", "SystemSite" },   /* #7: never used */
    { ROUTE_COUNTRY, "DE", " systemSITE " },   /* #8: never used */
    { ROUTE_COUNTRY, "ES", "" },               /* #9: no site */
};

static const struct routing_rule rules_no_default[] = {
    { ROUTE_LOCATION, "123", "LEEDS" },
    { ROUTE_STOCK, NULL, "SystemSite" },
    { ROUTE_STOCK, NULL, "MANCHESTER" },
};

static const struct routing_rule rules_all_system[] = {
    { ROUTE_LOCATION, "1", "SystemSite" },
    { ROUTE_COUNTRY, "GB", "SYSTEMSITE" },
    { ROUTE_STOCK, NULL, "systemsite" },
    { ROUTE_DEFAULT, NULL, "SystemSite" },
};

static const struct routing_line l_a1[] = { { "A", 1 } };
static const struct routing_line l_a1_b1[] = { { "A", 1 }, { "B", 1 } };
static const struct routing_line l_a3_a3[] = { { "A", 3 }, { "A", 3 } };  /* 6 > 5 */
static const struct routing_line l_c1[] = { { "C", 1 } };
static const struct routing_line l_d1[] = { { "D", 1 } };
static const struct routing_line l_b0_a1[] = { { "B", 0 }, { "A", 1 } }; /* B ignored */
static const struct routing_line l_zero[] = { { "B", 0 } };

#define LINES(l) l, ARRAY_LEN(l)
#define RULES(r) r, ARRAY_LEN(r)

struct decide_case {
    const char *name;
    const struct routing_rule *rules;
    size_t n_rules;
    const char *location, *country;
    const struct routing_line *lines;
    size_t n_lines;
    bool with_stock;
    const char *default_site;
    const char *want_site;        /* NULL: unroutable */
    enum routing_kind want_kind;
    size_t want_index;
    const char *want_reason[3];   /* substrings of the reason */
};

static const struct decide_case decide_cases[] = {
    { "location beats country", RULES(rules_main), "123", "FR", LINES(l_a1), true, "P",
      "LEEDS", ROUTE_LOCATION, 3, { "location 123 -> LEEDS (rule #4)" } },
    { "country is case-insensitive", RULES(rules_main), "555", "gb", LINES(l_a1), true, "P",
      "LONDON", ROUTE_COUNTRY, 2, { "country GB -> LONDON (rule #3)" } },
    { "stock: first site in rule order", RULES(rules_main), NULL, "US", LINES(l_a1), true,
      "P", "MANCHESTER", ROUTE_STOCK, 1, { "stock: MANCHESTER has every line (rule #2)" } },
    { "stock: needs every line", RULES(rules_main), NULL, "US", LINES(l_a1_b1), true, "P",
      "LONDON", ROUTE_STOCK, 4, { "LONDON has every line", "MANCHESTER has 0 of 1 'B'" } },
    { "stock: lines of one item add up", RULES(rules_main), NULL, NULL, LINES(l_a3_a3), true,
      "P", "LONDON", ROUTE_STOCK, 4, { "MANCHESTER has 5 of 6 'A'" } },
    { "stock: a site without data is skipped", RULES(rules_main), NULL, NULL, LINES(l_d1),
      true, "P", "LONDON", ROUTE_STOCK, 4, { "no data for 'D' at MANCHESTER" } },
    { "stock: no data anywhere -> default rule", RULES(rules_main), NULL, NULL, LINES(l_c1),
      true, "P", "DEFRULE", ROUTE_DEFAULT, 0,
      { "default rule -> DEFRULE (rule #1)", "no data for 'C' at MANCHESTER",
        "no data for 'C' at LONDON" } },
    { "stock: no lookup -> skipped", RULES(rules_main), NULL, "US", LINES(l_a1), false, "P",
      "DEFRULE", ROUTE_DEFAULT, 0, { "stock rule #2 skipped: no stock data" } },
    { "stock: quantity 0 lines ignored", RULES(rules_main), NULL, NULL, LINES(l_b0_a1), true,
      "P", "MANCHESTER", ROUTE_STOCK, 1, { "MANCHESTER has every line" } },
    { "stock: nothing to ship -> skipped", RULES(rules_main), NULL, NULL, LINES(l_zero), true,
      "P", "DEFRULE", ROUTE_DEFAULT, 0, { "no lines to check" } },
    { "stock: no lines at all", RULES(rules_main), NULL, NULL, NULL, 0, true, "P",
      "DEFRULE", ROUTE_DEFAULT, 0, { "no lines to check" } },
    { "location to SystemSite ignored", RULES(rules_main), "999", "FR", LINES(l_a1), true,
      "P", "PARIS", ROUTE_COUNTRY, 5,
      { "country FR -> PARIS", "ignored rule #7 (location 999 -> SystemSite): SystemSite is "
        "internal to Peoplevox" } },
    { "country to SystemSite ignored", RULES(rules_main), NULL, "DE", LINES(l_a1), true, "P",
      "MANCHESTER", ROUTE_STOCK, 1, { "ignored rule #8 (country DE ->  systemSITE )" } },
    { "rule without a site ignored", RULES(rules_main), NULL, "ES", LINES(l_c1), false, "P",
      "DEFRULE", ROUTE_DEFAULT, 0, { "ignored rule #9 (country): no site" } },
    { "default site argument", RULES(rules_no_default), "7", "US", LINES(l_c1), true,
      "PrimarySite", "PrimarySite", ROUTE_DEFAULT, ROUTING_NO_RULE,
      { "default site PrimarySite", "ignored rule #2 (stock -> SystemSite)",
        "no data for 'C' at MANCHESTER" } },
    { "unroutable: no default", RULES(rules_no_default), "7", "US", LINES(l_c1), true, "",
      NULL, ROUTE_LOCATION, ROUTING_NO_RULE,
      { "unroutable: no rule matched (location 7, country US)", "no default site" } },
    { "unroutable: NULL default, no input", RULES(rules_no_default), NULL, NULL, LINES(l_c1),
      false, NULL, NULL, ROUTE_LOCATION, ROUTING_NO_RULE,
      { "unroutable: no rule matched (location none, country none)", "no default site" } },
    { "unroutable: SystemSite default", RULES(rules_no_default), NULL, NULL, LINES(l_c1),
      false, "SYSTEMSITE", NULL, ROUTE_LOCATION, ROUTING_NO_RULE,
      { "ignored default site SYSTEMSITE" } },
    { "every rule is SystemSite", RULES(rules_all_system), "1", "GB", LINES(l_a1), true,
      "PrimarySite", "PrimarySite", ROUTE_DEFAULT, ROUTING_NO_RULE,
      { "ignored rule #1", "ignored rule #2", "ignored rule #4" } },
    { "no rules, default site", NULL, 0, "1", "GB", LINES(l_a1), true, "X", "X",
      ROUTE_DEFAULT, ROUTING_NO_RULE, { "default site X" } },
    { "no rules, no default", NULL, 0, "1", "GB", LINES(l_a1), true, NULL, NULL,
      ROUTE_LOCATION, ROUTING_NO_RULE, { "unroutable" } },
};

static void run_decide_case(const struct decide_case *c, struct stock_ctx *sc)
{
    struct routing_stock stock = { fake_available, sc };
    struct routing_input in = { c->location, c->country, c->lines, c->n_lines };
    struct routing_result res;
    bool routed;
    size_t k;

    routed = routing_decide(c->rules, c->n_rules, &in, c->with_stock ? &stock : NULL,
                            c->default_site, &res);
    if (routed != (c->want_site != NULL) || routed != res.routed)
        fail_msg("%s: routed=%d, reason: %s", c->name, routed, res.reason);
    for (k = 0; k < ARRAY_LEN(c->want_reason) && c->want_reason[k] != NULL; k++)
        if (strstr(res.reason, c->want_reason[k]) == NULL)
            fail_msg("%s: reason lacks \"%s\": %s", c->name, c->want_reason[k], res.reason);
    assert_int_equal(res.rule_index, c->want_index);
    if (!routed) {
        assert_null(res.site);
        return;
    }
    assert_string_equal(res.site, c->want_site);
    assert_int_equal(res.kind, c->want_kind);
    assert_false(routing_site_is_system(res.site));
}

static void test_decide_table(void **state)
{
    size_t i;

    for (i = 0; i < ARRAY_LEN(decide_cases); i++) {
        struct stock_ctx sc = { 0, 0 };

        run_decide_case(&decide_cases[i], &sc);
        assert_int_equal(sc.system_calls, 0);   /* never even asked about SystemSite */
    }
}

static void test_system_site_never_chosen(void **state)
{
    static const char *const locations[] = { NULL, "1", "123", "999" };
    static const char *const countries[] = { NULL, "GB", "gb", "DE", "FR", "US" };
    static const char *const defaults[] = { NULL, "", "SystemSite", " systemsite", "P" };
    const struct routing_rule *sets[] = { rules_main, rules_no_default, rules_all_system };
    const size_t set_n[] = { ARRAY_LEN(rules_main), ARRAY_LEN(rules_no_default),
                             ARRAY_LEN(rules_all_system) };
    size_t s, l, c, d;

    for (s = 0; s < ARRAY_LEN(sets); s++)
        for (l = 0; l < ARRAY_LEN(locations); l++)
            for (c = 0; c < ARRAY_LEN(countries); c++)
                for (d = 0; d < ARRAY_LEN(defaults); d++) {
                    struct stock_ctx sc = { 0, 0 };
                    struct routing_stock stock = { fake_available, &sc };
                    struct routing_input in = { locations[l], countries[c], LINES(l_a1) };
                    struct routing_result res;

                    if (routing_decide(sets[s], set_n[s], &in, &stock, defaults[d], &res))
                        assert_false(routing_site_is_system(res.site));
                    assert_int_equal(sc.system_calls, 0);
                    assert_true(strlen(res.reason) > 0);
                }
}

static void test_site_is_system(void **state)
{
    assert_true(routing_site_is_system("SystemSite"));
    assert_true(routing_site_is_system("systemsite"));
    assert_true(routing_site_is_system("  SYSTEMSITE "));
    assert_false(routing_site_is_system(NULL));
    assert_false(routing_site_is_system(""));
    assert_false(routing_site_is_system("SystemSite2"));
    assert_false(routing_site_is_system("System Site"));
}

static void test_reason_capped_utf8(void **state)
{
    static struct routing_rule rules[200];
    static const struct routing_line lines[] = {
        { "\xe6\x9d\xaf\xe5\xad\x90\xe6\x9d\xaf\xe5\xad\x90-\xe2\x82\xac", 1 }
    };
    struct stock_ctx sc = { 0, 0 };
    struct routing_stock stock = { fake_available, &sc };
    struct routing_input in = { NULL, NULL, LINES(lines) };
    struct routing_result res;
    size_t i, shift;

    /* a different first site moves where the cut falls in the multi-byte text */
    for (shift = 0; shift < 4; shift++) {
        for (i = 0; i < ARRAY_LEN(rules); i++) {
            rules[i].kind = ROUTE_STOCK;
            rules[i].match = NULL;
            rules[i].site = "LONDON\xe2\x82\xac";
        }
        rules[0].site = shift == 0 ? "L" : shift == 1 ? "LO" : shift == 2 ? "LON" : "LOND";
        assert_false(routing_decide(rules, ARRAY_LEN(rules), &in, &stock, NULL, &res));
        assert_true(strlen(res.reason) < ROUTING_REASON_MAX);
        assert_true(strlen(res.reason) > ROUTING_REASON_MAX - 40);
        assert_true(ts_utf8_valid_str(res.reason));
        assert_memory_equal(res.reason, "unroutable", 10);
    }
}

/* ---- the parser --------------------------------------------------------- */

struct want_rule {
    enum routing_kind kind;
    const char *match;
    const char *site;
};

struct parse_case {
    const char *spec;
    size_t n;
    struct want_rule want[3];
};

static void test_parse_ok_table(void **state)
{
    static const struct parse_case cases[] = {
        { "location:123=LONDON", 1, { { ROUTE_LOCATION, "123", "LONDON" } } },
        { "  Country : gb =  LONDON ", 1, { { ROUTE_COUNTRY, "GB", "LONDON" } } },
        { "COUNTRY:fr=PARIS", 1, { { ROUTE_COUNTRY, "FR", "PARIS" } } },
        { "stock=LONDON, MANCHESTER", 2,
          { { ROUTE_STOCK, NULL, "LONDON" }, { ROUTE_STOCK, NULL, "MANCHESTER" } } },
        { "stock=A,B,C", 3,
          { { ROUTE_STOCK, NULL, "A" }, { ROUTE_STOCK, NULL, "B" }, { ROUTE_STOCK, NULL, "C" } } },
        { "default=PrimarySite", 1, { { ROUTE_DEFAULT, NULL, "PrimarySite" } } },
        { "Default = Main Site", 1, { { ROUTE_DEFAULT, NULL, "Main Site" } } },
        { "location:a:b=X", 1, { { ROUTE_LOCATION, "a:b", "X" } } },
        { "location:7=Caf\xc3\xa9", 1, { { ROUTE_LOCATION, "7", "Caf\xc3\xa9" } } },
    };
    size_t i, k;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        struct routing_rules t;
        struct errbuf err = { "" };

        routing_rules_init(&t);
        if (routing_parse_rule(&t, cases[i].spec, &err) != 0)
            fail_msg("'%s' refused: %s", cases[i].spec, err.msg);
        assert_int_equal(t.n, cases[i].n);
        for (k = 0; k < t.n; k++) {
            const struct want_rule *w = &cases[i].want[k];

            assert_int_equal(t.rules[k].kind, w->kind);
            if (w->match == NULL)
                assert_null(t.rules[k].match);
            else
                assert_string_equal(t.rules[k].match, w->match);
            assert_string_equal(t.rules[k].site, w->site);
        }
        routing_rules_cleanup(&t);
    }
    routing_rules_cleanup(NULL);
}

struct parse_error_case {
    const char *spec;
    const char *want;   /* substring of the error */
};

#define S101 "SSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSS"
#define M65 "12345678901234567890123456789012345678901234567890123456789012345"

static void test_parse_error_table(void **state)
{
    static const struct parse_error_case cases[] = {
        { "", "routing rule '': expected KIND[:MATCH]=SITE" },
        { NULL, "expected KIND[:MATCH]=SITE" },
        { "LONDON", "routing rule 'LONDON': expected KIND[:MATCH]=SITE" },
        { "city:Paris=PARIS", "unknown kind 'city' (expected location:ID=SITE" },
        { "=LONDON", "unknown kind ''" },
        { "location:=LONDON", "the location id is empty" },
        { "location=LONDON", "the location id is empty" },
        { "location:" M65 "=X", "the location id is over 64 bytes" },
        { "location:1\x01" "2=X", "control character" },
        { "country:GBR=LONDON", "'country:GBR=LONDON': the country is not an ISO-3166 alpha-2" },
        { "country:G1=LONDON", "ISO-3166 alpha-2" },
        { "country:=LONDON", "ISO-3166 alpha-2" },
        { "country=LONDON", "ISO-3166 alpha-2" },
        { "stock:GB=LONDON", "stock and default rules take no ':' part" },
        { "default:x=LONDON", "take no ':' part" },
        { "default=", "the site is empty" },
        { "location:1= ", "the site is empty" },
        { "stock=LONDON,,MANCHESTER", "the site is empty" },
        { "stock=LONDON,", "the site is empty" },
        { "stock=LONDON,london", "site london is listed twice" },
        { "default=SystemSite", "SystemSite is internal to Peoplevox" },
        { "location:1=systemsite", "SystemSite is internal" },
        { "stock=A, SYSTEMSITE", "SystemSite is internal" },
        { "default=A=B", "one of , ; =" },
        { "default=a,b", "one of , ; =" },
        { "default=a\tb", "control character" },
        { "default=" S101, "longer than 100 bytes" },
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        struct routing_rules t;
        struct errbuf err = { "" };

        routing_rules_init(&t);
        assert_int_equal(routing_parse_rule(&t, cases[i].spec, &err), -1);
        if (strstr(err.msg, cases[i].want) == NULL)
            fail_msg("'%s': error \"%s\" lacks \"%s\"", cases[i].spec ? cases[i].spec : "(null)",
                     err.msg, cases[i].want);
        assert_int_equal(t.n, 0);   /* nothing half-added */
        routing_rules_cleanup(&t);
    }
}

struct clash_case {
    const char *first, *second, *want;
};

static void test_parse_clashes(void **state)
{
    static const struct clash_case cases[] = {
        { "location:1=A", "location:1=B", "location 1 is already routed to A" },
        { "country:gb=A", "country:GB=B", "country GB is already routed to A" },
        { "default=A", "default=B", "the default site is already A" },
        { "stock=A,B", "stock=C, b", "stock site B is already listed" },
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        struct routing_rules t;
        struct errbuf err = { "" };
        size_t before;

        routing_rules_init(&t);
        assert_int_equal(routing_parse_rule(&t, cases[i].first, &err), 0);
        before = t.n;
        assert_int_equal(routing_parse_rule(&t, cases[i].second, &err), -1);
        if (strstr(err.msg, cases[i].want) == NULL)
            fail_msg("error \"%s\" lacks \"%s\"", err.msg, cases[i].want);
        assert_int_equal(t.n, before);
        routing_rules_cleanup(&t);
    }
}

static void test_parse_rule_cap(void **state)
{
    struct routing_rules t;
    struct errbuf err = { "" };
    char spec[64];
    int i;

    routing_rules_init(&t);
    for (i = 0; i < ROUTING_MAX_RULES; i++) {
        snprintf(spec, sizeof(spec), "location:%d=S", i);
        assert_int_equal(routing_parse_rule(&t, spec, &err), 0);
    }
    assert_int_equal(routing_parse_rule(&t, "default=P", &err), -1);
    assert_non_null(strstr(err.msg, "too many routing rules (max 256)"));
    assert_int_equal(t.n, ROUTING_MAX_RULES);
    routing_rules_cleanup(&t);

    routing_rules_init(&t);
    assert_int_equal(routing_parse_rule(&t, "stock=A,B", &err), 0);
    for (i = 2; i < ROUTING_MAX_RULES - 1; i++) {
        snprintf(spec, sizeof(spec), "location:%d=S", i);
        assert_int_equal(routing_parse_rule(&t, spec, &err), 0);
    }
    assert_int_equal(routing_parse_rule(&t, "stock=C,D", &err), -1);   /* one would fit */
    assert_int_equal(t.n, ROUTING_MAX_RULES - 1);
    routing_rules_cleanup(&t);
}

static void test_parse_list_and_route(void **state)
{
    static const struct routing_line lines[] = { { "A", 1 }, { "B", 1 } };
    struct routing_rules t;
    struct errbuf err = { "" };
    struct stock_ctx sc = { 0, 0 };
    struct routing_stock stock = { fake_available, &sc };
    struct routing_input in = { "42", "us", LINES(lines) };
    struct routing_result res;

    routing_rules_init(&t);
    assert_int_equal(routing_parse_rules(&t, "default=DEFRULE; stock=MANCHESTER,LONDON\n"
                                             " ;;country:US=NEWARK\r\nlocation:42=LEEDS;",
                                         &err), 0);
    assert_int_equal(t.n, 5);
    assert_true(routing_decide(t.rules, t.n, &in, &stock, "P", &res));
    assert_string_equal(res.site, "LEEDS");
    assert_int_equal(res.rule_index, 4);
    in.location_id = NULL;
    assert_true(routing_decide(t.rules, t.n, &in, &stock, "P", &res));
    assert_string_equal(res.site, "NEWARK");
    in.country_code = "CA";
    assert_true(routing_decide(t.rules, t.n, &in, &stock, "P", &res));
    assert_string_equal(res.site, "LONDON");
    routing_rules_cleanup(&t);

    routing_rules_init(&t);
    assert_int_equal(routing_parse_rules(&t, "", &err), 0);
    assert_int_equal(routing_parse_rules(&t, NULL, &err), 0);
    assert_int_equal(t.n, 0);
    assert_int_equal(routing_parse_rules(&t, "location:1=A;bogus;default=B", &err), -1);
    assert_non_null(strstr(err.msg, "routing rule 'bogus'"));
    assert_int_equal(t.n, 1);
    routing_rules_cleanup(&t);
}

static void test_kind_names(void **state)
{
    assert_string_equal(routing_kind_name(ROUTE_LOCATION), "location");
    assert_string_equal(routing_kind_name(ROUTE_COUNTRY), "country");
    assert_string_equal(routing_kind_name(ROUTE_STOCK), "stock");
    assert_string_equal(routing_kind_name(ROUTE_DEFAULT), "default");
    assert_string_equal(routing_kind_name((enum routing_kind)42), "invalid");
}

/* Every name routing_kind_name spells parses back; any case; nothing else does. */
static void test_kind_parse(void **state)
{
    static const struct {
        const char *name;
        bool ok;
        enum routing_kind kind;
    } cases[] = {
        {"location", true, ROUTE_LOCATION}, {"country", true, ROUTE_COUNTRY},
        {"stock", true, ROUTE_STOCK},       {"default", true, ROUTE_DEFAULT},
        {"Stock", true, ROUTE_STOCK},       {"DEFAULT", true, ROUTE_DEFAULT},
        {"", false, ROUTE_LOCATION},        {"invalid", false, ROUTE_LOCATION},
        {"stocks", false, ROUTE_LOCATION},  {" stock", false, ROUTE_LOCATION},
    };
    enum routing_kind k;

    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        k = ROUTE_LOCATION;
        if (routing_kind_parse(cases[i].name, &k) != cases[i].ok || k != cases[i].kind)
            fail_msg("case %zu: '%s'", i, cases[i].name);
    }
    for (k = ROUTE_LOCATION; k <= ROUTE_DEFAULT; k++) {
        enum routing_kind back = ROUTE_LOCATION;

        assert_true(routing_kind_parse(routing_kind_name(k), &back));
        assert_int_equal(back, k);
    }
}

/* Rules read back from storage are taken as given, strings copied. */
static void test_rules_add_copies(void **state)
{
    static const struct routing_line lines[] = { { "A", 1 } };
    struct routing_input in = { NULL, "GB", LINES(lines) };
    struct routing_result res;
    struct routing_rules t;
    char site[] = "LONDON";

    routing_rules_init(&t);
    routing_rules_add(&t, ROUTE_COUNTRY, "GB", site);
    routing_rules_add(&t, ROUTE_DEFAULT, NULL, "P");
    site[0] = 'X';
    assert_int_equal(t.n, 2);
    assert_null(t.rules[1].match);
    assert_true(routing_decide(t.rules, t.n, &in, NULL, NULL, &res));
    assert_string_equal(res.site, "LONDON");
    routing_rules_cleanup(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decide_table),
        cmocka_unit_test(test_system_site_never_chosen),
        cmocka_unit_test(test_site_is_system),
        cmocka_unit_test(test_reason_capped_utf8),
        cmocka_unit_test(test_parse_ok_table),
        cmocka_unit_test(test_parse_error_table),
        cmocka_unit_test(test_parse_clashes),
        cmocka_unit_test(test_parse_rule_cap),
        cmocka_unit_test(test_parse_list_and_route),
        cmocka_unit_test(test_kind_names),
        cmocka_unit_test(test_kind_parse),
        cmocka_unit_test(test_rules_add_copies),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
