/*
 * fuzz_returns.c - the return and refund webhook parsers
 * (shopline_returns.c) on arbitrary bytes: the same input is read as both.
 *
 * Invariants: on ST_FAIL nothing is left (no lines, no ids); on ST_OK the
 * ids are non-empty, every return line has a non-empty line id, a
 * quantity in 1..ORDER_MAX_QUANTITY and a line id that appears once, the
 * lines are at most SHOPLINE_RETURN_MAX_LINES, no updated_at means no
 * time; a refund's amount, when there, has its 4 decimals, its lines'
 * subtotals are decimals and render as JSON text; every output is freed by its
 * cleanup (LeakSanitizer says so at exit).
 */
#include "fuzz.h"
#include "order.h"
#include "shopline_returns.h"

static void check_return(const char *s, size_t n)
{
    struct shopline_return r;
    struct errbuf err;

    if (shopline_parse_return(s, n, &r, &err) != ST_OK) {
        FUZZ_CHECK(r.id == NULL && r.lines == NULL && r.n_lines == 0);
        return;
    }
    FUZZ_CHECK(r.id[0] != '\0' && r.order_id[0] != '\0');
    FUZZ_CHECK(r.n_lines <= SHOPLINE_RETURN_MAX_LINES);
    for (size_t i = 0; i < r.n_lines; i++) {
        FUZZ_CHECK(r.lines[i].line_item_id[0] != '\0');
        FUZZ_CHECK(r.lines[i].quantity > 0 && r.lines[i].quantity <= ORDER_MAX_QUANTITY);
        for (size_t j = 0; j < i; j++)
            FUZZ_CHECK(strcmp(r.lines[i].line_item_id, r.lines[j].line_item_id) != 0);
    }
    FUZZ_CHECK(r.updated_at != NULL || r.updated_at_ms == -1);
    (void)shopline_return_ask_of(&r);
    shopline_return_cleanup(&r);
}

static void check_refund(const char *s, size_t n)
{
    struct shopline_refund r;
    struct errbuf err;
    char *lines;

    if (shopline_parse_refund(s, n, &r, &err) != ST_OK) {
        FUZZ_CHECK(r.id == NULL && r.lines == NULL && r.amount == NULL);
        return;
    }
    FUZZ_CHECK(r.id[0] != '\0' && r.order_id[0] != '\0');
    FUZZ_CHECK(r.n_lines <= SHOPLINE_RETURN_MAX_LINES);
    for (size_t i = 0; i < r.n_lines; i++)
        FUZZ_CHECK(r.lines[i].line_item_id[0] != '\0' &&
                   (r.lines[i].subtotal == NULL || order_money_valid(r.lines[i].subtotal)));
    FUZZ_CHECK(r.amount == NULL || (strchr(r.amount, '.') != NULL &&
                                       strlen(strchr(r.amount, '.')) == 5));
    lines = shopline_refund_lines_json(&r);
    FUZZ_CHECK(lines != NULL && lines[0] == '[');
    free(lines);
    shopline_refund_cleanup(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_return((const char *)data, size);
    check_refund((const char *)data, size);
    return 0;
}
