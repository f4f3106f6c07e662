/*
 * fuzz_inventory.c - an `Item inventory summary` reply (CSV) read by
 * column name, and the same bytes as PEOPLEVOX_INVENTORY_CHANGES.
 *
 * Invariants: a table without a required column fails with a reason and
 * no rows; otherwise every row has an item code and a site without
 * surrounding blanks and an Available within INVENTORY_MAX_QTY, the rows
 * are sorted by item code and site with no pair twice, and rows plus
 * skipped rows never exceed the data rows; the published value of each is
 * within 0..available. A change source that parses names one of the three
 * kinds, and a report source has both names.
 */
#include <ctype.h>

#include "fuzz.h"
#include "inventory.h"

static void check_row(const struct inventory_row *r, const struct inventory_row *prev)
{
    FUZZ_CHECK(r->item_code[0] != '\0' && r->site[0] != '\0');
    FUZZ_CHECK(!isspace((unsigned char)r->item_code[0]) && !isspace((unsigned char)r->site[0]));
    FUZZ_CHECK(r->available <= INVENTORY_MAX_QTY && r->available >= -INVENTORY_MAX_QTY);
    FUZZ_CHECK(inventory_publish_value(r->available, 3, true) >= 0);
    FUZZ_CHECK(inventory_publish_value(r->available, 3, false) <=
               (r->available > 0 ? r->available : 0));
    if (prev != NULL) {
        int c = strcmp(prev->item_code, r->item_code);

        FUZZ_CHECK(c < 0 || (c == 0 && strcmp(prev->site, r->site) < 0));
    }
}

static void check_source(const uint8_t *data, size_t size)
{
    char *text = xstrndup((const char *)data, size);
    struct inventory_source s;
    struct errbuf err;

    errbuf_clear(&err);
    if (inventory_source_parse(text, &s, &err) == 0) {
        FUZZ_CHECK(s.kind == INVENTORY_SOURCE_EVENTS || s.kind == INVENTORY_SOURCE_FULL ||
                   s.kind == INVENTORY_SOURCE_REPORT);
        FUZZ_CHECK(s.kind != INVENTORY_SOURCE_REPORT || (s.report[0] && s.column[0]));
    } else {
        FUZZ_CHECK(err.msg[0] != '\0');
    }
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct csv_table t;
    struct inventory_rows rows = {0};
    struct errbuf err;

    check_source(data, size);
    errbuf_clear(&err);
    if (csv_parse((const char *)data, size, 0, &t, &err) != ST_OK)
        return 0;
    if (inventory_rows_from_table(&t, &rows, &err) != ST_OK) {
        FUZZ_CHECK(rows.n == 0 && err.msg[0] != '\0');
    } else {
        FUZZ_CHECK(t.n_rows == 0 || rows.n + rows.skipped <= t.n_rows - 1);
        for (size_t i = 0; i < rows.n; i++)
            check_row(&rows.rows[i], i > 0 ? &rows.rows[i - 1] : NULL);
    }
    inventory_rows_cleanup(&rows);
    csv_table_cleanup(&t);
    return 0;
}
