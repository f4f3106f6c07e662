/*
 * webhook_subs.c - webhook subscriptions kept alive, and the app's install
 * state (see webhook_subs.h).
 *
 * An ensure is: one token and one GET webhooks.json, the plan (pure,
 * shopline_webhooks.c), then one token and one POST per topic that needs
 * it. Nothing is held open across the network: the database is touched
 * only after the Shopline calls, for the "ensured" cursor and the
 * exceptions. A create whose reply was lost may have created the
 * subscription: the next ensure lists first, so it is not duplicated.
 *
 * Exceptions. The first ensure ever (no WHSUBS_ENSURED_CURSOR yet) is the
 * registration and opens nothing; afterwards every re-created topic opens
 * (or bumps) webhook_subscription_restored with the topic as subject:
 * something deleted or changed it, most likely Shopline after failed
 * deliveries, and operations should know why. The CLI's ensure stamps the
 * cursor too, so an operator's first run counts as the registration.
 *
 * The pause. UNINSTALL inserts the outbound_pauses row in the intake's
 * transaction; from the commit on, every limiter take is refused
 * (limiter.h), so no Shopline or Peoplevox call leaves and jobs wait as
 * throttled retries. INSTALL deletes the row and the jobs go on.
 */
#include "webhook_subs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cursor_store.h"
#include "exceptions.h"
#include "limiter.h"
#include "log.h"
#include "pause_store.h"
#include "shopline.h"

#define WHSUBS_TOKEN_SLEEP_MAX_MS 5000

/* A NORMAL token for the next call; false with rep->throttled (and err) when none came. */
static bool whsubs_token(struct worker_ctx *w, struct whsubs_report *rep, const char *what,
                         struct errbuf *err)
{
    int64_t wait_ms = 0;

    if (limiter_take_waiting(w->limiter, RL_API_SHOPLINE, RL_PRIO_NORMAL,
                             WHSUBS_TOKEN_SLEEP_MAX_MS, w->stopping, &wait_ms, err) == ST_OK)
        return true;
    if (err->msg[0] == '\0')
        errbuf_set(err, "no shopline token for %lld ms (%s)", (long long)wait_ms, what);
    rep->throttled = true;
    rep->wait_ms = wait_ms;
    return false;
}

/* A failed call: err says what, a 429 also tells the limiter. */
static enum st whsubs_call_failed(struct worker_ctx *w, struct whsubs_report *rep,
                                  const struct shopline_outcome *oc, enum st st,
                                  const char *what, struct errbuf *err)
{
    errbuf_set(err, "%s: shopline: %s (http %ld, trace %s)", what, oc->err.msg,
               oc->http_status, oc->trace_id[0] ? oc->trace_id : "-");
    if (oc->throttled) {
        int64_t after_ms = oc->retry_after_ms > 0 ? oc->retry_after_ms : 0;

        if (w->limiter != NULL)
            limiter_note_throttled(w->limiter, RL_API_SHOPLINE, after_ms);
        rep->throttled = true;
        rep->wait_ms = after_ms;
    }
    return st;
}

/* The plan's rows into the report. */
static void whsubs_fill(struct whsubs_report *rep, const struct whsub_item *plan)
{
    rep->n = SHOPLINE_WEBHOOK_N_TOPICS;
    for (size_t i = 0; i < rep->n; i++) {
        struct whsubs_row *row = &rep->rows[i];

        row->topic = plan[i].topic;
        row->need = plan[i].need;
        if (plan[i].seen == NULL)
            continue;
        snprintf(row->seen_address, sizeof(row->seen_address), "%s", plan[i].seen->address);
        snprintf(row->seen_version, sizeof(row->seen_version), "%s",
                 plan[i].seen->api_version != NULL ? plan[i].seen->api_version : "");
        if (row->need == WHSUB_OK)
            snprintf(row->id, sizeof(row->id), "%s", plan[i].seen->id);
    }
}

static enum st whsubs_list(struct worker_ctx *w, struct whsubs_report *rep, struct errbuf *err)
{
    struct shopline_webhooks have = {NULL, 0, 0};
    struct whsub_item plan[SHOPLINE_WEBHOOK_N_TOPICS];
    struct shopline_outcome oc;
    enum st st;

    if (!whsubs_token(w, rep, "list webhooks", err))
        return ST_RETRY;
    st = shopline_list_webhooks(w->shopline, w->curl, &have, &oc);
    if (st != ST_OK)
        return whsubs_call_failed(w, rep, &oc, st, "list webhooks", err);
    whsub_plan(&have, rep->address, rep->api_version, plan);
    whsubs_fill(rep, plan);
    shopline_webhooks_cleanup(&have);
    return ST_OK;
}

static enum st whsubs_create(struct worker_ctx *w, struct whsubs_report *rep,
                             struct whsubs_row *row, struct errbuf *err)
{
    struct shopline_outcome oc;
    char what[96];
    char *id = NULL;
    enum st st;

    snprintf(what, sizeof(what), "create webhook %s", row->topic);
    if (!whsubs_token(w, rep, what, err))
        return ST_RETRY;
    st = shopline_create_webhook(w->shopline, w->curl, rep->address, row->topic,
                                 rep->api_version, &id, &oc);
    if (st != ST_OK)
        return whsubs_call_failed(w, rep, &oc, st, what, err);
    snprintf(row->id, sizeof(row->id), "%s", id);
    free(id);
    row->created = true;
    rep->created++;
    log_event(LOG_INFO, "webhook_subscription_created", "topic", row->topic, "was",
              whsub_need_name(row->need), "id", row->id, NULL);
    return ST_OK;
}

enum st whsubs_ensure(struct worker_ctx *w, struct whsubs_report *rep, struct errbuf *err)
{
    bool ensured = false;
    enum st st;
    char *address;

    memset(rep, 0, sizeof(*rep));
    if (w->cfg->public_url == NULL || w->cfg->public_url[0] == '\0') {
        errbuf_set(err, "SHOPVOX_PUBLIC_URL is not set: webhook subscriptions are not managed");
        return ST_FAIL;
    }
    if (w->shopline == NULL) {
        errbuf_set(err, "no shopline client (SHOPLINE_ACCESS_TOKEN not set)");
        return ST_FAIL;
    }
    address = shopline_webhook_address(w->cfg->public_url);
    snprintf(rep->address, sizeof(rep->address), "%s", address);
    free(address);
    snprintf(rep->api_version, sizeof(rep->api_version), "%s", w->cfg->shopline_api_version);
    st = cursor_store_exists(w->db, WHSUBS_ENSURED_CURSOR, &ensured, err);
    rep->first = !ensured;
    if (st == ST_OK)
        st = whsubs_list(w, rep, err);
    for (size_t i = 0; st == ST_OK && i < rep->n; i++)
        if (rep->rows[i].need != WHSUB_OK)
            st = whsubs_create(w, rep, &rep->rows[i], err);
    if (st == ST_OK)
        st = cursor_store_set(w->db, WHSUBS_ENSURED_CURSOR, rep->address, err);
    return st;
}

/* One webhook_subscription_restored per topic re-created by this run. */
static enum st whsubs_report_restored(struct store_conn *c, const char *shop,
                                      const struct whsubs_report *rep, struct errbuf *err)
{
    enum st st = ST_OK;

    for (size_t i = 0; st == ST_OK && i < rep->n; i++) {
        const struct whsubs_row *row = &rep->rows[i];
        char detail[3 * WHSUBS_TEXT];
        struct exc_new e = {shop, WHSUBS_EXC_RESTORED, "ops", "webhook_topic", row->topic, NULL,
                            detail,
                            "Find out why the subscription went (Shopline deletes one whose "
                            "deliveries keep failing: check the public listener and its "
                            "logs), then resolve this exception"};

        if (!row->created)
            continue;
        if (row->need == WHSUB_MISSING)
            snprintf(detail, sizeof(detail), "webhook subscription %s was missing; re-created "
                     "at %s (%s, id %s)", row->topic, rep->address, rep->api_version, row->id);
        else
            snprintf(detail, sizeof(detail), "webhook subscription %s was %s (address %s, api "
                     "version %s); created at %s (%s, id %s)", row->topic,
                     whsub_need_name(row->need), row->seen_address,
                     row->seen_version[0] ? row->seen_version : "none", rep->address,
                     rep->api_version, row->id);
        st = exc_raise(c, &e, NULL, err);
    }
    return st;
}

void whsubs_ensure_handler(struct worker_ctx *w, const struct job *j, struct job_result *r)
{
    struct whsubs_report rep;
    enum st st;

    (void)j;
    r->st = ST_OK;
    if (w->cfg->public_url == NULL || w->cfg->public_url[0] == '\0')
        return; /* the feature is off (the schedule is too) */
    st = whsubs_ensure(w, &rep, &r->err);
    if (!rep.first && rep.created > 0) {
        struct errbuf exc_err = {""};

        if (whsubs_report_restored(w->db, w->cfg->shop_domain, &rep, &exc_err) != ST_OK &&
            st == ST_OK) {
            r->err = exc_err;
            st = ST_RETRY;
        }
    }
    r->st = st;
    if (st != ST_OK && rep.throttled)
        job_result_throttle(r, rep.wait_ms);
    if (st == ST_OK)
        log_event(LOG_INFO, "webhooks_ensured", "address", rep.address,
                  LOG_I64("topics", rep.n), LOG_I64("created", rep.created), NULL);
}

enum st whsubs_app_event(struct store_conn *c, const char *shop, const char *body, size_t len,
                         struct errbuf *err)
{
    enum shopline_app_op op = SHOPLINE_APP_INSTALL;
    bool changed = false;
    enum st st = shopline_parse_app_operate(body, len, &op, err);
    struct exc_new e = {shop, WHSUBS_EXC_UNINSTALLED, "ops", "shop", shop, NULL,
                        "CRITICAL: the shopvox app was uninstalled from the store; every "
                        "outbound call (Shopline and Peoplevox) is paused and jobs wait",
                        "Reinstall the app in the SHOPLINE admin (the INSTALL webhook resumes "
                        "the calls and resolves this exception), or retire this deployment"};

    if (st != ST_OK)
        return st;
    if (op == SHOPLINE_APP_UNINSTALL) {
        st = pause_store_set(c, shop, "app uninstalled", &changed, err);
        if (st == ST_OK)
            st = exc_raise(c, &e, NULL, err);
        if (st == ST_OK)
            log_event(LOG_ERROR, "outbound_paused", "shop", shop, "why", "app uninstalled", NULL);
        return st;
    }
    st = pause_store_clear(c, shop, &changed, err);
    if (st == ST_OK)
        st = exc_resolve_subject(c, shop, WHSUBS_EXC_UNINSTALLED, shop, "shopvox",
                                 "the app was installed again", err);
    if (st == ST_OK && changed)
        log_event(LOG_INFO, "outbound_resumed", "shop", shop, "why", "app installed", NULL);
    return st;
}
