/*
 * cli_sku.c - shopvox sku map|list|unmap and shopvox catalogue sync.
 *
 * Map and unmap are admin_actions.h's (the admin API runs the same code):
 * checked, stored, held orders re-checked and audited in one transaction.
 * A mapping to an item the local catalogue does not have as active is
 * stored with a warning (the next catalogue sync may bring it in).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue_store.h"
#include "cli_int.h"

static const struct cli_col sku_list_cols[] = {
    {"shopline_sku", "SHOPLINE SKU", 50}, {"item_code", "ITEM CODE", 0},
    {"item_state", "ITEM", 0},            {"created_at", "MAPPED AT", 0},
    {"created_by", "BY", 0},
};

int cli_sku_map(struct cli *x)
{
    struct cli_args a;
    struct errbuf err = {""};
    struct json_object *out = NULL;
    enum admin_refusal refusal = ADMIN_REFUSED_NONE;
    struct admin_actor who;
    char actor[128];
    const char *previous, *warning;
    int enqueued, rc;

    if (cli_parse(x, NULL, 0, 2, 2, &a) < 0)
        return CLI_EXIT_USAGE;
    if (admin_sku_check(a.pos[0], a.pos[1], &err) < 0) {
        cli_error(x, "%s", err.msg);
        return CLI_EXIT_USAGE;
    }
    rc = cli_connect(x);
    if (rc != CLI_EXIT_OK || cli_begin(x) < 0)
        return rc != CLI_EXIT_OK ? rc : CLI_EXIT_ERROR;
    who = cli_admin_actor(x, actor, sizeof(actor));
    rc = cli_admin_end(x, admin_sku_map(x->db, &who, a.pos[0], a.pos[1], &out, &refusal, &err),
                       &refusal, &err);
    if (rc != CLI_EXIT_OK)
        return rc;
    warning = json_object_get_string(json_object_object_get(out, "warning"));
    previous = json_object_get_string(json_object_object_get(out, "previous_item_code"));
    enqueued = (int)cli_jint(out, "held_orders_enqueued");
    if (warning != NULL)
        cli_warn(x, "%s", warning);
    if (x->json) {
        cli_print_json(out);
    } else {
        printf("mapped Shopline SKU '%s' to item code '%s'", a.pos[0], a.pos[1]);
        if (previous != NULL)
            printf(" (was '%s')", previous);
        putchar('\n');
        printf("%d held order%s queued for a re-check\n", enqueued, enqueued == 1 ? "" : "s");
    }
    json_object_put(out);
    return CLI_EXIT_OK;
}

int cli_sku_list(struct cli *x)
{
    struct cli_args a;
    struct errbuf err = {""};
    struct json_object *out;
    PGresult *res;
    enum st st;
    int rc;

    rc = cli_start(x, NULL, 0, 0, 0, &a);
    if (rc != CLI_EXIT_OK)
        return rc;
    res = catalogue_store_list_mappings(x->db, x->shop, &st, &err);
    if (res == NULL) {
        cli_error(x, "could not list mappings: %s", err.msg);
        return CLI_EXIT_ERROR;
    }
    out = json_object_new_object();
    json_object_object_add(out, "mappings", cli_rows_json(res));
    if (x->json)
        cli_print_json(out);
    else if (PQntuples(res) == 0)
        printf("no SKU mappings for %s\n", x->shop);
    else
        cli_print_table(json_object_object_get(out, "mappings"), sku_list_cols,
                        ARRAY_LEN(sku_list_cols), 0);
    json_object_put(out);
    PQclear(res);
    return CLI_EXIT_OK;
}

int cli_sku_unmap(struct cli *x)
{
    struct cli_args a;
    struct errbuf err = {""};
    struct json_object *out = NULL;
    enum admin_refusal refusal = ADMIN_REFUSED_NONE;
    struct admin_actor who;
    char actor[128];
    int rc;

    rc = cli_start(x, NULL, 0, 1, 1, &a);
    if (rc != CLI_EXIT_OK || cli_begin(x) < 0)
        return rc != CLI_EXIT_OK ? rc : CLI_EXIT_ERROR;
    who = cli_admin_actor(x, actor, sizeof(actor));
    rc = cli_admin_end(x, admin_sku_unmap(x->db, &who, a.pos[0], &out, &refusal, &err), &refusal,
                       &err);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (x->json)
        cli_print_json(out);
    else
        printf("removed mapping of Shopline SKU '%s' (was item code '%s')\n", a.pos[0],
               cli_jstr(out, "item_code"));
    json_object_put(out);
    return CLI_EXIT_OK;
}

int cli_catalogue_sync(struct cli *x)
{
    struct cli_args a;
    struct cli_job_outcome j;
    struct json_object *out;
    int rc;

    rc = cli_start(x, NULL, 0, 0, 0, &a);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (cli_job_run_now(x, "catalogue_sync", "catalogue", "{}", &j) < 0)
        return CLI_EXIT_ERROR;
    out = json_object_new_object();
    cli_jset_int(out, "job_id", j.job_id);
    cli_jset_str(out, "action", j.created ? "job_enqueued" : j.running ? "job_running"
                                                                        : "job_retried");
    cli_jset_str(out, "prior_state", j.prior_state[0] ? j.prior_state : NULL);
    cli_audit(x, "catalogue.sync", "job", "catalogue_sync", NULL, out);
    if (x->json)
        cli_print_json(out);
    else if (j.created)
        printf("enqueued catalogue_sync job %lld; a worker pulls the Peoplevox catalogue next\n",
               j.job_id);
    else if (j.running)
        printf("catalogue_sync job %lld is running already\n", j.job_id);
    else
        printf("catalogue_sync job %lld was %s and runs again now\n", j.job_id, j.prior_state);
    json_object_put(out);
    return CLI_EXIT_OK;
}
