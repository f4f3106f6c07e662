/*
 * it_order.c - the order builder (see it_order.h).
 */
#include "it_order.h"

#include <stdatomic.h>
#include <stdio.h>

#include "buf.h"

char *it_order_json(const struct it_order *o)
{
    const char *country = o->country_code != NULL ? o->country_code : "US";
    struct buf b;

    buf_init(&b, 0);
    buf_appendf(&b,
                "{\"id\":\"%s\",\"name\":\"%s\",\"financial_status\":\"%s\",\"status\":\"%s\","
                "%s\"created_at\":\"2026-11-26T09:00:00+08:00\",\"updated_at\":\"%s\","
                "\"currency\":\"GBP\",\"total_price\":\"25.50\",\"total_tax\":\"4.25\","
                "\"total_discounts\":\"1.00\",\"email\":\"buyer@example.com\","
                "\"customer\":{\"id\":\"77\",\"first_name\":\"Ada\",\"last_name\":\"Lovelace\"},"
                "\"shipping_address\":{\"name\":\"Ada Lovelace\",\"address1\":\"1 Engine Row\","
                "\"address2\":\"Flat 2\",\"city\":\"Town\",\"province\":\"Shire\","
                "\"zip\":\"AB1 2CD\",\"country_code\":\"%s\"},"
                "\"billing_address\":{\"address1\":\"9 Bill St\",\"city\":\"Billtown\","
                "\"zip\":\"B1\",\"country_code\":\"%s\"},"
                "\"shipping_lines\":[{\"title\":\"Tracked 24\",\"code\":\"T24\","
                "\"price\":\"3.00\"}],\"line_items\":[",
                o->id, o->name, o->financial_status != NULL ? o->financial_status : "paid",
                o->cancelled ? "cancelled" : "open",
                o->cancelled ? "\"cancelled_at\":\"2026-11-26T12:00:00+00:00\"," : "",
                o->updated_at != NULL ? o->updated_at : "2026-11-26T10:00:00+00:00", country,
                country);
    for (size_t i = 0; i < o->n_lines; i++) {
        const struct it_line *l = &o->lines[i];

        buf_appendf(&b,
                    "%s{\"id\":\"%s%zu\",\"variant_id\":\"5%zu\",\"sku\":\"%s\",\"title\":\"T\","
                    "\"quantity\":%d,\"price\":\"%zu.50\",\"requires_shipping\":%s}",
                    i ? "," : "", o->id, i + 1, i, l->sku, l->qty, i + 10,
                    l->digital ? "false" : "true");
    }
    buf_append_str(&b, "]}");
    return buf_steal(&b);
}

void it_order_next(char *id, size_t id_cap, char *name, size_t name_cap, const char *tag)
{
    static atomic_int next;
    int n = atomic_fetch_add(&next, 1) + 1;

    snprintf(id, id_cap, "9%025d", n);
    snprintf(name, name_cap, "#%s%d", tag, n);
}

char *it_mug_order(const char *name_prefix, const char *id, const char *status,
                   const char *updated_at)
{
    static const struct it_line mug[] = {{"MUG-1", 1, false}};
    char name[64];

    snprintf(name, sizeof(name), "%s%s", name_prefix, id);
    return it_order_json(&(struct it_order){.id = id, .name = name, .financial_status = status,
                                            .updated_at = updated_at, IT_LINES(mug)});
}
