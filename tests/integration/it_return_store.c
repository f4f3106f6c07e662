/*
 * it_return_store.c - the returns tables against a real database
 * (return_store.c): a return created once and locked after, linked to
 * its order and Sales Order number; lines priced and coded from the
 * order's lines, an unknown line kept with no item code; every allowed
 * transition writes state and history, a refused or same-state one
 * nothing; get reads the contract's record; a refund spread over two
 * returns of one order oldest first, never beyond a line's quantity; the
 * amount due for received, unrefunded units.
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
#include "return_store.h"
#include "store.h"

#define SHOP "acme.myshopline.com"

static const char *db;
static struct store_conn *conn;

static int group_setup(void **state)
{
    (void)state;
    db = it_db_create_migrated("retstore");
    conn = store_conn_create(db);
    it_sql_exec(db, "INSERT INTO orders (id, shop, shopline_order_id, name, state, currency, "
                    "sales_order_number) VALUES (7, '" SHOP "', '900', '#1001', 'sent', 'EUR', "
                    "'SO1001')");
    it_sql_exec(db, "INSERT INTO order_lines (order_id, line_id, sku, item_code, quantity, price) "
                    "VALUES (7, 'L1', 'SKU-1', 'ITEM-1', 3, 19.90), "
                    "(7, 'L2', 'SKU-2', NULL, 1, 5.00)");
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    store_conn_destroy(conn);
    return 0;
}

static int empty_returns(void **state)
{
    (void)state;
    it_sql_exec(db, "TRUNCATE returns, return_lines, return_events, return_receipts");
    it_sql_exec(db, "TRUNCATE refunds");
    return 0;
}

static void must(enum st st, const char *what, const struct errbuf *err)
{
    if (st != ST_OK)
        fail_msg("%s failed: %s", what, err->msg);
}

static long long make_return(const char *slr_id, const char *order)
{
    const struct return_upsert u = {SHOP, slr_id, order, "authorise", "size",
                                    "2026-11-30T10:00:00Z"};
    struct return_locked l;
    struct errbuf err = {""};

    must(store_cmd(conn, "BEGIN", &err), "begin", &err);
    must(return_store_lock_or_create(conn, &u, &l, &err), "lock_or_create", &err);
    assert_true(l.created);
    assert_int_equal(l.state, RETURN_REQUESTED);
    must(store_cmd(conn, "COMMIT", &err), "commit", &err);
    return l.id;
}

static void put(long long id, const char *line, long qty, bool want_known)
{
    struct errbuf err = {""};
    bool known = !want_known;

    must(return_store_put_line(conn, id, line, qty, NULL, &known, &err), "put_line", &err);
    assert_int_equal(known, want_known);
}

static void test_create_lock_lines(void **state)
{
    const struct return_upsert u = {SHOP, "R1", "900", "authorise", NULL, NULL};
    long long id = make_return("R1", "900");
    struct return_locked l;
    struct return_rec rec;
    struct errbuf err = {""};

    must(return_store_lock_or_create(conn, &u, &l, &err), "lock again", &err);
    assert_false(l.created);
    assert_int_equal(l.id, id);
    assert_string_equal(l.order_id, "7");
    assert_string_equal(l.order_name, "#1001");
    assert_true(l.shopline_updated_ms == 1796032800000LL);
    put(id, "L1", 2, true);
    put(id, "L2", 1, true);    /* no item code: the SKU */
    put(id, "L9", 1, false);   /* not a line of the order: kept, no item code */
    put(id, "L1", 1, true);    /* an update changes the quantity */
    must(return_store_get(conn, SHOP, id, &rec, &err), "get", &err);
    assert_string_equal(rec.shopline_return_id, "R1");
    assert_string_equal(rec.shopline_order_id, "900");
    assert_string_equal(rec.sales_order_number, "SO1001");
    assert_string_equal(rec.return_reference, "");
    assert_string_equal(rec.reason, "size");
    assert_int_equal(rec.state, RETURN_REQUESTED);
    assert_int_equal(rec.n_lines, 3);
    assert_string_equal(rec.lines[0].item_code, "ITEM-1");
    assert_int_equal(rec.lines[0].quantity, 1);
    assert_string_equal(rec.lines[1].item_code, "SKU-2");
    assert_string_equal(rec.lines[2].item_code, "");
    return_rec_free(&rec);
    assert_int_equal(it_sql_long(db, "SELECT (unit_price * 100)::int FROM return_lines "
                                     "WHERE line_item_id = 'L1'"), 1990);
    assert_int_equal(return_store_get(conn, SHOP, id + 1000, &rec, &err), ST_FAIL);
    assert_non_null(strstr(err.msg, "no such return"));
    return_rec_free(&rec);
}

static void transition(long long id, enum return_state to, bool want)
{
    struct errbuf err = {""};
    bool applied = !want;

    must(return_store_transition(conn, SHOP, id, to, "test", NULL, &applied, &err), "transition",
         &err);
    if (applied != want)
        fail_msg("-> %s: applied %d, want %d", return_state_name(to), applied, want);
}

static void test_transitions(void **state)
{
    long long id = make_return("R2", "900");
    struct errbuf err = {""};
    bool applied = true;

    transition(id, RETURN_RECEIVED, false);       /* not from requested */
    transition(id, RETURN_REQUESTED, false);      /* same state: no history */
    transition(id, RETURN_AUTHORISED, true);
    transition(id, RETURN_REJECTED, false);
    transition(id, RETURN_AWAITING_RECEIPT, true);
    transition(id, RETURN_RECEIVED, true);
    transition(id, RETURN_INSPECTED, true);
    transition(id, RETURN_WRITTEN_OFF, true);
    transition(id, RETURN_RETURNED_TO_STOCK, false); /* final */
    assert_int_equal(it_sql_longf(db, "SELECT count(*) FROM return_events WHERE return_id = %lld",
                                  id), 5);
    assert_int_equal(it_sql_longf(db, "SELECT count(*) FROM returns WHERE id = %lld AND state = "
                                      "'written_off' AND state_changed_at > created_at", id), 1);
    assert_int_equal(return_store_transition(conn, "other.shop", id, RETURN_CANCELLED, "t", NULL,
                                             &applied, &err), ST_FAIL);
    assert_false(applied);
}

static void test_refund_spread_and_due(void **state)
{
    long long a = make_return("R3", "900"), b = make_return("R4", "900");
    long long ids[RETURN_STORE_MAX_TOUCHED];
    struct return_due due;
    struct errbuf err = {""};
    size_t n = 0;
    bool inserted = false;
    const struct refund_row r = {SHOP, "F1", "900", "19.90", "EUR", "[]", NULL};

    put(a, "L1", 1, true);
    put(b, "L1", 2, true);
    it_sql_exec(db, "UPDATE return_lines SET received_qty = quantity");
    must(return_store_due(conn, SHOP, b, &due, &err), "due", &err);
    assert_int_equal(due.lines, 1);
    assert_int_equal(due.units, 2);
    assert_string_equal(due.amount, "39.8000");
    assert_string_equal(due.currency, "EUR");
    assert_string_equal(due.order_name, "#1001");
    must(return_store_refund_insert(conn, &r, &inserted, &err), "refund", &err);
    assert_true(inserted);
    must(return_store_refund_insert(conn, &r, &inserted, &err), "refund again", &err);
    assert_false(inserted);
    /* 2 units: the older return's one, then one of the newer's two */
    must(return_store_refund_apply(conn, SHOP, "900", "L1", 2, ids, &n, &err), "apply", &err);
    assert_int_equal(n, 2);
    assert_int_equal(it_sql_longf(db, "SELECT refunded_qty FROM return_lines WHERE return_id = "
                                      "%lld", a), 1);
    assert_int_equal(it_sql_longf(db, "SELECT refunded_qty FROM return_lines WHERE return_id = "
                                      "%lld", b), 1);
    n = 0;
    must(return_store_refund_apply(conn, SHOP, "900", "L1", 5, ids, &n, &err), "apply more",
         &err);
    assert_int_equal(n, 1);
    assert_int_equal(ids[0], b);
    assert_int_equal(it_sql_longf(db, "SELECT refunded_qty FROM return_lines WHERE return_id = "
                                      "%lld", b), 2);
    must(return_store_due(conn, SHOP, b, &due, &err), "due after", &err);
    assert_int_equal(due.lines, 0);
    assert_string_equal(due.amount, "0.0000");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_create_lock_lines, empty_returns),
        cmocka_unit_test_setup(test_transitions, empty_returns),
        cmocka_unit_test_setup(test_refund_spread_and_due, empty_returns),
    };

    it_require_db();
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
