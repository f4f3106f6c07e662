/*
 * cli_returns.c - shopvox returns list|show|authorise|reject.
 *
 * ID is the return's shopvox id (returns.id: the subject of its
 * exceptions, the first column of `returns list`). `show` gathers the
 * return, its lines with every quantity (asked, received, restocked,
 * written off, refunded) and its history with the cause of each change.
 * authorise / reject are returns_app.h's: a decision on a return that is
 * no longer requested changes nothing and exits CLI_EXIT_USAGE, naming
 * the state it is in (so a second `authorise` is harmless and says so).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_int.h"
#include "return_store.h"
#include "returns.h"
#include "returns_app.h"

#define RETURNS_LIST_LIMIT 200

static const struct cli_col list_cols[] = {
    {"id", "ID", 0},         {"order_name", "ORDER", 0}, {"state", "STATE", 0},
    {"mode", "MODE", 0},     {"lines", "LINES", 0},      {"quantity", "QTY", 0},
    {"reason", "REASON", 30}, {"state_changed_at", "SINCE", 0},
};

static const struct cli_col show_fields[] = {
    {"id", "Return", 0},                   {"shopline_return_id", "SHOPLINE return id", 0},
    {"order_name", "Order", 0},            {"shopline_order_id", "SHOPLINE order id", 0},
    {"sales_order_number", "Sales Order", 0}, {"state", "State", 0},
    {"mode", "Mode", 0},                   {"reason", "Reason", 0},
    {"return_reference", "Warehouse return", 0}, {"currency", "Currency", 0},
    {"created_at", "Received", 0},         {"state_changed_at", "State since", 0},
};

static const struct cli_col line_cols[] = {
    {"line_item_id", "LINE", 0},     {"item_code", "ITEM CODE", 30}, {"quantity", "QTY", 0},
    {"unit_price", "PRICE", 0},      {"received_qty", "RECEIVED", 0},
    {"restocked_qty", "RESTOCKED", 0}, {"written_off_qty", "WRITTEN OFF", 0},
    {"refunded_qty", "REFUNDED", 0}, {"reason", "REASON", 30},
};

static const struct cli_col event_cols[] = {
    {"at", "AT", 0},      {"from_state", "FROM", 0}, {"to_state", "TO", 0},
    {"cause", "CAUSE", 0}, {"detail", "DETAIL", 60},
};

int cli_returns_list(struct cli *x)
{
    struct cli_opt opts[] = {{"state", NULL}};
    struct errbuf err = {""};
    struct json_object *out, *rows;
    enum return_state s;
    struct cli_args a;
    PGresult *res;
    enum st st;
    int rc;

    if (cli_parse(x, opts, ARRAY_LEN(opts), 0, 0, &a) < 0)
        return CLI_EXIT_USAGE;
    if (opts[0].value != NULL && !return_state_parse(opts[0].value, &s)) {
        cli_error(x, "invalid --state '%s': expected requested, authorised, awaiting_receipt, "
                  "received, inspected, returned_to_stock, written_off, rejected or cancelled",
                  opts[0].value);
        return CLI_EXIT_USAGE;
    }
    rc = cli_connect(x);
    if (rc != CLI_EXIT_OK)
        return rc;
    res = cli_checked(x, "list returns",
                      return_store_report_list(x->db, x->shop, opts[0].value,
                                               RETURNS_LIST_LIMIT, &st, &err), &err);
    if (res == NULL)
        return CLI_EXIT_ERROR;
    rows = cli_rows_json(res);
    PQclear(res);
    out = json_object_new_object();
    cli_jset_str(out, "state", opts[0].value);
    json_object_object_add(out, "returns", rows);
    if (x->json)
        cli_print_json(out);
    else if (json_object_array_length(rows) == 0)
        printf("no %sreturns\n", opts[0].value ? opts[0].value : "");
    else
        cli_print_table(rows, list_cols, ARRAY_LEN(list_cols), 0);
    json_object_put(out);
    return CLI_EXIT_OK;
}

/* The single ID argument (plus the options), then the database. */
static int returns_prepare(struct cli *x, struct cli_opt *opts, size_t n_opts, long long *id)
{
    struct cli_args a;

    if (cli_parse(x, opts, n_opts, 1, 1, &a) < 0)
        return CLI_EXIT_USAGE;
    *id = cli_parse_id(a.pos[0]);
    if (*id < 0) {
        cli_error(x, "invalid return id '%s': expected a positive number", a.pos[0]);
        return CLI_EXIT_USAGE;
    }
    return cli_connect(x);
}

int cli_returns_show(struct cli *x)
{
    struct json_object *r = NULL;
    struct errbuf err = {""};
    long long id;
    int rc = returns_prepare(x, NULL, 0, &id);

    if (rc != CLI_EXIT_OK)
        return rc;
    if (returns_report_json(x->db, x->shop, id, &r, &err) != ST_OK) {
        cli_error(x, "could not read return: %s", err.msg);
        return CLI_EXIT_ERROR;
    }
    if (r == NULL) {
        cli_error(x, "return %lld not found for shop %s", id, x->shop);
        return CLI_EXIT_NOT_FOUND;
    }
    if (x->json) {
        cli_print_json(r);
    } else {
        cli_print_fields(r, show_fields, ARRAY_LEN(show_fields), 0);
        printf("\nLines:\n");
        cli_print_table(json_object_object_get(r, "lines"), line_cols, ARRAY_LEN(line_cols), 2);
        printf("\nHistory:\n");
        cli_print_table(json_object_object_get(r, "history"), event_cols, ARRAY_LEN(event_cols),
                        2);
    }
    json_object_put(r);
    return CLI_EXIT_OK;
}

/* Prints a decision's outcome; the exit code. */
static int returns_decided(struct cli *x, long long id, const char *verb, enum st st,
                           bool applied, enum return_state now, const struct errbuf *err)
{
    struct json_object *out;

    if (st != ST_OK && strstr(err->msg, "no such return") != NULL) {
        cli_error(x, "return %lld not found for shop %s", id, x->shop);
        return CLI_EXIT_NOT_FOUND;
    }
    if (st != ST_OK) {
        cli_error(x, "could not %s return %lld: %s", verb, id, err->msg);
        return CLI_EXIT_ERROR;
    }
    if (!applied) {
        cli_error(x, "return %lld is %s: only a requested return can be %sd", id,
                  return_state_name(now), verb);
        return CLI_EXIT_USAGE;
    }
    out = json_object_new_object();
    cli_jset_int(out, "id", id);
    cli_jset_str(out, "state", return_state_name(now));
    cli_jset_str(out, "by", x->user);
    if (x->json)
        cli_print_json(out);
    else if (now == RETURN_AUTHORISED)
        printf("return %lld authorised by %s: the expected return is being created in "
               "Peoplevox\n", id, x->user);
    else
        printf("return %lld %s by %s\n", id, return_state_name(now), x->user);
    json_object_put(out);
    return CLI_EXIT_OK;
}

/* authorise (--by) or reject (--by, --reason): one decision of returns_app.h. */
static int returns_decision(struct cli *x, bool reject)
{
    struct cli_opt opts[] = {{"by", NULL}, {"reason", NULL}};
    struct errbuf err = {""};
    enum return_state now = RETURN_REQUESTED;
    bool applied = false;
    long long id;
    enum st st;
    int rc = returns_prepare(x, opts, reject ? 2 : 1, &id);

    if (rc != CLI_EXIT_OK)
        return rc;
    if (opts[0].value != NULL)
        x->user = opts[0].value;
    if (reject)
        st = returns_reject(x->db, x->shop, id, x->user, opts[1].value, &applied, &now, &err);
    else
        st = returns_authorise(x->db, x->shop, id, x->user, &applied, &now, &err);
    return returns_decided(x, id, reject ? "reject" : "authorise", st, applied, now, &err);
}

int cli_returns_authorise(struct cli *x)
{
    return returns_decision(x, false);
}

int cli_returns_reject(struct cli *x)
{
    return returns_decision(x, true);
}
