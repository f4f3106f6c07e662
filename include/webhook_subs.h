/*
 * webhook_subs.h - keeping the store's webhook subscriptions alive, and
 * the app's install state (issue 10).
 *
 * Shopline deletes a subscription whose deliveries keep failing, which
 * silently ends the order stream. whsubs_ensure lists the store's
 * subscriptions and creates every topic of shopline_webhook_topics that
 * is missing at ${SHOPVOX_PUBLIC_URL}/webhooks/shopline with the pinned
 * API version (or subscribed elsewhere, or with another version: the
 * right one is created next to it; nothing is deleted). It runs from the
 * CLI (`shopvox webhooks ensure`) and as the leader's scheduled job
 * WHSUBS_KIND: there, a subscription re-created after an earlier ensure
 * completed opens webhook_subscription_restored (owner ops) naming the
 * topic and what was wrong (the first registration opens nothing).
 *
 * apps/installed_uninstalled: whsubs_app_event pauses (UNINSTALL) or
 * resumes (INSTALL) every outbound call of the shop (pause_store.h, read
 * by the limiter) and opens or resolves app_uninstalled (owner ops).
 *
 * Every Shopline call takes a NORMAL-priority token first. Ownership:
 * everything is borrowed; a report holds no pointers to free.
 */
#ifndef SHOPVOX_WEBHOOK_SUBS_H
#define SHOPVOX_WEBHOOK_SUBS_H

#include <stdbool.h>
#include <stdint.h>

#include "common.h"
#include "job_handler.h"
#include "jobs.h"
#include "shopline_webhooks.h"
#include "store.h"

#define WHSUBS_KIND "ensure_webhooks"
#define WHSUBS_KEY "webhooks"
#define WHSUBS_EXC_RESTORED "webhook_subscription_restored"
#define WHSUBS_EXC_UNINSTALLED "app_uninstalled"
#define WHSUBS_ENSURED_CURSOR "webhooks_ensured"   /* set after each complete ensure */
#define WHSUBS_TEXT 512

/* One wanted topic: what was found and what was done. */
struct whsubs_row {
    const char *topic;                 /* static (shopline_webhook_topics) */
    enum whsub_need need;              /* what the list showed */
    char seen_address[WHSUBS_TEXT];    /* of the closest existing subscription, "" when none */
    char seen_version[64];
    char id[64];                       /* the subscription's id (the new one when created) */
    bool created;
};

struct whsubs_report {
    char address[WHSUBS_TEXT];         /* where the subscriptions point */
    char api_version[64];
    struct whsubs_row rows[SHOPLINE_WEBHOOK_N_TOPICS];
    size_t n;
    int created;
    bool first;                        /* no ensure had completed before this one */
    bool throttled;                    /* no token, or a 429: retry after wait_ms */
    int64_t wait_ms;
};

/*
 * Lists and creates as described above (w->shopline, w->limiter,
 * w->curl, w->db and w->cfg are used; stopping may be NULL). ST_OK: every
 * topic is subscribed now (rep says which were created). Otherwise err
 * says why; rep->throttled when a token was refused or Shopline said 429
 * (the rows created before stay created). SHOPVOX_PUBLIC_URL unset:
 * ST_FAIL with err saying so.
 */
enum st whsubs_ensure(struct worker_ctx *w, struct whsubs_report *rep, struct errbuf *err);

/* The job WHSUBS_KIND: whsubs_ensure plus the exceptions; a no-op without SHOPVOX_PUBLIC_URL. */
void whsubs_ensure_handler(struct worker_ctx *w, const struct job *j, struct job_result *r);

/*
 * An apps/installed_uninstalled body in the caller's open transaction:
 * UNINSTALL pauses shop's outbound calls and opens app_uninstalled,
 * INSTALL lifts the pause and resolves it. ST_FAIL (err) for a body
 * without a known operate.
 */
enum st whsubs_app_event(struct store_conn *c, const char *shop, const char *body, size_t len,
                         struct errbuf *err);

#endif
