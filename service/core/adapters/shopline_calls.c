/*
 * shopline_calls.c - the SHOPLINE Admin API calls shopvox makes (see shopline.h),
 * built on the request core of shopline.c (shopline_int.h): orders, products
 * (variants), inventory levels, fulfillments, locations, inventory sets and
 * webhook subscriptions. Each builds its path and body, runs one request or a
 * paged read, and parses the reply with shopline_json.c.
 */
#include "shopline.h"
#include "shopline_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_text.h"
#include "shopline_json.h"
#include "shopline_webhooks.h"

static void sl_append_escaped(struct buf *b, const char *s)
{
    for (; *s != '\0'; s++) {
        if ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
            strchr("-._~", *s) != NULL)
            buf_append(b, s, 1);
        else
            buf_appendf(b, "%%%02X", (unsigned char)*s);
    }
}

static enum st sl_parse_orders(const char *body, size_t len, void *list, struct errbuf *err)
{
    return shopline_parse_orders(body, len, list, err);
}

static enum st sl_parse_variants(const char *body, size_t len, void *list, struct errbuf *err)
{
    return shopline_parse_variants(body, len, list, err);
}

/* The first page's arguments of a query, or -1 (err set) when it is not one. */
static int sl_orders_args(const struct shopline_orders_query *q, int limit, struct buf *args,
                          struct errbuf *err)
{
    size_t i;

    if (q->n_ids > SHOPLINE_MAX_IDS || (q->n_ids > 0 && q->ids == NULL)) {
        errbuf_set(err, "get_orders: %zu ids (at most %d)", q->n_ids, SHOPLINE_MAX_IDS);
        return -1;
    }
    buf_appendf(args, "status=any&limit=%d", limit);
    for (i = 0; i < q->n_ids; i++) {
        if (!json_text_is_id(q->ids[i])) {
            errbuf_set(err, "get_orders: \"%.40s\" is not an order id", q->ids[i]);
            return -1;
        }
        buf_append_str(args, i == 0 ? "&ids=" : ",");
        buf_append_str(args, q->ids[i]);
    }
    if (q->updated_at_min != NULL) {
        buf_append_str(args, "&updated_at_min=");
        sl_append_escaped(args, q->updated_at_min);
    }
    return 0;
}

/* limit 0 is max; else 1..max (-1 when out of range). */
static int sl_limit(int limit, int max)
{
    if (limit == 0)
        return max;
    return limit >= 1 && limit <= max ? limit : -1;
}

enum st shopline_get_orders(struct shopline_client *sc, CURL *curl,
                            const struct shopline_orders_query *q,
                            struct shopline_orders *out, char **next,
                            struct shopline_outcome *oc)
{
    struct sl_pages pg = {SHOPLINE_OP_GET_ORDERS, "orders.json", NULL,
                          sl_limit(q->limit, SHOPLINE_MAX_ORDERS_PAGE), q->page_info,
                          q->all_pages, sl_parse_orders, out};
    struct buf args;
    enum st rc;

    sl_outcome_reset(oc);
    if (next != NULL)
        *next = NULL;
    buf_init(&args, 0);
    if (pg.limit < 0) {
        errbuf_set(&oc->err, "get_orders: limit %d is not 1..%d", q->limit,
                   SHOPLINE_MAX_ORDERS_PAGE);
        rc = sl_bad_request(sc, oc);
    } else if (sl_orders_args(q, pg.limit, &args, &oc->err) < 0) {
        rc = sl_bad_request(sc, oc);
    } else {
        pg.first_query = buf_cstr(&args);
        rc = sl_get_pages(sc, curl, &pg, next, oc);
    }
    buf_cleanup(&args);
    return rc;
}

enum st shopline_get_products(struct shopline_client *sc, CURL *curl, int limit,
                              const char *page_info, bool all_pages,
                              struct shopline_variants *out, char **next,
                              struct shopline_outcome *oc)
{
    struct sl_pages pg = {SHOPLINE_OP_GET_PRODUCTS, "products/products.json", NULL,
                          sl_limit(limit, SHOPLINE_MAX_PRODUCTS_PAGE), page_info, all_pages,
                          sl_parse_variants, out};
    char first[32];

    sl_outcome_reset(oc);
    if (next != NULL)
        *next = NULL;
    if (pg.limit < 0) {
        errbuf_set(&oc->err, "get_products: limit %d is not 1..%d", limit,
                   SHOPLINE_MAX_PRODUCTS_PAGE);
        return sl_bad_request(sc, oc);
    }
    snprintf(first, sizeof(first), "limit=%d", pg.limit);
    pg.first_query = first;
    return sl_get_pages(sc, curl, &pg, next, oc);
}

static enum st sl_parse_levels(const char *body, size_t len, void *list, struct errbuf *err)
{
    return shopline_parse_inventory_levels(body, len, list, err);
}

/* "a,b,c" of ids[0..n) onto b; false when n is 0, above the batch, or an id is not digits. */
static bool sl_id_list(struct buf *b, const char *const *ids, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!json_text_is_id(ids[i]))
            return false;
        buf_appendf(b, "%s%s", i > 0 ? "," : "", ids[i]);
    }
    return n >= 1 && n <= SHOPLINE_MAX_LEVEL_IDS;
}

enum st shopline_get_inventory_levels(struct shopline_client *sc, CURL *curl,
                                      const char *const *items, size_t n_items,
                                      const char *const *locations, size_t n_locations,
                                      struct shopline_levels *out, struct shopline_outcome *oc)
{
    struct sl_pages pg = {SHOPLINE_OP_GET_INVENTORY_LEVELS, "inventory_levels.json", NULL,
                          SHOPLINE_MAX_PRODUCTS_PAGE, NULL, true, sl_parse_levels, out};
    struct buf q;
    enum st rc;

    sl_outcome_reset(oc);
    buf_init(&q, 0);
    buf_appendf(&q, "limit=%d&inventory_item_ids=", pg.limit);
    if (!sl_id_list(&q, items, n_items) || buf_append_str(&q, "&location_ids=") < 0 ||
        !sl_id_list(&q, locations, n_locations)) {
        errbuf_set(&oc->err, "get_inventory_levels: %zu items and %zu locations (1..%d ids of "
                   "digits each)", n_items, n_locations, SHOPLINE_MAX_LEVEL_IDS);
        buf_cleanup(&q);
        return sl_bad_request(sc, oc);
    }
    pg.first_query = buf_cstr(&q);
    rc = sl_get_pages(sc, curl, &pg, NULL, oc);
    buf_cleanup(&q);
    return rc;
}

/* ---- single requests ---- */

static enum st sl_parse_fulfillments(const char *body, size_t len, void *list,
                                     struct errbuf *err)
{
    return shopline_parse_fulfillments(body, len, list, err);
}

static enum st sl_parse_locations(const char *body, size_t len, void *list, struct errbuf *err)
{
    return shopline_parse_locations(body, len, list, err);
}

/* One GET whose body parse appends to list. */
static enum st sl_get_list(struct shopline_client *sc, CURL *curl, const struct sl_request *rq,
                           sl_parse_fn parse, void *list, struct shopline_outcome *oc)
{
    struct sl_reply reply;
    struct errbuf why = {""};
    enum st rc;

    sl_reply_init(&reply, sc->max_response_bytes, oc);
    rc = sl_exchange(sc, curl, rq, &reply, oc);
    if (rc == ST_OK && parse(buf_cstr(&reply.body), reply.body.len, list, &why) != ST_OK)
        rc = sl_bad_reply(sc, rq, &why, oc);
    sl_reply_cleanup(&reply);
    return rc;
}

enum st shopline_list_fulfillments(struct shopline_client *sc, CURL *curl, const char *order_id,
                                   struct shopline_fulfillments *out,
                                   struct shopline_outcome *oc)
{
    struct sl_request rq = {SHOPLINE_OP_LIST_FULFILLMENTS, NULL, NULL};
    char *path;
    enum st rc;

    sl_outcome_reset(oc);
    if (!json_text_is_id(order_id)) {
        errbuf_set(&oc->err, "list_fulfillments: \"%.40s\" is not an order id",
                   order_id != NULL ? order_id : "");
        return sl_bad_request(sc, oc);
    }
    rq.path = path = xasprintf("orders/%s/fulfillments.json", order_id);
    rc = sl_get_list(sc, curl, &rq, sl_parse_fulfillments, out, oc);
    free(path);
    return rc;
}

enum st shopline_get_locations(struct shopline_client *sc, CURL *curl,
                               struct shopline_locations *out, struct shopline_outcome *oc)
{
    const struct sl_request rq = {SHOPLINE_OP_GET_LOCATIONS, "locations/list.json", NULL};

    sl_outcome_reset(oc);
    return sl_get_list(sc, curl, &rq, sl_parse_locations, out, oc);
}

enum st shopline_create_fulfillment(struct shopline_client *sc, CURL *curl,
                                    const struct shopline_fulfillment_req *req, char **id,
                                    struct shopline_outcome *oc)
{
    struct sl_request rq = {SHOPLINE_OP_CREATE_FULFILLMENT, NULL, NULL};
    struct sl_reply reply;
    struct errbuf why = {""};
    struct buf body;
    char *path = NULL;
    enum st rc;

    sl_outcome_reset(oc);
    *id = NULL;
    buf_init(&body, 1024u * 1024u);
    sl_reply_init(&reply, sc->max_response_bytes, oc);
    if (shopline_build_fulfillment(req, &body, &oc->err) != ST_OK) {
        rc = sl_bad_request(sc, oc);
        goto out;
    }
    rq.path = path = xasprintf("orders/%s/fulfillments.json", req->order_id);
    rq.body = &body;
    rc = sl_exchange(sc, curl, &rq, &reply, oc);
    if (rc == ST_OK &&
        shopline_parse_fulfillment_id(buf_cstr(&reply.body), reply.body.len, id, &why) != ST_OK)
        rc = sl_bad_reply(sc, &rq, &why, oc);
out:
    free(path);
    buf_cleanup(&body);
    sl_reply_cleanup(&reply);
    return rc;
}

enum st shopline_set_inventory_level(struct shopline_client *sc, CURL *curl,
                                     const char *inventory_item_id, const char *location_id,
                                     long available, struct shopline_outcome *oc)
{
    struct sl_request rq = {SHOPLINE_OP_SET_INVENTORY_LEVEL, "inventory_levels/set.json", NULL};
    struct sl_reply reply;
    struct buf body;
    enum st rc;

    sl_outcome_reset(oc);
    buf_init(&body, 0);
    sl_reply_init(&reply, sc->max_response_bytes, oc);
    if (shopline_build_inventory_set(inventory_item_id, location_id, available, &body,
                                     &oc->err) != ST_OK) {
        rc = sl_bad_request(sc, oc);
        goto out;
    }
    rq.body = &body;
    rc = sl_exchange(sc, curl, &rq, &reply, oc);
out:
    buf_cleanup(&body);
    sl_reply_cleanup(&reply);
    return rc;
}

/* ---- webhook subscriptions ---- */

static enum st sl_parse_webhooks(const char *body, size_t len, void *list, struct errbuf *err)
{
    return shopline_parse_webhooks(body, len, list, err);
}

enum st shopline_list_webhooks(struct shopline_client *sc, CURL *curl,
                               struct shopline_webhooks *out, struct shopline_outcome *oc)
{
    const struct sl_request rq = {SHOPLINE_OP_LIST_WEBHOOKS, "webhooks.json", NULL};

    sl_outcome_reset(oc);
    return sl_get_list(sc, curl, &rq, sl_parse_webhooks, out, oc);
}

enum st shopline_create_webhook(struct shopline_client *sc, CURL *curl, const char *address,
                                const char *topic, const char *api_version, char **id,
                                struct shopline_outcome *oc)
{
    struct sl_request rq = {SHOPLINE_OP_CREATE_WEBHOOK, "webhooks.json", NULL};
    struct sl_reply reply;
    struct errbuf why = {""};
    struct buf body;
    enum st rc;

    sl_outcome_reset(oc);
    *id = NULL;
    buf_init(&body, 0);
    sl_reply_init(&reply, sc->max_response_bytes, oc);
    if (shopline_build_webhook(address, topic, api_version, &body, &oc->err) != ST_OK) {
        rc = sl_bad_request(sc, oc);
        goto out;
    }
    rq.body = &body;
    rc = sl_exchange(sc, curl, &rq, &reply, oc);
    if (rc == ST_OK &&
        shopline_parse_webhook_id(buf_cstr(&reply.body), reply.body.len, id, &why) != ST_OK)
        rc = sl_bad_reply(sc, &rq, &why, oc);
out:
    buf_cleanup(&body);
    sl_reply_cleanup(&reply);
    return rc;
}
