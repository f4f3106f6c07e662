/*
 * intake.c - the webhook inbox transaction (see intake.h).
 *
 * Order of statements matters for concurrency: the order row is locked
 * (SELECT ... FOR UPDATE, or created with INSERT ... ON CONFLICT DO NOTHING
 * and then locked) before any decision, so two deliveries of the same
 * order serialise and each sees the other's effect. The inbox row goes in
 * last: a duplicate delivery conflicts there and the whole transaction is
 * rolled back, leaving no trace but a counter.
 *
 * orders.ready_at is set the first time an order is stored as `ready`
 * (paid) and never moved after: the stalled-order alarm measures from it,
 * while updated_at moves with every delivery and retry.
 */
#include "intake.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exceptions.h"
#include "jobs.h"
#include "log.h"
#include "order.h"
#include "webhook.h"

const char *intake_outcome_name(enum intake_outcome o)
{
    static const char *const names[] = {"stored", "duplicate", "ignored", "failed", "stale"};

    return (unsigned)o < ARRAY_LEN(names) ? names[o] : "unknown";
}

/* Per-delivery working state. */
struct intake_ctx {
    struct store_conn *c;
    const struct intake_request *r;
    struct errbuf *err;
    struct order order;
    char order_id[24];          /* orders.id once known */
    const char *event_outcome;  /* webhook_events.outcome */
    const char *event_error;
    bool post_started;          /* a Sales Order may exist in Peoplevox */
    struct errbuf parse_err;    /* why the body was unusable (event_error points here) */
};

static PGresult *q(struct intake_ctx *x, const char *name, const char *sql, int n,
                   const char *const *params, enum st *st)
{
    return store_exec_prepared(x->c, name, sql, n, params, NULL, NULL, st, x->err);
}

/* ---- JSON snapshots of the nested parts ---- */

static void json_put(struct json_object *o, const char *key, const char *val)
{
    if (val != NULL)
        json_object_object_add(o, key, json_object_new_string(val));
}

static char *address_json(const struct order_address *a, bool present)
{
    struct json_object *o;
    char *s;

    if (!present)
        return NULL;
    o = json_object_new_object();
    json_put(o, "name", a->name);
    json_put(o, "first_name", a->first_name);
    json_put(o, "last_name", a->last_name);
    json_put(o, "company", a->company);
    json_put(o, "phone", a->phone);
    json_put(o, "address1", a->address1);
    json_put(o, "address2", a->address2);
    json_put(o, "city", a->city);
    json_put(o, "province", a->province);
    json_put(o, "province_code", a->province_code);
    json_put(o, "country", a->country);
    json_put(o, "country_code", a->country_code);
    json_put(o, "zip", a->zip);
    s = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
    return s;
}

static char *customer_json(const struct order *o)
{
    struct json_object *j;
    char *s;

    if (o->customer_id == NULL && o->customer_email == NULL)
        return NULL;
    j = json_object_new_object();
    json_put(j, "id", o->customer_id);
    json_put(j, "email", o->customer_email);
    json_put(j, "first_name", o->customer_first_name);
    json_put(j, "last_name", o->customer_last_name);
    json_put(j, "phone", o->customer_phone);
    s = xstrdup(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
    json_object_put(j);
    return s;
}

static char *lines_json(const struct order *o)
{
    struct json_object *arr = json_object_new_array();
    char *s;

    for (size_t i = 0; i < o->n_lines; i++) {
        const struct order_line *l = &o->lines[i];
        struct json_object *j = json_object_new_object();

        json_put(j, "line_id", l->line_id);
        json_put(j, "product_id", l->product_id);
        json_put(j, "variant_id", l->variant_id);
        json_put(j, "sku", l->sku);
        json_put(j, "title", l->title);
        json_put(j, "variant_title", l->variant_title);
        json_object_object_add(j, "quantity", json_object_new_int64(l->quantity));
        json_put(j, "price", l->price);
        json_put(j, "location_id", l->location_id);
        json_object_object_add(j, "requires_shipping",
                               json_object_new_boolean(l->requires_shipping));
        json_object_array_add(arr, j);
    }
    s = xstrdup(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN));
    json_object_put(arr);
    return s;
}

/* ---- statements ---- */

static const char *const order_lock_sql =
    "SELECT id, state, (extract(epoch FROM shopline_updated_at) * 1000)::bigint, "
    "post_started_at IS NOT NULL FROM orders WHERE shop = $1 AND shopline_order_id = $2 FOR UPDATE";

static const char *const order_insert_sql =
    "INSERT INTO orders (shop, shopline_order_id, name, state) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (shop, shopline_order_id) DO NOTHING RETURNING id";

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

static const char *const lines_delete_sql =
    "DELETE FROM order_lines WHERE order_id = $1::bigint";

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

static const char *const event_sql =
    "INSERT INTO order_events (order_id, from_state, to_state, event, detail) "
    "VALUES ($1::bigint, $2, $3, $4, $5)";

static const char *const inbox_sql =
    "INSERT INTO webhook_events (shop, webhook_id, topic, api_version, headers, body, outcome, "
    "error, order_id) VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9::bigint) "
    "ON CONFLICT (shop, webhook_id) DO NOTHING RETURNING id";

static void ms_text(int64_t ms, char *out, size_t n, const char **param)
{
    if (ms < 0) {
        *param = NULL;
        return;
    }
    snprintf(out, n, "%lld", (long long)ms);
    *param = out;
}

static enum st order_event(struct intake_ctx *x, const char *from, const char *to,
                           const char *event, const char *detail)
{
    const char *p[5] = {x->order_id, from, to, event, detail};
    enum st st;

    PQclear(q(x, "intake_event", event_sql, 5, p, &st));
    return st;
}

/* Enqueues a job for this order (deduplicated by order id). */
static enum st order_job(struct intake_ctx *x, const char *kind, bool *enqueued)
{
    char payload[96];

    snprintf(payload, sizeof(payload), "{\"order_id\": %s}", x->order_id);
    return job_enqueue(x->c, x->r->shop, kind, x->order_id, payload, 0, enqueued, x->err);
}

/* Locks the order row, creating it when new; *exists tells which. */
static enum st order_lock(struct intake_ctx *x, bool *exists, enum order_state *cur,
                          int64_t *stored_ms, const char *initial_state)
{
    const char *p[4] = {x->r->shop, x->order.id, x->order.name, initial_state};
    enum st st;
    PGresult *res;

    for (int attempt = 0; attempt < 2; attempt++) {
        res = q(x, "intake_order_lock", order_lock_sql, 2, p, &st);
        if (res == NULL)
            return st;
        if (PQntuples(res) == 1) {
            snprintf(x->order_id, sizeof(x->order_id), "%s", PQgetvalue(res, 0, 0));
            if (order_state_parse(PQgetvalue(res, 0, 1), cur) < 0)
                *cur = ORDER_ON_HOLD;
            *stored_ms = PQgetisnull(res, 0, 2) ? -1 : atoll(PQgetvalue(res, 0, 2));
            x->post_started = PQgetvalue(res, 0, 3)[0] == 't';
            *exists = true;
            PQclear(res);
            return ST_OK;
        }
        PQclear(res);
        res = q(x, "intake_order_insert", order_insert_sql, 4, p, &st);
        if (res == NULL)
            return st;
        if (PQntuples(res) == 1) {
            snprintf(x->order_id, sizeof(x->order_id), "%s", PQgetvalue(res, 0, 0));
            *exists = false;
            PQclear(res);
            return ST_OK;
        }
        PQclear(res); /* a concurrent delivery created it: lock it */
    }
    errbuf_set(x->err, "could not lock order %s", x->order.id);
    return ST_FAIL;
}

static enum st order_write(struct intake_ctx *x, enum order_state next)
{
    const struct order *o = &x->order;
    char *customer = customer_json(o);
    char *ship = address_json(&o->shipping, o->has_shipping_address);
    char *bill = address_json(&o->billing, o->has_billing_address);
    char created[24], updated[24], cancelled[24];
    const char *p[24] = {x->order_id, o->name, order_state_name(next), o->financial_status,
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
    PQclear(q(x, "intake_order_update", order_update_sql, 24, p, &st));
    free(customer);
    free(ship);
    free(bill);
    return st;
}

static enum st lines_replace(struct intake_ctx *x, const char *lines)
{
    const char *p[2] = {x->order_id, lines};
    enum st st;

    PQclear(q(x, "intake_lines_delete", lines_delete_sql, 1, p, &st));
    if (st == ST_OK)
        PQclear(q(x, "intake_lines_insert", lines_insert_sql, 2, p, &st));
    return st;
}

/* A posted order whose lines changed: Peoplevox cannot remove lines. */
static enum st lines_check_posted(struct intake_ctx *x, const char *lines)
{
    const char *p[2] = {x->order_id, lines};
    struct exc_new e = {x->r->shop, "order_edited_after_post", "customer_service", "order",
                        x->order.name, x->order_id, NULL,
                        "Change the Sales Order in Peoplevox by hand (lines cannot be removed "
                        "through the API), then resolve this exception"};
    char detail[256];
    enum st st;
    PGresult *res = q(x, "intake_lines_differ", lines_differ_sql, 2, p, &st);
    bool differ;

    if (res == NULL)
        return st;
    differ = PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    if (!differ)
        return ST_OK;
    snprintf(detail, sizeof(detail),
             "order %s changed its lines after it was sent to Peoplevox; the warehouse still "
             "has the old lines", x->order.name);
    e.detail = detail;
    st = exc_raise(x->c, &e, NULL, x->err);
    if (st == ST_OK)
        st = order_event(x, NULL, NULL, "lines_changed_after_post", detail);
    return st;
}

/* Applies the payload to the locked order and releases jobs. */
static enum st order_apply(struct intake_ctx *x, bool exists, enum order_state cur,
                           struct intake_result *out)
{
    enum order_state intake = order_intake_state(&x->order, x->r->paid_statuses);
    struct order_transition t = order_next_state(exists, cur, intake);
    char *lines = lines_json(&x->order);
    enum st st = order_write(x, t.next);

    if (st == ST_OK && exists && order_state_is_posted(cur))
        st = lines_check_posted(x, lines);
    else if (st == ST_OK)
        st = lines_replace(x, lines);
    if (st == ST_OK && (!exists || t.next != cur))
        st = order_event(x, exists ? order_state_name(cur) : NULL, order_state_name(t.next),
                         exists ? "state_changed" : "received", x->r->topic);
    if (st == ST_OK && t.enqueue_post)
        st = order_job(x, "post_sales_order", &out->job_enqueued);
    /* an empty order's exception has nothing left to act on once it is cancelled */
    if (st == ST_OK && exists && cur == ORDER_NOT_FOR_WAREHOUSE && t.next == ORDER_CANCELLED)
        st = exc_resolve_subject(x->c, x->r->shop, "empty_order", x->order.name, "shopvox",
                                 "order cancelled", x->err);
    /* a held or in-flight order may already be in Peoplevox: cancel it there too */
    if (st == ST_OK && (t.enqueue_cancel || (exists && t.next == ORDER_CANCELLED &&
                                             cur != ORDER_CANCELLED && x->post_started)))
        st = order_job(x, "cancel_sales_order", &out->job_enqueued);
    snprintf(out->order_state, sizeof(out->order_state), "%s", order_state_name(t.next));
    free(lines);
    return st;
}

static enum st process_order(struct intake_ctx *x, struct intake_result *out)
{
    enum order_state intake = order_intake_state(&x->order, x->r->paid_statuses);
    enum order_state cur = ORDER_AWAITING_PAYMENT;
    int64_t stored_ms = -1;
    bool exists = false;
    enum st st = order_lock(x, &exists, &cur, &stored_ms, order_state_name(intake));

    if (st != ST_OK)
        return st;
    if (exists && stored_ms >= 0 && x->order.updated_at_ms >= 0 &&
        x->order.updated_at_ms < stored_ms) {
        x->event_outcome = "stale";
        out->outcome = INTAKE_STALE;
        snprintf(out->order_state, sizeof(out->order_state), "%s", order_state_name(cur));
        return ST_OK;
    }
    return order_apply(x, exists, cur, out);
}

/* Signed but unusable: keep the body for inspection and tell ops. */
static enum st record_failure(struct intake_ctx *x, struct intake_result *out, const char *why)
{
    char detail[ERRBUF_MAX + 128];
    struct exc_new e = {x->r->shop, "invalid_webhook", "ops", "webhook", x->r->webhook_id, NULL,
                        detail,
                        "Inspect the stored body in webhook_events; fix the sender or the "
                        "mapping, then resolve this exception"};

    snprintf(detail, sizeof(detail), "%s webhook could not be used: %s", x->r->topic, why);
    x->event_outcome = "failed";
    x->event_error = why;
    out->outcome = INTAKE_FAILED;
    return exc_raise(x->c, &e, NULL, x->err);
}

static enum st inbox_insert(struct intake_ctx *x, bool *duplicate)
{
    const char *p[9] = {x->r->shop, x->r->webhook_id, x->r->topic, x->r->api_version,
                        x->r->headers_json, x->r->body, x->event_outcome, x->event_error,
                        x->order_id[0] ? x->order_id : NULL};
    int lengths[9] = {0, 0, 0, 0, 0, (int)x->r->body_len, 0, 0, 0};
    int formats[9] = {0, 0, 0, 0, 0, 1, 0, 0, 0};
    enum st st;
    PGresult *res = store_exec_prepared(x->c, "intake_inbox", inbox_sql, 9, p, lengths, formats,
                                        &st, x->err);

    if (res != NULL)
        *duplicate = PQntuples(res) == 0;
    PQclear(res);
    return st;
}

static enum st dispatch(struct intake_ctx *x, struct intake_result *out)
{
    if (x->r->other_shop) { /* the app may be installed elsewhere: never mix stores */
        x->event_outcome = "ignored";
        x->event_error = "webhook for a shop this deployment does not serve";
        out->outcome = INTAKE_IGNORED;
        return ST_OK;
    }
    if (whk_topic_classify(x->r->topic) != WHK_TOPIC_ORDER) {
        x->event_outcome = "ignored";
        out->outcome = INTAKE_IGNORED;
        return ST_OK;
    }
    if (order_parse_json(x->r->body, x->r->body_len, &x->order, &x->parse_err) != ST_OK)
        return record_failure(x, out, x->parse_err.msg);
    return process_order(x, out);
}

enum st intake_process(struct store_conn *c, const struct intake_request *r,
                       struct intake_result *out, struct errbuf *err)
{
    struct intake_ctx x;
    bool duplicate = false;
    enum st st;

    memset(&x, 0, sizeof(x));
    memset(out, 0, sizeof(*out));
    x.c = c;
    x.r = r;
    x.err = err;
    x.event_outcome = "stored";
    st = store_ensure(c, err);
    if (st == ST_OK)
        st = store_cmd(c, "BEGIN", err);
    if (st != ST_OK)
        goto out;
    st = dispatch(&x, out);
    if (st == ST_OK)
        st = inbox_insert(&x, &duplicate);
    if (st == ST_OK && duplicate) {
        store_rollback(c);
        memset(out, 0, sizeof(*out));
        out->outcome = INTAKE_DUPLICATE;
        goto out;
    }
    if (st == ST_OK)
        st = store_cmd(c, "COMMIT", err);
out:
    if (st != ST_OK)
        store_rollback(c);
    order_cleanup(&x.order);
    return st;
}
