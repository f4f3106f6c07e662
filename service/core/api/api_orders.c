/*
 * api_orders.c - /api/v1/orders: search, and one order's whole timeline.
 *
 * The timeline gathers what shopvox recorded about the order, each from
 * its own store module: the order row, its lines, its history
 * (order_events: every state change with the Peoplevox and Shopline
 * outcomes that caused it), its jobs (their attempts and last errors), all
 * its exceptions, its despatches with their lines and Shopline
 * fulfillment ids, and the webhook deliveries stored for it, with the
 * payload while retention keeps it (SHOPVOX_RETENTION_DAYS): parsed when
 * it is JSON, else as base64.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "despatch_store.h"
#include "exceptions.h"
#include "inbox_store.h"
#include "jobs.h"
#include "order_store.h"
#include "store_json.h"

#define ORDER_STATES                                                                             \
    "awaiting_payment|ready|sent|partially_despatched|despatched|fulfilled|on_hold|cancelled"
#define ORDER_EXCEPTIONS_MAX 100

void api_orders_list(struct api_req *r)
{
    struct order_filter f;
    struct api_page page;
    struct errbuf err = {""};
    enum st st;
    PGresult *res;

    if (api_query_str(r, "name", 100, &f.name) < 0 ||
        api_query_str(r, "shopline_order_id", 64, &f.shopline_order_id) < 0 ||
        api_query_enum(r, "state", ORDER_STATES, &f.state) < 0 ||
        api_query_time(r, "created_from", &f.created_from) < 0 ||
        api_query_time(r, "created_to", &f.created_to) < 0 ||
        api_page_read(r, "orders", &page) < 0)
        return;
    res = order_store_report_page(r->db, r->shop, &f, page.before_id, page.limit + 1, &st,
                                  &err);
    if (res == NULL)
        api_error_db(r, st, &err);
    else
        api_reply_page(r, &page, res, "id", NULL);
}

/* A webhook row's body_base64 turned into payload (JSON) when it parses. */
static void payload_decode(struct json_object *row)
{
    struct json_object *b64 = NULL, *payload;
    const char *text;
    unsigned char *raw;
    size_t n;
    int len;

    if (!json_object_object_get_ex(row, "body_base64", &b64) || b64 == NULL)
        return;
    text = json_object_get_string(b64);
    n = strlen(text);
    raw = xcalloc(n / 4 * 3 + 4, 1);
    len = EVP_DecodeBlock(raw, (const unsigned char *)text, (int)n);
    while (len > 0 && n > 0 && text[--n] == '=')
        len--; /* EVP_DecodeBlock counts the padding's bytes */
    payload = len >= 0 ? json_tokener_parse((const char *)raw) : NULL;
    if (payload != NULL) {
        json_object_object_add(row, "payload", payload);
        json_object_object_del(row, "body_base64");
    }
    free(raw);
}

/* The order's sections, each from its store reader. */
static PGresult *section_rows(struct api_req *r, size_t i, const char *id, enum st *st,
                              struct errbuf *err)
{
    struct exc_filter f = {"all", NULL, NULL, -1, id};

    switch (i) {
    case 0:
        return order_store_report_lines(r->db, id, st, err);
    case 1:
        return order_store_report_history(r->db, id, st, err);
    case 2:
        return job_report_for_order(r->db, r->shop, id, st, err);
    case 3:
        return exc_report_page(r->db, r->shop, &f, 0, ORDER_EXCEPTIONS_MAX, st, err);
    case 4:
        return despatch_store_report_for_order(r->db, id, st, err);
    default:
        return inbox_store_report_for_order(r->db, id, st, err);
    }
}

static const char *const section_keys[] = {"lines",      "history",    "jobs",
                                           "exceptions", "despatches", "webhooks"};

void api_orders_show(struct api_req *r)
{
    long long id = api_param_id(r, 0, "order");
    struct errbuf err = {""};
    struct json_object *o = NULL, *rows;
    char ids[24];
    enum st st;
    PGresult *res;
    bool ok;

    if (id < 0)
        return;
    res = order_store_report_by_id(r->db, r->shop, id, &st, &err);
    if (res != NULL && PQntuples(res) == 0) {
        api_error(r->resp, 404, API_E_NOT_FOUND, "order %lld not found", id);
        PQclear(res);
        return;
    }
    if (res != NULL)
        o = store_row_json(res, 0);
    PQclear(res);
    ok = o != NULL;
    snprintf(ids, sizeof(ids), "%lld", id);
    for (size_t i = 0; ok && i < ARRAY_LEN(section_keys); i++) {
        res = section_rows(r, i, ids, &st, &err);
        ok = res != NULL;
        if (!ok)
            break;
        rows = store_rows_json(res, -1);
        PQclear(res);
        for (size_t k = 0; strcmp(section_keys[i], "webhooks") == 0 &&
                           k < json_object_array_length(rows); k++)
            payload_decode(json_object_array_get_idx(rows, k));
        json_object_object_add(o, section_keys[i], rows);
    }
    if (!ok) {
        json_object_put(o);
        api_error_db(r, st, &err);
        return;
    }
    api_reply(r, 200, o);
}
