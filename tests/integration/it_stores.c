/*
 * it_stores.c - the store adapters against a real database: an order
 * created, locked and written as the intake does and read back as the post
 * job sees it (derived email, contact, region and country), its lines
 * numbered and stored, posting state changes and their guards, the
 * re-check candidates; routing rules seeded once, replaced and loaded;
 * the catalogue's upsert counts, the one order's SKU snapshot and the
 * operator's mappings; the exception writes by id and by order state;
 * the cursors (a due claim, a stamp, existence); and the operator's
 * reports the CLI renders (their columns are its JSON keys).
 *
 * Each test starts from a fresh database.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "catalogue_store.h"
#include "cursor_store.h"
#include "exceptions.h"
#include "it.h"
#include "jobs.h"
#include "order_store.h"
#include "routing_store.h"
#include "store.h"

static const char *db;
static struct store_conn *conn;

static int setup(void **state)
{
    static int n_dbs;
    struct errbuf err = {""};
    char prefix[32];
    int applied = 0;

    snprintf(prefix, sizeof(prefix), "stores%d", ++n_dbs); /* names are unique per second */
    db = it_db_create(prefix);
    conn = store_conn_create(db);
    if (store_migrate(conn, SHOPVOX_SQL_DIR, &applied, &err) != ST_OK) {
        fprintf(stderr, "migrate: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    store_conn_destroy(conn);
    conn = NULL;
    return 0;
}

static void ok(enum st st, const struct errbuf *err)
{
    if (st != ST_OK)
        fail_msg("store call failed: %s", err->msg);
}

/* Stores Shopline order id/name (paid, one line of sku) as the intake does; its id into id. */
static void store_order(const char *sl_id, const char *name, const char *sku, char *id,
                        size_t cap)
{
    const struct it_line line[] = {{sku, 1, false}};
    const struct it_order spec = {sl_id, name, "paid", "2026-11-26T10:00:00+08:00", NULL, false,
                                  IT_LINES(line)};
    char *body = it_order_json(&spec);
    struct order o;
    struct order_store_locked row;
    struct errbuf err = {""};

    assert_int_equal(order_parse_json(body, strlen(body), &o, &err), ST_OK);
    ok(store_cmd(conn, "BEGIN", &err), &err);
    ok(order_store_lock_or_create(conn, IT_SHOP, &o, "ready", &row, &err), &err);
    ok(order_store_write(conn, row.id, &o, "ready", &err), &err);
    ok(order_store_replace_lines(conn, row.id, &o, &err), &err);
    ok(order_store_event(conn, row.id, NULL, "ready", "received", "orders/create", &err), &err);
    ok(store_cmd(conn, "COMMIT", &err), &err);
    snprintf(id, cap, "%s", row.id);
    order_cleanup(&o);
    free(body);
}

static void test_order_written_and_read_for_post(void **state)
{
    const struct it_line line[] = {{"MUG", 1, false}};
    const struct it_order spec = {"9001", "#1001", "paid", "2026-11-26T10:00:00+08:00", NULL,
                                  false, IT_LINES(line)};
    char *body = it_order_json(&spec);
    struct errbuf err = {""};
    struct order_store_locked row;
    struct so_order so;
    struct order o;
    bool found = false, differ = true;
    char id[ORDER_STORE_ID_MAX];

    store_order("9001", "#1001", "MUG", id, sizeof(id));
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM order_events"), 1);

    /* a second delivery locks the same row: not created, state and times known */
    assert_int_equal(order_parse_json(body, strlen(body), &o, &err), ST_OK);
    ok(store_cmd(conn, "BEGIN", &err), &err);
    ok(order_store_lock_or_create(conn, IT_SHOP, &o, "ready", &row, &err), &err);
    assert_false(row.created);
    assert_string_equal(row.id, id);
    assert_string_equal(row.state, "ready");
    assert_true(row.shopline_updated_ms > 0);
    assert_false(row.post_started);
    ok(order_store_lines_differ(conn, id, &o, &differ, &err), &err);
    assert_false(differ);
    o.lines[0].quantity = 2;
    ok(order_store_lines_differ(conn, id, &o, &differ, &err), &err);
    assert_true(differ);

    ok(order_store_lock_for_post(conn, id, &so, &found, &err), &err);
    assert_true(found);
    ok(store_cmd(conn, "COMMIT", &err), &err);
    assert_string_equal(so.shop, IT_SHOP);
    assert_string_equal(so.name, "#1001");
    /* the values of the shared order builder (tests/support/it_order.c) */
    assert_string_equal(so.email, "buyer@example.com");
    assert_string_equal(so.customer, "Ada Lovelace");
    assert_string_equal(so.contact, "Ada Lovelace");
    assert_string_equal(so.ship.line1, "1 Engine Row");
    assert_string_equal(so.ship.region, "Shire");
    assert_string_equal(so.ship.country, "US");
    assert_string_equal(so.bill.line1, "9 Bill St");
    assert_string_equal(so.total, "25.5000");
    assert_string_equal(so.shipping, "3.0000");
    assert_string_equal(so.created, "2026-11-26 01:00:00");
    assert_string_equal(so.service, "T24");
    assert_false(so.post_started);
    assert_null(so.so_number);
    so_order_cleanup(&so);

    ok(order_store_lock_for_post(conn, "424242", &so, &found, &err), &err);
    assert_false(found);
    order_cleanup(&o);
    free(body);
}

static void test_posting_state_changes(void **state)
{
    struct errbuf err = {""};
    struct order_store_state st;
    struct so_lines l;
    char *codes[1] = {NULL};
    char id[ORDER_STORE_ID_MAX], id2[ORDER_STORE_ID_MAX], other[64];
    bool found = false, taken = false;

    store_order("9002", "#1002", "MUG", id, sizeof(id));
    store_order("9003", "#1003", "CUP", id2, sizeof(id2));
    ok(order_store_load_lines(conn, id, &l, &err), &err);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.lines[0].sku, "MUG");
    assert_string_equal(l.lines[0].price, "10.5000");
    assert_int_equal(l.line_no[0], 0);
    so_lines_number(&l);
    codes[0] = l.lines[0].sku;
    ok(order_store_save_lines(conn, id, &l, codes, &err), &err);
    so_lines_cleanup(&l);
    ok(order_store_load_lines(conn, id, &l, &err), &err);
    assert_int_equal(l.line_no[0], 1);
    so_lines_cleanup(&l);

    ok(order_store_mark_posting(conn, id, "UK-1002", "LONDON", &err), &err);
    ok(order_store_number_owner(conn, "UK-1002", id2, other, sizeof(other), &taken, &err), &err);
    assert_true(taken);
    assert_string_equal(other, "#1002");
    ok(order_store_number_owner(conn, "UK-1002", id, other, sizeof(other), &taken, &err), &err);
    assert_false(taken);

    ok(order_store_hold(conn, id, "sku", &err), &err);
    ok(order_store_lock_state(conn, id, &st, &found, &err), &err);
    assert_true(found);
    assert_string_equal(st.state, "on_hold");
    assert_true(st.held);
    assert_string_equal(st.hold_reason, "sku");

    /* nothing reached Peoplevox: post_started_at cleared, but never once sent */
    ok(order_store_unstart(conn, id, &err), &err);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM orders WHERE post_started_at IS NULL "
                                     "AND sales_order_number = 'UK-1002'"), 1);
    ok(order_store_mark_posting(conn, id, "UK-1002", "LONDON", &err), &err);
    ok(order_store_mark_sent(conn, id, "LEEDS", false, &err), &err);
    ok(order_store_unstart(conn, id, &err), &err);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM orders WHERE state = 'sent' AND "
                                     "site = 'LEEDS' AND post_started_at IS NOT NULL"), 1);

    /* a cancelled order is never put on hold; sent after cancel keeps its state */
    ok(order_store_cancel(conn, id2, &err), &err);
    ok(order_store_hold(conn, id2, "routing", &err), &err);
    ok(order_store_mark_sent(conn, id2, "LONDON", true, &err), &err);
    ok(order_store_lock_state(conn, id2, &st, &found, &err), &err);
    assert_string_equal(st.state, "cancelled");
    assert_false(st.held);
}

static void test_cancel_view_and_recheck_candidates(void **state)
{
    struct errbuf err = {""};
    struct order_store_cancel c;
    long long *ids = NULL;
    size_t n = 0;
    char a[ORDER_STORE_ID_MAX], b[ORDER_STORE_ID_MAX], d[ORDER_STORE_ID_MAX];
    bool found = false;

    store_order("9004", "#1004", "MUG", a, sizeof(a));
    store_order("9005", "#1005", "MUG", b, sizeof(b));
    store_order("9006", "#1006", "MUG", d, sizeof(d));
    ok(order_store_lock_for_cancel(conn, a, &c, &found, &err), &err);
    assert_true(found);
    assert_string_equal(c.name, "#1004");
    assert_string_equal(c.so_number, "");
    assert_false(c.post_started);

    ok(order_store_hold(conn, a, "sku", &err), &err);
    ok(order_store_hold(conn, b, "peoplevox", &err), &err);
    ok(order_store_recheck_candidates(conn, IT_SHOP, &ids, &n, &err), &err);
    assert_int_equal(n, 1);
    assert_int_equal(ids[0], atoll(a));
    free(ids);
}

static void test_routing_rules_seed_replace_load(void **state)
{
    struct errbuf err = {""};
    struct routing_rules t, loaded;
    bool seeded = false;
    PGresult *res;
    enum st st;

    routing_rules_init(&t);
    assert_int_equal(routing_parse_rules(&t, "location:7=LEEDS;stock=A,B;default=P", &err), 0);
    ok(routing_store_seed(conn, IT_SHOP, &t, &seeded, &err), &err);
    assert_true(seeded);
    ok(routing_store_seed(conn, IT_SHOP, &t, &seeded, &err), &err);
    assert_false(seeded);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM routing_rules"), 4);

    res = routing_store_read(conn, IT_SHOP, &st, &err);
    assert_non_null(res);
    assert_int_equal(PQntuples(res), 4);
    assert_string_equal(PQgetvalue(res, 0, 0), "1");
    assert_string_equal(PQgetvalue(res, 0, 1), "location");
    assert_string_equal(PQgetvalue(res, 0, 2), "7");
    assert_true(PQgetisnull(res, 1, 2));
    PQclear(res);

    routing_rules_cleanup(&t);
    routing_rules_init(&t);
    assert_int_equal(routing_parse_rules(&t, "country:gb=LONDON", &err), 0);
    ok(store_cmd(conn, "BEGIN", &err), &err);
    ok(routing_store_replace(conn, IT_SHOP, &t, &err), &err);
    ok(store_cmd(conn, "COMMIT", &err), &err);
    routing_rules_init(&loaded);
    ok(routing_store_load(conn, IT_SHOP, &loaded, &err), &err);
    assert_int_equal(loaded.n, 1);
    assert_int_equal(loaded.rules[0].kind, ROUTE_COUNTRY);
    assert_string_equal(loaded.rules[0].match, "GB");
    assert_string_equal(loaded.rules[0].site, "LONDON");
    routing_rules_cleanup(&loaded);
    routing_rules_init(&loaded);
    ok(routing_store_load(conn, "other.shop", &loaded, &err), &err);
    assert_int_equal(loaded.n, 0);
    routing_rules_cleanup(&loaded);
    routing_rules_cleanup(&t);
}

static void test_stock_snapshot(void **state)
{
    struct errbuf err = {""};
    struct routing_store_stock s = {NULL};
    struct routing_stock lk;
    char id[ORDER_STORE_ID_MAX];
    char sql[256];

    store_order("9007", "#1007", "MUG", id, sizeof(id));
    snprintf(sql, sizeof(sql), "UPDATE order_lines SET item_code = 'MUG' WHERE order_id = %s", id);
    it_sql_exec(db, sql);
    it_sql_exec(db, "INSERT INTO stock (shop, item_code, site, available) VALUES "
                    "('" IT_SHOP "', 'MUG', 'LONDON', 5), ('" IT_SHOP "', 'PLATE', 'LEEDS', 9)");
    ok(routing_store_load_stock(conn, IT_SHOP, id, &s, &err), &err);
    lk = routing_store_stock_lookup(&s);
    assert_int_equal(lk.available(lk.ctx, "MUG", "LONDON"), 5);
    assert_int_equal(lk.available(lk.ctx, "MUG", "LEEDS"), 0);     /* known elsewhere */
    assert_int_equal(lk.available(lk.ctx, "PLATE", "LEEDS"), -1);  /* not this order's */
    routing_store_stock_cleanup(&s);
    routing_store_stock_cleanup(NULL);
}

static void test_catalogue_upsert_and_order_snapshot(void **state)
{
    struct catalogue_item items[] = {{"MUG", "111", "Mug", true}, {"OLD~D~", NULL, NULL, false}};
    struct catalogue_store_changes ch = {0, 0, 0};
    struct catalogue_store_snapshot snap = {NULL, NULL};
    struct sku_lookup lk;
    struct errbuf err = {""};
    char id[ORDER_STORE_ID_MAX];
    char *prev = NULL;
    long gone = -1, active = 0, inactive = 0;

    ok(store_cmd(conn, "BEGIN", &err), &err);
    ok(catalogue_store_lock(conn, IT_SHOP, &err), &err);
    ok(catalogue_store_upsert(conn, IT_SHOP, items, 2, &ch, &err), &err);
    ok(catalogue_store_deactivate_unsynced(conn, IT_SHOP, &gone, &err), &err);
    ok(catalogue_store_totals(conn, IT_SHOP, &active, &inactive, &err), &err);
    ok(catalogue_store_mark_synced(conn, IT_SHOP, 2, &err), &err);
    ok(store_cmd(conn, "COMMIT", &err), &err);
    assert_int_equal(ch.created, 2);
    assert_int_equal(ch.now_active, 1);
    assert_int_equal(ch.deactivated, 0);
    assert_int_equal(gone, 0);
    assert_int_equal(active, 1);
    assert_int_equal(inactive, 1);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM cursors WHERE name = "
                                     "'catalogue_sync:" IT_SHOP "' AND value LIKE '% 2'"), 1);

    /* the next sync no longer has MUG: inactive, kept */
    ch = (struct catalogue_store_changes){0, 0, 0};
    ok(store_cmd(conn, "BEGIN", &err), &err);
    ok(catalogue_store_upsert(conn, IT_SHOP, items + 1, 1, &ch, &err), &err);
    ok(catalogue_store_deactivate_unsynced(conn, IT_SHOP, &gone, &err), &err);
    ok(store_cmd(conn, "COMMIT", &err), &err);
    assert_int_equal(ch.created, 0);
    assert_int_equal(gone, 1);

    store_order("9008", "#1008", "mug-shopline", id, sizeof(id));
    ok(catalogue_store_map_sku(conn, IT_SHOP, "mug-shopline", "MUG", "it", &prev, &err), &err);
    assert_null(prev);
    ok(catalogue_store_load_for_order(conn, IT_SHOP, id, &snap, &err), &err);
    lk = catalogue_store_lookup(&snap);
    assert_string_equal(lk.map_alias(lk.ctx, "mug-shopline"), "MUG");
    assert_null(lk.map_alias(lk.ctx, "other"));
    assert_int_equal(lk.item_state(lk.ctx, "MUG"), SKU_ITEM_INACTIVE);
    assert_int_equal(lk.item_state(lk.ctx, "OLD~D~"), SKU_ITEM_MISSING); /* not this order's */
    catalogue_store_snapshot_cleanup(&snap);
    catalogue_store_snapshot_cleanup(NULL);
}

static void test_sku_mappings(void **state)
{
    struct catalogue_item items[] = {{"MUG", NULL, NULL, true}};
    struct catalogue_store_changes ch = {0, 0, 0};
    struct errbuf err = {""};
    char item_state[16];
    char *prev = NULL, *code = NULL;
    PGresult *res;
    enum st st;

    ok(catalogue_store_upsert(conn, IT_SHOP, items, 1, &ch, &err), &err);
    ok(catalogue_store_item_state(conn, IT_SHOP, "MUG", item_state, sizeof(item_state), &err),
       &err);
    assert_string_equal(item_state, "active");
    ok(catalogue_store_item_state(conn, IT_SHOP, "NOPE", item_state, sizeof(item_state), &err),
       &err);
    assert_string_equal(item_state, "missing");

    ok(catalogue_store_map_sku(conn, IT_SHOP, "sku-1", "NOPE", "ann", &prev, &err), &err);
    assert_null(prev);
    ok(catalogue_store_map_sku(conn, IT_SHOP, "sku-1", "MUG", "bob", &prev, &err), &err);
    assert_string_equal(prev, "NOPE");
    free(prev);
    res = catalogue_store_list_mappings(conn, IT_SHOP, &st, &err);
    assert_non_null(res);
    assert_int_equal(PQntuples(res), 1);
    assert_string_equal(PQgetvalue(res, 0, 1), "MUG");
    assert_string_equal(PQgetvalue(res, 0, 2), "active");
    assert_non_null(strchr(PQgetvalue(res, 0, 3), 'T'));
    assert_string_equal(PQgetvalue(res, 0, 4), "bob");
    PQclear(res);
    ok(catalogue_store_unmap_sku(conn, IT_SHOP, "sku-1", &code, &err), &err);
    assert_string_equal(code, "MUG");
    free(code);
    ok(catalogue_store_unmap_sku(conn, IT_SHOP, "sku-1", &code, &err), &err);
    assert_null(code);
}

static void test_exception_writes(void **state)
{
    struct exc_new e = {IT_SHOP, "stalled_order", "ops", "order", "#1009", NULL, "late", "look"};
    struct errbuf err = {""};
    char id[ORDER_STORE_ID_MAX], exc_id[24];
    long long eid = 0;
    bool changed = false;

    store_order("9009", "#1009", "MUG", id, sizeof(id));
    e.order_id = id;
    ok(exc_raise(conn, &e, &eid, &err), &err);
    snprintf(exc_id, sizeof(exc_id), "%lld", eid);

    /* still ready: the stalled exception stays open */
    ok(exc_resolve_moved_on(conn, IT_SHOP, "stalled_order", "ready", &err), &err);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM exceptions WHERE state = 'open'"), 1);
    ok(order_store_mark_sent(conn, id, "LONDON", false, &err), &err);
    ok(exc_resolve_moved_on(conn, IT_SHOP, "stalled_order", "ready", &err), &err);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM exceptions WHERE state = 'resolved' "
                                     "AND resolution = 'order is sent now'"), 1);

    ok(exc_raise(conn, &e, &eid, &err), &err);
    snprintf(exc_id, sizeof(exc_id), "%lld", eid);
    ok(exc_resolve_id(conn, IT_SHOP, exc_id, "ann", "done", &changed, &err), &err);
    assert_true(changed);
    ok(exc_resolve_id(conn, IT_SHOP, exc_id, "ann", "again", &changed, &err), &err);
    assert_false(changed);
    ok(exc_resolve_id(conn, "other.shop", exc_id, "ann", "no", NULL, &err), &err);
}

static void test_cursor_due_stamp_exists(void **state)
{
    struct errbuf err = {""};
    bool due = false, exists = true;
    char *value;

    ok(cursor_store_exists(conn, "sync", &exists, &err), &err);
    assert_false(exists);
    ok(cursor_store_claim_due(conn, "sync", 3600, &due, &err), &err);
    assert_true(due);                                  /* never ran: due */
    ok(cursor_store_claim_due(conn, "sync", 3600, &due, &err), &err);
    assert_false(due);                                 /* ran just now */
    it_sql_exec(db, "UPDATE cursors SET updated_at = now() - interval '2 hours'");
    ok(cursor_store_claim_due(conn, "sync", 3600, &due, &err), &err);
    assert_true(due);
    ok(cursor_store_exists(conn, "sync", &exists, &err), &err);
    assert_true(exists);

    ok(cursor_store_stamp(conn, "stamped", "42", &err), &err);
    ok(cursor_store_stamp(conn, "stamped", "43", &err), &err);
    value = it_sql_text(db, "SELECT value FROM cursors WHERE name = 'stamped'");
    assert_int_equal(strlen(value), strlen("2026-11-26T02:00:00Z 43"));
    assert_int_equal(value[10], 'T');
    assert_string_equal(value + 19, "Z 43");
    free(value);
}

/* Asserts res has exactly the columns of names (a comma-separated list), in that order. */
static void assert_columns(const PGresult *res, const char *names)
{
    char buf[512];
    int n = 0;

    assert_non_null(res);
    snprintf(buf, sizeof(buf), "%s", names);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
        assert_string_equal(PQfname(res, n++), t);
    assert_int_equal(PQnfields(res), n);
}

static void test_order_reports(void **state)
{
    struct errbuf err = {""};
    char id[ORDER_STORE_ID_MAX], id2[ORDER_STORE_ID_MAX];
    PGresult *res;
    enum st st;

    store_order("9010", "#1010", "MUG", id, sizeof(id));
    store_order("1010", "#1011", "CUP", id2, sizeof(id2));
    /* "#1010": an exact name first */
    res = order_store_report(conn, IT_SHOP, "#1010", &st, &err);
    assert_columns(res, "id,shopline_order_id,name,state,hold_reason,financial_status,"
                        "fulfillment_status,shopline_status,sales_order_number,site,location_id,"
                        "shipping_country,currency,total_price,shipping_title,"
                        "lines_changed_after_post,shopline_created_at,received_at,sent_at,"
                        "cancelled_at,updated_at");
    assert_int_equal(PQntuples(res), 1);
    assert_string_equal(PQgetvalue(res, 0, 2), "#1010");
    assert_string_equal(PQgetvalue(res, 0, 16), "2026-11-26T01:00:00Z"); /* as so.created */
    PQclear(res);
    /* "1010": the Shopline id of #1011 before the name #1010 with '#' added */
    res = order_store_report(conn, IT_SHOP, "1010", &st, &err);
    assert_string_equal(PQgetvalue(res, 0, 2), "#1011");
    PQclear(res);
    res = order_store_report(conn, IT_SHOP, "1011", &st, &err);
    assert_string_equal(PQgetvalue(res, 0, 2), "#1011");
    PQclear(res);
    res = order_store_report(conn, "other.shop", "1010", &st, &err);
    assert_int_equal(PQntuples(res), 0);
    PQclear(res);

    res = order_store_report_lines(conn, id, &st, &err);
    assert_columns(res, "line_id,line_no,sku,item_code,title,variant_title,quantity,"
                        "qty_despatched,qty_fulfilled,requires_shipping");
    assert_int_equal(PQntuples(res), 1);
    assert_string_equal(PQgetvalue(res, 0, 2), "MUG");
    PQclear(res);
    res = order_store_report_history(conn, id, &st, &err);
    assert_columns(res, "at,event,from_state,to_state,detail");
    assert_int_equal(PQntuples(res), 1);
    assert_string_equal(PQgetvalue(res, 0, 1), "received");
    PQclear(res);

    res = order_store_report_brief(conn, IT_SHOP, id, "#1011", &st, &err);
    assert_columns(res, "id,name,state");
    assert_int_equal(PQntuples(res), 1);
    assert_string_equal(PQgetvalue(res, 0, 1), "#1010"); /* the id decides */
    PQclear(res);
    res = order_store_report_brief(conn, IT_SHOP, "-1", "#1011", &st, &err);
    assert_string_equal(PQgetvalue(res, 0, 0), id2);     /* no id: the name */
    PQclear(res);
}

static void test_exception_and_job_reports(void **state)
{
    struct exc_new e = {IT_SHOP, "unknown_sku", "ecommerce", "order", "#1012", NULL, "MUG?",
                        "map it"};
    struct errbuf err = {""};
    char id[ORDER_STORE_ID_MAX], payload[64], text[48];
    long long eid = 0, job_id = 0;
    bool found = false;
    PGresult *res;
    enum st st;

    store_order("9012", "#1012", "MUG", id, sizeof(id));
    e.order_id = id;
    ok(exc_raise(conn, &e, &eid, &err), &err);
    e = (struct exc_new){IT_SHOP, "stalled_order", "ops", "order", "#1012", NULL, "late", "look"};
    ok(exc_raise(conn, &e, NULL, &err), &err);   /* about the order by its name only */

    res = exc_report(conn, IT_SHOP, eid, &st, &err);
    assert_columns(res, "id,type,state,team,subject_kind,subject,order_id,order_name,"
                        "order_state,detail,action,count,first_seen,last_seen,resolved_at,"
                        "resolved_by,resolution");
    assert_int_equal(PQntuples(res), 1);
    assert_string_equal(PQgetvalue(res, 0, 7), "#1012");
    assert_string_equal(PQgetvalue(res, 0, 8), "ready");
    PQclear(res);
    res = exc_report(conn, "other.shop", eid, &st, &err);
    assert_int_equal(PQntuples(res), 0);
    PQclear(res);
    res = exc_report_list(conn, IT_SHOP, "open", NULL, 50, &st, &err);
    assert_int_equal(PQntuples(res), 2);
    PQclear(res);
    res = exc_report_list(conn, IT_SHOP, "all", "unknown_sku", 50, &st, &err);
    assert_int_equal(PQntuples(res), 1);
    PQclear(res);
    res = exc_report_list(conn, IT_SHOP, "open", NULL, 1, &st, &err);
    assert_int_equal(PQntuples(res), 1);
    PQclear(res);
    res = exc_report_list(conn, IT_SHOP, "resolved", NULL, 50, &st, &err);
    assert_int_equal(PQntuples(res), 0);
    PQclear(res);
    res = exc_report_for_order(conn, IT_SHOP, id, "#1012", &st, &err);
    assert_columns(res, "id,type,team,detail,action,count,first_seen,last_seen");
    assert_int_equal(PQntuples(res), 2);
    PQclear(res);

    snprintf(payload, sizeof(payload), "{\"order_id\": %s}", id);
    ok(job_enqueue(conn, IT_SHOP, "post_sales_order", id, payload, 0, NULL, &err), &err);
    ok(job_find_live(conn, "post_sales_order", id, &job_id, text, sizeof(text), &found, &err),
       &err);
    assert_true(found);
    assert_true(job_id > 0);
    assert_string_equal(text, "pending");
    ok(job_find_live(conn, "post_sales_order", "0", &job_id, text, sizeof(text), &found, &err),
       &err);
    assert_false(found);
    ok(job_find_kind(conn, IT_SHOP, job_id, text, sizeof(text), &found, &err), &err);
    assert_true(found);
    assert_string_equal(text, "post_sales_order");
    ok(job_find_kind(conn, "other.shop", job_id, text, sizeof(text), &found, &err), &err);
    assert_false(found);
    res = job_report_for_order(conn, IT_SHOP, id, &st, &err);
    assert_columns(res, "id,kind,state,attempts,max_attempts,run_at,last_error,created_at,"
                        "finished_at");
    assert_int_equal(PQntuples(res), 1);
    assert_string_equal(PQgetvalue(res, 0, 1), "post_sales_order");
    PQclear(res);
}

static void test_known_sites(void **state)
{
    struct errbuf err = {""};
    struct routing_rules t;
    bool seeded = false;
    PGresult *res;
    enum st st;

    it_sql_exec(db, "INSERT INTO stock (shop, item_code, site, available) VALUES "
                    "('" IT_SHOP "', 'MUG', 'LONDON', 5), ('other.shop', 'MUG', 'PARIS', 1)");
    routing_rules_init(&t);
    assert_int_equal(routing_parse_rules(&t, "country:gb=LEEDS;default=LONDON", &err), 0);
    ok(routing_store_seed(conn, IT_SHOP, &t, &seeded, &err), &err);
    routing_rules_cleanup(&t);

    res = routing_store_known_sites(conn, IT_SHOP, "MAIN", &st, &err);
    assert_columns(res, "site");
    assert_int_equal(PQntuples(res), 3);
    assert_string_equal(PQgetvalue(res, 0, 0), "LEEDS");
    assert_string_equal(PQgetvalue(res, 1, 0), "LONDON");
    assert_string_equal(PQgetvalue(res, 2, 0), "MAIN");
    PQclear(res);
    res = routing_store_known_sites(conn, IT_SHOP, "", &st, &err);
    assert_int_equal(PQntuples(res), 2);
    PQclear(res);
}

/* A failed statement is a retry when the server says trying again can work, else a failure. */
static void test_failure_classes(void **state)
{
    static const struct {
        const char *errcode;
        enum st want;
    } cases[] = {
        {"deadlock_detected", ST_RETRY},      {"serialization_failure", ST_RETRY},
        {"lock_not_available", ST_RETRY},     {"query_canceled", ST_RETRY},
        {"out_of_memory", ST_RETRY},          {"unique_violation", ST_FAIL},
        {"check_violation", ST_FAIL},         {"invalid_text_representation", ST_FAIL},
    };
    struct errbuf err = {""};
    enum st st;

    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        char *sql = xasprintf("DO $$ BEGIN RAISE EXCEPTION 'provoked' USING ERRCODE = '%s'; "
                              "END $$",
                              cases[i].errcode);
        PGresult *res = store_exec(conn, sql, 0, NULL, &st, &err);

        assert_null(res);
        if (st != cases[i].want)
            fail_msg("%s: st %d, want %d (%s)", cases[i].errcode, st, cases[i].want, err.msg);
        free(sql);
    }
    assert_int_equal(PQstatus(store_pg(conn)), CONNECTION_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_order_written_and_read_for_post, setup, teardown),
        cmocka_unit_test_setup_teardown(test_posting_state_changes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_view_and_recheck_candidates, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_routing_rules_seed_replace_load, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stock_snapshot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_catalogue_upsert_and_order_snapshot, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sku_mappings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exception_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cursor_due_stamp_exists, setup, teardown),
        cmocka_unit_test_setup_teardown(test_order_reports, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exception_and_job_reports, setup, teardown),
        cmocka_unit_test_setup_teardown(test_known_sites, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failure_classes, setup, teardown),
    };

    it_require_db();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
