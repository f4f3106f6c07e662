/*
 * test_fulfillment_match.c - which listed fulfillment is a despatch's: a
 * table over one order's fulfillments (tracking and lines both needed,
 * lines in any order or split, cancelled ones and ones taken by another
 * despatch skipped, untracked despatches by lines only), and a table of
 * 422 texts read as already fulfilled / cancelled / other.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "fulfillment_match.h"

/* The order's fulfillments as Shopline lists them (writable text: the list's types own it). */
static char l11[] = "11", l12[] = "12", l13[] = "13", l14[] = "14", l15[] = "15";
static char ta[] = "TRK-A", tb[] = "TRK-B", tc[] = "TRK-C";
static char ok[] = "success", cancelled[] = "cancelled";
static char id0[] = "F0", id1[] = "F1", id2[] = "F2", id3[] = "F3", id4[] = "F4", id5[] = "F5";
static struct shopline_fulfillment_line f0_lines[] = {{l11, 1}, {l12, 2}};
static struct shopline_fulfillment_line f1_lines[] = {{l11, 1}};
static struct shopline_fulfillment_line f2_lines[] = {{l13, 1}};
static struct shopline_fulfillment_line f3_lines[] = {{l14, 1}};
static struct shopline_fulfillment_line f4_lines[] = {{l15, 1}};
static struct shopline_fulfillment_line f5_lines[] = {{l15, 1}};
static char *f0_trk[] = {ta};
static char *f1_trk[] = {tb, ta};
static char *f2_trk[] = {tc};
static struct shopline_fulfillment items[] = {
    {id0, ok, f0_lines, 2, f0_trk, 1},
    {id1, ok, f1_lines, 1, f1_trk, 2},
    {id2, cancelled, f2_lines, 1, f2_trk, 1},
    {id3, NULL, f3_lines, 1, NULL, 0},
    {id4, ok, f4_lines, 1, NULL, 0},
    {id5, ok, f5_lines, 1, NULL, 0},
};
static const struct shopline_fulfillments listed = {items, ARRAY_LEN(items), ARRAY_LEN(items)};

struct match_case {
    const char *name;
    const char *tracking;
    struct shopline_line_qty lines[3];
    size_t n_lines;
    const char *taken;      /* one taken id, or NULL */
    long want;
};

static void test_match_table(void **state)
{
    static const struct match_case cases[] = {
        {"tracking and lines", "TRK-A", {{"11", 1}, {"12", 2}}, 2, NULL, 0},
        {"lines in another order", "TRK-A", {{"12", 2}, {"11", 1}}, 2, NULL, 0},
        {"a line split in two", "TRK-A", {{"12", 1}, {"11", 1}, {"12", 1}}, 3, NULL, 0},
        {"second tracking entry", "TRK-A", {{"11", 1}}, 1, NULL, 1},
        {"tracking, other quantity", "TRK-A", {{"11", 1}, {"12", 1}}, 2, NULL, -1},
        {"tracking, a line fewer", "TRK-A", {{"12", 2}}, 1, NULL, -1},
        {"tracking, a line more", "TRK-B", {{"11", 1}, {"13", 1}}, 2, NULL, -1},
        {"lines, other tracking", "TRK-Z", {{"11", 1}, {"12", 2}}, 2, NULL, -1},
        {"cancelled never matches", "TRK-C", {{"13", 1}}, 1, NULL, -1},
        {"untracked: by lines", "", {{"14", 1}}, 1, NULL, 3},
        {"untracked, NULL tracking", NULL, {{"14", 1}}, 1, NULL, 3},
        {"untracked matches a tracked one by lines", "", {{"11", 1}}, 1, NULL, 1},
        {"taken is skipped", "", {{"15", 1}}, 1, "F4", 5},
        {"first untaken", "", {{"15", 1}}, 1, NULL, 4},
        {"taken, tracked", "TRK-A", {{"11", 1}, {"12", 2}}, 2, "F0", -1},
        {"no lines", "TRK-A", {{NULL, 0}}, 0, NULL, -1},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        const char *taken[1] = {cases[i].taken};
        long got = fulfillment_match(&listed, cases[i].tracking, cases[i].lines,
                                     cases[i].n_lines, taken, cases[i].taken ? 1 : 0);

        if (got != cases[i].want)
            fail_msg("%s: got %ld want %ld", cases[i].name, got, cases[i].want);
    }
    assert_int_equal(fulfillment_match(NULL, "T", cases[0].lines, 1, NULL, 0), -1);
}

static void test_refusal_table(void **state)
{
    static const struct {
        const char *text;
        enum fulfillment_refusal want;
    } cases[] = {
        {"line items are already fulfilled: 1100000000000000000000001",
         FULFILLMENT_REFUSED_ALREADY},
        {"Line item has already been fulfilled", FULFILLMENT_REFUSED_ALREADY},
        {"order has been cancelled", FULFILLMENT_REFUSED_CANCELLED},
        {"Order is canceled", FULFILLMENT_REFUSED_CANCELLED},
        {"line_items: line item 9 is not in order 1", FULFILLMENT_REFUSED_OTHER},
        {"", FULFILLMENT_REFUSED_OTHER},
        {NULL, FULFILLMENT_REFUSED_OTHER},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(cases); i++)
        if (fulfillment_refusal_of(cases[i].text) != cases[i].want)
            fail_msg("case %zu \"%s\": got %d", i, cases[i].text ? cases[i].text : "(null)",
                     fulfillment_refusal_of(cases[i].text));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match_table),
        cmocka_unit_test(test_refusal_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
