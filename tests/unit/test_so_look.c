/*
 * test_so_look.c - what Peoplevox holds of an order whose save's outcome
 * is unknown: absent, a conflict (never overwritten), all of it there
 * (nothing to send) or only part of it (sent again). Peoplevox's answers
 * are built as CSV from the very rows shopvox would send, then changed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "so_look.h"

/* One change to Peoplevox's copy: field's value on the changed row, or the column dropped. */
struct change {
    const char *field;
    const char *value;   /* NULL: the column is not shown at all */
};

static struct so_order order(void)
{
    return (struct so_order){
        .shop = strdup("shop.example"), .name = strdup("#1001"), .email = strdup("ann@x.com"),
        .customer = strdup("Ann Lee"), .ship = {strdup("1 High St"), NULL, strdup("London"),
                                                NULL, strdup("N1 1AA"), strdup("GB")},
        .shipping = strdup("4.9900"), .total = strdup("54.9800"), .discount = strdup("0.0000"),
        .tax = strdup("9.1600"), .created = strdup("2026-11-26 01:30:00"),
        .service = strdup("NEXTDAY"),
    };
}

static const struct change *change_of(const struct change *ch, size_t n, const char *field)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(ch[i].field, field) == 0)
            return &ch[i];
    }
    return NULL;
}

/* recs[0..n) as CSV with a header, changes applied to row `changed` (SIZE_MAX: none). */
static void to_table(const struct pvx_record *recs, size_t n, size_t changed,
                     const struct change *ch, size_t n_ch, struct csv_table *t)
{
    struct buf csv;
    struct errbuf err = {""};

    buf_init(&csv, 1024);
    for (size_t f = 0, first = 1; n > 0 && f < recs[0].n; f++) {
        const struct change *c = change_of(ch, n_ch, recs[0].values[f].name);

        if (c != NULL && c->value == NULL)
            continue;
        buf_appendf(&csv, "%s%s", first ? "" : ",", recs[0].values[f].name);
        first = 0;
    }
    buf_append_str(&csv, "\n");
    for (size_t r = 0; r < n; r++) {
        for (size_t f = 0, first = 1; f < recs[r].n; f++) {
            const struct change *c = change_of(ch, n_ch, recs[r].values[f].name);
            const char *v = recs[r].values[f].value != NULL ? recs[r].values[f].value : "";

            if (c != NULL && c->value == NULL)
                continue;
            if (c != NULL && r == changed)
                v = c->value;
            buf_appendf(&csv, "%s\"%s\"", first ? "" : ",", v);
            first = 0;
        }
        buf_append_str(&csv, "\n");
    }
    assert_int_equal(csv_parse(buf_cstr(&csv), csv.len, 0, t, &err), ST_OK);
    buf_cleanup(&csv);
}

/* One order of two lines; Peoplevox's copy of the header and items, each maybe changed. */
struct fixture {
    struct so_order o;
    struct so_lines lines;
    char *codes[2];
    struct so_order_row row;
    struct so_item_row items[2];
    struct pvx_record recs[2];
    size_t n_items;
};

static void fixture_init(struct fixture *f)
{
    memset(f, 0, sizeof(*f));
    f->o = order();
    so_lines_alloc(&f->lines, 2);
    for (size_t i = 0; i < 2; i++) {
        f->lines.lines[i].quantity = (int64_t)i + 1;
        f->lines.lines[i].price = strdup(i == 0 ? "10.0000" : "12.5000");
        f->lines.line_no[i] = (int)i + 1;
        f->codes[i] = strdup(i == 0 ? "TEE-BLK-M" : "CAP-RED");
    }
    so_order_row_fill(&f->o, "UK-1001", "LONDON", &f->row);
    f->n_items = so_item_rows_fill(&f->lines, f->codes, "UK-1001", f->items);
    for (size_t i = 0; i < f->n_items; i++)
        f->recs[i] = f->items[i].rec;
}

static void fixture_cleanup(struct fixture *f)
{
    so_order_cleanup(&f->o);
    so_lines_cleanup(&f->lines);
    free(f->codes[0]);
    free(f->codes[1]);
}

/* The verdict when Peoplevox holds heads (changed) and n_items of our item rows (changed). */
static enum so_look_verdict judge(struct fixture *f, const struct change *hc, size_t n_hc,
                                  size_t n_items, const struct change *ic, size_t n_ic,
                                  size_t item_changed, char *why, size_t cap)
{
    struct csv_table heads, items;
    struct so_look_case c = {&f->o, "LONDON", &f->row.rec, f->recs, f->n_items, &heads, &items};
    enum so_look_verdict v;

    to_table(&f->row.rec, 1, 0, hc, n_hc, &heads);
    to_table(f->recs, n_items, item_changed, ic, n_ic, &items);
    v = so_look_judge(&c, why, cap);
    csv_table_cleanup(&heads);
    csv_table_cleanup(&items);
    return v;
}

static void test_all_there_is_complete(void **state)
{
    struct fixture f;
    char why[256];

    fixture_init(&f);
    assert_int_equal(judge(&f, NULL, 0, 2, NULL, 0, SIZE_MAX, why, sizeof(why)),
                     SO_LOOK_COMPLETE);
    assert_string_equal(why, "");
    /* money Peoplevox prints its own way is the same money */
    assert_int_equal(judge(&f, (struct change[]){{"TotalSale", "54.980"}}, 1, 2,
                           (struct change[]){{"SalePrice", "12.5"}}, 1, 1, why, sizeof(why)),
                     SO_LOOK_COMPLETE);
    fixture_cleanup(&f);
}

static void test_nothing_there_is_absent(void **state)
{
    static const char other_csv[] = "SalesOrderNumber,Site\nUK-1002,LONDON\n";
    struct fixture f;
    struct csv_table empty = {0, NULL}, other;
    struct so_look_case c;
    struct errbuf err = {""};
    char why[64];

    fixture_init(&f);
    c = (struct so_look_case){&f.o, "LONDON", &f.row.rec, f.recs, f.n_items, &empty, NULL};
    assert_int_equal(so_look_judge(&c, why, sizeof(why)), SO_LOOK_ABSENT);
    assert_int_equal(csv_parse(other_csv, strlen(other_csv), 0, &other, &err), ST_OK);
    c.heads = &other;
    assert_int_equal(so_look_judge(&c, why, sizeof(why)), SO_LOOK_ABSENT);
    csv_table_cleanup(&other);
    fixture_cleanup(&f);
}

static void test_other_content_is_a_conflict(void **state)
{
    static const struct change cases[][1] = {
        {{"Site", "LEEDS"}}, {{"Email", "bob@x.com"}}, {{"TotalSale", "60.00"}},
    };
    struct fixture f;
    char why[256];

    fixture_init(&f);
    for (size_t i = 0; i < ARRAY_LEN(cases); i++)
        assert_int_equal(judge(&f, cases[i], 1, 2, NULL, 0, SIZE_MAX, why, sizeof(why)),
                         SO_LOOK_CONFLICT);
    assert_non_null(strstr(why, "TotalSale is 60.00"));
    fixture_cleanup(&f);
}

/* What is missing or different is saved again: the item rows alone, or the whole order. */
static void test_part_missing_or_different_is_resent(void **state)
{
    static const struct {
        struct change head, item;
        size_t n_items;
        enum so_look_verdict want;
        const char *why;
    } cases[] = {
        {{"-", ""}, {"-", ""}, 1, SO_LOOK_ITEMS, "item row (Line 2) is missing"},
        {{"-", ""}, {"-", ""}, 0, SO_LOOK_ITEMS, "item row (Line 1) is missing"},
        {{"-", ""}, {"QuantityOrdered", "1"}, 2, SO_LOOK_ITEMS, "item row's QuantityOrdered differs"},
        {{"-", ""}, {"ItemCode", "CAP-BLUE"}, 2, SO_LOOK_ITEMS, "item row's ItemCode differs"},
        {{"ShippingAddressLine1", "2 High St"}, {"-", ""}, 2, SO_LOOK_RESEND,
         "ShippingAddressLine1 differs"},
        {{"CreatedDate", "26/11/2026 01:30"}, {"-", ""}, 2, SO_LOOK_RESEND, "CreatedDate differs"},
        {{"ServiceType", NULL}, {"-", ""}, 2, SO_LOOK_RESEND,
         "does not show the order row's ServiceType"},
        /* the order row first: both wrong is a whole re-save */
        {{"ShippingAddressCity", "Leeds"}, {"QuantityOrdered", "1"}, 2, SO_LOOK_RESEND,
         "ShippingAddressCity differs"},
    };
    struct fixture f;
    char why[256];

    fixture_init(&f);
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        enum so_look_verdict v = judge(&f, &cases[i].head, 1, cases[i].n_items, &cases[i].item,
                                       1, 1, why, sizeof(why));

        if (v != cases[i].want || strstr(why, cases[i].why) == NULL)
            fail_msg("case %zu: %s '%s', want %s '%s'", i, so_look_verdict_name(v), why,
                     so_look_verdict_name(cases[i].want), cases[i].why);
    }
    fixture_cleanup(&f);
}

static void test_rows_beyond_ours_do_not_matter(void **state)
{
    struct fixture f;
    struct csv_table heads, items;
    struct so_look_case c;
    struct errbuf err = {""};
    struct buf csv;
    char why[256];

    fixture_init(&f);
    to_table(&f.row.rec, 1, 0, NULL, 0, &heads);
    buf_init(&csv, 256);
    buf_append_str(&csv, "SalesOrderNumber,ItemCode,QuantityOrdered,Line,Sequence,SalePrice\n"
                         "UK-1001,TEE-BLK-M,1,1,1,10.00\nUK-1001,OLD-ITEM,4,3,3,1.00\n"
                         "UK-1001,CAP-RED,2,2,2,12.50\nUK-1002,CAP-RED,9,2,2,12.50\n");
    assert_int_equal(csv_parse(buf_cstr(&csv), csv.len, 0, &items, &err), ST_OK);
    c = (struct so_look_case){&f.o, "LONDON", &f.row.rec, f.recs, f.n_items, &heads, &items};
    assert_int_equal(so_look_judge(&c, why, sizeof(why)), SO_LOOK_COMPLETE);
    csv_table_cleanup(&heads);
    csv_table_cleanup(&items);
    buf_cleanup(&csv);
    fixture_cleanup(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_there_is_complete),
        cmocka_unit_test(test_nothing_there_is_absent),
        cmocka_unit_test(test_other_content_is_a_conflict),
        cmocka_unit_test(test_part_missing_or_different_is_resent),
        cmocka_unit_test(test_rows_beyond_ours_do_not_matter),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
