/*
 * cli_carriers.c - shopvox carriers set|list|delete.
 *
 * A Peoplevox carrier (and optionally one of its services, CARRIER/SERVICE)
 * -> the tracking company and URL template Shopline fulfillments carry
 * (carrier.h has the rules). Set and delete are admin_actions.h's (the
 * admin API runs the same code): every argument is checked before the
 * database is touched, so a bad template changes nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carrier.h"
#include "carrier_store.h"
#include "cli_int.h"

static const struct cli_col carrier_cols[] = {
    {"carrier", "CARRIER", 30},          {"service", "SERVICE", 30},
    {"tracking_company", "COMPANY", 30}, {"tracking_url_template", "URL TEMPLATE", 60},
    {"updated_at", "UPDATED", 0},        {"updated_by", "BY", 0},
};

/* The CARRIER[/SERVICE] argument, checked; -1 when refused (printed). */
static int key_args(struct cli *x, const char *key, char *carrier, char *service, size_t cap)
{
    struct errbuf err = {""};

    if (carrier_parse_key(key, carrier, service, cap, &err) == ST_OK)
        return 0;
    cli_error(x, "invalid carrier: %s", err.msg);
    return -1;
}

static void set_print(struct cli *x, struct json_object *out, const char *key)
{
    const char *url = cli_jstr(out, "tracking_url_template");
    struct json_object *prev = json_object_object_get(out, "previous");

    if (x->json) {
        cli_print_json(out);
        return;
    }
    printf("mapped carrier '%s' to tracking company '%s'", key,
           cli_jstr(out, "tracking_company"));
    if (prev != NULL)
        printf(" (was '%s')", cli_jstr(prev, "tracking_company"));
    putchar('\n');
    if (url[0])
        printf("tracking URL, e.g.: %s\n", cli_jstr(out, "example_url"));
    else
        printf("no tracking URL\n");
}

int cli_carriers_set(struct cli *x)
{
    struct cli_opt opts[] = {{"company", NULL}, {"url", NULL}};
    char carrier[CARRIER_NAME_MAX_BYTES + 1], service[CARRIER_NAME_MAX_BYTES + 1], key[256];
    enum admin_refusal refusal = ADMIN_REFUSED_NONE;
    struct errbuf err = {""};
    struct json_object *out = NULL;
    struct admin_actor who;
    char actor[128];
    struct cli_args a;
    int rc;

    if (cli_parse(x, opts, ARRAY_LEN(opts), 1, 1, &a) < 0 ||
        key_args(x, a.pos[0], carrier, service, sizeof(carrier)) < 0)
        return CLI_EXIT_USAGE;
    if (opts[0].value == NULL) {
        cli_error(x, "option --company is required (the tracking company Shopline shows)");
        return CLI_EXIT_USAGE;
    }
    rc = cli_connect(x);
    if (rc != CLI_EXIT_OK || cli_begin(x) < 0)
        return rc != CLI_EXIT_OK ? rc : CLI_EXIT_ERROR;
    who = cli_admin_actor(x, actor, sizeof(actor));
    rc = cli_admin_end(x, admin_carrier_set(x->db, &who, carrier, service, opts[0].value,
                                            opts[1].value, &out, &refusal, &err),
                       &refusal, &err);
    if (rc != CLI_EXIT_OK)
        return rc;
    snprintf(key, sizeof(key), "%s%s%s", carrier, service[0] ? "/" : "", service);
    set_print(x, out, key);
    json_object_put(out);
    return CLI_EXIT_OK;
}

int cli_carriers_list(struct cli *x)
{
    struct cli_args a;
    struct errbuf err = {""};
    struct json_object *out, *rows;
    PGresult *res;
    enum st st;
    int rc = cli_start(x, NULL, 0, 0, 0, &a);

    if (rc != CLI_EXIT_OK)
        return rc;
    res = carrier_store_list(x->db, x->shop, &st, &err);
    if (res == NULL) {
        cli_error(x, "could not list carrier mappings: %s", err.msg);
        return CLI_EXIT_ERROR;
    }
    rows = cli_rows_json(res);
    PQclear(res);
    out = json_object_new_object();
    json_object_object_add(out, "carriers", rows);
    if (x->json) {
        cli_print_json(out);
    } else if (json_object_array_length(rows) == 0) {
        printf("no carrier mappings for %s (despatches carry the Peoplevox carrier name and "
               "no tracking URL)\n", x->shop);
    } else {
        for (size_t i = 0; i < json_object_array_length(rows); i++) {
            struct json_object *r = json_object_array_get_idx(rows, i);

            if (cli_jstr(r, "service")[0] == '\0')
                cli_jset_str(r, "service", "(any)");
        }
        cli_print_table(rows, carrier_cols, ARRAY_LEN(carrier_cols), 0);
    }
    json_object_put(out);
    return CLI_EXIT_OK;
}

int cli_carriers_delete(struct cli *x)
{
    char carrier[CARRIER_NAME_MAX_BYTES + 1], service[CARRIER_NAME_MAX_BYTES + 1];
    enum admin_refusal refusal = ADMIN_REFUSED_NONE;
    struct errbuf err = {""};
    struct json_object *out = NULL;
    struct admin_actor who;
    char actor[128];
    struct cli_args a;
    int rc;

    if (cli_parse(x, NULL, 0, 1, 1, &a) < 0 ||
        key_args(x, a.pos[0], carrier, service, sizeof(carrier)) < 0)
        return CLI_EXIT_USAGE;
    rc = cli_connect(x);
    if (rc != CLI_EXIT_OK || cli_begin(x) < 0)
        return rc != CLI_EXIT_OK ? rc : CLI_EXIT_ERROR;
    who = cli_admin_actor(x, actor, sizeof(actor));
    rc = cli_admin_end(x, admin_carrier_delete(x->db, &who, carrier, service, &out, &refusal,
                                               &err),
                       &refusal, &err);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (x->json)
        cli_print_json(out);
    else
        printf("removed carrier mapping '%s' (was tracking company '%s')\n", a.pos[0],
               cli_jstr(json_object_object_get(out, "removed"), "tracking_company"));
    json_object_put(out);
    return CLI_EXIT_OK;
}
