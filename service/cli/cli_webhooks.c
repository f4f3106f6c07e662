/*
 * cli_webhooks.c - shopvox webhooks list|ensure: the store's webhook
 * subscriptions, read from Shopline.
 *
 * Both commands build the service's own Shopline client and shared limiter
 * (clients.h) and take a NORMAL token per call, like the scheduled
 * ensure_webhooks job, so an operator's run neither overruns the store's
 * budget nor sends anything while the shop's outbound calls are paused.
 * `ensure` is whsubs_ensure itself (webhook_subs.h): what was found per
 * topic and what was created; a second run creates nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_int.h"
#include "clients.h"
#include "limiter.h"
#include "shopline.h"
#include "webhook_subs.h"

static const struct cli_col list_cols[] = {
    {"id", "ID", 0}, {"topic", "TOPIC", 0}, {"address", "ADDRESS", 70},
    {"api_version", "API_VERSION", 0}, {"ours", "OURS", 0},
};

static const struct cli_col ensure_cols[] = {
    {"topic", "TOPIC", 0}, {"found", "FOUND", 0}, {"action", "ACTION", 0}, {"id", "ID", 0},
};

/* The worker context of a command (the service's clients); -1 (printed) on failure. */
static int webhooks_ctx(struct cli *x, struct worker_ctx *w)
{
    memset(w, 0, sizeof(*w));
    w->cfg = &x->cfg;
    w->db = x->db;
    w->worker_id = "cli";
    w->shopline = clients_shopline(&x->cfg);
    if (w->shopline == NULL) {
        cli_error(x, "no shopline client (SHOPLINE_ACCESS_TOKEN not set or unusable)");
        return -1;
    }
    w->limiter = clients_limiter(&x->cfg);
    w->curl = curl_easy_init();
    return 0;
}

static void webhooks_ctx_cleanup(struct worker_ctx *w)
{
    curl_easy_cleanup(w->curl);
    limiter_destroy(w->limiter);
    shopline_client_destroy(w->shopline);
}

/* One subscription as a row; ours: at the managed address with the pinned version. */
static struct json_object *webhooks_row(struct cli *x, const struct shopline_webhook *s,
                                        const char *address)
{
    struct json_object *row = json_object_new_object();
    bool ours = address != NULL && strcmp(s->address, address) == 0 && s->api_version != NULL &&
                strcmp(s->api_version, x->cfg.shopline_api_version) == 0;

    cli_jset_str(row, "id", s->id);
    cli_jset_str(row, "topic", s->topic);
    cli_jset_str(row, "address", s->address);
    cli_jset_str(row, "api_version", s->api_version);
    cli_jset_str(row, "ours", address == NULL ? NULL : ours ? "yes" : "no");
    return row;
}

int cli_webhooks_list(struct cli *x)
{
    struct shopline_webhooks have = {NULL, 0, 0};
    struct shopline_outcome oc;
    struct worker_ctx w;
    struct cli_args a;
    struct errbuf err = {""};
    struct json_object *rows;
    char *address = NULL;
    int64_t wait_ms = 0;
    int rc = cli_start(x, NULL, 0, 0, 0, &a);

    if (rc != CLI_EXIT_OK)
        return rc;
    if (webhooks_ctx(x, &w) < 0)
        return CLI_EXIT_USAGE;
    rc = CLI_EXIT_ERROR;
    if (limiter_take_waiting(w.limiter, RL_API_SHOPLINE, RL_PRIO_NORMAL, 10000, NULL, &wait_ms,
                             &err) != ST_OK) {
        cli_error(x, "no shopline token: %s", err.msg[0] ? err.msg : "the budget is in use");
        goto out;
    }
    if (shopline_list_webhooks(w.shopline, w.curl, &have, &oc) != ST_OK) {
        cli_error(x, "could not list the webhooks: %s", oc.err.msg);
        goto out;
    }
    if (x->cfg.public_url[0] != '\0')
        address = shopline_webhook_address(x->cfg.public_url);
    rows = json_object_new_array();
    for (size_t i = 0; i < have.n; i++)
        json_object_array_add(rows, webhooks_row(x, &have.items[i], address));
    if (x->json)
        cli_print_json(rows);
    else
        cli_print_table(rows, list_cols, ARRAY_LEN(list_cols), 0);
    json_object_put(rows);
    rc = CLI_EXIT_OK;
out:
    free(address);
    shopline_webhooks_cleanup(&have);
    webhooks_ctx_cleanup(&w);
    return rc;
}

static struct json_object *ensure_json(const struct whsubs_report *rep)
{
    struct json_object *out = json_object_new_object(), *rows = json_object_new_array();

    cli_jset_str(out, "address", rep->address);
    cli_jset_str(out, "api_version", rep->api_version);
    cli_jset_int(out, "created", rep->created);
    for (size_t i = 0; i < rep->n; i++) {
        struct json_object *row = json_object_new_object();

        cli_jset_str(row, "topic", rep->rows[i].topic);
        cli_jset_str(row, "found", whsub_need_name(rep->rows[i].need));
        cli_jset_str(row, "action", rep->rows[i].created ? "created" : "kept");
        cli_jset_str(row, "id", rep->rows[i].id[0] ? rep->rows[i].id : NULL);
        json_object_array_add(rows, row);
    }
    json_object_object_add(out, "topics", rows);
    return out;
}

int cli_webhooks_ensure(struct cli *x)
{
    struct whsubs_report rep;
    struct worker_ctx w;
    struct cli_args a;
    struct errbuf err = {""};
    struct json_object *out;
    int rc = cli_start(x, NULL, 0, 0, 0, &a);

    if (rc != CLI_EXIT_OK)
        return rc;
    if (x->cfg.public_url[0] == '\0') {
        cli_error(x, "SHOPVOX_PUBLIC_URL is not set: webhook subscriptions are not managed");
        return CLI_EXIT_USAGE;
    }
    if (webhooks_ctx(x, &w) < 0)
        return CLI_EXIT_USAGE;
    rc = CLI_EXIT_OK;
    if (whsubs_ensure(&w, &rep, &err) != ST_OK) {
        cli_error(x, "could not ensure the webhooks (%d created before): %s", rep.created,
                  err.msg);
        rc = CLI_EXIT_ERROR;
    } else {
        out = ensure_json(&rep);
        cli_audit(x, "webhooks.ensure", "webhooks", rep.address, NULL, out);
        if (x->json) {
            cli_print_json(out);
        } else {
            printf("%d of %zu subscriptions created at %s (%s)\n", rep.created, rep.n,
                   rep.address, rep.api_version);
            cli_print_table(json_object_object_get(out, "topics"), ensure_cols,
                            ARRAY_LEN(ensure_cols), 0);
        }
        json_object_put(out);
    }
    webhooks_ctx_cleanup(&w);
    return rc;
}
