/*
 * it_variant_store.c - the variants table against a real database: a
 * replace inserts, updates only what changed and deletes what a complete
 * read no longer holds (variants without a SKU skipped and counted); the
 * lookup answers one variant's inventory item and refuses an ambiguous,
 * unknown or item-less SKU; duplicates are listed; counts for /metrics.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "it.h"
#include "store.h"
#include "variant_store.h"

#define SHOP "acme.myshopline.com"

static const char *db;
static struct store_conn *conn;

static int group_setup(void **state)
{
    (void)state;
    db = it_db_create_migrated("variants");
    conn = store_conn_create(db);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    store_conn_destroy(conn);
    return 0;
}

/* Each test starts without variants. */
static int empty_table(void **state)
{
    (void)state;
    it_sql_exec(db, "TRUNCATE variants");
    return 0;
}

static void must(enum st st, const char *what, const struct errbuf *err)
{
    if (st != ST_OK)
        fail_msg("%s failed: %s", what, err->msg);
}

/* Appends a variant (copies of the strings, NULL allowed) to l. */
static void add(struct shopline_variants *l, const char *product, const char *id,
                const char *sku, const char *item)
{
    struct shopline_variant *v;

    l->items = buf_grow_array(l->items, &l->cap, l->n + 1, sizeof(*l->items));
    v = &l->items[l->n++];
    v->product_id = xstrdup(product);
    v->id = xstrdup(id);
    v->sku = xstrdup(sku);
    v->inventory_item_id = xstrdup(item);
}

/* Replaces SHOP's variants with v[0..n-1] in one transaction. */
static struct variant_store_changes replace(const struct shopline_variant *v, size_t n)
{
    struct variant_store_changes ch;
    struct errbuf err = {""};

    must(store_cmd(conn, "BEGIN", &err), "begin", &err);
    must(variant_store_lock(conn, SHOP, &err), "lock", &err);
    must(variant_store_replace(conn, SHOP, v, n, &ch, &err), "replace", &err);
    must(store_cmd(conn, "COMMIT", &err), "commit", &err);
    return ch;
}

/* The lookup of sku: its inventory item, or "-" when not found. */
static const char *item_of(const char *shop, const char *sku, char *out, size_t cap)
{
    struct errbuf err = {""};
    bool found = true;

    must(variant_store_inventory_item(conn, shop, sku, out, cap, &found, &err), "lookup", &err);
    if (!found) {
        assert_string_equal(out, "");
        snprintf(out, cap, "-");
    }
    return out;
}

static void test_replace_and_lookup(void **state)
{
    struct shopline_variants first = {0}, second = {0};
    struct variant_store_changes ch;
    char item[64], old_at[64];
    char *at;

    (void)state;
    add(&first, "p1", "v1", "SKU-A", "i1");
    add(&first, "p1", "v2", "SKU-B", "i2");
    add(&first, "p2", "v3", NULL, "i3");
    add(&first, "p2", "v4", "SKU-C", NULL);
    add(&first, "p3", "v5", "SKU-D", "i5");
    add(&second, "p1", "v1", "SKU-A", "i1");    /* unchanged */
    add(&second, "p1", "v2", "SKU-B2", "i2");   /* SKU changed */
    add(&second, "p2", "v4", "SKU-C", "i4");    /* item now known */
    add(&second, "p4", "v6", "SKU-E", "i6");    /* new; v3 (no SKU) and v5 gone */

    ch = replace(first.items, first.n);
    assert_int_equal(ch.created, 4);
    assert_int_equal(ch.changed, 0);
    assert_int_equal(ch.removed, 0);
    assert_int_equal(ch.no_sku, 1);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM variants"), 4);
    assert_string_equal(item_of(SHOP, "SKU-A", item, sizeof(item)), "i1");
    assert_string_equal(item_of(SHOP, "SKU-C", item, sizeof(item)), "-");   /* no item id */
    assert_string_equal(item_of(SHOP, "sku-a", item, sizeof(item)), "-");   /* exact */
    assert_string_equal(item_of("other.myshopline.com", "SKU-A", item, sizeof(item)), "-");

    at = it_sql_text(db, "SELECT updated_at::text FROM variants WHERE variant_id = 'v1'");
    snprintf(old_at, sizeof(old_at), "%s", at);
    free(at);
    ch = replace(second.items, second.n);
    assert_int_equal(ch.created, 1);
    assert_int_equal(ch.changed, 2);
    assert_int_equal(ch.removed, 1);
    assert_int_equal(ch.no_sku, 0);
    at = it_sql_text(db, "SELECT updated_at::text FROM variants WHERE variant_id = 'v1'");
    assert_string_equal(at, old_at);                  /* untouched row, untouched time */
    free(at);
    assert_string_equal(item_of(SHOP, "SKU-B", item, sizeof(item)), "-");
    assert_string_equal(item_of(SHOP, "SKU-B2", item, sizeof(item)), "i2");
    assert_string_equal(item_of(SHOP, "SKU-C", item, sizeof(item)), "i4");
    assert_string_equal(item_of(SHOP, "SKU-D", item, sizeof(item)), "-");
    assert_string_equal(item_of(SHOP, "SKU-E", item, sizeof(item)), "i6");

    ch = replace(NULL, 0);                            /* an empty catalogue read */
    assert_int_equal(ch.removed, 4);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM variants"), 0);
    shopline_variants_cleanup(&first);
    shopline_variants_cleanup(&second);
}

static void test_duplicates_are_ambiguous(void **state)
{
    struct shopline_variants v = {0};
    struct errbuf err = {""};
    char item[64], tiny[2];
    bool found = true;
    long n_variants = 0, n_dups = 0;
    enum st st;
    PGresult *res;

    (void)state;
    add(&v, "p1", "v1", "DUP", "i1");
    add(&v, "p2", "v2", "DUP", "i2");
    add(&v, "p3", "v3", "ONE", "i3");
    add(&v, "p4", "v4", "TWO", "i4");
    add(&v, "p5", "v5", "TWO", "i5");
    add(&v, "p6", "v6", "TWO", "i6");
    add(&v, "p7", "v7", "ONE2", "i7");
    add(&v, "p7", "v7", "ONE2", "i7b");   /* one id twice in a read: the last wins */
    replace(v.items, v.n);
    assert_string_equal(item_of(SHOP, "DUP", item, sizeof(item)), "-");
    assert_string_equal(item_of(SHOP, "TWO", item, sizeof(item)), "-");
    assert_string_equal(item_of(SHOP, "ONE", item, sizeof(item)), "i3");
    assert_string_equal(item_of(SHOP, "ONE2", item, sizeof(item)), "i7b");
    assert_int_equal(variant_store_inventory_item(conn, SHOP, "ONE", tiny, sizeof(tiny), &found,
                                                  &err),
                     ST_FAIL);
    assert_false(found);

    res = variant_store_duplicates(conn, SHOP, &st, &err);
    must(st, "duplicates", &err);
    assert_int_equal(PQntuples(res), 2);
    assert_string_equal(PQgetvalue(res, 0, 0), "DUP");
    assert_string_equal(PQgetvalue(res, 0, 1), "v1, v2");
    assert_string_equal(PQgetvalue(res, 0, 2), "2");
    assert_string_equal(PQgetvalue(res, 1, 0), "TWO");
    assert_string_equal(PQgetvalue(res, 1, 1), "v4, v5, v6");
    PQclear(res);
    must(variant_store_counts(conn, &n_variants, &n_dups, &err), "counts", &err);
    assert_int_equal(n_variants, 7);
    assert_int_equal(n_dups, 2);
    shopline_variants_cleanup(&v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_replace_and_lookup, empty_table),
        cmocka_unit_test_setup(test_duplicates_are_ambiguous, empty_table),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
