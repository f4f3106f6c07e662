/*
 * test_sku.c - SKU integrity: a table of SKUs for every problem kind
 * (including byte-exact 50/51 lengths with multi-byte UTF-8), resolution
 * through sku_map against a fake catalogue, the advice wording and its
 * escaping, whole-order checks and the capped exception detail.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sku.h"
#include "ts_utf8.h"

#define S50 "ABCDEFGHIJABCDEFGHIJABCDEFGHIJABCDEFGHIJABCDEFGHIJ"
#define E_ACUTE "\xc3\xa9"          /* é: 2 bytes */
#define EURO "\xe2\x82\xac"         /* €: 3 bytes */
#define E5 E_ACUTE E_ACUTE E_ACUTE E_ACUTE E_ACUTE
#define E25 E5 E5 E5 E5 E5          /* 25 characters, 50 bytes */
#define EU5 EURO EURO EURO EURO EURO
#define EU17 EU5 EU5 EU5 EURO EURO  /* 17 characters, 51 bytes */

struct validate_case {
    const char *sku;
    enum sku_problem want;
};

static void test_validate_table(void **state)
{
    static const struct validate_case cases[] = {
        { NULL, SKU_EMPTY },
        { "", SKU_EMPTY },
        { "   ", SKU_EMPTY },
        { "ABC-1", SKU_OK },
        { "A B", SKU_OK },                      /* inner space is legal */
        { "A~D", SKU_OK },
        { S50, SKU_OK },                        /* exactly 50 bytes */
        { S50 "K", SKU_TOO_LONG },              /* 51 bytes */
        { E25, SKU_OK },                        /* 25 chars, 50 bytes */
        { E25 "x", SKU_TOO_LONG },              /* 26 chars, 51 bytes */
        { EU17, SKU_TOO_LONG },                 /* only 17 chars, but 51 bytes */
        { "caf" E_ACUTE "-" EURO, SKU_OK },
        { "\xe6\x9d\xaf\xe5\xad\x90-01", SKU_OK },   /* CJK */
        { "TOY-\xf0\x9f\x98\x80", SKU_OK },          /* 4-byte emoji */
        { "AB\xff", SKU_BAD_UTF8 },
        { "\xc0\xaf", SKU_BAD_UTF8 },                /* overlong '/' */
        { "\xe0\x80\xaf", SKU_BAD_UTF8 },            /* overlong, 3 bytes */
        { "\xed\xa0\x80", SKU_BAD_UTF8 },            /* UTF-16 surrogate */
        { "\xf4\x90\x80\x80", SKU_BAD_UTF8 },        /* past U+10FFFF */
        { "AB\xe2\x82", SKU_BAD_UTF8 },              /* truncated */
        { "A\x80" "B", SKU_BAD_UTF8 },               /* stray continuation */
        { "A\tB", SKU_CONTROL_CHARS },
        { "A\nB", SKU_CONTROL_CHARS },
        { "ABC\r", SKU_CONTROL_CHARS },
        { "A\x7f", SKU_CONTROL_CHARS },
        { "A\xc2\x85" "B", SKU_CONTROL_CHARS },      /* C1 NEL */
        { " ABC", SKU_WHITESPACE },
        { "ABC ", SKU_WHITESPACE },
        { "ABC~D~1", SKU_DEACTIVATED },
        { "~D~", SKU_DEACTIVATED },
        /* precedence: the first failing check wins */
        { S50 "\t", SKU_TOO_LONG },
        { " A\t", SKU_CONTROL_CHARS },
        { " \xff", SKU_BAD_UTF8 },
        { " X~D~", SKU_WHITESPACE },
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        enum sku_problem got = sku_validate(cases[i].sku);

        if (got != cases[i].want)
            fail_msg("case %zu: got %s, want %s", i, sku_problem_name(got),
                     sku_problem_name(cases[i].want));
    }
}

static void test_problem_names(void **state)
{
    int i, j;

    for (i = 0; i < SKU_PROBLEM_COUNT; i++) {
        const char *a = sku_problem_name((enum sku_problem)i);

        assert_non_null(a);
        assert_true(strlen(a) > 0);
        assert_string_not_equal(a, "invalid");
        for (j = 0; j < i; j++)
            assert_string_not_equal(a, sku_problem_name((enum sku_problem)j));
    }
    assert_string_equal(sku_problem_name(SKU_UNKNOWN), "unknown");
    assert_string_equal(sku_problem_name(SKU_TOO_LONG), "too_long");
    assert_string_equal(sku_problem_name(SKU_PROBLEM_COUNT), "invalid");
}

/* The fake snapshot: catalogue rows and sku_map rows. */
struct kv {
    const char *key;
    const char *value;
};

static const struct kv catalogue[] = {
    { "ABC-1", "active" },
    { "caf" E_ACUTE, "active" },
    { "OLD-1", "inactive" },
    { "OLD-2", "inactive" },
    { "X~D~1", "active" },   /* syntax wins over a stale catalogue row */
};

static const struct kv aliases[] = {
    { "SHOP-1", "ABC-1" },
    { "SHOP-DEAD", "OLD-1" },
    { "SHOP-GONE", "NOPE" },
    { "SHOP-MARK", "X~D~1" },
    { "SHOP-LONG", S50 "K" },
    { "SHOP-EMPTY", "" },
    { "OLD-1", "ABC-1" },            /* alias wins over a direct match */
    { S50 "-TOO-LONG", "ABC-1" },    /* a mapping rescues a long SKU */
    { " PADDED", "ABC-1" },          /* ... and a padded one */
    { "A\tB", "ABC-1" },             /* never consulted: control chars */
    { "ABC~D~9", "ABC-1" },          /* rescues a deactivated code */
};

static const char *kv_find(const struct kv *t, size_t n, const char *key)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (strcmp(t[i].key, key) == 0)
            return t[i].value;
    return NULL;
}

static const char *fake_alias(void *ctx, const char *sku)
{
    int *calls = ctx;

    (*calls)++;
    return kv_find(aliases, ARRAY_LEN(aliases), sku);
}

static enum sku_item_state fake_item(void *ctx, const char *code)
{
    const char *v = kv_find(catalogue, ARRAY_LEN(catalogue), code);

    if (v == NULL)
        return SKU_ITEM_MISSING;
    return strcmp(v, "active") == 0 ? SKU_ITEM_ACTIVE : SKU_ITEM_INACTIVE;
}

struct resolve_case {
    const char *sku;
    enum sku_problem want;
    const char *item_code;  /* expected when SKU_OK */
    const char *mapped_to;  /* expected alias target or NULL */
};

static void test_resolve_table(void **state)
{
    static const struct resolve_case cases[] = {
        { "ABC-1", SKU_OK, "ABC-1", NULL },
        { "caf" E_ACUTE, SKU_OK, "caf" E_ACUTE, NULL },
        { "ZZZ", SKU_UNKNOWN, NULL, NULL },
        { "OLD-2", SKU_DEACTIVATED, NULL, NULL },     /* inactive in catalogue */
        { "ABC~D~2", SKU_DEACTIVATED, NULL, NULL },   /* ~D~ in the code */
        { "", SKU_EMPTY, NULL, NULL },
        { NULL, SKU_EMPTY, NULL, NULL },
        { S50 "K", SKU_TOO_LONG, NULL, NULL },
        { "ABC-1 ", SKU_WHITESPACE, NULL, NULL },
        { "AB\xff", SKU_BAD_UTF8, NULL, NULL },
        { "A\tB", SKU_CONTROL_CHARS, NULL, NULL },
        { "SHOP-1", SKU_OK, "ABC-1", "ABC-1" },
        { "OLD-1", SKU_OK, "ABC-1", "ABC-1" },
        { S50 "-TOO-LONG", SKU_OK, "ABC-1", "ABC-1" },
        { " PADDED", SKU_OK, "ABC-1", "ABC-1" },
        { "ABC~D~9", SKU_OK, "ABC-1", "ABC-1" },
        { "SHOP-DEAD", SKU_DEACTIVATED, NULL, "OLD-1" },   /* mapped to inactive */
        { "SHOP-MARK", SKU_DEACTIVATED, NULL, "X~D~1" },   /* mapped to ~D~ */
        { "SHOP-GONE", SKU_UNKNOWN, NULL, "NOPE" },        /* mapped to unknown */
        { "SHOP-LONG", SKU_TOO_LONG, NULL, S50 "K" },
        { "SHOP-EMPTY", SKU_EMPTY, NULL, "" },
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        const struct resolve_case *c = &cases[i];
        int calls = 0;
        struct sku_lookup lk = { fake_alias, fake_item, &calls };
        struct sku_resolution res;
        enum sku_problem got = sku_resolve(c->sku, &lk, &res);

        if (got != c->want || res.problem != got)
            fail_msg("case %zu: got %s, want %s", i, sku_problem_name(got),
                     sku_problem_name(c->want));
        if (c->item_code == NULL)
            assert_null(res.item_code);
        else
            assert_string_equal(res.item_code, c->item_code);
        if (c->mapped_to == NULL)
            assert_null(res.mapped_to);
        else
            assert_string_equal(res.mapped_to, c->mapped_to);
    }
}

static void test_resolve_alias_skipped_for_unmappable(void **state)
{
    static const char *const skus[] = { "", "A\tB", "AB\xff" };
    size_t i;

    for (i = 0; i < ARRAY_LEN(skus); i++) {
        int calls = 0;
        struct sku_lookup lk = { fake_alias, fake_item, &calls };
        struct sku_resolution res;

        sku_resolve(skus[i], &lk, &res);
        assert_int_equal(calls, 0);
    }
}

static void test_resolve_without_alias_lookup(void **state)
{
    struct sku_lookup lk = { NULL, fake_item, NULL };
    struct sku_resolution res;

    assert_int_equal(sku_resolve("ABC-1", &lk, &res), SKU_OK);
    assert_string_equal(res.item_code, "ABC-1");
    assert_int_equal(sku_resolve("SHOP-1", &lk, &res), SKU_UNKNOWN);
    assert_null(res.mapped_to);
}

struct advice_case {
    enum sku_problem p;
    const char *sku;
    const char *mapped_to;
    const char *want;
};

static void test_advice_exact(void **state)
{
    static const struct advice_case cases[] = {
        { SKU_UNKNOWN, "ABC-1", NULL,
          "create item code 'ABC-1' in Peoplevox or map it with: "
          "shopvox sku map 'ABC-1' ITEM_CODE" },
        { SKU_UNKNOWN, "O'BRIEN", NULL,
          "create item code 'O'\\''BRIEN' in Peoplevox or map it with: "
          "shopvox sku map 'O'\\''BRIEN' ITEM_CODE" },
        { SKU_UNKNOWN, "SHOP-GONE", "NOPE",
          "SKU 'SHOP-GONE' is mapped to 'NOPE', which is not an item code in Peoplevox: "
          "create it in Peoplevox or remap with: shopvox sku map 'SHOP-GONE' ITEM_CODE" },
        { SKU_DEACTIVATED, "SHOP-DEAD", "OLD-1",
          "SKU 'SHOP-DEAD' is mapped to item code 'OLD-1', which is deactivated in "
          "Peoplevox: reactivate it or remap with: shopvox sku map 'SHOP-DEAD' ITEM_CODE" },
        { SKU_TOO_LONG, "SHOP-LONG", S50 "K",
          "SKU 'SHOP-LONG' is mapped to '" S50 "K', which is not a valid item code "
          "(too_long): remap with: shopvox sku map 'SHOP-LONG' ITEM_CODE" },
        { SKU_CONTROL_CHARS, "A\tB", NULL,
          "SKU 'A\\x09B' contains control characters (tab, newline...): "
          "re-enter it in Shopline" },
        { SKU_BAD_UTF8, "AB\xff", NULL,
          "SKU 'AB\\xFF' is not valid UTF-8: re-enter it in Shopline" },
        { SKU_EMPTY, NULL, NULL,
          "give the Shopline variant a SKU equal to its Peoplevox item code" },
        { SKU_UNKNOWN, "caf" E_ACUTE, NULL,
          "create item code 'caf" E_ACUTE "' in Peoplevox or map it with: "
          "shopvox sku map 'caf" E_ACUTE "' ITEM_CODE" },
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        char *got = sku_problem_advice(cases[i].p, cases[i].sku, cases[i].mapped_to);

        assert_string_equal(got, cases[i].want);
        free(got);
    }
}

static void test_advice_every_problem(void **state)
{
    int i;

    for (i = 0; i < SKU_PROBLEM_COUNT; i++) {
        char *direct = sku_problem_advice((enum sku_problem)i, "SKU-9", NULL);
        char *mapped = sku_problem_advice((enum sku_problem)i, "SKU-9", "PVX-9");

        assert_true(strlen(direct) > 10);
        assert_null(strchr(direct, '{'));
        assert_null(strchr(mapped, '{'));
        if (i != SKU_OK && i != SKU_EMPTY)
            assert_non_null(strstr(direct, "'SKU-9'"));
        if (i != SKU_OK)
            assert_non_null(strstr(mapped, "'PVX-9'"));
        free(direct);
        free(mapped);
    }
}

static void test_advice_cuts_long_sku(void **state)
{
    char sku[201];
    char *got;
    const char *q;

    memset(sku, 'L', 200);
    sku[200] = '\0';
    got = sku_problem_advice(SKU_TOO_LONG, sku, NULL);
    q = strchr(got, '\'');
    assert_non_null(q);
    assert_int_equal(strspn(q + 1, "L"), SKU_DISPLAY_MAX_BYTES);
    assert_memory_equal(q + 1 + SKU_DISPLAY_MAX_BYTES, "'...", 4);
    free(got);
}

static struct order_line make_line(const char *id, const char *sku, int64_t qty, bool ship)
{
    struct order_line l;

    memset(&l, 0, sizeof(l));
    l.line_id = xstrdup(id);
    l.sku = xstrdup(sku);
    l.quantity = qty;
    l.fulfillable_quantity = -1;
    l.requires_shipping = ship;
    return l;
}

static void free_lines(struct order_line *lines, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        free(lines[i].line_id);
        free(lines[i].sku);
    }
}

static void test_check_order(void **state)
{
    struct order_line lines[] = {
        make_line("1", "ABC-1", 1, true),
        make_line("2", "ZZZ", 2, true),
        make_line("3", NULL, 1, true),
        make_line("4", "GIFT\tCARD", 1, false),  /* not shipped: skipped */
        make_line("5", "ZZZ", 0, true),          /* nothing to ship: skipped */
        make_line("6", "SHOP-1", 1, true),
        make_line("7", "SHOP-DEAD", 1, true),
    };
    static const char *const want_codes[] = { "ABC-1", NULL, NULL, NULL, NULL, "ABC-1", NULL };
    int calls = 0;
    struct sku_lookup lk = { fake_alias, fake_item, &calls };
    struct sku_check_result r;
    size_t i;

    sku_check_order(lines, ARRAY_LEN(lines), &lk, &r);
    assert_int_equal(r.n_lines, ARRAY_LEN(lines));
    for (i = 0; i < ARRAY_LEN(lines); i++) {
        if (want_codes[i] == NULL)
            assert_null(r.item_codes[i]);
        else
            assert_string_equal(r.item_codes[i], want_codes[i]);
    }
    assert_int_equal(r.n_issues, 3);
    assert_string_equal(r.issues[0].line_id, "2");
    assert_string_equal(r.issues[0].sku, "ZZZ");
    assert_int_equal(r.issues[0].problem, SKU_UNKNOWN);
    assert_null(r.issues[0].mapped_to);
    assert_string_equal(r.issues[1].line_id, "3");
    assert_string_equal(r.issues[1].sku, "");
    assert_int_equal(r.issues[1].problem, SKU_EMPTY);
    assert_string_equal(r.issues[2].line_id, "7");
    assert_int_equal(r.issues[2].problem, SKU_DEACTIVATED);
    assert_string_equal(r.issues[2].mapped_to, "OLD-1");
    sku_check_result_cleanup(&r);
    sku_check_result_cleanup(NULL);
    free_lines(lines, ARRAY_LEN(lines));
}

static void test_check_order_clean_and_empty(void **state)
{
    struct order_line lines[] = { make_line("1", "ABC-1", 3, true) };
    struct sku_lookup lk = { NULL, fake_item, NULL };
    struct sku_check_result r;
    char *detail;

    sku_check_order(lines, 1, &lk, &r);
    assert_int_equal(r.n_issues, 0);
    detail = sku_format_detail(&r, 1000);
    assert_string_equal(detail, "");
    free(detail);
    sku_check_result_cleanup(&r);
    sku_check_order(NULL, 0, &lk, &r);
    assert_int_equal(r.n_lines, 0);
    assert_null(r.item_codes);
    sku_check_result_cleanup(&r);
    free_lines(lines, 1);
}

static void check_detail(struct order_line *lines, size_t n, size_t cap, const char *want)
{
    struct sku_lookup lk = { NULL, fake_item, NULL };
    struct sku_check_result r;
    char *got;

    sku_check_order(lines, n, &lk, &r);
    got = sku_format_detail(&r, cap);
    assert_string_equal(got, want);
    free(got);
    sku_check_result_cleanup(&r);
}

static void test_detail_exact(void **state)
{
    struct order_line lines[] = {
        make_line("123", "ABC-9", 1, true),
        make_line("124", "", 1, true),
        make_line("125", "ZZZ-1", 1, true),
        make_line("126", "ZZZ-2", 1, true),
        make_line("127", "ZZZ-3", 1, true),
    };

    check_detail(lines, 2, 4096,
                 "2 order lines cannot be sent to Peoplevox: 'ABC-9' unknown (line 123): "
                 "create item code 'ABC-9' in Peoplevox or map it with: "
                 "shopvox sku map 'ABC-9' ITEM_CODE; '' empty (line 124): "
                 "give the Shopline variant a SKU equal to its Peoplevox item code");
    check_detail(lines + 1, 1, 4096,
                 "1 order line cannot be sent to Peoplevox: '' empty (line 124): "
                 "give the Shopline variant a SKU equal to its Peoplevox item code");
    /* at the minimum cap later issues lose their advice... */
    check_detail(lines, 3, 0,
                 "3 order lines cannot be sent to Peoplevox: 'ABC-9' unknown (line 123): "
                 "create item code 'ABC-9' in Peoplevox or map it with: "
                 "shopvox sku map 'ABC-9' ITEM_CODE; '' empty (line 124); "
                 "'ZZZ-1' unknown (line 125)");
    /* ... then are only counted, keeping room for the tail */
    check_detail(lines, 5, 0,
                 "5 order lines cannot be sent to Peoplevox: 'ABC-9' unknown (line 123): "
                 "create item code 'ABC-9' in Peoplevox or map it with: "
                 "shopvox sku map 'ABC-9' ITEM_CODE; '' empty (line 124); "
                 "'ZZZ-1' unknown (line 125); and 2 more");
    free_lines(lines, 5);
}

/* Issues shown plus the "and N more" tail account for all of them. */
static void check_more_tail(const char *got, size_t n_issues)
{
    size_t shown = 0, more = 0;
    const char *p = got, *tail;

    while ((p = strstr(p, "(line ")) != NULL) {
        shown++;
        p++;
    }
    tail = strstr(got, "and ");
    if (shown < n_issues) {
        assert_non_null(tail);
        assert_int_equal(sscanf(tail, "and %zu more", &more), 1);
        assert_string_equal(got + strlen(got) - 5, " more");
    }
    assert_int_equal(shown + more, n_issues);
}

static void test_detail_caps(void **state)
{
    struct order_line lines[40];
    struct sku_lookup lk = { NULL, fake_item, NULL };
    struct sku_check_result r;
    size_t i, cap;
    char *full;

    for (i = 0; i < ARRAY_LEN(lines); i++) {
        char sku[96];

        /* unicode, quotes and controls so a cut could split something */
        snprintf(sku, sizeof(sku), "%s%zu-%s", i % 3 == 0 ? EU5 : "O'K",
                 i, i % 4 == 0 ? "\t" : S50);
        lines[i] = make_line("9999999999999999999999999", sku, 1, true);
    }
    sku_check_order(lines, ARRAY_LEN(lines), &lk, &r);
    assert_int_equal(r.n_issues, ARRAY_LEN(lines));
    full = sku_format_detail(&r, SIZE_MAX);
    assert_null(strstr(full, " more"));
    /* every 7th cap through the first issues (each shape of cut), then a prime step so
     * the cut still lands at shifting offsets in the later ones: fast, same shapes */
    for (cap = 0; cap < strlen(full) + 20; cap += cap < 1024 ? 7 : 101) {
        char *got = sku_format_detail(&r, cap);
        size_t limit = cap < SKU_DETAIL_MIN_BYTES ? SKU_DETAIL_MIN_BYTES : cap;
        size_t len = strlen(got);

        assert_true(len <= limit);
        assert_memory_equal(got, "40 order lines cannot be sent to Peoplevox: ", 43);
        assert_non_null(strstr(got, "(line 9999"));   /* at least one issue shown */
        assert_true(ts_utf8_valid_str(got));
        if (cap >= strlen(full))
            assert_string_equal(got, full);
        else
            check_more_tail(got, ARRAY_LEN(lines));
        free(got);
    }
    free(full);
    sku_check_result_cleanup(&r);
    free_lines(lines, ARRAY_LEN(lines));
}

static void test_detail_long_values_short_form(void **state)
{
    char sku[300];
    struct order_line line;
    struct sku_lookup lk = { NULL, fake_item, NULL };
    struct sku_check_result r;
    char *got;

    memset(sku, 'W', sizeof(sku) - 1);
    sku[sizeof(sku) - 1] = '\0';
    line = make_line("1234567890123456789012345678901234567890123456789", sku, 1, true);
    sku_check_order(&line, 1, &lk, &r);
    got = sku_format_detail(&r, SKU_DETAIL_MIN_BYTES);
    assert_true(strlen(got) <= SKU_DETAIL_MIN_BYTES);
    assert_non_null(strstr(got, "'... too_long (line 1234567890123456789012345678901234567890...)"));
    assert_null(strstr(got, "ITEM_CODE"));   /* the advice did not fit */
    free(got);
    sku_check_result_cleanup(&r);
    free_lines(&line, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validate_table),
        cmocka_unit_test(test_problem_names),
        cmocka_unit_test(test_resolve_table),
        cmocka_unit_test(test_resolve_alias_skipped_for_unmappable),
        cmocka_unit_test(test_resolve_without_alias_lookup),
        cmocka_unit_test(test_advice_exact),
        cmocka_unit_test(test_advice_every_problem),
        cmocka_unit_test(test_advice_cuts_long_sku),
        cmocka_unit_test(test_check_order),
        cmocka_unit_test(test_check_order_clean_and_empty),
        cmocka_unit_test(test_detail_exact),
        cmocka_unit_test(test_detail_caps),
        cmocka_unit_test(test_detail_long_values_short_form),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
