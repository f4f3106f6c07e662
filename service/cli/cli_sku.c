/*
 * cli_sku.c - shopvox sku map|list|unmap and shopvox catalogue sync.
 *
 * A mapping is stored even when its item code is not (yet) in the local
 * catalogue or is inactive: the item may have just been created in
 * Peoplevox and the next catalogue sync brings it in. The operator is
 * warned, and held orders are re-checked in the same transaction as the
 * mapping, so a crash between the two cannot leave orders stuck on hold.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue.h"
#include "catalogue_store.h"
#include "cli_int.h"
#include "sku.h"

#define SKU_MAP_MAX_BYTES 1000   /* a Shopline SKU; the item code obeys SKU_MAX_BYTES */

static const struct cli_col sku_list_cols[] = {
    {"shopline_sku", "SHOPLINE SKU", 50}, {"item_code", "ITEM CODE", 0},
    {"item_state", "ITEM", 0},            {"created_at", "MAPPED AT", 0},
    {"created_by", "BY", 0},
};

static int map_args(struct cli *x, const struct cli_args *a)
{
    const char *sku = a->pos[0], *code = a->pos[1];
    enum sku_problem problem = sku_validate(code);

    if (sku[0] == '\0' || strlen(sku) > SKU_MAP_MAX_BYTES) {
        cli_error(x, "invalid Shopline SKU: %s", sku[0] ? "too long" : "empty");
        return -1;
    }
    for (const char *p = sku; *p != '\0'; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            cli_error(x, "invalid Shopline SKU: control character 0x%02x at byte %zu (a tab, "
                      "newline or similar never matches an order line)",
                      (unsigned char)*p, (size_t)(p - sku) + 1);
            return -1;
        }
    }
    if (problem != SKU_OK) {
        cli_error(x, "invalid item code '%s': %s", code, sku_problem_name(problem));
        return -1;
    }
    return 0;
}

/* "active", "inactive" or "missing": what the local catalogue knows of code. */
static int item_state(struct cli *x, const char *code, char *out, size_t cap)
{
    struct errbuf err = {""};

    if (catalogue_store_item_state(x->db, x->shop, code, out, cap, &err) == ST_OK)
        return 0;
    cli_error(x, "could not read item: %s", err.msg);
    return -1;
}

/* Upserts the mapping; *previous gets the item code it replaced (owned, NULL when new). */
static int map_upsert(struct cli *x, const char *sku, const char *code, char **previous)
{
    struct errbuf err = {""};

    if (catalogue_store_map_sku(x->db, x->shop, sku, code, x->user, previous, &err) == ST_OK)
        return 0;
    cli_error(x, "could not store mapping: %s", err.msg);
    return -1;
}

static int map_store(struct cli *x, const char *sku, const char *code, char *state,
                     size_t state_cap, char **previous, int *enqueued)
{
    struct errbuf err = {""};

    if (cli_begin(x) < 0)
        return -1;
    if (item_state(x, code, state, state_cap) < 0 || map_upsert(x, sku, code, previous) < 0)
        goto fail;
    if (catalogue_recheck_held(x->db, x->shop, enqueued, &err) != ST_OK) {
        cli_error(x, "could not re-check held orders: %s", err.msg);
        goto fail;
    }
    if (cli_commit(x) == 0)
        return 0;
fail:
    cli_rollback(x);
    return -1;
}

int cli_sku_map(struct cli *x)
{
    struct cli_args a;
    char state[16] = "", warning[256] = "";
    char *previous = NULL;
    struct json_object *out;
    int enqueued = 0, rc;

    if (cli_parse(x, NULL, 0, 2, 2, &a) < 0 || map_args(x, &a) < 0)
        return CLI_EXIT_USAGE;
    rc = cli_connect(x);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (map_store(x, a.pos[0], a.pos[1], state, sizeof(state), &previous, &enqueued) < 0)
        return CLI_EXIT_ERROR;
    if (strcmp(state, "active") != 0) {
        snprintf(warning, sizeof(warning),
                 "item code '%s' is %s in the Peoplevox catalogue; orders with this SKU stay on "
                 "hold until it is active there (shopvox catalogue sync refreshes it)",
                 a.pos[1], strcmp(state, "missing") == 0 ? "not" : "inactive");
        cli_warn(x, "%s", warning);
    }
    out = json_object_new_object();
    cli_jset_str(out, "shopline_sku", a.pos[0]);
    cli_jset_str(out, "item_code", a.pos[1]);
    cli_jset_str(out, "previous_item_code", previous);
    cli_jset_str(out, "item_state", state);
    cli_jset_str(out, "warning", warning[0] ? warning : NULL);
    cli_jset_int(out, "held_orders_enqueued", enqueued);
    cli_audit(x, "sku.map", "sku", a.pos[0], NULL, out);
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
    free(previous);
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
    struct json_object *out;
    char *code = NULL;
    int rc;

    rc = cli_start(x, NULL, 0, 1, 1, &a);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (catalogue_store_unmap_sku(x->db, x->shop, a.pos[0], &code, &err) != ST_OK) {
        cli_error(x, "could not remove mapping: %s", err.msg);
        return CLI_EXIT_ERROR;
    }
    if (code == NULL) {
        cli_error(x, "no mapping for Shopline SKU '%s'", a.pos[0]);
        return CLI_EXIT_NOT_FOUND;
    }
    out = json_object_new_object();
    cli_jset_str(out, "shopline_sku", a.pos[0]);
    cli_jset_str(out, "item_code", code);
    json_object_object_add(out, "removed", json_object_new_boolean(true));
    cli_audit(x, "sku.unmap", "sku", a.pos[0], NULL, out);
    if (x->json)
        cli_print_json(out);
    else
        printf("removed mapping of Shopline SKU '%s' (was item code '%s')\n", a.pos[0], code);
    json_object_put(out);
    free(code);
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
