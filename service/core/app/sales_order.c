/*
 * sales_order.c - one paid order -> exactly one Peoplevox Sales Order
 * (post_sales_order), and its cancellation (cancel_sales_order).
 *
 * Posting runs in three steps, and never holds a transaction open across
 * the network:
 *
 *   Tx1  lock the order; only 'ready', 'on_hold' (a re-check) or
 *        'not_for_warehouse' (its lines changed) go on. First: does it
 *        have anything to ship (order_content_of)? If not, and no earlier
 *        attempt may have posted it, it becomes 'not_for_warehouse' and the
 *        job is done: Peoplevox is never called for a Sales Order without
 *        item rows. An EMPTY paid order (no lines, every quantity 0) also
 *        opens one `empty_order` exception for ecommerce; an order of only
 *        non-shipping lines (digital goods, gift cards) does not. Then
 *        SKU integrity, site routing and the Sales Order number are decided
 *        here from rows loaded for this order; any problem puts the order
 *        on hold with one open exception and the job is done. Otherwise the
 *        number and site are stored, post_started_at is set (if it was not
 *        already) and the transaction commits.
 *   SOAP if post_started_at was already set, a previous attempt may have
 *        created the Sales Order without us seeing the answer: ask Peoplevox
 *        (GetData by number) first. Same content -> re-save (SaveData is an
 *        upsert on the key, lines keyed by their stable Line number); other
 *        content -> hold with a conflict exception, never overwrite. Then
 *        save the order row, then its item rows.
 *   Tx2  state 'sent', history, and the order's earlier exceptions resolve.
 *
 * Decisions:
 *  - A previous attempt's number and site win over a fresh computation
 *    while the Sales Order may exist (stock routing can change between
 *    attempts); only when Peoplevox says it does not exist is the fresh site
 *    used.
 *  - Rows are mapped by field NAME against the tenant's save template, and
 *    the CSV carries only the fields we fill (in the tenant's order): a
 *    cancellation must not blank the order's other fields. When Peoplevox
 *    refuses a column as unknown, the template is fetched again and the
 *    save repeated once.
 *  - A rejected row, or a call refused for a data reason, is not retried:
 *    the order goes on hold with Peoplevox's message. A call refused for a
 *    transient reason (too busy, timeout, try again ...: pvx_refusal_is_
 *    transient) is retried, in the batched path alike. A write whose
 *    outcome is unknown is ST_RETRY; post_started_at stays set so the next
 *    attempt checks first.
 *  - Throttling (Peoplevox refused the call for load, or the client is
 *    cooling down after such a refusal) applied nothing: the job is a
 *    throttled retry due after the cool-down, not counted against its
 *    attempts, and when Peoplevox holds nothing of the order its
 *    post_started_at is cleared, so the retry neither looks first nor
 *    leaves the batch. Item rows that follow an accepted order row wait
 *    the cool-down out within the Peoplevox timeout instead.
 *  - A cancellation that races a post is caught in Tx2: a Sales Order sent
 *    for an order cancelled meanwhile gets a cancel_sales_order job.
 *  - ShippingAddressCountry carries the ISO country code when Shopline sent
 *    one (unambiguous for carriers), else the country name.
 */
#include "sales_order.h"

#include <json-c/json.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "csv.h"
#include "exceptions.h"
#include "jobs.h"
#include "log.h"
#include "metrics.h"
#include "order.h"
#include "pvx.h"
#include "routing.h"
#include "sales_order_int.h"
#include "sku.h"

#define SO_CSV_MAX_BYTES (4u * 1024u * 1024u)
#define SO_DETAIL_MAX_BYTES 1024
#define SO_BY "shopvox"
#define SO_CHANNEL "Shopline"

/* ---- the Sales Order number ---- */

static bool so_is_control(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

int so_number_make(const char *prefix, const char *name, char *out, size_t cap)
{
    size_t n = 0;
    size_t name_bytes = 0;
    const char *p;

    if (out == NULL || cap == 0)
        return -1;
    out[0] = '\0';
    if (name == NULL)
        return -1;
    for (p = prefix != NULL ? prefix : ""; *p != '\0'; p++) {
        if (so_is_control((unsigned char)*p) || n >= SO_NUMBER_MAX_BYTES || n + 1 >= cap)
            goto fail;
        out[n++] = *p;
    }
    for (p = name; *p != '\0'; p++) {
        if (*p == '#')
            continue;
        if (so_is_control((unsigned char)*p) || n >= SO_NUMBER_MAX_BYTES || n + 1 >= cap)
            goto fail;
        out[n++] = *p;
        name_bytes++;
    }
    if (name_bytes == 0)
        goto fail;
    out[n] = '\0';
    return 0;
fail:
    out[0] = '\0';
    return -1;
}

/* ---- metrics ---- */

static pthread_once_t so_metrics_once = PTHREAD_ONCE_INIT;

static void so_metrics_describe(void)
{
    metrics_describe("shopvox_sales_orders_total", MET_COUNTER,
                     "post_sales_order outcomes (sent, held, not_for_warehouse, conflict, "
                     "rejected, retry)");
    metrics_describe("shopvox_sales_order_cancels_total", MET_COUNTER,
                     "cancel_sales_order outcomes (cancelled, despatched, rejected, retry, failed)");
}

static void so_count(const char *family, const char *outcome)
{
    char labels[64];

    snprintf(labels, sizeof(labels), "outcome=\"%s\"", outcome);
    metrics_inc(family, labels);
}

/* ---- per-job state ---- */

/* Columns of order_sql, in order. */
enum {
    OC_ID, OC_SHOP, OC_NAME, OC_STATE, OC_HOLD, OC_SO, OC_SITE, OC_STARTED, OC_SENT,
    OC_LOCATION, OC_COUNTRY, OC_EMAIL, OC_CUSTOMER, OC_CONTACT,
    OC_SHIP1, OC_SHIP2, OC_SHIP_CITY, OC_SHIP_REGION, OC_SHIP_POSTCODE, OC_SHIP_COUNTRY,
    OC_BILL1, OC_BILL2, OC_BILL_CITY, OC_BILL_REGION, OC_BILL_POSTCODE, OC_BILL_COUNTRY,
    OC_SHIPPING, OC_TOTAL, OC_DISCOUNT, OC_TAX, OC_CREATED, OC_SERVICE, OC_CANCELLED
};

#define SO_ADDRESS_SQL(col)                                                                   \
    col "->>'address1', " col "->>'address2', " col "->>'city', "                              \
    "coalesce(nullif(" col "->>'province', ''), " col "->>'province_code'), " col "->>'zip', " \
    "coalesce(nullif(" col "->>'country_code', ''), " col "->>'country')"

static const char *const order_sql =
    "SELECT id, shop, name, state, hold_reason, sales_order_number, site, "
    "post_started_at IS NOT NULL, sent_at IS NOT NULL, location_id, shipping_country, "
    "coalesce(nullif(email, ''), customer->>'email'), "
    "nullif(concat_ws(' ', customer->>'first_name', customer->>'last_name'), ''), "
    "coalesce(nullif(shipping_address->>'name', ''), nullif(concat_ws(' ', "
    "shipping_address->>'first_name', shipping_address->>'last_name'), '')), "
    SO_ADDRESS_SQL("shipping_address") ", " SO_ADDRESS_SQL("billing_address") ", "
    "shipping_price::text, total_price::text, total_discounts::text, total_tax::text, "
    "to_char(shopline_created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), "
    "coalesce(nullif(shipping_code, ''), shipping_title), "
    "cancelled_at IS NOT NULL OR shopline_status = 'cancelled' "
    "FROM orders WHERE id = $1::bigint FOR UPDATE";

void so_ctx_cleanup(struct so_ctx *x)
{
    PQclear(x->order);
    PQclear(x->lines_res);
    free(x->lines);
    free(x->line_no);
    sku_check_result_cleanup(&x->chk);
}

/* A column of the order row; NULL when SQL NULL. */
static const char *ov(const struct so_ctx *x, int col)
{
    return PQgetisnull(x->order, 0, col) ? NULL : PQgetvalue(x->order, 0, col);
}

static bool ov_true(const struct so_ctx *x, int col)
{
    const char *v = ov(x, col);

    return v != NULL && v[0] == 't';
}

static PGresult *so_q(struct so_ctx *x, const char *name, const char *sql, int n,
                      const char *const *params, enum st *st)
{
    return store_exec_prepared(x->w->db, name, sql, n, params, NULL, NULL, st, x->err);
}

static enum st so_exec(struct so_ctx *x, const char *name, const char *sql, int n,
                       const char *const *params)
{
    enum st st;

    PQclear(so_q(x, name, sql, n, params, &st));
    return st;
}

/* One order_events row (inside the caller's transaction). */
static enum st so_event_insert(struct store_conn *db, const char *order_id, const char *from,
                               const char *to, const char *event, const char *detail,
                               struct errbuf *err)
{
    const char *p[5] = {order_id, from, to, event, detail};
    enum st st;

    PQclear(store_exec_prepared(db, "so_event",
                                "INSERT INTO order_events (order_id, from_state, to_state, "
                                "event, detail) VALUES ($1::bigint, $2, $3, $4, $5)",
                                5, p, NULL, NULL, &st, err));
    return st;
}

static enum st so_event(struct so_ctx *x, const char *from, const char *to, const char *event,
                        const char *detail)
{
    return so_event_insert(x->w->db, x->order_id, from, to, event, detail, x->err);
}

/* Reads {"order_id": N} (number or digit string) into out. */
static enum st so_payload_order_id(const struct job *j, char *out, size_t cap,
                                   struct errbuf *err)
{
    struct json_object *root = json_tokener_parse(j->payload != NULL ? j->payload : "");
    struct json_object *v = NULL;
    enum st st = ST_FAIL;
    long long id = 0;

    if (root != NULL && json_object_object_get_ex(root, "order_id", &v)) {
        if (json_object_is_type(v, json_type_int))
            id = json_object_get_int64(v);
        else if (json_object_is_type(v, json_type_string))
            id = strtoll(json_object_get_string(v), NULL, 10);
    }
    if (id > 0) {
        snprintf(out, cap, "%lld", id);
        st = ST_OK;
    } else {
        errbuf_set(err, "job %lld payload has no positive order_id: %.100s", j->id,
                   j->payload != NULL ? j->payload : "");
    }
    json_object_put(root);
    return st;
}

static const char *so_shop(const struct so_ctx *x)
{
    return ov(x, OC_SHOP);
}

static const char *so_name(const struct so_ctx *x)
{
    return ov(x, OC_NAME);
}

/* ---- holds and exceptions ---- */

/* The checks before the network, in pipeline order, then the network's. */
static const char *const so_exception_types[] = {
    "unknown_sku", "unroutable", "order_number_too_long", "order_number_taken",
    "peoplevox_rejected", "sales_order_conflict",
};
#define SO_PRE_NETWORK_TYPES 4

struct so_hold {
    const char *reason;   /* orders.hold_reason */
    const char *type;     /* exception type */
    const char *team;
    const char *detail;
    const char *action;
};

static enum st so_resolve(struct so_ctx *x, size_t first, size_t end, const char *skip,
                          const char *resolution)
{
    enum st st = ST_OK;

    for (size_t i = first; i < end && st == ST_OK; i++) {
        if (skip != NULL && strcmp(skip, so_exception_types[i]) == 0)
            continue;
        st = exc_resolve_subject(x->w->db, so_shop(x), so_exception_types[i], so_name(x), SO_BY,
                                 resolution, x->err);
    }
    return st;
}

/*
 * Puts the locked order on hold (inside the open transaction): state,
 * reason, one exception, history when the hold is new or its reason
 * changed, and resolves exceptions of checks that now pass.
 */
static enum st so_hold(struct so_ctx *x, const char *cur_state, const char *cur_reason,
                       const struct so_hold *h)
{
    struct exc_new e = {so_shop(x), h->type, h->team, "order", so_name(x), x->order_id,
                        h->detail, h->action};
    const char *p[2] = {x->order_id, h->reason};
    size_t stage = SO_PRE_NETWORK_TYPES;
    char *ev;
    enum st st;

    for (size_t i = 0; i < SO_PRE_NETWORK_TYPES; i++) {
        if (strcmp(so_exception_types[i], h->type) == 0)
            stage = i;
    }
    st = so_exec(x, "so_hold",
                 "UPDATE orders SET state = 'on_hold', hold_reason = $2, updated_at = now() "
                 "WHERE id = $1::bigint AND state <> 'cancelled'",
                 2, p);
    if (st == ST_OK)
        st = exc_raise(x->w->db, &e, NULL, x->err);
    if (st == ST_OK && (strcmp(cur_state, "on_hold") != 0 || cur_reason == NULL ||
                        strcmp(cur_reason, h->reason) != 0)) {
        ev = xasprintf("%s: %s", h->type, h->detail);
        st = so_event(x, cur_state, strcmp(cur_state, "cancelled") == 0 ? "cancelled" : "on_hold",
                      "held", ev);
        free(ev);
    }
    if (st == ST_OK)
        st = so_resolve(x, 0, stage, h->type, "check passed on re-check");
    return st;
}

/* Holds the order in a transaction of its own (after the network). */
static enum st so_hold_tx(struct so_ctx *x, const struct so_hold *h)
{
    const char *p[1] = {x->order_id};
    PGresult *res = NULL;
    enum st st = store_cmd(x->w->db, "BEGIN", x->err);

    if (st == ST_OK)
        res = so_q(x, "so_lock_state",
                   "SELECT state, hold_reason FROM orders WHERE id = $1::bigint FOR UPDATE", 1,
                   p, &st);
    if (st == ST_OK && PQntuples(res) == 1)
        st = so_hold(x, PQgetvalue(res, 0, 0),
                     PQgetisnull(res, 0, 1) ? NULL : PQgetvalue(res, 0, 1), h);
    if (st == ST_OK)
        st = store_cmd(x->w->db, "COMMIT", x->err);
    PQclear(res);
    if (st != ST_OK)
        store_rollback(x->w->db);
    return st;
}

static void so_log(enum log_level lv, const struct so_ctx *x, const char *outcome,
                   const char *why)
{
    char name[96], reason[320];

    log_msg(lv, "event=sales_order outcome=%s order_id=%s order=%s so=%s site=%s reason=%s",
            outcome, x->order_id, log_quote(x->order ? so_name(x) : "", name, sizeof(name)),
            x->so_number[0] ? x->so_number : "-", x->site[0] ? x->site : "-",
            log_quote(why != NULL ? why : "", reason, sizeof(reason)));
}

/* ---- Tx1: SKU integrity ---- */

static const char *const lines_sql =
    "SELECT line_id, sku, quantity, requires_shipping, price::text, line_no "
    "FROM order_lines WHERE order_id = $1::bigint "
    "ORDER BY line_no NULLS LAST, length(line_id), line_id";

static enum st so_load_lines(struct so_ctx *x)
{
    const char *p[1] = {x->order_id};
    int max_no = 0;
    enum st st;

    x->lines_res = so_q(x, "so_lines", lines_sql, 1, p, &st);
    if (x->lines_res == NULL)
        return st;
    x->n_lines = (size_t)PQntuples(x->lines_res);
    x->lines = xcalloc(x->n_lines, sizeof(*x->lines));
    x->line_no = xcalloc(x->n_lines, sizeof(*x->line_no));
    for (size_t i = 0; i < x->n_lines; i++) {
        struct order_line *l = &x->lines[i];
        int r = (int)i;

        l->line_id = PQgetvalue(x->lines_res, r, 0);
        l->sku = PQgetisnull(x->lines_res, r, 1) ? NULL : PQgetvalue(x->lines_res, r, 1);
        l->quantity = atoll(PQgetvalue(x->lines_res, r, 2));
        l->requires_shipping = PQgetvalue(x->lines_res, r, 3)[0] == 't';
        l->price = PQgetisnull(x->lines_res, r, 4) ? NULL : PQgetvalue(x->lines_res, r, 4);
        l->fulfillable_quantity = -1;
        if (!PQgetisnull(x->lines_res, r, 5))
            x->line_no[i] = atoi(PQgetvalue(x->lines_res, r, 5));
        if (x->line_no[i] > max_no)
            max_no = x->line_no[i];
    }
    /* Lines that never had a number get the next ones, in a stable order. */
    for (size_t i = 0; i < x->n_lines; i++) {
        if (x->line_no[i] == 0 && order_line_ships(&x->lines[i]))
            x->line_no[i] = ++max_no;
    }
    return ST_OK;
}

/* The two catalogue snapshots sku_check_order answers from. */
struct so_catalogue {
    PGresult *map;    /* shopline_sku, item_code */
    PGresult *items;  /* code, active */
};

static const char *so_map_alias(void *ctx, const char *sku)
{
    PGresult *r = ((struct so_catalogue *)ctx)->map;

    for (int i = 0; i < PQntuples(r); i++) {
        if (strcmp(PQgetvalue(r, i, 0), sku) == 0)
            return PQgetvalue(r, i, 1);
    }
    return NULL;
}

static enum sku_item_state so_item_state(void *ctx, const char *code)
{
    PGresult *r = ((struct so_catalogue *)ctx)->items;

    for (int i = 0; i < PQntuples(r); i++) {
        if (strcmp(PQgetvalue(r, i, 0), code) == 0)
            return PQgetvalue(r, i, 1)[0] == 't' ? SKU_ITEM_ACTIVE : SKU_ITEM_INACTIVE;
    }
    return SKU_ITEM_MISSING;
}

static enum st so_check_skus(struct so_ctx *x)
{
    const char *p[2] = {so_shop(x), x->order_id};
    struct so_catalogue cat = {NULL, NULL};
    struct sku_lookup lk = {so_map_alias, so_item_state, &cat};
    enum st st;

    cat.map = so_q(x, "so_sku_map",
                   "SELECT shopline_sku, item_code FROM sku_map WHERE shop = $1 AND "
                   "shopline_sku IN (SELECT sku FROM order_lines WHERE order_id = $2::bigint)",
                   2, p, &st);
    if (st == ST_OK)
        cat.items = so_q(x, "so_items",
                         "SELECT code, active FROM items WHERE shop = $1 AND code IN ("
                         "SELECT sku FROM order_lines WHERE order_id = $2::bigint UNION "
                         "SELECT m.item_code FROM sku_map m JOIN order_lines l ON "
                         "l.sku = m.shopline_sku WHERE m.shop = $1 AND l.order_id = $2::bigint)",
                         2, p, &st);
    if (st == ST_OK)
        sku_check_order(x->lines, x->n_lines, &lk, &x->chk);
    PQclear(cat.map);
    PQclear(cat.items);
    return st;
}

/* Stores each line's resolved item code and Line number. */
static enum st so_store_lines(struct so_ctx *x)
{
    struct json_object *arr = json_object_new_array();
    const char *p[2] = {x->order_id, NULL};
    enum st st;

    for (size_t i = 0; i < x->n_lines; i++) {
        struct json_object *o = json_object_new_object();
        const char *code = x->chk.item_codes != NULL ? x->chk.item_codes[i] : NULL;

        json_object_object_add(o, "line_id", json_object_new_string(x->lines[i].line_id));
        json_object_object_add(o, "item_code", code ? json_object_new_string(code) : NULL);
        json_object_object_add(o, "line_no",
                               x->line_no[i] > 0 ? json_object_new_int(x->line_no[i]) : NULL);
        json_object_array_add(arr, o);
    }
    p[1] = json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN);
    st = so_exec(x, "so_store_lines",
                 "UPDATE order_lines l SET item_code = x.item_code, line_no = x.line_no "
                 "FROM json_to_recordset($2::json) AS x(line_id text, item_code text, "
                 "line_no integer) WHERE l.order_id = $1::bigint AND l.line_id = x.line_id",
                 2, p);
    json_object_put(arr);
    return st;
}

/* ---- Tx1: routing ---- */

struct so_stock {
    PGresult *rows;   /* item_code, site, available */
};

static int64_t so_stock_available(void *ctx, const char *item_code, const char *site)
{
    PGresult *r = ((struct so_stock *)ctx)->rows;
    bool known = false;

    for (int i = 0; i < PQntuples(r); i++) {
        if (strcmp(PQgetvalue(r, i, 0), item_code) != 0)
            continue;
        known = true;
        if (strcmp(PQgetvalue(r, i, 1), site) == 0)
            return atoll(PQgetvalue(r, i, 2));
    }
    return known ? 0 : -1; /* data for other sites only: none here */
}

static bool so_kind_parse(const char *s, enum routing_kind *out)
{
    static const enum routing_kind kinds[] = {ROUTE_LOCATION, ROUTE_COUNTRY, ROUTE_STOCK,
                                              ROUTE_DEFAULT};

    for (size_t i = 0; i < ARRAY_LEN(kinds); i++) {
        if (strcmp(routing_kind_name(kinds[i]), s) == 0) {
            *out = kinds[i];
            return true;
        }
    }
    return false;
}

/* Decides the site into x->site; *routed false when no site fits. */
static enum st so_route(struct so_ctx *x, bool *routed)
{
    const char *p[2] = {so_shop(x), x->order_id};
    struct so_stock stock = {NULL};
    struct routing_stock sl = {so_stock_available, &stock};
    struct routing_rule *rules = NULL;
    struct routing_line *rl = NULL;
    struct routing_input in = {ov(x, OC_LOCATION), ov(x, OC_COUNTRY), NULL, 0};
    struct routing_result rr;
    PGresult *rules_res;
    size_t n_rules = 0;
    enum st st;

    rules_res = so_q(x, "so_routing_rules",
                     "SELECT kind, match, site FROM routing_rules WHERE shop = $1 "
                     "ORDER BY position",
                     1, p, &st);
    if (st == ST_OK)
        stock.rows = so_q(x, "so_stock",
                          "SELECT item_code, site, available FROM stock WHERE shop = $1 AND "
                          "item_code IN (SELECT item_code FROM order_lines WHERE "
                          "order_id = $2::bigint AND item_code IS NOT NULL)",
                          2, p, &st);
    if (st != ST_OK)
        goto out;
    rules = xcalloc((size_t)PQntuples(rules_res), sizeof(*rules));
    for (int i = 0; i < PQntuples(rules_res); i++) {
        struct routing_rule *r = &rules[n_rules];

        if (!so_kind_parse(PQgetvalue(rules_res, i, 0), &r->kind))
            continue;
        r->match = PQgetisnull(rules_res, i, 1) ? NULL : PQgetvalue(rules_res, i, 1);
        r->site = PQgetvalue(rules_res, i, 2);
        n_rules++;
    }
    rl = xcalloc(x->n_lines, sizeof(*rl));
    for (size_t i = 0; i < x->n_lines; i++) {
        if (x->chk.item_codes == NULL || x->chk.item_codes[i] == NULL)
            continue;
        rl[in.n_lines].item_code = x->chk.item_codes[i];
        rl[in.n_lines++].quantity = x->lines[i].quantity;
    }
    in.lines = rl;
    *routed = routing_decide(rules, n_rules, &in, &sl, x->w->cfg->pvx_default_site, &rr);
    snprintf(x->route_reason, sizeof(x->route_reason), "%s", rr.reason);
    if (*routed)
        snprintf(x->site, sizeof(x->site), "%s", rr.site);
out:
    free(rules);
    free(rl);
    PQclear(rules_res);
    PQclear(stock.rows);
    return st;
}

/* ---- Tx1 ---- */

enum so_next { SO_DONE, SO_POST };

/* An order cancelled while a post may have reached Peoplevox: cancel it there. */
static enum st so_enqueue_cancel(struct so_ctx *x)
{
    char payload[64];

    snprintf(payload, sizeof(payload), "{\"order_id\": %s}", x->order_id);
    return job_enqueue(x->w->db, so_shop(x), "cancel_sales_order", x->order_id, payload, 0,
                       NULL, x->err);
}

static enum st so_check_number(struct so_ctx *x, const char *state, const char *reason,
                               bool *ok)
{
    const char *prefix = x->w->cfg->order_prefix;
    const char *p[2] = {NULL, x->order_id};
    char detail[512];
    struct so_hold h = {"order_number", NULL, "ops", detail, NULL};
    PGresult *res;
    enum st st;

    *ok = false;
    if (x->post_started && ov(x, OC_SO) != NULL) {
        snprintf(x->so_number, sizeof(x->so_number), "%s", ov(x, OC_SO));
    } else if (so_number_make(prefix, so_name(x), x->so_number, sizeof(x->so_number)) != 0) {
        snprintf(detail, sizeof(detail),
                 "Sales Order number for order %s would be '%s' + '%s' without '#', which is "
                 "empty, holds control characters or is longer than %d bytes (Peoplevox "
                 "limit); it is never truncated",
                 so_name(x), prefix != NULL ? prefix : "", so_name(x), SO_NUMBER_MAX_BYTES);
        h.type = "order_number_too_long";
        h.action = "Shorten SHOPVOX_ORDER_PREFIX (or create the Sales Order in Peoplevox by "
                   "hand), then retry the order's post_sales_order job";
        return so_hold(x, state, reason, &h);
    }
    p[0] = x->so_number;
    res = so_q(x, "so_number_taken",
               "SELECT name FROM orders WHERE sales_order_number = $1 AND id <> $2::bigint", 2,
               p, &st);
    if (res == NULL)
        return st;
    if (PQntuples(res) > 0) {
        snprintf(detail, sizeof(detail),
                 "Sales Order number %s for order %s is already used by order %.100s",
                 x->so_number, so_name(x), PQgetvalue(res, 0, 0));
        h.type = "order_number_taken";
        h.action = "Set a distinct SHOPVOX_ORDER_PREFIX per shop, then retry the order";
        st = so_hold(x, state, reason, &h);
    } else {
        *ok = true;
    }
    PQclear(res);
    return st;
}

/* Stores number and site, marks the post as started, lifts a hold. */
static enum st so_mark_posting(struct so_ctx *x, const char *state)
{
    const char *site = x->prev_site[0] != '\0' ? x->prev_site : x->site;
    const char *p[3] = {x->order_id, x->so_number, site};
    char detail[ROUTING_REASON_MAX + ROUTING_SITE_MAX_BYTES + 160];
    enum st st;

    st = so_exec(x, "so_mark_posting",
                 "UPDATE orders SET sales_order_number = $2, site = $3, "
                 "post_started_at = coalesce(post_started_at, now()), state = 'ready', "
                 "ready_at = coalesce(ready_at, now()), hold_reason = NULL, "
                 "updated_at = now() WHERE id = $1::bigint",
                 3, p);
    if (st == ST_OK && strcmp(state, "on_hold") == 0)
        st = so_event(x, "on_hold", "ready", "released", "re-check passed");
    if (st == ST_OK && strcmp(state, "not_for_warehouse") == 0)
        st = so_event(x, "not_for_warehouse", "ready", "lines_to_ship",
                      "the order has lines to ship now");

    if (st == ST_OK && !x->post_started) {
        snprintf(detail, sizeof(detail), "posting Sales Order %s to site %s: %s", x->so_number,
                 site, x->route_reason);
        st = so_event(x, NULL, NULL, "posting", detail);
    }
    return st;
}

/*
 * The locked order has nothing to ship: state not_for_warehouse (history
 * when it changes), any hold's exceptions resolved, and an empty_order
 * exception only for an EMPTY order (resolved when it is not empty any more).
 */
static enum st so_not_for_warehouse(struct so_ctx *x, const char *state,
                                    enum order_content content)
{
    const char *p[1] = {x->order_id};
    char detail[256];
    struct exc_new e = {so_shop(x), "empty_order", "ecommerce", "order", so_name(x),
                        x->order_id, detail,
                        "Check the order in SHOPLINE: add the missing items (the update sends "
                        "it to the warehouse) or refund and cancel it, then resolve this "
                        "exception"};
    enum st st;

    if (content == ORDER_CONTENT_EMPTY)
        snprintf(detail, sizeof(detail),
                 "paid order %s has %s: nothing was sent to Peoplevox", so_name(x),
                 x->n_lines == 0 ? "no line items" : "a quantity of 0 on every line");
    else
        snprintf(detail, sizeof(detail),
                 "no line of paid order %s requires shipping (digital goods, gift cards): "
                 "not for the warehouse", so_name(x));
    st = so_exec(x, "so_not_for_warehouse",
                 "UPDATE orders SET state = 'not_for_warehouse', hold_reason = NULL, "
                 "updated_at = now() WHERE id = $1::bigint",
                 1, p);
    if (st == ST_OK && strcmp(state, "not_for_warehouse") != 0)
        st = so_event(x, state, "not_for_warehouse", "not_for_warehouse", detail);
    if (st == ST_OK && content == ORDER_CONTENT_EMPTY)
        st = exc_raise(x->w->db, &e, NULL, x->err);
    else if (st == ST_OK)
        st = exc_resolve_subject(x->w->db, so_shop(x), "empty_order", so_name(x), SO_BY,
                                 "nothing to ship, but not empty any more", x->err);
    if (st == ST_OK)
        st = so_resolve(x, 0, SO_PRE_NETWORK_TYPES, NULL, "the order has nothing to ship");
    x->not_for_warehouse = true;
    return st;
}

/* Everything Tx1 decides once the order row is locked and loaded. */
static enum st so_decide(struct so_ctx *x, const char *state, enum so_next *next)
{
    const char *reason = ov(x, OC_HOLD);
    struct so_hold h = {NULL, NULL, NULL, NULL, NULL};
    enum order_content content;
    char *detail = NULL;
    bool routed = false;
    bool ok = false;
    enum st st;

    *next = SO_DONE;
    st = so_load_lines(x);
    if (st != ST_OK)
        return st;
    content = order_content_of(x->lines, x->n_lines);
    if (content != ORDER_CONTENT_SHIPPABLE && !x->post_started)
        return so_not_for_warehouse(x, state, content);
    if (strcmp(state, "not_for_warehouse") == 0)
        st = exc_resolve_subject(x->w->db, so_shop(x), "empty_order", so_name(x), SO_BY,
                                 "the order has lines to ship now", x->err);
    if (st == ST_OK)
        st = so_check_skus(x);
    if (st != ST_OK)
        return st;
    if (x->chk.n_issues > 0) {
        detail = sku_format_detail(&x->chk, SO_DETAIL_MAX_BYTES);
        h = (struct so_hold){"sku", "unknown_sku", "ecommerce", detail,
                             "Create the item in Peoplevox (the catalogue sync re-checks held "
                             "orders), or map the SKU: shopvox sku map SKU ITEM_CODE"};
        st = so_hold(x, state, reason, &h);
        free(detail);
        x->held = "unknown_sku";
        return st;
    }
    st = so_store_lines(x);
    if (st == ST_OK)
        st = so_route(x, &routed);
    if (st != ST_OK)
        return st;
    if (!routed) {
        h = (struct so_hold){"routing", "unroutable", "ops", x->route_reason,
                             "Add a routing rule (location, country, stock or default) or set "
                             "PEOPLEVOX_DEFAULT_SITE, then retry the order"};
        st = so_hold(x, state, reason, &h);
        x->held = "unroutable";
        return st;
    }
    st = so_check_number(x, state, reason, &ok);
    if (st != ST_OK || !ok) {
        x->held = "order_number";
        return st;
    }
    st = so_mark_posting(x, state);
    if (st == ST_OK)
        *next = SO_POST;
    return st;
}

static enum st so_tx1(struct so_ctx *x, enum so_next *next)
{
    const char *p[1] = {x->order_id};
    const char *skipped = NULL;
    const char *state;
    enum st st;

    *next = SO_DONE;
    st = store_cmd(x->w->db, "BEGIN", x->err);
    if (st != ST_OK)
        return st;
    x->order = so_q(x, "so_order", order_sql, 1, p, &st);
    if (st != ST_OK)
        goto out;
    if (PQntuples(x->order) != 1) {
        PQclear(x->order);
        x->order = NULL;
        log_msg(LOG_WARN, "event=sales_order outcome=skipped order_id=%s reason=not_found",
                x->order_id);
        goto commit;
    }
    state = ov(x, OC_STATE);
    x->post_started = ov_true(x, OC_STARTED);
    if (x->post_started && ov(x, OC_SITE) != NULL)
        snprintf(x->prev_site, sizeof(x->prev_site), "%s", ov(x, OC_SITE));
    if (strcmp(state, "ready") == 0 || strcmp(state, "on_hold") == 0 ||
        strcmp(state, "not_for_warehouse") == 0) {
        st = so_decide(x, state, next);
    } else {
        if (strcmp(state, "cancelled") == 0 && x->post_started && !ov_true(x, OC_SENT))
            st = so_enqueue_cancel(x);
        skipped = state;
    }
commit:
    if (st == ST_OK)
        st = store_cmd(x->w->db, "COMMIT", x->err);
    if (st == ST_OK && x->held != NULL) {
        so_log(LOG_WARN, x, "held", x->held);
        so_count("shopvox_sales_orders_total", "held");
    } else if (st == ST_OK && x->not_for_warehouse) {
        so_log(LOG_INFO, x, "not_for_warehouse", "nothing to ship");
        so_count("shopvox_sales_orders_total", "not_for_warehouse");
    } else if (st == ST_OK && skipped != NULL) {
        so_log(LOG_INFO, x, "skipped", skipped);
    }
out:
    if (st != ST_OK) {
        store_rollback(x->w->db);
        *next = SO_DONE;
    }
    return st;
}

/* ---- Peoplevox: existence check ---- */

/* Money as sent: Postgres numeric(20,4) text without zeros past 2 decimals. */
static void so_money(const char *v, char *out, size_t cap)
{
    const char *dot;
    size_t n;

    if (v == NULL) {
        out[0] = '\0';
        return;
    }
    snprintf(out, cap, "%s", v);
    dot = strchr(out, '.');
    if (dot == NULL)
        return;
    n = strlen(out);
    while (n > (size_t)(dot - out) + 3 && out[n - 1] == '0')
        out[--n] = '\0';
}

static bool so_money_equal(const char *a, const char *b)
{
    char *ea, *eb;
    double x, y;

    if (a == NULL || a[0] == '\0' || b == NULL || b[0] == '\0')
        return (a == NULL || a[0] == '\0') == (b == NULL || b[0] == '\0');
    x = strtod(a, &ea);
    y = strtod(b, &eb);
    if (*ea != '\0' || *eb != '\0')
        return strcmp(a, b) == 0;
    return x - y < 0.00005 && y - x < 0.00005;
}

static bool so_text_equal(const char *a, const char *b)
{
    return strcasecmp(a != NULL ? a : "", b != NULL ? b : "") == 0;
}

/*
 * The client calls a SOAP fault a rejection unless its text says otherwise,
 * but Peoplevox reports validation through ResponseId and row statuses:
 * a fault that came with HTTP 5xx or 429 is the server's trouble, so retry
 * (post_started_at makes the next attempt look before it writes).
 */
static enum st so_pvx_status(enum st st, const struct pvx_outcome *oc)
{
    if (st == ST_FAIL && (oc->http_status >= 500 || oc->http_status == 429))
        return ST_RETRY;
    return st;
}

/* Remembers whether Peoplevox (or the client's cool-down) throttled the last call. */
static void so_note_throttle(struct so_ctx *x, const struct pvx_outcome *oc)
{
    x->throttled = oc->throttled;
    x->retry_after_ms = oc->throttled ? oc->retry_after_ms : 0;
}

void so_result_set(const struct so_ctx *x, enum st st, struct job_result *r)
{
    r->st = st;
    if (st == ST_RETRY && x->throttled)
        job_result_throttle(r, x->retry_after_ms);
}

/* GetData `Sales orders` by number; *found when a row came back. */
static enum st so_pvx_find(struct so_ctx *x, const char *so_number, struct csv_table *t,
                           bool *found)
{
    struct pvx_outcome oc;
    struct buf clause;
    long total = 0;
    enum st st;

    memset(t, 0, sizeof(*t));
    *found = false;
    buf_init(&clause, 1024);
    st = pvx_clause_equals(&clause, "SalesOrderNumber", so_number, x->err);
    if (st == ST_OK) {
        st = pvx_get_data(x->w->pvx, x->w->curl, SO_TEMPLATE_ORDERS, buf_cstr(&clause), 1, 10, t,
                          &total, &oc);
        st = so_pvx_status(st, &oc);
        so_note_throttle(x, &oc);
        if (st != ST_OK)
            errbuf_set(x->err, "could not look up Sales Order %s: %s", so_number, oc.err.msg);
    }
    *found = st == ST_OK && t->n_rows > 1;
    buf_cleanup(&clause);
    return st;
}

/* Why Peoplevox's row differs from what we would send ("" when it does not). */
static void so_compare(const struct so_ctx *x, const struct csv_table *t, char *why, size_t cap)
{
    char total[64];
    int c_site = csv_table_col(t, "Site");
    int c_email = csv_table_col(t, "Email");
    int c_total = csv_table_col(t, "TotalSale");
    int c_status = csv_table_col(t, "Status");
    const char *theirs;

    why[0] = '\0';
    so_money(ov(x, OC_TOTAL), total, sizeof(total));
    if (c_status >= 0 && strcasecmp(csv_table_get(t, 1, c_status), "Cancelled") == 0) {
        snprintf(why, cap, "it is Cancelled in Peoplevox");
    } else if (c_site >= 0 && !so_text_equal(theirs = csv_table_get(t, 1, c_site), x->site)) {
        snprintf(why, cap, "site is %.100s in Peoplevox, we would send %s", theirs, x->site);
    } else if (c_email >= 0 && !so_text_equal(csv_table_get(t, 1, c_email), ov(x, OC_EMAIL))) {
        snprintf(why, cap, "the customer email differs");
    } else if (c_total >= 0 && !so_money_equal(theirs = csv_table_get(t, 1, c_total), total)) {
        snprintf(why, cap, "TotalSale is %.60s in Peoplevox, we would send %s", theirs, total);
    }
}

/*
 * A previous attempt may have created the Sales Order: look before saving.
 * *go false when the order was held for a conflict. x->site becomes the
 * site to send: the previous attempt's while the Sales Order may exist, the
 * fresh routing decision when Peoplevox says it does not.
 */
static enum st so_check_existing(struct so_ctx *x, bool *go)
{
    struct csv_table t;
    char fresh[sizeof(x->site)];
    char why[256], detail[512];
    struct so_hold h = {"conflict", "sales_order_conflict", "ops", detail,
                        "Compare the Sales Order in Peoplevox with the Shopline order and fix "
                        "one of them by hand, then retry the order (shopvox never overwrites an "
                        "existing Sales Order with different content)"};
    const char *p[2] = {x->order_id, fresh};
    bool found = false;
    enum st st;

    *go = true;
    memcpy(fresh, x->site, sizeof(fresh));
    if (x->prev_site[0] != '\0')
        memcpy(x->site, x->prev_site, sizeof(x->site));
    st = so_pvx_find(x, x->so_number, &t, &found);
    if (st != ST_OK)
        goto out;
    if (!found) {
        x->absent = true;
        memcpy(x->site, fresh, sizeof(x->site));
        if (strcmp(fresh, x->prev_site) != 0)
            st = so_exec(x, "so_site",
                         "UPDATE orders SET site = $2, updated_at = now() WHERE id = $1::bigint",
                         2, p);
        goto out;
    }
    so_compare(x, &t, why, sizeof(why));
    if (why[0] == '\0') {
        log_msg(LOG_INFO, "event=sales_order_exists order_id=%s so=%s match=true", x->order_id,
                x->so_number);
        goto out;
    }
    *go = false;
    snprintf(detail, sizeof(detail),
             "Sales Order %s already exists in Peoplevox with different content: %s",
             x->so_number, why);
    st = so_hold_tx(x, &h);
    if (st == ST_OK) {
        so_log(LOG_WARN, x, "conflict", why);
        so_count("shopvox_sales_orders_total", "conflict");
    }
out:
    csv_table_cleanup(&t);
    return st;
}

/* ---- Peoplevox: saving rows by field name ---- */

/* The tenant's fields that some record fills, in the tenant's order. */
static void so_header_subset(const struct pvx_fields *tenant, const struct pvx_record *recs,
                             size_t n, struct pvx_fields *out)
{
    out->n = 0;
    out->names = xcalloc(tenant->n, sizeof(char *));
    for (size_t f = 0; f < tenant->n; f++) {
        bool used = false;

        for (size_t r = 0; r < n && !used; r++) {
            for (size_t v = 0; v < recs[r].n && !used; v++)
                used = csv_name_equal(tenant->names[f], recs[r].values[v].name) != 0;
        }
        if (used)
            out->names[out->n++] = xstrdup(tenant->names[f]);
    }
}

static bool so_unknown_field_error(const struct pvx_response *r)
{
    return r->n_statuses == 0 && r->detail != NULL &&
           (strcasestr(r->detail, "unknown field") != NULL ||
            strcasestr(r->detail, "unknown column") != NULL);
}

/* Logs, once per process and template, our fields the tenant does not have. */
static void so_log_unknown(const char *tmpl, const struct pvx_fields *unknown)
{
    static atomic_bool logged[2];
    atomic_bool *flag = &logged[strcmp(tmpl, SO_TEMPLATE_ITEMS) == 0];
    struct buf names;

    if (unknown->n == 0 || atomic_exchange(flag, true))
        return;
    buf_init(&names, 1024);
    for (size_t i = 0; i < unknown->n; i++)
        buf_appendf(&names, "%s%s", i ? "," : "", unknown->names[i]);
    log_msg(LOG_WARN, "event=pvx_fields_missing template=\"%s\" fields=\"%s\"", tmpl,
            buf_cstr(&names));
    buf_cleanup(&names);
}

/*
 * Saves records into tmpl, mapped by name against the tenant's template;
 * refreshes the template and saves again once when Peoplevox refuses a
 * column as unknown. Returns pvx_save_data's status; oc describes it.
 */
enum st so_save(struct so_ctx *x, const char *tmpl, const struct pvx_record *recs, size_t n,
                struct pvx_outcome *oc, struct pvx_response *resp_out)
{
    struct pvx_response resp;
    enum st st = ST_FAIL;

    memset(&resp, 0, sizeof(resp));
    for (int attempt = 0; attempt < 2; attempt++) {
        struct pvx_fields tenant = {0, NULL}, header = {0, NULL}, unknown = {0, NULL};
        struct buf csv;

        buf_init(&csv, SO_CSV_MAX_BYTES);
        st = pvx_get_save_template(x->w->pvx, x->w->curl, tmpl, attempt > 0, &tenant, oc);
        if (st == ST_OK) {
            so_header_subset(&tenant, recs, n, &header);
            st = pvx_build_csv(&header, recs, n, &csv, &unknown, &oc->err);
        }
        if (st == ST_OK) {
            so_log_unknown(tmpl, &unknown);
            pvx_response_cleanup(&resp);
            st = pvx_save_data(x->w->pvx, x->w->curl, tmpl, buf_cstr(&csv), &resp, oc);
        }
        buf_cleanup(&csv);
        pvx_fields_cleanup(&tenant);
        pvx_fields_cleanup(&header);
        pvx_fields_cleanup(&unknown);
        if (st != ST_FAIL || attempt > 0 || !so_unknown_field_error(&resp))
            break;
        log_msg(LOG_WARN, "event=pvx_template_refresh template=\"%s\" reason=unknown_field",
                tmpl);
    }
    if (resp_out != NULL)
        *resp_out = resp;
    else
        pvx_response_cleanup(&resp);
    return so_pvx_status(st, oc);
}

static void so_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

enum st so_save_patiently(struct so_ctx *x, const char *tmpl, const struct pvx_record *recs,
                          size_t n, struct pvx_outcome *oc, struct pvx_response *resp)
{
    int64_t deadline = now_ms_monotonic() + x->w->cfg->pvx_timeout_ms;
    enum st st;

    for (;;) {
        st = so_save(x, tmpl, recs, n, oc, resp);
        if (st != ST_RETRY || !oc->throttled ||
            now_ms_monotonic() + oc->retry_after_ms > deadline)
            return st;
        log_msg(LOG_INFO, "event=pvx_throttle_wait template=\"%s\" order_id=%s wait_ms=%ld",
                tmpl, x->order_id, oc->retry_after_ms);
        so_sleep_ms(oc->retry_after_ms);
        if (resp != NULL)
            pvx_response_cleanup(resp);
    }
}

/* The order row, every value by field name. */
void so_order_row_fill(const struct so_ctx *x, struct so_order_row *row)
{
    const char *email = ov(x, OC_EMAIL);
    const char *customer = email ? email : ov(x, OC_CUSTOMER) ? ov(x, OC_CUSTOMER)
                                                              : ov(x, OC_CONTACT);
    const char *contact = ov(x, OC_CONTACT) ? ov(x, OC_CONTACT) : ov(x, OC_CUSTOMER);

    so_money(ov(x, OC_SHIPPING), row->ship, sizeof(row->ship));
    so_money(ov(x, OC_TOTAL), row->total, sizeof(row->total));
    so_money(ov(x, OC_DISCOUNT), row->discount, sizeof(row->discount));
    so_money(ov(x, OC_TAX), row->tax, sizeof(row->tax));
    const struct pvx_field_value v[SO_ORDER_FIELDS] = {
        {"SalesOrderNumber", x->so_number},
        {"CustomerPurchaseOrderReferenceNumber", so_name(x)},
        {"Customer", customer},
        {"Email", email},
        {"ContactName", contact},
        {"ShippingAddressLine1", ov(x, OC_SHIP1)},
        {"ShippingAddressLine2", ov(x, OC_SHIP2)},
        {"ShippingAddressCity", ov(x, OC_SHIP_CITY)},
        {"ShippingAddressRegion", ov(x, OC_SHIP_REGION)},
        {"ShippingAddressPostcode", ov(x, OC_SHIP_POSTCODE)},
        {"ShippingAddressCountry", ov(x, OC_SHIP_COUNTRY)},
        {"InvoiceAddressLine1", ov(x, OC_BILL1)},
        {"InvoiceAddressLine2", ov(x, OC_BILL2)},
        {"InvoiceAddressCity", ov(x, OC_BILL_CITY)},
        {"InvoiceAddressRegion", ov(x, OC_BILL_REGION)},
        {"InvoiceAddressPostcode", ov(x, OC_BILL_POSTCODE)},
        {"InvoiceAddressCountry", ov(x, OC_BILL_COUNTRY)},
        {"IsPartialShipment", "True"},
        {"ShippingCost", row->ship},
        {"TotalSale", row->total},
        {"Discount", row->discount},
        {"TaxPaid", row->tax},
        {"CreatedDate", ov(x, OC_CREATED)},
        {"ServiceType", ov(x, OC_SERVICE)},
        {"ChannelName", SO_CHANNEL},
        {"Site", x->site},
        {"RequestedDeliveryDate", ""},
    };

    memcpy(row->v, v, sizeof(v));
    row->rec = (struct pvx_record){row->v, SO_ORDER_FIELDS};
}

static enum st so_save_order(struct so_ctx *x, struct pvx_outcome *oc)
{
    struct so_order_row row;

    so_order_row_fill(x, &row);
    return so_save(x, SO_TEMPLATE_ORDERS, &row.rec, 1, oc, NULL);
}

/* One item row per line the warehouse ships, Line = the stored line_no. */
size_t so_item_rows_fill(const struct so_ctx *x, struct so_item_row *rows)
{
    size_t n = 0;

    for (size_t i = 0; i < x->n_lines; i++) {
        struct so_item_row *r = &rows[n];

        if (x->chk.item_codes == NULL || x->chk.item_codes[i] == NULL || x->line_no[i] <= 0)
            continue;
        snprintf(r->qty, sizeof(r->qty), "%lld", (long long)x->lines[i].quantity);
        snprintf(r->line, sizeof(r->line), "%d", x->line_no[i]);
        so_money(x->lines[i].price, r->price, sizeof(r->price));
        r->v[0] = (struct pvx_field_value){"SalesOrderNumber", x->so_number};
        r->v[1] = (struct pvx_field_value){"ItemCode", x->chk.item_codes[i]};
        r->v[2] = (struct pvx_field_value){"QuantityOrdered", r->qty};
        r->v[3] = (struct pvx_field_value){"Line", r->line};
        r->v[4] = (struct pvx_field_value){"Sequence", r->line};
        r->v[5] = (struct pvx_field_value){"SalePrice", r->price};
        r->rec = (struct pvx_record){r->v, ARRAY_LEN(r->v)};
        n++;
    }
    return n;
}

static enum st so_save_items(struct so_ctx *x, struct pvx_outcome *oc)
{
    struct so_item_row *rows = xcalloc(x->n_lines > 0 ? x->n_lines : 1, sizeof(*rows));
    struct pvx_record *recs = xcalloc(x->n_lines > 0 ? x->n_lines : 1, sizeof(*recs));
    size_t n = so_item_rows_fill(x, rows);
    enum st st = ST_OK;

    for (size_t i = 0; i < n; i++)
        recs[i] = rows[i].rec;
    if (n > 0)
        st = so_save_patiently(x, SO_TEMPLATE_ITEMS, recs, n, oc, NULL);
    free(rows);
    free(recs);
    return st;
}

/* ---- Tx2 ---- */

static enum st so_tx2(struct so_ctx *x)
{
    const char *p[2] = {x->order_id, x->site};
    char detail[256];
    PGresult *res = NULL;
    enum order_state cur;
    const char *state;
    enum st st = store_cmd(x->w->db, "BEGIN", x->err);

    if (st == ST_OK)
        res = so_q(x, "so_lock_state",
                   "SELECT state, hold_reason FROM orders WHERE id = $1::bigint FOR UPDATE", 1,
                   p, &st);
    if (st != ST_OK || PQntuples(res) != 1)
        goto out;
    state = PQgetvalue(res, 0, 0);
    snprintf(detail, sizeof(detail), "Sales Order %s at site %s", x->so_number, x->site);
    if (strcmp(state, "cancelled") == 0) {
        /* Cancelled while we were posting: the warehouse must cancel it too. */
        st = so_exec(x, "so_sent_cancelled",
                     "UPDATE orders SET sent_at = now(), site = $2, updated_at = now() "
                     "WHERE id = $1::bigint",
                     2, p);
        if (st == ST_OK)
            st = so_event(x, "cancelled", "cancelled", "sent_after_cancel", detail);
        if (st == ST_OK)
            st = so_enqueue_cancel(x);
    } else if (order_state_parse(state, &cur) != 0 || !order_state_is_posted(cur)) {
        st = so_exec(x, "so_sent",
                     "UPDATE orders SET state = 'sent', sent_at = now(), site = $2, "
                     "hold_reason = NULL, updated_at = now() WHERE id = $1::bigint",
                     2, p);
        if (st == ST_OK)
            st = so_event(x, state, "sent", "sent", detail);
        if (st == ST_OK)
            st = so_resolve(x, 0, ARRAY_LEN(so_exception_types), NULL,
                            "posted after re-check");
    }
out:
    if (st == ST_OK)
        st = store_cmd(x->w->db, "COMMIT", x->err);
    PQclear(res);
    if (st != ST_OK)
        store_rollback(x->w->db);
    return st;
}

/* ---- the post handler ---- */

/*
 * Nothing of the order reached Peoplevox: the next attempt need not look
 * first (nor go alone). ST_RETRY, or the database's error.
 */
static enum st so_unstart(struct so_ctx *x)
{
    const char *p[1] = {x->order_id};
    enum st st = so_exec(x, "so_unstart",
                         "UPDATE orders SET post_started_at = NULL, updated_at = now() "
                         "WHERE id = $1::bigint AND sent_at IS NULL",
                         1, p);

    return st == ST_OK ? ST_RETRY : st;
}

/* Turns a save's status into the job's: retry, hold (rejected) or go on. */
enum st so_save_outcome(struct so_ctx *x, enum st st, const struct pvx_outcome *oc,
                        const char *what, bool *go)
{
    char detail[ERRBUF_MAX + 128];
    struct so_hold h = {"peoplevox", "peoplevox_rejected", "ops", detail,
                        "Read Peoplevox's message, fix the order, item or site it names (in "
                        "Peoplevox or in shopvox's rules), then retry the order"};

    *go = st == ST_OK;
    so_note_throttle(x, oc);
    if (st == ST_OK || oc->unknown)
        x->absent = false;
    if (st == ST_OK)
        return ST_OK;
    if (st == ST_RETRY || oc->unknown) {
        errbuf_set(x->err, "%s for Sales Order %s%s: %s", what, x->so_number,
                   oc->unknown ? " (outcome unknown, will check before re-posting)" : "",
                   oc->err.msg);
        so_log(LOG_WARN, x, oc->throttled ? "throttled" : "retry", x->err->msg);
        so_count("shopvox_sales_orders_total", oc->throttled ? "throttled" : "retry");
        return x->absent ? so_unstart(x) : ST_RETRY;
    }
    snprintf(detail, sizeof(detail), "Peoplevox rejected the %s of Sales Order %s: %s", what,
             x->so_number, oc->err.msg);
    st = so_hold_tx(x, &h);
    if (st == ST_OK) {
        so_log(LOG_WARN, x, "rejected", oc->err.msg);
        so_count("shopvox_sales_orders_total", "rejected");
    }
    return st;
}

enum st so_finish(struct so_ctx *x)
{
    enum st st = so_tx2(x);

    if (st == ST_OK) {
        so_log(LOG_INFO, x, "sent", NULL);
        so_count("shopvox_sales_orders_total", "sent");
    }
    return st;
}

enum st so_post(struct so_ctx *x)
{
    struct pvx_outcome oc;
    bool go = true;
    enum st st = ST_OK;

    memset(&oc, 0, sizeof(oc));
    if (x->post_started)
        st = so_check_existing(x, &go);
    if (st == ST_RETRY) {
        so_log(LOG_WARN, x, "retry", x->err->msg);
        so_count("shopvox_sales_orders_total", "retry");
    }
    if (st != ST_OK || !go)
        return st;
    st = so_save_order(x, &oc);
    st = so_save_outcome(x, st, &oc, "order row", &go);
    if (st != ST_OK || !go)
        return st;
    st = so_save_items(x, &oc);
    st = so_save_outcome(x, st, &oc, "item rows", &go);
    if (st != ST_OK || !go)
        return st;
    return so_finish(x);
}

enum st so_begin(struct so_ctx *x, struct worker_ctx *w, const struct job *j,
                 struct errbuf *err, bool *post)
{
    enum so_next next = SO_DONE;
    enum st st;

    pthread_once(&so_metrics_once, so_metrics_describe);
    memset(x, 0, sizeof(*x));
    x->w = w;
    x->err = err;
    st = so_payload_order_id(j, x->order_id, sizeof(x->order_id), err);
    if (st == ST_OK)
        st = store_ensure(w->db, err);
    if (st == ST_OK)
        st = so_tx1(x, &next);
    x->absent = !x->post_started;
    *post = st == ST_OK && next == SO_POST;
    return st;
}

void so_post_handler(struct worker_ctx *w, const struct job *j, struct job_result *r)
{
    struct so_ctx x;
    bool post = false;
    enum st st;

    st = so_begin(&x, w, j, &r->err, &post);
    if (post)
        st = so_post(&x);
    so_result_set(&x, st, r);
    so_ctx_cleanup(&x);
}

/* ---- cancellation ---- */

struct so_cancel {
    struct worker_ctx *w;
    struct errbuf *err;
    char order_id[24];
    char shop[256];
    char name[256];
    char state[32];
    char so_number[SO_NUMBER_MAX_BYTES + 1];
    bool post_started;
    struct so_ctx pvx;          /* for the Peoplevox calls: only w, err and the throttle */
};

static void so_cancel_log(const struct so_cancel *c, const char *outcome, const char *why)
{
    char name[96], reason[320];

    log_msg(why != NULL && why[0] ? LOG_WARN : LOG_INFO,
            "event=sales_order_cancel outcome=%s order_id=%s order=%s so=%s reason=%s", outcome,
            c->order_id, log_quote(c->name, name, sizeof(name)),
            c->so_number[0] ? c->so_number : "-", log_quote(why ? why : "", reason,
                                                            sizeof(reason)));
    so_count("shopvox_sales_order_cancels_total", outcome);
}

static enum st so_cancel_event(struct so_cancel *c, const char *from, const char *to,
                               const char *event, const char *detail)
{
    return so_event_insert(c->w->db, c->order_id, from, to, event, detail, c->err);
}

/* Locks and reads the order; *found false when it is gone. */
static enum st so_cancel_load(struct so_cancel *c, bool *found)
{
    const char *p[1] = {c->order_id};
    enum st st;
    PGresult *res = store_exec_prepared(
        c->w->db, "so_cancel_load",
        "SELECT shop, name, state, coalesce(sales_order_number, ''), "
        "post_started_at IS NOT NULL FROM orders WHERE id = $1::bigint FOR UPDATE",
        1, p, NULL, NULL, &st, c->err);

    *found = false;
    if (res == NULL)
        return st;
    if (PQntuples(res) == 1) {
        *found = true;
        snprintf(c->shop, sizeof(c->shop), "%s", PQgetvalue(res, 0, 0));
        snprintf(c->name, sizeof(c->name), "%s", PQgetvalue(res, 0, 1));
        snprintf(c->state, sizeof(c->state), "%s", PQgetvalue(res, 0, 2));
        snprintf(c->so_number, sizeof(c->so_number), "%s", PQgetvalue(res, 0, 3));
        c->post_started = PQgetvalue(res, 0, 4)[0] == 't';
    }
    PQclear(res);
    return st;
}

/* State cancelled with history, in the open transaction (no-op when already). */
static enum st so_cancel_mark(struct so_cancel *c, const char *detail)
{
    const char *p[1] = {c->order_id};
    enum st st;

    if (strcmp(c->state, "cancelled") == 0)
        return ST_OK;
    PQclear(store_exec_prepared(c->w->db, "so_cancel_mark",
                                "UPDATE orders SET state = 'cancelled', hold_reason = NULL, "
                                "updated_at = now() WHERE id = $1::bigint",
                                1, p, NULL, NULL, &st, c->err));
    if (st == ST_OK)
        st = so_cancel_event(c, c->state, "cancelled", "cancelled", detail);
    return st;
}

static enum st so_cancel_despatched(struct so_cancel *c, const char *pvx_status)
{
    char detail[512];
    struct exc_new e = {c->shop, "cancel_after_despatch", "customer_service", "order", c->name,
                        c->order_id, detail,
                        "The parcel has left (or is leaving) the warehouse: contact the "
                        "customer and arrange a return or refund, then resolve this exception"};
    enum st st;

    snprintf(detail, sizeof(detail),
             "order %s was cancelled in Shopline but Peoplevox Sales Order %s is %s and cannot "
             "be cancelled",
             c->name, c->so_number, pvx_status);
    st = exc_raise(c->w->db, &e, NULL, c->err);
    if (st == ST_OK)
        st = so_cancel_event(c, NULL, NULL, "cancel_refused", detail);
    return st;
}

/* One short transaction around a decision taken after the network. */
enum so_cancel_action { SO_CANCEL_MARK, SO_CANCEL_DESPATCHED, SO_CANCEL_REJECTED };

static enum st so_cancel_tx(struct so_cancel *c, enum so_cancel_action a, const char *text)
{
    char detail[ERRBUF_MAX + 128];
    struct exc_new e = {c->shop, "cancel_rejected", "ops", "order", c->name, c->order_id,
                        detail,
                        "Cancel the Sales Order in Peoplevox by hand, then resolve this "
                        "exception"};
    bool found = false;
    enum st st = store_cmd(c->w->db, "BEGIN", c->err);

    if (st == ST_OK)
        st = so_cancel_load(c, &found);
    if (st == ST_OK && found) {
        if (a == SO_CANCEL_MARK) {
            st = so_cancel_mark(c, text);
        } else if (a == SO_CANCEL_DESPATCHED) {
            st = so_cancel_despatched(c, text);
        } else {
            snprintf(detail, sizeof(detail),
                     "Peoplevox refused to cancel Sales Order %s of order %s: %s", c->so_number,
                     c->name, text);
            st = exc_raise(c->w->db, &e, NULL, c->err);
        }
    }
    if (st == ST_OK)
        st = store_cmd(c->w->db, "COMMIT", c->err);
    if (st != ST_OK)
        store_rollback(c->w->db);
    return st;
}

static bool so_status_despatched(const char *s)
{
    return strcasecmp(s, "Despatched") == 0 || strcasecmp(s, "Partially despatched") == 0 ||
           strcasecmp(s, "Dispatched") == 0 || strcasecmp(s, "Partially dispatched") == 0;
}

/* Asks Peoplevox, then cancels there (or hands the case to customer service). */
static enum st so_cancel_remote(struct so_cancel *c)
{
    struct so_ctx *x = &c->pvx;
    struct csv_table t;
    struct pvx_outcome oc;
    const char *status;
    bool found = false;
    enum st st;

    x->w = c->w;
    x->err = c->err;
    st = so_pvx_find(x, c->so_number, &t, &found);
    if (st != ST_OK) {
        so_cancel_log(c, st == ST_RETRY ? "retry" : "failed", c->err->msg);
        goto out;
    }
    if (!found) {
        st = so_cancel_tx(c, SO_CANCEL_MARK, "the Sales Order never reached Peoplevox");
        if (st == ST_OK)
            so_cancel_log(c, "cancelled", NULL);
        goto out;
    }
    status = csv_table_get(&t, 1, csv_table_col(&t, "Status"));
    if (so_status_despatched(status)) {
        st = so_cancel_tx(c, SO_CANCEL_DESPATCHED, status);
        if (st == ST_OK)
            so_cancel_log(c, "despatched", status);
        goto out;
    }
    if (strcasecmp(status, "Cancelled") == 0) {
        st = so_cancel_tx(c, SO_CANCEL_MARK, "already cancelled in Peoplevox");
        if (st == ST_OK)
            so_cancel_log(c, "cancelled", NULL);
        goto out;
    }
    {
        const struct pvx_field_value v[] = {{"SalesOrderNumber", c->so_number},
                                            {"Status", "Cancelled"}};
        struct pvx_record rec = {v, ARRAY_LEN(v)};

        st = so_save(x, SO_TEMPLATE_ORDERS, &rec, 1, &oc, NULL);
        so_note_throttle(x, &oc);
    }
    if (st == ST_OK) {
        st = so_cancel_tx(c, SO_CANCEL_MARK, "Sales Order cancelled in Peoplevox");
        if (st == ST_OK)
            so_cancel_log(c, "cancelled", NULL);
    } else if (st == ST_RETRY || oc.unknown) {
        errbuf_set(c->err, "could not cancel Sales Order %s: %s", c->so_number, oc.err.msg);
        so_cancel_log(c, "retry", c->err->msg);
        st = ST_RETRY;
    } else if (strcasestr(oc.err.msg, "despatch") != NULL ||
               strcasestr(oc.err.msg, "dispatch") != NULL) {
        st = so_cancel_tx(c, SO_CANCEL_DESPATCHED, "despatched");
        if (st == ST_OK)
            so_cancel_log(c, "despatched", oc.err.msg);
    } else {
        st = so_cancel_tx(c, SO_CANCEL_REJECTED, oc.err.msg);
        if (st == ST_OK)
            so_cancel_log(c, "rejected", oc.err.msg);
    }
out:
    csv_table_cleanup(&t);
    return st;
}

/* Runs the cancellation with c (zeroed by the caller, which reads its throttle after). */
static enum st so_cancel_handler_run(struct so_cancel *c, struct worker_ctx *w,
                                     const struct job *j, struct errbuf *err)
{
    bool found = false;
    bool remote = false;
    enum st st;

    pthread_once(&so_metrics_once, so_metrics_describe);
    c->w = w;
    c->err = err;
    st = so_payload_order_id(j, c->order_id, sizeof(c->order_id), err);
    if (st == ST_OK)
        st = store_ensure(w->db, err);
    if (st == ST_OK)
        st = store_cmd(w->db, "BEGIN", err);
    if (st != ST_OK)
        return st;
    st = so_cancel_load(c, &found);
    if (st == ST_OK && found) {
        enum order_state s = ORDER_READY;

        if (!c->post_started || c->so_number[0] == '\0') {
            st = so_cancel_mark(c, "cancelled before it was sent to Peoplevox");
            if (st == ST_OK)
                so_cancel_log(c, "cancelled", NULL);
        } else if (order_state_parse(c->state, &s) == 0 &&
                   (s == ORDER_PARTIALLY_DESPATCHED || s == ORDER_DESPATCHED ||
                    s == ORDER_FULFILLED)) {
            st = so_cancel_despatched(c, c->state);
            if (st == ST_OK)
                so_cancel_log(c, "despatched", c->state);
        } else {
            remote = true;
        }
    }
    if (st == ST_OK)
        st = store_cmd(w->db, "COMMIT", err);
    if (st != ST_OK) {
        store_rollback(w->db);
        return st;
    }
    if (remote)
        st = so_cancel_remote(c);
    return st;
}

void so_cancel_handler(struct worker_ctx *w, const struct job *j, struct job_result *r)
{
    struct so_cancel c;
    enum st st;

    memset(&c, 0, sizeof(c));
    st = so_cancel_handler_run(&c, w, j, &r->err);
    so_result_set(&c.pvx, st, r);
}
