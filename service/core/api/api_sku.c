/*
 * api_sku.c - /api/v1/sku-mappings: the SKU mappings (Shopline SKU ->
 * Peoplevox item code), newest first with a search, and adding or removing
 * one. The changes are admin_actions.h's, the code `shopvox sku map|unmap`
 * runs: the same checks, held orders re-checked and the audit row
 * (sku.map, sku.unmap) in the change's transaction.
 *
 * One check more than the CLI's: a person at the page who types an item
 * code the warehouse catalogue shopvox knows does not have has most likely
 * made a typo, and the orders would stay held; the API refuses it (422
 * unknown_item, field item_code) unless the body says allow_unknown (the
 * item was just created in Peoplevox, before a catalogue sync). The CLI
 * keeps storing it with a warning, as it always did. Every refusal of an
 * argument names its field, for the page to show next to it.
 */
#include "api_int.h"
#include <string.h>

#include "catalogue_store.h"

#define SKU_SEARCH_MAX_BYTES 200

void api_sku_list(struct api_req *r)
{
    const char *q;
    struct api_page page;
    struct errbuf err = {""};
    enum st st;
    PGresult *res;

    if (api_query_str(r, "q", SKU_SEARCH_MAX_BYTES, &q) < 0 ||
        api_page_read(r, "sku_mappings", &page) < 0)
        return;
    res = catalogue_store_page_mappings(r->db, r->shop, q, page.before_id, page.limit + 1, &st,
                                        &err);
    if (res == NULL)
        api_error_db(r, st, &err);
    else
        api_reply_page(r, &page, res, "id", NULL);
}

/* 0 when code may be mapped (known to the catalogue, or allowed unknown); -1 after answering. */
static int sku_item_known(struct api_req *r, const char *code, bool allow_unknown)
{
    char state[16] = "", msg[400];
    struct errbuf err = {""};
    enum st st;

    if (allow_unknown)
        return 0;
    st = catalogue_store_item_state(r->db, r->shop, code, state, sizeof(state), &err);
    if (st != ST_OK) {
        api_error_db(r, st, &err);
        return -1;
    }
    if (strcmp(state, "missing") != 0)
        return 0;
    snprintf(msg, sizeof(msg),
             "item code '%.200s' is not in the Peoplevox catalogue shopvox knows: check the code "
             "(or, for an item just created in Peoplevox, send allow_unknown: true)", code);
    api_error_field(r->resp, 422, API_E_UNKNOWN_ITEM, "item_code", msg);
    return -1;
}

void api_sku_map(struct api_req *r)
{
    struct admin_actor who = api_admin_actor(r);
    enum admin_refusal refusal = ADMIN_REFUSED_NONE;
    struct json_object *out = NULL;
    struct errbuf err = {""};
    const char *sku, *code, *field;
    bool allow_unknown;
    enum st st;

    if (api_body_str(r, "shopline_sku", ADMIN_SKU_MAX_BYTES + 1, &sku) < 0 ||
        api_body_str(r, "item_code", ADMIN_SKU_MAX_BYTES, &code) < 0 ||
        api_body_bool(r, "allow_unknown", &allow_unknown) < 0)
        return;
    sku = sku != NULL ? sku : "";
    code = code != NULL ? code : "";
    field = admin_sku_bad_field(sku, code, &err);
    if (field != NULL) {
        api_error_field(r->resp, 400, API_E_INVALID, field, err.msg);
        return;
    }
    if (sku_item_known(r, code, allow_unknown) < 0 || api_begin(r) < 0)
        return;
    st = admin_sku_map(r->db, &who, sku, code, &out, &refusal, &err);
    api_admin_finish(r, st, refusal, &err, out);
}

void api_sku_unmap(struct api_req *r)
{
    struct admin_actor who = api_admin_actor(r);
    enum admin_refusal refusal = ADMIN_REFUSED_NONE;
    struct json_object *out = NULL;
    struct errbuf err = {""};
    const char *sku;
    enum st st;

    if (api_body_str(r, "shopline_sku", ADMIN_SKU_MAX_BYTES, &sku) < 0)
        return;
    if (sku == NULL) {
        api_error(r->resp, 400, API_E_INVALID, "shopline_sku is required");
        return;
    }
    if (api_begin(r) < 0)
        return;
    st = admin_sku_unmap(r->db, &who, sku, &out, &refusal, &err);
    api_admin_finish(r, st, refusal, &err, out);
}
