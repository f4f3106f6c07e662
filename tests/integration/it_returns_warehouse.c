/*
 * it_returns_warehouse.c - returns on the Peoplevox side, end to end with
 * a real PostgreSQL, the fake Peoplevox and the real shopvox: an authorised
 * return becomes an expected return in the warehouse (create_return), the
 * warehouse receives it in parts (a partial receipt, then the rest with
 * one item not reusable), and the Return summary poll moves the return
 * received -> inspected -> returned_to_stock with the right quantities and
 * history; everything written off ends written_off; goods no return
 * expects open return_receipt_unmatched; polls re-reading the window add nothing
 * twice; a tenant without a Returns template keeps the return authorised
 * with returns_template_missing until the template is set up.
 *
 * The first return comes from the fake store (return/create, auto mode);
 * the others are made in the database as the returns core leaves an
 * authorised one (lines from the order's lines, or a wrong item code) with
 * its create_return job enqueued the way it does (dedupe key return:<id>).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "it.h"
#include "it_loop.h"
#include "it_orders_world.h"
#include "it_returns.h"

static int pvx_port(void)
{
    return sandbox_pvx_port(ito.sb);
}

/* Enqueues return id's create_return job the way the returns core does. */
static void enqueue_create(long id)
{
    it_sql_longf(ito.db,
                 "WITH j AS (INSERT INTO jobs (shop, kind, dedupe_key, payload) VALUES ('%s', "
                 "'create_return', 'return:%ld', '{\"return_id\":%ld}') RETURNING id) "
                 "SELECT pg_notify('shopvox_jobs', 'create_return') FROM j",
                 IT_SHOP, id, id);
}

/*
 * A return of every line of order `name` (full quantities) in state
 * (authorised: with its create_return job enqueued); its id. item_code
 * (may be NULL) replaces the lines' item codes.
 */
static long return_in(const char *name, const char *tag, const char *item_code,
                      const char *state)
{
    long id = it_sql_longf(ito.db,
                           "INSERT INTO returns (shop, shopline_return_id, order_id, "
                           "shopline_order_id, sales_order_number, state, mode, reason) "
                           "SELECT shop, 'ret-%s', id, shopline_order_id, sales_order_number, "
                           "'%s', 'authorise', 'Too small' FROM orders WHERE name = '%s' "
                           "RETURNING id",
                           tag, state, name);

    assert_true(id > 0);
    it_sql_longf(ito.db,
                 "WITH l AS (INSERT INTO return_lines (return_id, line_item_id, item_code, "
                 "quantity, unit_price) SELECT %ld, line_id, coalesce(%s%s%s, item_code), "
                 "quantity, price FROM order_lines WHERE order_id = (SELECT order_id FROM "
                 "returns WHERE id = %ld) RETURNING 1) SELECT count(*) FROM l",
                 id, item_code ? "'" : "", item_code ? item_code : "NULL", item_code ? "'" : "",
                 id);
    if (strcmp(state, "authorised") == 0)
        enqueue_create(id);
    return id;
}

static long authorised_return(const char *name, const char *tag, const char *item_code)
{
    return return_in(name, tag, item_code, "authorised");
}

static void wait_return_state(long id, const char *state)
{
    char *sql = xasprintf("SELECT count(*) FROM returns WHERE id = %ld AND state = '%s'", id,
                          state);

    if (it_wait_sql_long(ito.db, sql, 1, ITO_WAIT_MS) != 1) {
        char *now = it_sql_textf(ito.db, "SELECT state || ' ' || coalesce((SELECT string_agg("
                                 "to_state || '/' || cause, ', ' ORDER BY id) FROM return_events "
                                 "WHERE return_id = %ld), '') FROM returns WHERE id = %ld",
                                 id, id);
        fail_msg("return %ld is not %s: %s", id, state, now);
    }
    free(sql);
}

static long line_sum(long id, const char *item, const char *col)
{
    return ito_sql_count("SELECT coalesce(sum(%s), 0) FROM return_lines WHERE return_id = %ld "
                         "AND item_code = '%s'", col, id, item);
}

/* Waits until n more poll_returns runs finished after now. */
static void wait_polls(int n)
{
    long since = ito_sql_count("SELECT count(*) FROM jobs WHERE kind = 'poll_returns' AND "
                               "state = 'done'");
    char *sql = xasprintf("SELECT least(count(*), %ld) FROM jobs WHERE kind = 'poll_returns' "
                          "AND state = 'done'", since + n);

    assert_int_equal(it_wait_sql_long(ito.db, sql, since + n, ITO_WAIT_MS), since + n);
    free(sql);
}

static void test_partial_then_rest_returned_to_stock(void **state)
{
    static const char lines[] = "[{\"sku\":\"TEE-BLK-S\",\"quantity\":2},"
                                "{\"sku\":\"MUG-LOGO\",\"quantity\":1}]";
    char name[32], oid[40], so[40], slr[40], ref[32], code[32];
    char *site;
    long id, tee_before;

    (void)state;
    /* an order and its return request in the fake store; auto mode authorises it at once */
    itl_store_order("RWA", lines, name, sizeof(name), oid, sizeof(oid), so, sizeof(so), NULL);
    assert_int_equal(itl_return_request(ito.proc.port, oid, lines, "", slr, sizeof(slr)), 200);
    id = ito_sql_count("SELECT id FROM returns WHERE shopline_return_id = '%s'", slr);
    wait_return_state(id, "awaiting_receipt");
    assert_int_equal(ito_sql_count("SELECT count(*) FROM return_events WHERE return_id = %ld "
                                   "AND to_state = 'authorised' AND cause = 'auto'", id),
                     1);
    assert_int_equal(itr_expected(pvx_port(), so, "TEE-BLK-S", ref, sizeof(ref)), 2);
    assert_int_equal(itr_expected(pvx_port(), so, "MUG-LOGO", NULL, 0), 1);
    assert_int_equal(ito_sql_count("SELECT count(*) FROM returns WHERE id = %ld AND "
                                   "return_reference = '%s'", id, ref),
                     1);
    assert_int_equal(ito_sql_count("SELECT count(*) FROM return_events WHERE return_id = %ld "
                                   "AND to_state = 'awaiting_receipt' AND cause = 'warehouse'",
                                   id),
                     1);

    /* a partial receipt: one of the two tees */
    site = it_sql_textf(ito.db, "SELECT site FROM orders WHERE name = '%s'", name);
    tee_before = itr_on_hand(pvx_port(), "TEE-BLK-S", site);
    itr_receive(pvx_port(), so, "TEE-BLK-S", 1, "Good", true, 0, code, sizeof(code));
    wait_return_state(id, "received");
    assert_int_equal(line_sum(id, "TEE-BLK-S", "received_qty"), 1);
    assert_int_equal(line_sum(id, "TEE-BLK-S", "restocked_qty"), 1);
    assert_int_equal(ito_sql_count("SELECT count(*) FROM return_events WHERE return_id = %ld "
                                   "AND to_state = 'received' AND cause = 'warehouse:%s'", id,
                                   code),
                     1);
    wait_polls(1);
    assert_int_equal(ito_sql_count("SELECT count(*) FROM returns WHERE id = %ld AND state = "
                                   "'received'", id), 1);

    /* the rest: the other tee, and the mug broken */
    itr_receive(pvx_port(), so, "TEE-BLK-S", 1, "Good", true, 0, NULL, 0);
    itr_receive(pvx_port(), so, "MUG-LOGO", 1, "Broken", false, 0, code, sizeof(code));
    wait_return_state(id, "returned_to_stock");
    assert_int_equal(line_sum(id, "TEE-BLK-S", "received_qty"), 2);
    assert_int_equal(line_sum(id, "TEE-BLK-S", "restocked_qty"), 2);
    assert_int_equal(line_sum(id, "MUG-LOGO", "received_qty"), 1);
    assert_int_equal(line_sum(id, "MUG-LOGO", "written_off_qty"), 1);
    assert_int_equal(line_sum(id, "MUG-LOGO", "restocked_qty"), 0);
    assert_int_equal(itr_on_hand(pvx_port(), "TEE-BLK-S", site), tee_before + 2);
    free(site);
    /* received and not refunded: finance is told (the returns core's returns_after_receipt) */
    assert_int_equal(ito_sql_count("SELECT count(*) FROM exceptions WHERE type = 'refund_due' "
                                   "AND subject = '%ld' AND state = 'open'", id),
                     1);
    char *history = it_sql_textf(ito.db, "SELECT string_agg(to_state, ',' ORDER BY id) FROM "
                                 "return_events WHERE return_id = %ld", id);
    assert_string_equal(history,
                        "requested,authorised,awaiting_receipt,received,inspected,"
                        "returned_to_stock");
    free(history);
    assert_int_equal(ito_sql_count("SELECT count(*) FROM return_events WHERE return_id = %ld "
                                   "AND to_state IN ('inspected', 'returned_to_stock') AND "
                                   "cause = 'warehouse:%s'", id, code),
                     2);

    /* two more polls re-read the same rows: nothing is counted twice */
    wait_polls(2);
    assert_int_equal(ito_sql_count("SELECT count(*) FROM return_receipts WHERE "
                                   "sales_order_number = '%s'", so),
                     3);
    assert_int_equal(line_sum(id, "TEE-BLK-S", "received_qty"), 2);
    assert_int_equal(line_sum(id, "MUG-LOGO", "received_qty"), 1);
    assert_int_equal(ito_sql_count("SELECT count(*) FROM return_events WHERE return_id = %ld",
                                   id),
                     6);

    /* one more mug than was expected: kept, unmatched, one exception for its code */
    itr_receive(pvx_port(), so, "MUG-LOGO", 1, "Good", true, 0, code, sizeof(code));
    assert_int_equal(it_wait_sql_long(ito.db,
                                      "SELECT count(*) FROM exceptions WHERE type = "
                                      "'return_receipt_unmatched' AND state = 'open'",
                                      1, ITO_WAIT_MS),
                     1);
    assert_int_equal(ito_sql_count("SELECT count(*) FROM return_receipts WHERE return_code = "
                                   "'%s' AND unmatched_qty = 1 AND return_id IS NULL", code),
                     1);
    wait_polls(2);
    assert_int_equal(ito_sql_count("SELECT count(*) FROM exceptions WHERE type = "
                                   "'return_receipt_unmatched' AND subject = '%s'", code),
                     1);
    assert_int_equal(line_sum(id, "MUG-LOGO", "received_qty"), 1);
}

static void test_nothing_reusable_written_off(void **state)
{
    static const struct it_line lines[] = {{"CAP-NAVY", 1, false}};
    char name[32], so[40];
    long id;

    (void)state;
    ito_post_paid("RWB", "US", lines, 1, name, sizeof(name), so, sizeof(so));
    id = authorised_return(name, "b", NULL);
    wait_return_state(id, "awaiting_receipt");
    itr_receive(pvx_port(), so, "CAP-NAVY", 1, "Damaged", false, 0, NULL, 0);
    wait_return_state(id, "written_off");
    assert_int_equal(line_sum(id, "CAP-NAVY", "written_off_qty"), 1);
    assert_int_equal(line_sum(id, "CAP-NAVY", "restocked_qty"), 0);
}

static void test_no_template_stays_authorised(void **state)
{
    static const struct it_line lines[] = {{"SOCKS-3PK", 1, false}};
    char name[32], so[40];
    long id;

    (void)state;
    ito_post_paid("RWC", "US", lines, 1, name, sizeof(name), so, sizeof(so));
    itr_returns_template(pvx_port(), "[]");
    id = authorised_return(name, "c", NULL);
    assert_int_equal(it_wait_sql_long(ito.db,
                                      "SELECT count(*) FROM exceptions WHERE type = "
                                      "'returns_template_missing' AND state = 'open' AND "
                                      "team = 'ops'",
                                      1, ITO_WAIT_MS),
                     1);
    assert_int_equal(ito_sql_count("SELECT count(*) FROM jobs WHERE kind = 'create_return' AND "
                                   "dedupe_key = 'return:%ld' AND state = 'done'", id),
                     1);
    wait_polls(1);
    assert_int_equal(ito_sql_count("SELECT count(*) FROM returns WHERE id = %ld AND state = "
                                   "'authorised'", id), 1);
    assert_int_equal(itr_expected(pvx_port(), so, "SOCKS-3PK", NULL, 0), -1);

    /* a template missing the reason field is no better */
    itr_returns_template(pvx_port(), "[\"ReturnReference\",\"SalesOrderNumber\",\"ItemCode\","
                                     "\"Quantity\"]");
    wait_polls(2);
    assert_int_equal(ito_sql_count("SELECT count(*) FROM returns WHERE id = %ld AND state = "
                                   "'authorised'", id), 1);

    /* set up: the next poll sends the waiting return, and the exception resolves */
    itr_returns_template(pvx_port(), "[\"RmaNumber\",\"SalesOrderNumber\",\"ItemCode\","
                                     "\"QuantityExpected\",\"Reason\"]");
    wait_return_state(id, "awaiting_receipt");
    assert_int_equal(itr_expected(pvx_port(), so, "SOCKS-3PK", NULL, 0), 1);
    assert_int_equal(it_wait_sql_long(ito.db,
                                      "SELECT count(*) FROM exceptions WHERE type = "
                                      "'returns_template_missing' AND state = 'open'",
                                      0, ITO_WAIT_MS),
                     0);
}

static void test_rejected_then_sent_again(void **state)
{
    static const struct it_line lines[] = {{"TEE-WHT-S", 1, false}};
    char name[32], so[40];
    const char *resolve[] = {"exceptions", "resolve", NULL, "--note", "line fixed", NULL};
    char exc_id[24];
    long id;

    (void)state;
    ito_post_paid("RWD", "US", lines, 1, name, sizeof(name), so, sizeof(so));
    /* the return names an item that is not on the Sales Order: Peoplevox rejects the row */
    id = authorised_return(name, "d", "CAP-NAVY");
    char *sql = xasprintf("SELECT count(*) FROM exceptions WHERE type = "
                          "'return_warehouse_rejected' AND subject = 'return %ld' AND state = "
                          "'open' AND detail LIKE '%%is not on Sales order%%'", id);
    assert_int_equal(it_wait_sql_long(ito.db, sql, 1, ITO_WAIT_MS), 1);
    free(sql);
    wait_polls(2);
    assert_int_equal(ito_sql_count("SELECT count(*) FROM returns WHERE id = %ld AND state = "
                                   "'authorised'", id), 1);
    /* a person fixes the line and resolves the exception: the next poll sends it again */
    it_sql_exec(ito.db, "UPDATE return_lines SET item_code = 'TEE-WHT-S' WHERE "
                        "item_code = 'CAP-NAVY' AND return_id IN (SELECT id FROM returns "
                        "WHERE shopline_return_id = 'ret-d')");
    snprintf(exc_id, sizeof(exc_id), "%ld",
             ito_sql_count("SELECT id FROM exceptions WHERE type = 'return_warehouse_rejected' "
                           "AND subject = 'return %ld'", id));
    resolve[2] = exc_id;
    assert_int_equal(ito_run_cli(resolve), 0);
    wait_return_state(id, "awaiting_receipt");
    assert_int_equal(itr_expected(pvx_port(), so, "TEE-WHT-S", NULL, 0), 1);
}

/*
 * Goods arriving before their return waits for them (customer service has
 * not decided yet): unmatched at first, then given to the return once it
 * is awaiting_receipt, once, and the exception resolves itself.
 */
static void test_goods_before_authorisation(void **state)
{
    static const struct it_line lines[] = {{"TEE-BLK-M", 2, false}};
    char name[32], so[40], code[32];
    char *sql;
    long id;

    (void)state;
    ito_post_paid("RWE", "US", lines, 1, name, sizeof(name), so, sizeof(so));
    id = return_in(name, "e", NULL, "requested");
    itr_receive(pvx_port(), so, "TEE-BLK-M", 2, "Good", true, 0, code, sizeof(code));
    sql = xasprintf("SELECT count(*) FROM exceptions WHERE type = 'return_receipt_unmatched' "
                    "AND subject = '%s' AND state = 'open'", code);
    assert_int_equal(it_wait_sql_long(ito.db, sql, 1, ITO_WAIT_MS), 1);
    wait_polls(2);
    assert_int_equal(line_sum(id, "TEE-BLK-M", "received_qty"), 0);

    /* customer service authorises a day later: the expected return is saved, the goods match */
    it_sql_exec(ito.db, "UPDATE returns SET state = 'authorised' WHERE shopline_return_id = "
                        "'ret-e'");
    enqueue_create(id);
    wait_return_state(id, "returned_to_stock");
    assert_int_equal(line_sum(id, "TEE-BLK-M", "received_qty"), 2);
    assert_int_equal(line_sum(id, "TEE-BLK-M", "restocked_qty"), 2);
    assert_int_equal(ito_sql_count("SELECT count(*) FROM return_receipts WHERE return_code = "
                                   "'%s' AND unmatched_qty = 0 AND matched_qty = 2 AND "
                                   "return_id = %ld", code, id),
                     1);
    assert_int_equal(it_wait_sql_long(ito.db, sql, 0, ITO_WAIT_MS), 0);
    /* later polls give nothing twice */
    wait_polls(2);
    assert_int_equal(line_sum(id, "TEE-BLK-M", "received_qty"), 2);
    assert_int_equal(ito_sql_count("SELECT count(*) FROM return_events WHERE return_id = %ld "
                                   "AND to_state = 'received'", id),
                     1);
    free(sql);
}

static int group_setup(void **state)
{
    static const char *const env[] = {"SHOPVOX_RETURNS_POLL_S=1", "SHOPVOX_RETURNS_MODE=auto",
                                      NULL};

    (void)state;
    it_require_db();
    return itl_world_start("retwh", env);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_partial_then_rest_returned_to_stock),
        cmocka_unit_test(test_nothing_reusable_written_off),
        cmocka_unit_test(test_no_template_stays_authorised),
        cmocka_unit_test(test_rejected_then_sent_again),
        cmocka_unit_test(test_goods_before_authorisation),
    };

    return cmocka_run_group_tests(tests, group_setup, itl_world_teardown);
}
