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
#include "exceptions.h"
#include "jobs.h"
#include "order_store.h"

#define ORDER_ARG_MAX_BYTES 200

struct order_section {
    const char *key;          /* member of the answer */
    const char *title;        /* heading in text output */
    const char *what;         /* for "could not read ..." */
    PGresult *(*read)(struct cli *x, const char *id, const char *name, enum st *st,
                      struct errbuf *err);   /* a store reader; the rows are the caller's */
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

/* The sections' store readers, on one signature (id: orders.id as text, name: the order's). */
static PGresult *read_lines(struct cli *x, const char *id, const char *name, enum st *st,
                            struct errbuf *err)
{
    (void)name;
    return order_store_report_lines(x->db, id, st, err);
}

static PGresult *read_exceptions(struct cli *x, const char *id, const char *name, enum st *st,
                                 struct errbuf *err)
{
    return exc_report_for_order(x->db, x->shop, id, name, st, err);
}

static PGresult *read_jobs(struct cli *x, const char *id, const char *name, enum st *st,
                           struct errbuf *err)
{
    (void)name;
    return job_report_for_order(x->db, x->shop, id, st, err);
}

static PGresult *read_history(struct cli *x, const char *id, const char *name, enum st *st,
                              struct errbuf *err)
{
    (void)name;
    return order_store_report_history(x->db, id, st, err);
}

static const struct order_section order_sections[] = {
    {"lines", "Lines", "read order lines", read_lines, line_cols, ARRAY_LEN(line_cols)},
    {"open_exceptions", "Open exceptions", "read exceptions", read_exceptions, exception_cols,
     ARRAY_LEN(exception_cols)},
    {"jobs", "Jobs", "read jobs", read_jobs, job_cols, ARRAY_LEN(job_cols)},
    {"history", "History", "read order history", read_history, event_cols,
     ARRAY_LEN(event_cols)},
};

/* Finds the order; *order gets its row (owned). An exit code. */
static int order_find(struct cli *x, const char *arg, struct json_object **order)
{
    struct errbuf err = {""};
    enum st st;
    int rc = cli_one_row(x, "read order", order_store_report(x->db, x->shop, arg, &st, &err),
                         &err, order);

    if (rc == CLI_EXIT_NOT_FOUND)
        cli_error(x, "order '%s' not found for shop %s", arg, x->shop);
    return rc;
}

static int order_add_sections(struct cli *x, struct json_object *order)
{
    char id[24];
    struct errbuf err = {""};
    enum st st;

    snprintf(id, sizeof(id), "%lld", cli_jint(order, "id"));
    for (size_t i = 0; i < ARRAY_LEN(order_sections); i++) {
        const struct order_section *s = &order_sections[i];
        PGresult *res = cli_checked(x, s->what,
                                    s->read(x, id, cli_jstr(order, "name"), &st, &err), &err);

        if (res == NULL)
            return -1;
        json_object_object_add(order, s->key, cli_rows_json(res));
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
