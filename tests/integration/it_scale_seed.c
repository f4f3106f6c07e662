/*
 * it_scale_seed.c - the scale benchmark's seeder (bench/scale_seed.sql) on a
 * migrated database: 1,000 orders, every table an order occupies consistent
 * with the order (lines add up to its total, history ends in its state,
 * despatches carry its lines, deliveries and done posts only within
 * retention), the load generator's lines for its seed, and a second call over
 * an overlapping range adds only the orders not there yet. No timings: the
 * benchmark measures those (bench/scale.sh).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common.h"
#include "it.h"

#define SEED_FILE SHOPVOX_SQL_DIR "/../bench/scale_seed.sql"
#define SEED 424242

static const char *db;

/* Runs the seeder for orders lo .. hi-1 with psql; its exit status. */
static int seed_orders(long lo, long hi)
{
    char cmd[1024];

    snprintf(cmd, sizeof(cmd),
             "psql -qX '%s' -v lo=%ld -v hi=%ld -v seed=%d -v shop=%s -v days=365 "
             "-v retention_days=30 -f '%s' >/dev/null",
             db, lo, hi, SEED, IT_SHOP, SEED_FILE);
    return system(cmd);
}

static void test_seeds_consistent_orders(void **state)
{
    assert_int_equal(seed_orders(0, 1000), 0);

    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM orders"), 1000);
    /* 2-3 lines each, adding up to the total (shipping 5.00) */
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM orders o WHERE (SELECT count(*) "
                                     "FROM order_lines l WHERE l.order_id = o.id) NOT IN (2, 3)"),
                     0);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM orders o WHERE o.total_price - 5 <> "
                                     "(SELECT sum(l.price * l.quantity) FROM order_lines l "
                                     "WHERE l.order_id = o.id)"),
                     0);
    /* history: received first, the last change lands on the order's state */
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM orders o WHERE (SELECT e.event FROM "
                                     "order_events e WHERE e.order_id = o.id ORDER BY e.id "
                                     "LIMIT 1) IS DISTINCT FROM 'received'"),
                     0);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM orders o WHERE (SELECT e.to_state "
                                     "FROM order_events e WHERE e.order_id = o.id ORDER BY e.id "
                                     "DESC LIMIT 1) IS DISTINCT FROM o.state"),
                     0);
    /* mostly fulfilled, as a year of history would be */
    assert_true(it_sql_long(db, "SELECT count(*) FROM orders WHERE state = 'fulfilled'") > 800);
    /* a despatch per despatched or fulfilled order, with all its lines */
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM orders o WHERE (o.state IN "
                                     "('despatched', 'fulfilled')) <> EXISTS (SELECT 1 FROM "
                                     "despatches d WHERE d.order_id = o.id)"),
                     0);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM despatches d JOIN order_lines l ON "
                                     "l.order_id = d.order_id LEFT JOIN despatch_lines x ON "
                                     "x.despatch_id = d.id AND x.line_id = l.line_id "
                                     "WHERE x.line_id IS NULL"),
                     0);
    /* deliveries and done posts within retention only, bodies as digested */
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM webhook_events w JOIN orders o ON "
                                     "o.id = w.order_id WHERE o.created_at < now() - interval "
                                     "'31 days' OR w.body_sha256 <> sha256(w.body)"),
                     0);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM orders WHERE created_at > now() - "
                                     "interval '30 days'"),
                     it_sql_long(db, "SELECT count(*) FROM webhook_events"));
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM jobs j JOIN orders o ON "
                                     "o.id::text = j.dedupe_key WHERE j.state = 'done' AND "
                                     "j.kind = 'post_sales_order' AND o.sales_order_number IS "
                                     "NOT NULL AND o.created_at > now() - interval '30 days'"),
                     it_sql_long(db, "SELECT count(*) FROM jobs"));
    (void)state;
}

static void test_lines_are_the_load_generators(void **state)
{
    /* splitmix64(SEED + 0), as bench/loadgen draws order 0 for --seed SEED */
    const uint64_t h = UINT64_C(14436730839898477291);
    long n_lines = 2 + (long)(h % 2);
    long first = (long)((h >> 8) % 7);
    static const char *const skus[] = {"VOX-TEE-BLK-M", "VOX-TEE-WHT-L", "VOX-HOOD-GRY-M",
                                       "VOX-MUG-350", "VOX-CAP-NVY", "VOX-SOCK-3PK",
                                       "VOX-TOTE-NAT"};

    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM order_lines l JOIN orders o ON "
                                     "o.id = l.order_id WHERE o.name = '#1001'"),
                     n_lines);
    for (long i = 0; i < n_lines; i++) {
        char *sku = it_sql_textf(db, "SELECT l.sku FROM order_lines l JOIN orders o ON o.id = "
                                     "l.order_id WHERE o.name = '#1001' AND l.line_no = %ld",
                                 i + 1);

        assert_string_equal(sku, skus[(first + i) % 7]);
        free(sku);
        assert_int_equal(it_sql_longf(db, "SELECT l.quantity FROM order_lines l JOIN orders o ON "
                                          "o.id = l.order_id WHERE o.name = '#1001' AND "
                                          "l.line_no = %ld",
                                      i + 1),
                         1 + (long)((h >> (16 + 4 * i)) % 3));
    }
    (void)state;
}

static void test_overlapping_range_adds_only_new_orders(void **state)
{
    long lines = it_sql_long(db, "SELECT count(*) FROM order_lines");

    assert_int_equal(seed_orders(500, 1500), 0);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM orders"), 1500);
    assert_true(it_sql_long(db, "SELECT count(*) FROM order_lines") - lines >= 1000);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM (SELECT order_id FROM order_events "
                                     "WHERE event = 'received' GROUP BY order_id "
                                     "HAVING count(*) > 1) AS x"),
                     0);
    (void)state;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seeds_consistent_orders),
        cmocka_unit_test(test_lines_are_the_load_generators),
        cmocka_unit_test(test_overlapping_range_adds_only_new_orders),
    };

    it_require_db();
    db = it_db_create_migrated("scale_seed");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
