/*
 * sales_order_look.c - the orders of one claim whose earlier save's outcome
 * is unknown (post_started_at set: a timeout, a dropped connection, a
 * batched call with rejected rows): what Peoplevox holds of them is asked
 * for SO_LOOK_PER_CALL at a time -- one GetData of `Sales orders` by their
 * numbers, one of `Sales order items` for those it found -- instead of one
 * call each. Each is then judged (so_look.h) and goes its own way:
 *
 *   absent    sent alone (order row, item rows) to the fresh routing
 *   conflict  held with a sales_order_conflict exception, never overwritten
 *   resend    sent alone again, to the site the earlier attempt used
 *   items     the order row is there: its item rows alone are saved again
 *   complete  nothing to send: Tx2
 *
 * So a batched post of 200 orders whose answer was lost costs 8 calls to
 * settle when Peoplevox applied it all (4 looks of 50, each with its
 * items), and 208 when the order rows' answer was lost before the items
 * were sent (the looks, then each order's item rows) -- not 600 (a look,
 * the order row and the item rows for each).
 * A look Peoplevox throttles waits the client's cool-down out within the
 * Peoplevox timeout (so_pvx_find_many), as the item rows after an accepted
 * order row do: a refused look no longer sends its orders back to the
 * queue only to be claimed, decided and refused again. A look that still
 * fails (Peoplevox down, throttled past the timeout) is every order's
 * retry, logged once for the chunk: post_started_at stays set and the next
 * attempt looks again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "order_store.h"
#include "sales_order_int.h"
#include "so_look.h"

/* One chunk's answers from Peoplevox. */
struct so_look_answer {
    struct csv_table heads, items;
};

/* The chunk's orders the heads found (their numbers borrowed), for the items read. */
static size_t so_look_found(struct so_ctx *const *o, size_t n, const struct csv_table *heads,
                            const char **numbers)
{
    static const char *const key[] = {"SalesOrderNumber"};
    size_t m = 0;

    for (size_t i = 0; i < n; i++) {
        struct pvx_field_value v = {"SalesOrderNumber", o[i]->so_number};
        struct pvx_record rec = {&v, 1};

        if (so_look_find_row(heads, &rec, key, 1) > 0)
            numbers[m++] = o[i]->so_number;
    }
    return m;
}

/* Both reads for the chunk; the error is o[0]'s. */
static enum st so_look_read(struct so_ctx *const *o, size_t n, struct so_look_answer *a)
{
    const char **numbers = xcalloc(n, sizeof(*numbers));
    size_t found;
    enum st st;

    for (size_t i = 0; i < n; i++)
        numbers[i] = o[i]->so_number;
    st = so_pvx_find_many(o[0], SO_TEMPLATE_ORDERS, numbers, n, &a->heads);
    found = st == ST_OK ? so_look_found(o, n, &a->heads, numbers) : 0;
    if (found > 0)
        st = so_pvx_find_many(o[0], SO_TEMPLATE_ITEMS, numbers, found, &a->items);
    free(numbers);
    return st;
}

/* The look failed (st): each order's result, with o[0]'s error and throttle note
 * (logged once for the chunk by so_look_chunk, counted for each order). */
static enum st so_look_failed(struct so_ctx *x, const struct so_ctx *first, enum st st)
{
    if (x != first) {
        errbuf_set(x->err, "%s", first->err->msg);
        x->throttled = first->throttled;
        x->retry_after_ms = first->retry_after_ms;
    }
    if (st == ST_RETRY)
        so_count("shopvox_sales_orders_total", x->throttled ? "throttled" : "retry");
    return st;
}

/* One line for a failed look of n orders: a refused look is not n events. */
static void so_look_log_failed(struct so_ctx *const *o, size_t n, enum st st)
{
    if (st != ST_RETRY)
        return;
    log_event(LOG_WARN, "sales_order_look", "outcome", o[0]->throttled ? "throttled" : "retry",
              LOG_I64("orders", n), "first_order_id", o[0]->order_id, "last_order_id",
              o[n - 1]->order_id, "reason", o[0]->err->msg, NULL);
}

/* Peoplevox holds nothing of x: it goes to the fresh routing decision. */
static enum st so_look_absent(struct so_ctx *x, const char *fresh)
{
    enum st st = ST_OK;

    x->absent = true;
    snprintf(x->site, sizeof(x->site), "%s", fresh);
    if (strcmp(fresh, x->prev_site) != 0)
        st = order_store_set_site(x->w->db, x->order_id, fresh, x->err);
    return st == ST_OK ? so_post_alone(x, true) : st;
}

static enum st so_look_conflict(struct so_ctx *x, const char *why)
{
    char detail[512];
    struct so_hold h = {"conflict", "sales_order_conflict", "ops", detail,
                        "Compare the Sales Order in Peoplevox with the Shopline order and fix "
                        "one of them by hand, then retry the order (shopvox never overwrites an "
                        "existing Sales Order with different content)"};
    enum st st;

    snprintf(detail, sizeof(detail),
             "Sales Order %s already exists in Peoplevox with different content: %s",
             x->so_number, why);
    st = so_hold_tx(x, &h);
    if (st == ST_OK) {
        so_log(LOG_WARN, x, "conflict", why);
        so_count("shopvox_sales_orders_total", "conflict");
    }
    return st;
}

/* x judged against the answers (x->site: the earlier attempt's), then sent, held or done. */
static enum st so_look_act(struct so_ctx *x, const char *fresh, const struct so_look_answer *a)
{
    struct so_item_row *items = xcalloc(x->lines.n > 0 ? x->lines.n : 1, sizeof(*items));
    struct pvx_record *recs = xcalloc(x->lines.n > 0 ? x->lines.n : 1, sizeof(*recs));
    struct so_order_row row;
    struct so_look_case c = {&x->order, x->site, &row.rec, recs, 0, &a->heads, &a->items};
    enum so_look_verdict v;
    char why[256];

    so_order_row_fill(&x->order, x->so_number, x->site, &row);
    c.n_items = so_item_rows_fill(&x->lines, x->chk.item_codes, x->so_number, items);
    for (size_t k = 0; k < c.n_items; k++)
        recs[k] = items[k].rec;
    v = so_look_judge(&c, why, sizeof(why));
    free(items);
    free(recs);
    log_event(LOG_INFO, "sales_order_look", "order_id", x->order_id, "so", x->so_number,
              "verdict", so_look_verdict_name(v), "why", why, NULL);
    switch (v) {
    case SO_LOOK_ABSENT:
        return so_look_absent(x, fresh);
    case SO_LOOK_CONFLICT:
        return so_look_conflict(x, why);
    case SO_LOOK_RESEND:
        return so_post_alone(x, true);
    case SO_LOOK_ITEMS:
        return so_post_alone(x, false);
    case SO_LOOK_COMPLETE:
        break;
    }
    return so_finish(x);
}

/* Up to SO_LOOK_PER_CALL orders: read, then each one's result. */
static void so_look_chunk(struct so_ctx *const *o, struct job_result *const *res, size_t n)
{
    char (*fresh)[ROUTING_SITE_MAX_BYTES + 1] = xcalloc(n, sizeof(*fresh));
    struct so_look_answer a;
    enum st st;

    memset(&a, 0, sizeof(a));
    for (size_t i = 0; i < n; i++) {
        memcpy(fresh[i], o[i]->site, sizeof(fresh[i]));
        if (o[i]->prev_site[0] != '\0') /* the Sales Order may be where it went before */
            memcpy(o[i]->site, o[i]->prev_site, sizeof(o[i]->site));
    }
    st = so_look_read(o, n, &a);
    if (st != ST_OK)
        so_look_log_failed(o, n, st);
    for (size_t i = 0; i < n; i++) {
        res[i]->st = st == ST_OK ? so_look_act(o[i], fresh[i], &a) : so_look_failed(o[i], o[0], st);
        so_result_set(o[i], res[i]->st, res[i]);
    }
    csv_table_cleanup(&a.heads);
    csv_table_cleanup(&a.items);
    free(fresh);
}

void so_look_and_post(struct so_ctx *x, const size_t *idx, size_t n, struct job_result *results)
{
    struct so_ctx **o = xcalloc(n > 0 ? n : 1, sizeof(*o));
    struct job_result **res = xcalloc(n > 0 ? n : 1, sizeof(*res));

    for (size_t i = 0; i < n; i++) {
        o[i] = &x[idx[i]];
        res[i] = &results[idx[i]];
    }
    for (size_t s = 0; s < n; s += SO_LOOK_PER_CALL)
        so_look_chunk(o + s, res + s, n - s < SO_LOOK_PER_CALL ? n - s : SO_LOOK_PER_CALL);
    log_event(LOG_INFO, "sales_order_looks", LOG_I64("orders", n),
              LOG_I64("lookups", (n + SO_LOOK_PER_CALL - 1) / SO_LOOK_PER_CALL), NULL);
    free(o);
    free(res);
}
