/*
 * test_catalogue.c - mapping a Peoplevox `Item types` table to catalogue
 * rows: columns found by name (reordered, extra, odd case and spaces),
 * optional Barcode/Name, the ~D~ convention and tenant Active/Deleted
 * columns, empty codes skipped, duplicates collapsed (first row wins),
 * the empty answer, and a missing ItemCode column named in the error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue.h"

/* Parses CSV text into *t (asserting it is well formed). */
static void table(const char *csv, struct csv_table *t)
{
    struct errbuf err = {""};

    assert_int_equal(csv_parse(csv, strlen(csv), 0, t, &err), ST_OK);
}

/* Parses csv and maps it, asserting both succeed. */
static void mapped(const char *csv, struct csv_table *t, struct catalogue_items *c)
{
    struct errbuf err = {""};

    table(csv, t);
    assert_int_equal(catalogue_items_from_table(t, c, &err), ST_OK);
}

static void release(struct csv_table *t, struct catalogue_items *c)
{
    catalogue_items_cleanup(c);
    csv_table_cleanup(t);
}

static const struct catalogue_item *find(const struct catalogue_items *c, const char *code)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->items[i].code, code) == 0)
            return &c->items[i];
    return NULL;
}

static void test_sandbox_shape(void **state)
{
    struct csv_table t;
    struct catalogue_items c;
    const struct catalogue_item *it;

    mapped("ItemCode,Barcode,Name,Description,Weight\r\n"
          "TEE-BLK-S,5000001,Black tee S,,0.2\r\n"
          "OLD-TEE~D~1,,Old tee (deactivated),,\r\n"
          "CAP-NAVY,5000009,\"Navy cap, one size\",,\r\n", &t, &c);
    assert_int_equal(c.n, 3);
    /* sorted by code */
    assert_string_equal(c.items[0].code, "CAP-NAVY");
    assert_string_equal(c.items[1].code, "OLD-TEE~D~1");
    assert_string_equal(c.items[2].code, "TEE-BLK-S");
    it = find(&c, "TEE-BLK-S");
    assert_string_equal(it->barcode, "5000001");
    assert_string_equal(it->name, "Black tee S");
    assert_true(it->active);
    it = find(&c, "OLD-TEE~D~1");
    assert_false(it->active);
    assert_null(it->barcode);
    assert_string_equal(find(&c, "CAP-NAVY")->name, "Navy cap, one size");
    assert_int_equal(c.skipped_empty, 0);
    assert_int_equal(c.duplicates, 0);
    release(&t, &c);
}

static void test_reordered_extra_and_odd_names(void **state)
{
    struct csv_table t;
    struct catalogue_items c;
    const struct catalogue_item *it;

    mapped("Colour, name ,Supplier,BARCODE,itemcode\n"
          "red,Red beanie,ACME,123,BEANIE-RED\n", &t, &c);
    assert_int_equal(c.n, 1);
    it = &c.items[0];
    assert_string_equal(it->code, "BEANIE-RED");
    assert_string_equal(it->name, "Red beanie");
    assert_string_equal(it->barcode, "123");
    assert_true(it->active);
    release(&t, &c);
}

static void test_only_item_code(void **state)
{
    struct csv_table t;
    struct catalogue_items c;

    mapped("ItemCode\r\nA\r\nB\r\n", &t, &c);
    assert_int_equal(c.n, 2);
    assert_null(c.items[0].barcode);
    assert_null(c.items[0].name);
    assert_true(c.items[1].active);
    release(&t, &c);
}

struct flag_case {
    const char *header;
    const char *value;
    bool active;
};

static void test_tenant_active_and_deleted_columns(void **state)
{
    static const struct flag_case cases[] = {
        {"Active", "True", true},        {"Active", "False", false},
        {"Active", " false ", false},    {"Active", "0", false},
        {"Active", "no", false},         {"Active", "", true},
        {"Active", "maybe", true},       /* not a boolean: no opinion */
        {"IsActive", "FALSE", false},    {"Deleted", "True", false},
        {"Deleted", "False", true},      {"IsDeleted", "1", false},
        {"Deactivated", "yes", false},   {"IsDeactivated", "", true},
        {"Unrelated", "False", true},
    };
    char csv[160];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct csv_table t;
        struct catalogue_items c;
        struct errbuf err = {""};

        snprintf(csv, sizeof(csv), "ItemCode,%s\r\nX-1,\"%s\"\r\n", cases[i].header,
                 cases[i].value);
        table(csv, &t);
        assert_int_equal(catalogue_items_from_table(&t, &c, &err), ST_OK);
        assert_int_equal(c.n, 1);
        if (c.items[0].active != cases[i].active)
            fail_msg("case %zu: %s=%s: want active=%d", i, cases[i].header, cases[i].value,
                     cases[i].active);
        catalogue_items_cleanup(&c);
        csv_table_cleanup(&t);
    }
}

static void test_deactivated_code_wins_over_active_column(void **state)
{
    struct csv_table t;
    struct catalogue_items c;

    mapped("ItemCode,Active\r\nA~D~2,True\r\n", &t, &c);
    assert_false(c.items[0].active);
    release(&t, &c);
    assert_true(catalogue_code_is_deactivated("X~D~1"));
    assert_false(catalogue_code_is_deactivated("X~D1"));
    assert_false(catalogue_code_is_deactivated("X-D-1"));
    assert_false(catalogue_code_is_deactivated(NULL));
}

static void test_empty_codes_and_duplicates(void **state)
{
    struct csv_table t;
    struct catalogue_items c;

    mapped("ItemCode,Name\r\n"
          "B,first B\r\n"
          ",no code\r\n"
          "   ,spaces only\r\n"
          "A,the A\r\n"
          "B,second B\r\n"
          "B,third B\r\n", &t, &c);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.skipped_empty, 2);
    assert_int_equal(c.duplicates, 2);
    assert_string_equal(find(&c, "B")->name, "first B");
    assert_string_equal(find(&c, "A")->name, "the A");
    release(&t, &c);
}

static void test_codes_kept_exactly(void **state)
{
    struct csv_table t;
    struct catalogue_items c;

    /* Peoplevox compares codes exactly: case and inner text are not normalised */
    mapped("ItemCode\r\nabc\r\nABC\r\n\"Q,\"\"1\"\"\"\r\n", &t, &c);
    assert_int_equal(c.n, 3);
    assert_non_null(find(&c, "abc"));
    assert_non_null(find(&c, "ABC"));
    assert_non_null(find(&c, "Q,\"1\""));
    release(&t, &c);
}

static void test_empty_answers(void **state)
{
    struct csv_table t = {0, NULL};
    struct catalogue_items c;
    struct errbuf err = {""};

    /* no rows at all (no header either): an empty catalogue, not an error */
    assert_int_equal(catalogue_items_from_table(&t, &c, &err), ST_OK);
    assert_int_equal(c.n, 0);
    catalogue_items_cleanup(&c);

    mapped("ItemCode,Name\r\n", &t, &c);
    assert_int_equal(c.n, 0);
    release(&t, &c);
    catalogue_items_cleanup(NULL);
}

static void test_missing_item_code_column(void **state)
{
    struct csv_table t;
    struct catalogue_items c;
    struct errbuf err = {""};

    table("Code,Barcode,Name\r\nA,1,x\r\n", &t);
    assert_int_equal(catalogue_items_from_table(&t, &c, &err), ST_FAIL);
    assert_int_equal(c.n, 0);
    assert_non_null(strstr(err.msg, "no ItemCode column"));
    assert_non_null(strstr(err.msg, "Code, Barcode, Name"));
    release(&t, &c);
}

static void test_many_rows_sorted_unique(void **state)
{
    struct buf b;
    struct csv_table t;
    struct catalogue_items c;

    buf_init(&b, 0);
    buf_append_str(&b, "Name,ItemCode\r\n");
    for (int i = 2499; i >= 0; i--)
        buf_appendf(&b, "n%d,SKU-%05d\r\n", i, i % 2000);
    mapped(buf_cstr(&b), &t, &c);
    assert_int_equal(c.n, 2000);
    assert_int_equal(c.duplicates, 500);
    for (size_t i = 1; i < c.n; i++)
        assert_true(strcmp(c.items[i - 1].code, c.items[i].code) < 0);
    /* SKU-00100 appears as rows n2100 (first) and n100: the first row wins */
    assert_string_equal(find(&c, "SKU-00100")->name, "n2100");
    release(&t, &c);
    buf_cleanup(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sandbox_shape),
        cmocka_unit_test(test_reordered_extra_and_odd_names),
        cmocka_unit_test(test_only_item_code),
        cmocka_unit_test(test_tenant_active_and_deleted_columns),
        cmocka_unit_test(test_deactivated_code_wins_over_active_column),
        cmocka_unit_test(test_empty_codes_and_duplicates),
        cmocka_unit_test(test_codes_kept_exactly),
        cmocka_unit_test(test_empty_answers),
        cmocka_unit_test(test_missing_item_code_column),
        cmocka_unit_test(test_many_rows_sorted_unique),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
