/*
 * cli_order.c - shopvox order show: "what happened to order #1001".
 *
 * The argument may be the order name with or without '#', or the Shopline
 * order id; an exact name wins, then the Shopline id, then the name with
 * '#' added. The answer gathers the order row, its lines, its open
 * exceptions, its jobs (by payload order_id) and its full history from
 * order_events in time order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_int.h"

#define ORDER_ARG_MAX_BYTES 200

static const char *const order_select_sql =
    "SELECT id, shopline_order_id, name, state, hold_reason, financial_status, "
    "fulfillment_status, shopline_status, sales_order_number, site, location_id, "
    "shipping_country, currency, total_price, shipping_title, lines_changed_after_post, "
    CLI_TS("shopline_created_at") " AS shopline_created_at, "
    CLI_TS("created_at") " AS received_at, " CLI_TS("sent_at") " AS sent_at, "
    CLI_TS("cancelled_at") " AS cancelled_at, " CLI_TS("updated_at") " AS updated_at "
    "FROM orders WHERE shop = $1 AND (name = $2 OR name = '#' || $2 OR shopline_order_id = $2) "
    "ORDER BY (name = $2) DESC, (shopline_order_id = $2) DESC, id LIMIT 1";

struct order_section {
    const char *key;          /* member of the answer */
    const char *title;        /* heading in text output */
    const char *what;         /* for "could not read ..." */
    int n_params;             /* how many of $1 orders.id, $2 shop, $3 name it uses */
    const char *sql;
    const struct cli_col *cols;
    size_t n_cols;
};

static const struct cli_col order_fields[] = {
    {"shopline_order_id", "Shopline order id", 0}, {"state", "State", 0},
    {"hold_reason", "Hold reason", 0},           {"financial_status", "Financial status", 0},
    {"fulfillment_status", "Fulfillment status", 0}, {"sales_order_number", "Sales Order", 0},
    {"site", "Site", 0},                         {"location_id", "Location", 0},
    {"shipping_country", "Shipping country", 0}, {"total_price", "Total", 0},
    {"currency", "Currency", 0},                 {"shopline_created_at", "Created in Shopline", 0},
    {"received_at", "Received", 0},              {"sent_at", "Sent", 0},
    {"cancelled_at", "Cancelled", 0},            {"updated_at", "Updated", 0},
};

static const struct cli_col line_cols[] = {
    {"line_id", "LINE", 0},          {"sku", "SKU", 40},
    {"item_code", "ITEM CODE", 0},   {"quantity", "QTY", 0},
    {"qty_despatched", "DESPATCHED", 0}, {"qty_fulfilled", "FULFILLED", 0},
    {"title", "TITLE", 40},
};

static const struct cli_col exception_cols[] = {
    {"id", "ID", 0},     {"type", "TYPE", 0},           {"team", "TEAM", 0},
    {"count", "COUNT", 0}, {"last_seen", "LAST SEEN", 0}, {"detail", "DETAIL", 80},
};

static const struct cli_col job_cols[] = {
    {"id", "ID", 0},         {"kind", "KIND", 0},      {"state", "STATE", 0},
    {"attempts", "ATTEMPTS", 0}, {"run_at", "RUN AT", 0}, {"last_error", "LAST ERROR", 80},
};

static const struct cli_col event_cols[] = {
    {"at", "AT", 0},           {"event", "EVENT", 0}, {"from_state", "FROM", 0},
    {"to_state", "TO", 0},     {"detail", "DETAIL", 80},
};

static const struct order_section order_sections[] = {
    {"lines", "Lines", "read order lines", 1,
     "SELECT line_id, line_no, sku, item_code, title, variant_title, quantity, qty_despatched, "
     "qty_fulfilled, requires_shipping FROM order_lines WHERE order_id = $1::bigint "
     "ORDER BY line_no NULLS LAST, line_id",
     line_cols, ARRAY_LEN(line_cols)},
    {"open_exceptions", "Open exceptions", "read exceptions", 3,
     "SELECT id, type, team, detail, action, count, " CLI_TS("first_seen") " AS first_seen, "
     CLI_TS("last_seen") " AS last_seen FROM exceptions WHERE shop = $2 AND state = 'open' "
     "AND (order_id = $1::bigint OR (subject_kind = 'order' AND subject = $3)) ORDER BY id",
     exception_cols, ARRAY_LEN(exception_cols)},
    {"jobs", "Jobs", "read jobs", 2,
     "SELECT id, kind, state, attempts, max_attempts, " CLI_TS("run_at") " AS run_at, "
     "last_error, " CLI_TS("created_at") " AS created_at, " CLI_TS("finished_at")
     " AS finished_at FROM jobs WHERE payload->>'order_id' = $1 AND shop = $2 ORDER BY id",
     job_cols, ARRAY_LEN(job_cols)},
    {"history", "History", "read order history", 1,
     "SELECT " CLI_TS("at") " AS at, event, from_state, to_state, detail FROM order_events "
     "WHERE order_id = $1::bigint ORDER BY order_events.at, id",
     event_cols, ARRAY_LEN(event_cols)},
};

/* Finds the order; *order gets its row (owned). An exit code. */
static int order_find(struct cli *x, const char *arg, struct json_object **order)
{
    const char *p[2] = {x->shop, arg};
    int rc = cli_query_row(x, "read order", order_select_sql, 2, p, order);

    if (rc == CLI_EXIT_NOT_FOUND)
        cli_error(x, "order '%s' not found for shop %s", arg, x->shop);
    return rc;
}

static int order_add_sections(struct cli *x, struct json_object *order)
{
    char id[24];
    const char *p[3] = {id, x->shop, cli_jstr(order, "name")};

    snprintf(id, sizeof(id), "%lld", cli_jint(order, "id"));
    for (size_t i = 0; i < ARRAY_LEN(order_sections); i++) {
        PGresult *res = cli_query(x, order_sections[i].what, order_sections[i].sql,
                                  order_sections[i].n_params, p);

        if (res == NULL)
            return -1;
        json_object_object_add(order, order_sections[i].key, cli_rows_json(res));
        PQclear(res);
    }
    return 0;
}

static void order_print_text(struct json_object *order)
{
    printf("Order ");
    cli_print_value(json_object_object_get(order, "name"));
    printf(" (id %lld)\n", cli_jint(order, "id"));
    cli_print_fields(order, order_fields, ARRAY_LEN(order_fields), 2);
    for (size_t i = 0; i < ARRAY_LEN(order_sections); i++) {
        const struct order_section *s = &order_sections[i];
        struct json_object *rows = json_object_object_get(order, s->key);
        size_t n = json_object_array_length(rows);

        printf("\n%s (%zu)\n", s->title, n);
        if (n > 0)
            cli_print_table(rows, s->cols, s->n_cols, 2);
    }
}

int cli_order_show(struct cli *x)
{
    struct cli_args a;
    struct json_object *order = NULL;
    int rc;

    if (cli_parse(x, NULL, 0, 1, 1, &a) < 0)
        return CLI_EXIT_USAGE;
    if (a.pos[0][0] == '\0' || strlen(a.pos[0]) > ORDER_ARG_MAX_BYTES) {
        cli_error(x, "invalid order '%s': expected a name like #1001 or a Shopline order id",
                  a.pos[0]);
        return CLI_EXIT_USAGE;
    }
    rc = cli_connect(x);
    if (rc == CLI_EXIT_OK)
        rc = order_find(x, a.pos[0], &order);
    if (rc == CLI_EXIT_OK && order_add_sections(x, order) < 0)
        rc = CLI_EXIT_ERROR;
    if (rc == CLI_EXIT_OK && x->json)
        cli_print_json(order);
    else if (rc == CLI_EXIT_OK)
        order_print_text(order);
    json_object_put(order);
    return rc;
}
