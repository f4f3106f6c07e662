/*
 * fuzz_order.c - order_parse_json (webhook bodies), json_top_member (the
 * pending inbox's order key), order_parse_time_ms and sku_validate on
 * arbitrary bytes.
 *
 * Invariants: ST_FAIL leaves a reason and a struct with nothing to free;
 * ST_OK has the required fields, counts in range, money that passes
 * order_money_valid and updated_at_ms consistent with updated_at; the
 * derived decisions (intake state, SKU checks and advice) accept whatever
 * the parser let through; order_cleanup frees everything (LeakSanitizer
 * says so at exit) and leaves the documented empty state. The skimmed key
 * is short, free of control bytes, and the parser's id whenever both read
 * a decimal id from the same body.
 */
#include "fuzz.h"
#include "json_text.h"
#include "order.h"
#include "sku.h"

static void check_money(const char *s)
{
    FUZZ_CHECK(s == NULL || order_money_valid(s));
}

static void check_empty(const struct order *o)
{
    struct order empty;

    memset(&empty, 0, sizeof(empty));
    empty.updated_at_ms = -1;
    FUZZ_CHECK(memcmp(o, &empty, sizeof(empty)) == 0);
}

static void check_sku(const char *sku)
{
    enum sku_problem p = sku_validate(sku);
    char *advice;

    FUZZ_CHECK(p < SKU_PROBLEM_COUNT && p != SKU_UNKNOWN);
    FUZZ_CHECK(sku_problem_name(p) != NULL);
    if (p == SKU_OK)
        FUZZ_CHECK(strlen(sku) <= SKU_MAX_BYTES && sku[0] != ' ' && sku[0] != '\0');
    advice = sku_problem_advice(p, sku, NULL);
    FUZZ_CHECK(advice != NULL);
    free(advice);
}

static void check_lines(const struct order *o)
{
    size_t i;

    FUZZ_CHECK(o->n_lines == 0 || o->lines != NULL);
    for (i = 0; i < o->n_lines; i++) {
        const struct order_line *l = &o->lines[i];

        FUZZ_CHECK(l->line_id != NULL && l->line_id[0] != '\0');
        FUZZ_CHECK(l->quantity >= 0);
        FUZZ_CHECK(l->fulfillable_quantity >= -1);
        check_money(l->price);
        check_sku(l->sku);
    }
}

/* What the worker does next with a parsed order: intake decision and SKU report. */
static enum sku_item_state all_missing(void *ctx, const char *item_code)
{
    return SKU_ITEM_MISSING;
}

static void check_decisions(const struct order *o)
{
    struct sku_lookup lk = { NULL, all_missing, NULL };
    struct sku_check_result r;
    enum order_state s = order_intake_state(o, "paid, partially_paid");
    char *detail;

    FUZZ_CHECK(s == ORDER_CANCELLED || s == ORDER_READY || s == ORDER_AWAITING_PAYMENT);
    FUZZ_CHECK((s == ORDER_CANCELLED) == order_is_cancelled(o));
    sku_check_order(o->lines, o->n_lines, &lk, &r);
    FUZZ_CHECK(r.n_lines == o->n_lines);
    FUZZ_CHECK(r.n_issues <= o->n_lines);
    detail = sku_format_detail(&r, 300);
    FUZZ_CHECK(detail != NULL && strlen(detail) <= 300);
    FUZZ_CHECK((r.n_issues == 0) == (detail[0] == '\0'));
    free(detail);
    sku_check_result_cleanup(&r);
}

static void check_parsed(const struct order *o)
{
    int64_t ms;

    FUZZ_CHECK(o->id != NULL && o->id[0] != '\0');
    FUZZ_CHECK(o->name != NULL && o->name[0] != '\0');
    check_money(o->total_price);
    check_money(o->total_tax);
    check_money(o->total_discounts);
    check_money(o->shipping_price);
    if (o->updated_at == NULL) {
        FUZZ_CHECK(o->updated_at_ms == -1);
    } else {
        FUZZ_CHECK(order_parse_time_ms(o->updated_at, &ms) == 0);
        FUZZ_CHECK(ms == o->updated_at_ms);
    }
    if (o->location_id == NULL && o->n_lines > 0)
        FUZZ_CHECK(o->lines[0].location_id == NULL);
    check_lines(o);
    check_decisions(o);
}

/* The raw bytes as a timestamp and as a SKU: both parsers take C strings. */
static void check_as_strings(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstr(data, size);
    int64_t ms = 0;

    if (order_parse_time_ms(s, &ms) == 0) {
        /* 0000-01-01 .. 9999-12-31 plus offsets, fractions and a leap second */
        FUZZ_CHECK(ms >= -62167305600000LL && ms <= 253402387200999LL);
    }
    check_sku(s);
    free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct order o;
    struct errbuf err;
    char key[64];
    bool keyed = json_top_member((const char *)data, size, "id", key, sizeof(key));

    if (keyed) {
        FUZZ_CHECK(key[0] != '\0' && strlen(key) < sizeof(key));
        for (const char *k = key; *k != '\0'; k++)
            FUZZ_CHECK((unsigned char)*k >= 0x20);
    }
    errbuf_clear(&err);
    if (order_parse_json((const char *)data, size, &o, &err) == ST_OK) {
        if (keyed && json_text_is_id(key))
            FUZZ_CHECK(strcmp(key, o.id) == 0);
        check_parsed(&o);
        order_cleanup(&o);
    } else {
        FUZZ_CHECK(err.msg[0] != '\0');
    }
    check_empty(&o);
    order_cleanup(&o); /* cleanup twice is harmless */
    check_as_strings(data, size);
    return 0;
}
