/*
 * api_sku.c - /api/v1/sku-mappings: the SKU mappings (Shopline SKU ->
 * Peoplevox item code), newest first with a search, and adding or removing
 * one. The changes are admin_actions.h's, the code `shopvox sku map|unmap`
 * runs: the same checks, held orders re-checked and the audit row
 * (sku.map, sku.unmap) in the change's transaction.
 */
#include "api_int.h"
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

void api_sku_map(struct api_req *r)
{
    struct admin_actor who = api_admin_actor(r);
    enum admin_refusal refusal = ADMIN_REFUSED_NONE;
    struct json_object *out = NULL;
    struct errbuf err = {""};
    const char *sku, *code;
    enum st st;

    if (api_body_str(r, "shopline_sku", ADMIN_SKU_MAX_BYTES + 1, &sku) < 0 ||
        api_body_str(r, "item_code", ADMIN_SKU_MAX_BYTES, &code) < 0 || api_begin(r) < 0)
        return;
    st = admin_sku_map(r->db, &who, sku != NULL ? sku : "", code != NULL ? code : "", &out,
                       &refusal, &err);
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
