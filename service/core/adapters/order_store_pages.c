/*
 * order_store_pages.c - the order_store module's readers for the admin API
 * (see order_store.h, "the admin API's readers"): a filtered page of
 * orders and one order by id. Kept beside order_store.c, which holds the
 * writes and is at the size the house allows a file.
 *
 * Pages go by id, newest first (keyset: the cost of a page does not grow
 * with its depth); the filters are all optional and combine with AND.
 */
#include "order_store.h"

#include <stdio.h>

#define ORDER_PAGE_COLUMNS                                                                       \
    "SELECT id, shopline_order_id, name, state, hold_reason, financial_status, "                \
    "fulfillment_status, sales_order_number, site, currency, total_price, "                     \
    STORE_ISO_UTC("shopline_created_at") " AS shopline_created_at, "                            \
    STORE_ISO_UTC("created_at") " AS received_at, " STORE_ISO_UTC("sent_at") " AS sent_at, "    \
    STORE_ISO_UTC("updated_at") " AS updated_at"

PGresult *order_store_report_page(struct store_conn *c, const char *shop,
                                  const struct order_filter *f, long long before_id, int limit,
                                  enum st *st, struct errbuf *err)
{
    char before[24], lim[16];
    const char *p[8] = {shop,        f->name, f->shopline_order_id, f->state, f->created_from,
                        f->created_to, before, lim};

    snprintf(before, sizeof(before), "%lld", before_id);
    snprintf(lim, sizeof(lim), "%d", limit);
    return store_exec(c,
                      ORDER_PAGE_COLUMNS " FROM orders WHERE shop = $1 "
                      "AND ($2::text IS NULL OR name = $2 OR name = '#' || $2) "
                      "AND ($3::text IS NULL OR shopline_order_id = $3) "
                      "AND ($4::text IS NULL OR state = $4) "
                      "AND ($5::timestamptz IS NULL OR coalesce(shopline_created_at, created_at) "
                      ">= $5::timestamptz) "
                      "AND ($6::timestamptz IS NULL OR coalesce(shopline_created_at, created_at) "
                      "< $6::timestamptz) "
                      "AND ($7::bigint = 0 OR id < $7::bigint) ORDER BY id DESC LIMIT $8::int",
                      8, p, st, err);
}

PGresult *order_store_report_by_id(struct store_conn *c, const char *shop, long long id,
                                   enum st *st, struct errbuf *err)
{
    char ids[24];
    const char *p[2] = {shop, ids};

    snprintf(ids, sizeof(ids), "%lld", id);
    return store_exec(c,
                      ORDER_PAGE_COLUMNS ", shopline_status, location_id, shipping_country, "
                      "shipping_title, lines_changed_after_post, "
                      STORE_ISO_UTC("cancelled_at") " AS cancelled_at FROM orders "
                      "WHERE shop = $1 AND id = $2::bigint",
                      2, p, st, err);
}
