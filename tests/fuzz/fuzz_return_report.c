/*
 * fuzz_return_report.c - a `Return summary` reply (CSV) read by column
 * name, and each valid row matched against a fixed set of return lines.
 *
 * Invariants: a table without a required column fails with a reason and
 * no rows; otherwise there is one receipt per data row, every string is
 * set, a valid row has a return code, sales order and item code and a
 * quantity within 1..1000000, an invalid one says why; matching never
 * gives a line more than it still expects, and what it gives plus what is
 * left unmatched is the row's quantity.
 */
#include "fuzz.h"
#include "return_report.h"

static void check_match(const struct return_receipt *r)
{
    struct return_match_line lines[] = {
        {"A", 2, 1}, {"B", 1, 0}, {r->item_code, 3, 0}, {"A", 5, 5},
    };
    struct return_alloc a[4];
    long unmatched = -1, given = 0;
    size_t n = return_match_allocate(r->item_code, r->quantity, lines, 4, a, &unmatched);

    FUZZ_CHECK(n <= 4 && unmatched >= 0);
    for (size_t i = 0; i < n; i++) {
        const struct return_match_line *l = &lines[a[i].line];

        FUZZ_CHECK(a[i].quantity > 0 && a[i].quantity <= l->quantity - l->received);
        FUZZ_CHECK(strcmp(l->item_code, r->item_code) == 0);
        given += a[i].quantity;
    }
    FUZZ_CHECK(given + unmatched == r->quantity);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct csv_table t;
    struct return_receipt_list l = {0, NULL};
    struct errbuf err;

    errbuf_clear(&err);
    if (csv_parse((const char *)data, size, 0, &t, &err) != ST_OK)
        return 0;
    if (return_report_parse(&t, &l, &err) != ST_OK) {
        FUZZ_CHECK(l.n == 0 && err.msg[0] != '\0');
    } else {
        FUZZ_CHECK(l.n == (t.n_rows > 0 ? t.n_rows - 1 : 0));
        for (size_t i = 0; i < l.n; i++) {
            const struct return_receipt *r = &l.items[i];

            FUZZ_CHECK(r->return_code && r->sales_order && r->item_code && r->reason &&
                       r->condition && r->site);
            if (r->invalid != NULL) {
                FUZZ_CHECK(r->invalid[0] != '\0');
                continue;
            }
            FUZZ_CHECK(r->return_code[0] && r->sales_order[0] && r->item_code[0]);
            FUZZ_CHECK(r->quantity >= 1 && r->quantity <= 1000000);
            check_match(r);
        }
    }
    return_receipt_list_cleanup(&l);
    csv_table_cleanup(&t);
    return 0;
}
