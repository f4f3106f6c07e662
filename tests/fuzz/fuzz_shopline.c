/*
 * fuzz_shopline.c - the SHOPLINE Admin API reply parsers, the `errors`
 * flattener and the link header parser on arbitrary bytes.
 *
 * Invariants: a list parser either appends whole items (ids non-empty,
 * counts in range) or nothing at all; the errors message is NUL-terminated
 * within its buffer and valid UTF-8 (a cut never splits a character); a
 * webhook subscription list is appended whole (id, topic and address
 * there) or not at all, a created id is there exactly on ST_OK, an app
 * operate is one of the two; a
 * cursor from a link header is one shopline_cursor_valid accepts, and
 * there is one exactly when the parser says 1; every output is freed by
 * its cleanup (LeakSanitizer says so at exit).
 */
#include "fuzz.h"
#include "shopline_json.h"
#include "shopline_webhooks.h"
#include "ts_utf8.h"

static void check_lists(const char *s, size_t n)
{
    struct shopline_orders o = {0};
    struct shopline_fulfillments f = {0};
    struct shopline_locations l = {0};
    struct shopline_variants v = {0};
    struct shopline_levels lv = {0};
    struct errbuf err;
    size_t i, j;
    char *id = NULL;

    if (shopline_parse_orders(s, n, &o, &err) != ST_OK)
        FUZZ_CHECK(o.n == 0);
    for (i = 0; i < o.n; i++)
        FUZZ_CHECK(o.items[i].id != NULL && o.items[i].id[0] != '\0');
    if (shopline_parse_fulfillments(s, n, &f, &err) != ST_OK)
        FUZZ_CHECK(f.n == 0);
    for (i = 0; i < f.n; i++) {
        FUZZ_CHECK(f.items[i].id != NULL && f.items[i].id[0] != '\0');
        for (j = 0; j < f.items[i].n_lines; j++)
            FUZZ_CHECK(f.items[i].lines[j].line_id[0] != '\0' &&
                       f.items[i].lines[j].quantity >= 0);
    }
    if (shopline_parse_locations(s, n, &l, &err) != ST_OK)
        FUZZ_CHECK(l.n == 0);
    if (shopline_parse_variants(s, n, &v, &err) != ST_OK)
        FUZZ_CHECK(v.n == 0);
    for (i = 0; i < v.n; i++)
        FUZZ_CHECK(v.items[i].id != NULL && (v.items[i].sku == NULL || v.items[i].sku[0]));
    if (shopline_parse_inventory_levels(s, n, &lv, &err) != ST_OK)
        FUZZ_CHECK(lv.n == 0);
    for (i = 0; i < lv.n; i++)
        FUZZ_CHECK(lv.items[i].inventory_item_id[0] != '\0' && lv.items[i].location_id[0] &&
                   (lv.items[i].available_known || lv.items[i].available == 0) &&
                   lv.items[i].available <= SHOPLINE_MAX_AVAILABLE &&
                   lv.items[i].available >= -SHOPLINE_MAX_AVAILABLE);
    if (shopline_parse_fulfillment_id(s, n, &id, &err) == ST_OK)
        FUZZ_CHECK(id != NULL && id[0] != '\0');
    else
        FUZZ_CHECK(id == NULL);
    free(id);
    shopline_orders_cleanup(&o);
    shopline_fulfillments_cleanup(&f);
    shopline_locations_cleanup(&l);
    shopline_variants_cleanup(&v);
    shopline_levels_cleanup(&lv);
}

static void check_webhooks(const char *s, size_t n)
{
    struct shopline_webhooks w = {NULL, 0, 0};
    enum shopline_app_op op = SHOPLINE_APP_INSTALL;
    struct errbuf err;
    char *id = NULL;

    if (shopline_parse_webhooks(s, n, &w, &err) != ST_OK)
        FUZZ_CHECK(w.n == 0);
    FUZZ_CHECK(w.n <= SHOPLINE_WEBHOOKS_MAX);
    for (size_t i = 0; i < w.n; i++)
        FUZZ_CHECK(w.items[i].id[0] != '\0' && w.items[i].topic != NULL &&
                   w.items[i].address != NULL);
    if (shopline_parse_webhook_id(s, n, &id, &err) == ST_OK)
        FUZZ_CHECK(id != NULL && id[0] != '\0');
    else
        FUZZ_CHECK(id == NULL);
    if (shopline_parse_app_operate(s, n, &op, &err) == ST_OK)
        FUZZ_CHECK(op == SHOPLINE_APP_INSTALL || op == SHOPLINE_APP_UNINSTALL);
    free(id);
    shopline_webhooks_cleanup(&w);
}

static void check_errors(const char *s, size_t n)
{
    char out[64];

    memset(out, 'x', sizeof(out));
    shopline_errors_message(s, n, out, sizeof(out));
    FUZZ_CHECK(memchr(out, '\0', sizeof(out)) != NULL);
    FUZZ_CHECK(ts_utf8_valid_str(out));
}

static void check_link(const char *text)
{
    char *pi = NULL;
    int rc = shopline_link_next(text, &pi);

    FUZZ_CHECK(rc >= -1 && rc <= 1);
    FUZZ_CHECK((rc == 1) == (pi != NULL));
    if (pi != NULL)
        FUZZ_CHECK(shopline_cursor_valid(pi));
    free(pi);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstr(data, size);

    check_lists((const char *)data, size);
    check_webhooks((const char *)data, size);
    check_errors((const char *)data, size);
    check_link(s);
    free(s);
    return 0;
}
