/*
 * order_store.c - the orders, order_lines and order_events tables (see
 * order_store.h).
 *
 * Statements are prepared per connection at first use (store_exec_
 * prepared). The order's nested parts (customer, addresses) and its lines
 * travel as JSON: one statement writes or compares a whole set of lines
 * (json_to_recordset) instead of one statement per line. The posting
 * reads derive the values Peoplevox wants in SQL, next to the columns
 * they come from: the email falls back to the customer's, names are
 * joined from their parts, a region is the province else its code, and a
 * country the ISO code else the name. The operator's reports run
 * unprepared: the CLI runs each once.
 */
#include "order_store.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static PGresult *os_q(struct store_conn *c, const char *name, const char *sql, int n,
                      const char *const *params, enum st *st, struct errbuf *err)
{
    return store_exec_prepared(c, name, sql, n, params, NULL, NULL, st, err);
}

/* A write whose result is not read: deferred in pipeline mode (store.h). */
static enum st os_exec(struct store_conn *c, const char *name, const char *sql, int n,
                       const char *const *params, struct errbuf *err)
{
    return store_exec_deferred(c, name, sql, n, params, err);
}

/* Runs a statement whose only parameter is the order's id. */
static enum st os_exec_order(struct store_conn *c, const char *name, const char *sql,
                             const char *order_id, struct errbuf *err)
{
    const char *p[1] = {order_id};

    return os_exec(c, name, sql, 1, p, err);
}

/* A column of row 0: an owned copy, NULL when SQL NULL. */
static char *os_dup(const PGresult *r, int col)
{
    return PQgetisnull(r, 0, col) ? NULL : xstrdup(PQgetvalue(r, 0, col));
}

static bool os_true(const PGresult *r, int row, int col)
{
    return PQgetvalue(r, row, col)[0] == 't';
}

enum st order_store_event(struct store_conn *c, const char *order_id, const char *from,
                          const char *to, const char *event, const char *detail,
                          struct errbuf *err)
{
    const char *p[5] = {order_id, from, to, event, detail};

    return os_exec(c, "order_event",
                   "INSERT INTO order_events (order_id, from_state, to_state, event, detail) "
                   "VALUES ($1::bigint, $2, $3, $4, $5)",
                   5, p, err);
}

/* ---- intake: JSON snapshots of the nested parts ---- */

/* A key and its text value; NULL values are left out. */
struct json_kv {
    const char *key;
    const char *val;
};

/* Adds kv[0..n-1] to o. */
static void json_put_all(struct json_object *o, const struct json_kv *kv, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (kv[i].val != NULL)
            json_object_object_add(o, kv[i].key, json_object_new_string(kv[i].val));
    }
}

/* o as compact JSON text (owned); o is released. */
static char *json_text(struct json_object *o)
{
    char *s = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));

    json_object_put(o);
    return s;
}

/* kv[0..n-1] as a JSON object's text (owned). */
static char *json_object_text(const struct json_kv *kv, size_t n)
{
    struct json_object *o = json_object_new_object();

    json_put_all(o, kv, n);
    return json_text(o);
}

static char *address_json(const struct order_address *a, bool present)
{
    const struct json_kv kv[] = {
        {"name", a->name},         {"first_name", a->first_name},
        {"last_name", a->last_name}, {"company", a->company},
        {"phone", a->phone},       {"address1", a->address1},
        {"address2", a->address2}, {"city", a->city},
        {"province", a->province}, {"province_code", a->province_code},
        {"country", a->country},   {"country_code", a->country_code},
        {"zip", a->zip},
    };

    return present ? json_object_text(kv, ARRAY_LEN(kv)) : NULL;
}

static char *customer_json(const struct order *o)
{
    const struct json_kv kv[] = {
        {"id", o->customer_id},
        {"email", o->customer_email},
        {"first_name", o->customer_first_name},
        {"last_name", o->customer_last_name},
        {"phone", o->customer_phone},
    };

    if (o->customer_id == NULL && o->customer_email == NULL)
        return NULL;
    return json_object_text(kv, ARRAY_LEN(kv));
}

static char *lines_json(const struct order *o)
{
    struct json_object *arr = json_object_new_array();

    for (size_t i = 0; i < o->n_lines; i++) {
        const struct order_line *l = &o->lines[i];
        const struct json_kv ids[] = {
            {"line_id", l->line_id}, {"product_id", l->product_id},
            {"variant_id", l->variant_id}, {"sku", l->sku},
            {"title", l->title}, {"variant_title", l->variant_title},
        };
        const struct json_kv rest[] = {{"price", l->price}, {"location_id", l->location_id}};
        struct json_object *j = json_object_new_object();

        json_put_all(j, ids, ARRAY_LEN(ids));
        json_object_object_add(j, "quantity", json_object_new_int64(l->quantity));
        json_put_all(j, rest, ARRAY_LEN(rest));
        json_object_object_add(j, "requires_shipping",
                               json_object_new_boolean(l->requires_shipping));
        json_object_array_add(arr, j);
    }
    return json_text(arr);
}

/* ---- intake: statements ---- */

/* sql/030: SELECT ... FOR UPDATE, else INSERT ... ON CONFLICT DO NOTHING, twice. */
static const char *const order_lock_sql =
    "SELECT o_id, o_state, o_updated_ms, o_post_started, o_created "
    "FROM intake_lock_order($1, $2, $3, $4)";

static const char *const order_update_sql =
    "UPDATE orders SET name = $2, state = $3, financial_status = $4, fulfillment_status = $5, "
    "shopline_status = $6, currency = $7, total_price = $8::numeric, total_tax = $9::numeric, "
    "total_discounts = $10::numeric, shipping_price = $11::numeric, shipping_title = $12, "
    "shipping_code = $13, email = $14, phone = $15, note = $16, location_id = $17, "
    "shipping_country = $18, customer = $19::jsonb, shipping_address = $20::jsonb, "
    "billing_address = $21::jsonb, shopline_created_at = to_timestamp($22::double precision/1000), "
    "shopline_updated_at = to_timestamp($23::double precision/1000), "
    "cancelled_at = to_timestamp($24::double precision/1000), updated_at = now(), "
    "ready_at = CASE WHEN $3 = 'ready' THEN coalesce(ready_at, now()) ELSE ready_at END "
    "WHERE id = $1::bigint";

static const char *const lines_insert_sql =
    "INSERT INTO order_lines (order_id, line_id, product_id, variant_id, sku, title, "
    "variant_title, quantity, price, location_id, requires_shipping) "
    "SELECT $1::bigint, x.line_id, x.product_id, x.variant_id, x.sku, x.title, x.variant_title, "
    "x.quantity, x.price::numeric, x.location_id, x.requires_shipping "
    "FROM json_to_recordset($2::json) AS x(line_id text, product_id text, variant_id text, "
    "sku text, title text, variant_title text, quantity integer, price text, location_id text, "
    "requires_shipping boolean)";

static const char *const lines_differ_sql =
    "SELECT EXISTS (SELECT line_id, sku, quantity FROM order_lines WHERE order_id = $1::bigint "
    "EXCEPT SELECT x.line_id, x.sku, x.quantity FROM json_to_recordset($2::json) "
    "AS x(line_id text, sku text, quantity integer)) OR EXISTS (SELECT x.line_id, x.sku, "
    "x.quantity FROM json_to_recordset($2::json) AS x(line_id text, sku text, quantity integer) "
    "EXCEPT SELECT line_id, sku, quantity FROM order_lines WHERE order_id = $1::bigint)";

enum st order_store_lock_or_create(struct store_conn *c, const char *shop, const struct order *o,
                                   const char *initial_state, struct order_store_locked *out,
                                   struct errbuf *err)
{
    const char *p[4] = {shop, o->id, o->name, initial_state};
    enum st st;
    PGresult *res = os_q(c, "order_lock_or_create", order_lock_sql, 4, p, &st, err);

    memset(out, 0, sizeof(*out));
    out->shopline_updated_ms = -1;
    if (res == NULL)
        return st;
    if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0)) {
        PQclear(res);
        errbuf_set(err, "could not lock order %s", o->id);
        return ST_FAIL;
    }
    snprintf(out->id, sizeof(out->id), "%s", PQgetvalue(res, 0, 0));
    snprintf(out->state, sizeof(out->state), "%s", PQgetvalue(res, 0, 1));
    out->shopline_updated_ms = PQgetisnull(res, 0, 2) ? -1 : atoll(PQgetvalue(res, 0, 2));
    out->post_started = os_true(res, 0, 3);
    out->created = os_true(res, 0, 4);
    PQclear(res);
    return ST_OK;
}

static void ms_text(int64_t ms, char *out, size_t n, const char **param)
{
    if (ms < 0) {
        *param = NULL;
        return;
    }
    snprintf(out, n, "%lld", (long long)ms);
    *param = out;
}

enum st order_store_write(struct store_conn *c, const char *order_id, const struct order *o,
                          const char *state, struct errbuf *err)
{
    char *customer = customer_json(o);
    char *ship = address_json(&o->shipping, o->has_shipping_address);
    char *bill = address_json(&o->billing, o->has_billing_address);
    char created[24], updated[24], cancelled[24];
    const char *p[24] = {order_id, o->name, state, o->financial_status,
                         o->fulfillment_status, o->status, o->currency, o->total_price,
                         o->total_tax, o->total_discounts, o->shipping_price, o->shipping_title,
                         o->shipping_code, o->email, o->phone, o->note, o->location_id,
                         o->has_shipping_address ? o->shipping.country_code : NULL, customer,
                         ship, bill, NULL, NULL, NULL};
    int64_t ms = -1;
    enum st st;

    if (o->created_at != NULL && order_parse_time_ms(o->created_at, &ms) == 0)
        ms_text(ms, created, sizeof(created), &p[21]);
    ms_text(o->updated_at_ms, updated, sizeof(updated), &p[22]);
    if (o->cancelled_at != NULL && order_parse_time_ms(o->cancelled_at, &ms) == 0)
        ms_text(ms, cancelled, sizeof(cancelled), &p[23]);
    st = os_exec(c, "order_update", order_update_sql, 24, p, err);
    free(customer);
    free(ship);
    free(bill);
    return st;
}

enum st order_store_replace_lines(struct store_conn *c, const char *order_id,
                                  const struct order *o, struct errbuf *err)
{
    char *lines = lines_json(o);
    const char *p[2] = {order_id, lines};
    enum st st = os_exec_order(c, "order_lines_delete",
                               "DELETE FROM order_lines WHERE order_id = $1::bigint", order_id,
                               err);

    if (st == ST_OK)
        st = os_exec(c, "order_lines_insert", lines_insert_sql, 2, p, err);
    free(lines);
    return st;
}

enum st order_store_lines_differ(struct store_conn *c, const char *order_id,
                                 const struct order *o, bool *differ, struct errbuf *err)
{
    char *lines = lines_json(o);
    const char *p[2] = {order_id, lines};
    enum st st;
    PGresult *res = os_q(c, "order_lines_differ", lines_differ_sql, 2, p, &st, err);

    *differ = res != NULL && os_true(res, 0, 0);
    PQclear(res);
    free(lines);
    return st;
}

/* ---- posting ---- */

/* Columns of post_sql, in order. */
enum {
    PC_SHOP, PC_NAME, PC_STATE, PC_HOLD, PC_SO, PC_SITE, PC_STARTED, PC_SENT,
    PC_LOCATION, PC_COUNTRY, PC_EMAIL, PC_CUSTOMER, PC_CONTACT,
    PC_SHIP1, PC_SHIP2, PC_SHIP_CITY, PC_SHIP_REGION, PC_SHIP_POSTCODE, PC_SHIP_COUNTRY,
    PC_BILL1, PC_BILL2, PC_BILL_CITY, PC_BILL_REGION, PC_BILL_POSTCODE, PC_BILL_COUNTRY,
    PC_SHIPPING, PC_TOTAL, PC_DISCOUNT, PC_TAX, PC_CREATED, PC_SERVICE
};

#define OS_ADDRESS_SQL(col)                                                                   \
    col "->>'address1', " col "->>'address2', " col "->>'city', "                              \
    "coalesce(nullif(" col "->>'province', ''), " col "->>'province_code'), " col "->>'zip', " \
    "coalesce(nullif(" col "->>'country_code', ''), " col "->>'country')"

static const char *const post_sql =
    "SELECT shop, name, state, hold_reason, sales_order_number, site, "
    "post_started_at IS NOT NULL, sent_at IS NOT NULL, location_id, shipping_country, "
    "coalesce(nullif(email, ''), customer->>'email'), "
    "nullif(concat_ws(' ', customer->>'first_name', customer->>'last_name'), ''), "
    "coalesce(nullif(shipping_address->>'name', ''), nullif(concat_ws(' ', "
    "shipping_address->>'first_name', shipping_address->>'last_name'), '')), "
    OS_ADDRESS_SQL("shipping_address") ", " OS_ADDRESS_SQL("billing_address") ", "
    "shipping_price::text, total_price::text, total_discounts::text, total_tax::text, "
    "to_char(shopline_created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), "
    "coalesce(nullif(shipping_code, ''), shipping_title) "
    "FROM orders WHERE id = $1::bigint FOR UPDATE";

/* Six address columns from first on. */
static void address_from(const PGresult *r, int first, struct so_address *a)
{
    a->line1 = os_dup(r, first);
    a->line2 = os_dup(r, first + 1);
    a->city = os_dup(r, first + 2);
    a->region = os_dup(r, first + 3);
    a->postcode = os_dup(r, first + 4);
    a->country = os_dup(r, first + 5);
}

enum st order_store_lock_for_post(struct store_conn *c, const char *order_id,
                                  struct so_order *out, bool *found, struct errbuf *err)
{
    const char *p[1] = {order_id};
    enum st st;
    PGresult *r = os_q(c, "order_lock_for_post", post_sql, 1, p, &st, err);

    memset(out, 0, sizeof(*out));
    *found = r != NULL && PQntuples(r) == 1;
    if (*found) {
        *out = (struct so_order){
            .shop = os_dup(r, PC_SHOP), .name = os_dup(r, PC_NAME),
            .state = os_dup(r, PC_STATE), .hold_reason = os_dup(r, PC_HOLD),
            .so_number = os_dup(r, PC_SO), .site = os_dup(r, PC_SITE),
            .post_started = os_true(r, 0, PC_STARTED), .sent = os_true(r, 0, PC_SENT),
            .location_id = os_dup(r, PC_LOCATION), .country_code = os_dup(r, PC_COUNTRY),
            .email = os_dup(r, PC_EMAIL), .customer = os_dup(r, PC_CUSTOMER),
            .contact = os_dup(r, PC_CONTACT), .shipping = os_dup(r, PC_SHIPPING),
            .total = os_dup(r, PC_TOTAL), .discount = os_dup(r, PC_DISCOUNT),
            .tax = os_dup(r, PC_TAX), .created = os_dup(r, PC_CREATED),
            .service = os_dup(r, PC_SERVICE),
        };
        address_from(r, PC_SHIP1, &out->ship);
        address_from(r, PC_BILL1, &out->bill);
    }
    PQclear(r);
    return st;
}

enum st order_store_lock_state(struct store_conn *c, const char *order_id,
                               struct order_store_state *out, bool *found, struct errbuf *err)
{
    const char *p[1] = {order_id};
    enum st st;
    PGresult *r = os_q(c, "order_lock_state",
                       "SELECT state, hold_reason FROM orders WHERE id = $1::bigint FOR UPDATE",
                       1, p, &st, err);

    memset(out, 0, sizeof(*out));
    *found = r != NULL && PQntuples(r) == 1;
    if (*found) {
        snprintf(out->state, sizeof(out->state), "%s", PQgetvalue(r, 0, 0));
        out->held = !PQgetisnull(r, 0, 1);
        snprintf(out->hold_reason, sizeof(out->hold_reason), "%s", PQgetvalue(r, 0, 1));
    }
    PQclear(r);
    return st;
}

enum st order_store_load_lines(struct store_conn *c, const char *order_id, struct so_lines *out,
                               struct errbuf *err)
{
    const char *p[1] = {order_id};
    enum st st;
    PGresult *r = os_q(c, "order_lines_load",
                       "SELECT line_id, sku, quantity, requires_shipping, price::text, line_no "
                       "FROM order_lines WHERE order_id = $1::bigint "
                       "ORDER BY line_no NULLS LAST, length(line_id), line_id",
                       1, p, &st, err);

    memset(out, 0, sizeof(*out));
    if (r == NULL)
        return st;
    so_lines_alloc(out, (size_t)PQntuples(r));
    for (int i = 0; i < PQntuples(r); i++) {
        struct order_line *l = &out->lines[i];

        l->line_id = xstrdup(PQgetvalue(r, i, 0));
        l->sku = PQgetisnull(r, i, 1) ? NULL : xstrdup(PQgetvalue(r, i, 1));
        l->quantity = atoll(PQgetvalue(r, i, 2));
        l->requires_shipping = os_true(r, i, 3);
        l->price = PQgetisnull(r, i, 4) ? NULL : xstrdup(PQgetvalue(r, i, 4));
        if (!PQgetisnull(r, i, 5))
            out->line_no[i] = atoi(PQgetvalue(r, i, 5));
    }
    PQclear(r);
    return ST_OK;
}

enum st order_store_save_lines(struct store_conn *c, const char *order_id,
                               const struct so_lines *l, char *const *item_codes,
                               struct errbuf *err)
{
    struct json_object *arr = json_object_new_array();
    const char *p[2] = {order_id, NULL};
    enum st st;

    for (size_t i = 0; i < l->n; i++) {
        struct json_object *o = json_object_new_object();
        const char *code = item_codes != NULL ? item_codes[i] : NULL;

        json_object_object_add(o, "line_id", json_object_new_string(l->lines[i].line_id));
        json_object_object_add(o, "item_code", code ? json_object_new_string(code) : NULL);
        json_object_object_add(o, "line_no",
                               l->line_no[i] > 0 ? json_object_new_int(l->line_no[i]) : NULL);
        json_object_array_add(arr, o);
    }
    p[1] = json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN);
    st = os_exec(c, "order_lines_save",
                 "UPDATE order_lines l SET item_code = x.item_code, line_no = x.line_no "
                 "FROM json_to_recordset($2::json) AS x(line_id text, item_code text, "
                 "line_no integer) WHERE l.order_id = $1::bigint AND l.line_id = x.line_id",
                 2, p, err);
    json_object_put(arr);
    return st;
}

enum st order_store_number_owner(struct store_conn *c, const char *so_number,
                                 const char *order_id, char *other_name, size_t cap,
                                 bool *taken, struct errbuf *err)
{
    const char *p[2] = {so_number, order_id};
    enum st st;
    PGresult *r = os_q(c, "order_number_owner",
                       "SELECT name FROM orders WHERE sales_order_number = $1 AND id <> $2::bigint",
                       2, p, &st, err);

    *taken = r != NULL && PQntuples(r) > 0;
    if (*taken)
        snprintf(other_name, cap, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return st;
}

enum st order_store_hold(struct store_conn *c, const char *order_id, const char *reason,
                         struct errbuf *err)
{
    const char *p[2] = {order_id, reason};

    return os_exec(c, "order_hold",
                   "UPDATE orders SET state = 'on_hold', hold_reason = $2, updated_at = now() "
                   "WHERE id = $1::bigint AND state <> 'cancelled'",
                   2, p, err);
}

enum st order_store_mark_posting(struct store_conn *c, const char *order_id,
                                 const char *so_number, const char *site, struct errbuf *err)
{
    const char *p[3] = {order_id, so_number, site};

    return os_exec(c, "order_mark_posting",
                   "UPDATE orders SET sales_order_number = $2, site = $3, "
                   "post_started_at = coalesce(post_started_at, now()), state = 'ready', "
                   "ready_at = coalesce(ready_at, now()), hold_reason = NULL, "
                   "updated_at = now() WHERE id = $1::bigint",
                   3, p, err);
}

enum st order_store_not_for_warehouse(struct store_conn *c, const char *order_id,
                                      struct errbuf *err)
{
    return os_exec_order(c, "order_not_for_warehouse",
                         "UPDATE orders SET state = 'not_for_warehouse', hold_reason = NULL, "
                         "updated_at = now() WHERE id = $1::bigint",
                         order_id, err);
}

enum st order_store_set_site(struct store_conn *c, const char *order_id, const char *site,
                             struct errbuf *err)
{
    const char *p[2] = {order_id, site};

    return os_exec(c, "order_set_site",
                   "UPDATE orders SET site = $2, updated_at = now() WHERE id = $1::bigint", 2, p,
                   err);
}

enum st order_store_mark_sent(struct store_conn *c, const char *order_id, const char *site,
                              bool keep_state, struct errbuf *err)
{
    const char *p[2] = {order_id, site};

    if (keep_state)
        return os_exec(c, "order_sent_keep_state",
                       "UPDATE orders SET sent_at = now(), site = $2, updated_at = now() "
                       "WHERE id = $1::bigint",
                       2, p, err);
    return os_exec(c, "order_sent",
                   "UPDATE orders SET state = 'sent', sent_at = now(), site = $2, "
                   "hold_reason = NULL, updated_at = now() WHERE id = $1::bigint",
                   2, p, err);
}

enum st order_store_unstart(struct store_conn *c, const char *order_id, struct errbuf *err)
{
    return os_exec_order(c, "order_unstart",
                         "UPDATE orders SET post_started_at = NULL, updated_at = now() "
                         "WHERE id = $1::bigint AND sent_at IS NULL",
                         order_id, err);
}

/* ---- cancellation ---- */

enum st order_store_lock_for_cancel(struct store_conn *c, const char *order_id,
                                    struct order_store_cancel *out, bool *found,
                                    struct errbuf *err)
{
    const char *p[1] = {order_id};
    enum st st;
    PGresult *r = os_q(c, "order_lock_for_cancel",
                       "SELECT shop, name, state, coalesce(sales_order_number, ''), "
                       "post_started_at IS NOT NULL FROM orders WHERE id = $1::bigint FOR UPDATE",
                       1, p, &st, err);

    memset(out, 0, sizeof(*out));
    *found = r != NULL && PQntuples(r) == 1;
    if (*found) {
        snprintf(out->shop, sizeof(out->shop), "%s", PQgetvalue(r, 0, 0));
        snprintf(out->name, sizeof(out->name), "%s", PQgetvalue(r, 0, 1));
        snprintf(out->state, sizeof(out->state), "%s", PQgetvalue(r, 0, 2));
        snprintf(out->so_number, sizeof(out->so_number), "%s", PQgetvalue(r, 0, 3));
        out->post_started = os_true(r, 0, 4);
    }
    PQclear(r);
    return st;
}

enum st order_store_cancel(struct store_conn *c, const char *order_id, struct errbuf *err)
{
    return os_exec_order(c, "order_cancel",
                         "UPDATE orders SET state = 'cancelled', hold_reason = NULL, "
                         "updated_at = now() WHERE id = $1::bigint",
                         order_id, err);
}

/* ---- re-checks ---- */

enum st order_store_recheck_candidates(struct store_conn *c, const char *shop, long long **ids,
                                       size_t *n, struct errbuf *err)
{
    const char *p[1] = {shop};
    enum st st;
    PGresult *r = os_q(
        c, "order_recheck_candidates",
        "SELECT o.id FROM orders o WHERE o.shop = $1 AND ((o.state = 'on_hold'"
        " AND o.hold_reason IN ('sku', 'routing')) OR (o.state = 'ready' AND EXISTS ("
        "SELECT 1 FROM jobs j WHERE j.kind = 'post_sales_order' AND j.dedupe_key = o.id::text"
        " AND j.state IN ('pending', 'running')))) ORDER BY o.id",
        1, p, &st, err);

    *ids = NULL;
    *n = 0;
    if (r == NULL)
        return st;
    *n = (size_t)PQntuples(r);
    *ids = xcalloc(*n > 0 ? *n : 1, sizeof(**ids));
    for (size_t i = 0; i < *n; i++)
        (*ids)[i] = atoll(PQgetvalue(r, (int)i, 0));
    PQclear(r);
    return ST_OK;
}

/* ---- reports ---- */

PGresult *order_store_count_by_state(struct store_conn *c, bool all, enum st *st,
                                     struct errbuf *err)
{
    if (all)
        return os_q(c, "order_count_all", "SELECT state, count(*) FROM orders GROUP BY 1", 0,
                    NULL, st, err);
    return os_q(c, "order_count_moving",
                "SELECT state, count(*) FROM orders WHERE state IN ('awaiting_payment', "
                "'ready', 'on_hold') GROUP BY 1",
                0, NULL, st, err);
}

PGresult *order_store_stalled(struct store_conn *c, const char *shop, int threshold_s,
                              enum st *st, struct errbuf *err)
{
    char threshold[16];
    const char *p[2] = {shop, threshold};

    snprintf(threshold, sizeof(threshold), "%d", threshold_s);
    return os_q(c, "order_stalled",
                "SELECT o.id, o.name, (extract(epoch FROM now() - coalesce(o.ready_at, "
                "o.created_at)) / 60)::int, coalesce(j.state, 'none'), coalesce(j.attempts, 0), "
                "coalesce(j.last_error, '') FROM orders o LEFT JOIN LATERAL (SELECT state, "
                "attempts, last_error FROM jobs WHERE kind = 'post_sales_order' AND "
                "dedupe_key = o.id::text ORDER BY id DESC LIMIT 1) j ON true "
                "WHERE o.shop = $1 AND o.state = 'ready' AND coalesce(o.ready_at, o.created_at) "
                "< now() - ($2::int * interval '1 second') ORDER BY o.id LIMIT 1000",
                2, p, st, err);
}

/* ---- the operator's reports ---- */

PGresult *order_store_report(struct store_conn *c, const char *shop, const char *key,
                             enum st *st, struct errbuf *err)
{
    const char *p[2] = {shop, key};

    return store_exec(
        c,
        "SELECT id, shopline_order_id, name, state, hold_reason, financial_status, "
        "fulfillment_status, shopline_status, sales_order_number, site, location_id, "
        "shipping_country, currency, total_price, shipping_title, lines_changed_after_post, "
        STORE_ISO_UTC("shopline_created_at") " AS shopline_created_at, "
        STORE_ISO_UTC("created_at") " AS received_at, " STORE_ISO_UTC("sent_at") " AS sent_at, "
        STORE_ISO_UTC("cancelled_at") " AS cancelled_at, "
        STORE_ISO_UTC("updated_at") " AS updated_at "
        "FROM orders WHERE shop = $1 AND (name = $2 OR name = '#' || $2 OR "
        "shopline_order_id = $2) "
        "ORDER BY (name = $2) DESC, (shopline_order_id = $2) DESC, id LIMIT 1",
        2, p, st, err);
}

PGresult *order_store_report_lines(struct store_conn *c, const char *order_id, enum st *st,
                                   struct errbuf *err)
{
    const char *p[1] = {order_id};

    return store_exec(c,
                      "SELECT line_id, line_no, sku, item_code, title, variant_title, quantity, "
                      "qty_despatched, qty_fulfilled, requires_shipping FROM order_lines "
                      "WHERE order_id = $1::bigint ORDER BY line_no NULLS LAST, line_id",
                      1, p, st, err);
}

PGresult *order_store_report_history(struct store_conn *c, const char *order_id, enum st *st,
                                     struct errbuf *err)
{
    const char *p[1] = {order_id};

    return store_exec(c,
                      "SELECT " STORE_ISO_UTC("at") " AS at, event, from_state, to_state, detail "
                      "FROM order_events WHERE order_id = $1::bigint ORDER BY order_events.at, id",
                      1, p, st, err);
}

PGresult *order_store_report_brief(struct store_conn *c, const char *shop, const char *order_id,
                                   const char *name, enum st *st, struct errbuf *err)
{
    const char *p[3] = {shop, order_id, name};

    return store_exec(c,
                      "SELECT id, name, state FROM orders WHERE shop = $1 "
                      "AND (id = $2::bigint OR ($2::bigint < 0 AND name = $3))",
                      3, p, st, err);
}

/* ---- despatches ---- */

enum st order_store_lock_by_so_number(struct store_conn *c, const char *so_number,
                                      struct order_store_so *out, bool *found,
                                      struct errbuf *err)
{
    const char *p[1] = {so_number};
    enum st st;
    PGresult *r = os_q(c, "order_lock_by_so",
                       "SELECT id::text, name, state FROM orders WHERE sales_order_number = $1 "
                       "FOR UPDATE",
                       1, p, &st, err);

    memset(out, 0, sizeof(*out));
    *found = r != NULL && PQntuples(r) == 1;
    if (*found) {
        snprintf(out->id, sizeof(out->id), "%s", PQgetvalue(r, 0, 0));
        snprintf(out->name, sizeof(out->name), "%s", PQgetvalue(r, 0, 1));
        snprintf(out->state, sizeof(out->state), "%s", PQgetvalue(r, 0, 2));
    }
    PQclear(r);
    return st;
}

enum st order_store_load_ship_lines(struct store_conn *c, const char *order_id,
                                    struct order_store_ship_lines *out, struct errbuf *err)
{
    const char *p[1] = {order_id};
    enum st st;
    PGresult *r = os_q(c, "order_ship_lines",
                       "SELECT l.line_id, coalesce(l.item_code, l.sku, ''), l.quantity, "
                       "l.qty_despatched, coalesce(l.sku, ''), coalesce(m.item_code, '') "
                       "FROM order_lines l JOIN orders o ON o.id = l.order_id "
                       "LEFT JOIN sku_map m ON m.shop = o.shop AND m.shopline_sku = l.sku "
                       "WHERE l.order_id = $1::bigint AND l.requires_shipping "
                       "AND l.quantity > 0 "
                       "ORDER BY l.line_no NULLS LAST, length(l.line_id), l.line_id",
                       1, p, &st, err);

    memset(out, 0, sizeof(*out));
    if (r == NULL)
        return st;
    out->n = (size_t)PQntuples(r);
    out->lines = xcalloc(out->n ? out->n : 1, sizeof(*out->lines));
    for (size_t i = 0; i < out->n; i++) {
        out->lines[i].line_id = xstrdup(PQgetvalue(r, (int)i, 0));
        out->lines[i].item_code = xstrdup(PQgetvalue(r, (int)i, 1));
        out->lines[i].quantity = atol(PQgetvalue(r, (int)i, 2));
        out->lines[i].despatched = atol(PQgetvalue(r, (int)i, 3));
        out->lines[i].sku = xstrdup(PQgetvalue(r, (int)i, 4));
        out->lines[i].mapped_code = xstrdup(PQgetvalue(r, (int)i, 5));
    }
    PQclear(r);
    return ST_OK;
}

void order_store_ship_lines_cleanup(struct order_store_ship_lines *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->lines[i].line_id);
        free(l->lines[i].item_code);
        free(l->lines[i].sku);
        free(l->lines[i].mapped_code);
    }
    free(l->lines);
    memset(l, 0, sizeof(*l));
}

enum st order_store_add_despatched(struct store_conn *c, const char *order_id,
                                   const char *line_id, long quantity, struct errbuf *err)
{
    char qty[24];
    const char *p[3] = {order_id, line_id, qty};

    snprintf(qty, sizeof(qty), "%ld", quantity);
    return os_exec(c, "order_add_despatched",
                   "UPDATE order_lines SET qty_despatched = qty_despatched + $3::int "
                   "WHERE order_id = $1::bigint AND line_id = $2",
                   3, p, err);
}

enum st order_store_move(struct store_conn *c, const char *order_id, const char *from,
                         const char *to, const char *event, const char *detail,
                         struct errbuf *err)
{
    const char *p[2] = {order_id, to};
    enum st st = ST_OK;

    if (strcmp(from, to) != 0)
        st = os_exec(c, "order_move",
                     "UPDATE orders SET state = $2, updated_at = now() WHERE id = $1::bigint", 2,
                     p, err);
    if (st == ST_OK)
        st = order_store_event(c, order_id, from, strcmp(from, to) != 0 ? to : NULL, event,
                               detail, err);
    return st;
}
