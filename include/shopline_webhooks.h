/*
 * shopline_webhooks.h - SHOPLINE webhook subscriptions: the bodies of
 * `GET webhooks.json` and `POST webhooks.json`, the topics shopvox needs
 * and the plan that keeps them registered (pure: no I/O).
 *
 * A subscription is (id, topic, address, api_version). The wanted set is
 * one table (shopline_webhook_topics): every topic at one address with the
 * pinned API version. The plan compares it with what the store lists: a
 * topic with no subscription at the address and version is "missing" (or
 * "wrong_address" / "wrong_api_version" when the topic is subscribed
 * elsewhere or with another version) and gets created; nothing is ever
 * deleted (the documented API has no delete, and a foreign subscription
 * may belong to someone else).
 *
 * Ownership: parsed lists own their strings (_cleanup frees them); the
 * plan borrows the topics table and the list it was made from.
 */
#ifndef SHOPVOX_SHOPLINE_WEBHOOKS_H
#define SHOPVOX_SHOPLINE_WEBHOOKS_H

#include <stddef.h>

#include "buf.h"
#include "common.h"

#define SHOPLINE_WEBHOOKS_PATH "/webhooks/shopline"   /* where the listener takes them */
#define SHOPLINE_WEBHOOKS_MAX 500                     /* subscriptions read from one list */

/* The topics shopvox subscribes to (orders, catalogue hints, the app, returns and refunds). */
#define SHOPLINE_WEBHOOK_N_TOPICS 10
extern const char *const shopline_webhook_topics[SHOPLINE_WEBHOOK_N_TOPICS];

struct shopline_webhook {
    char *id;
    char *topic;
    char *address;
    char *api_version;      /* may be NULL */
};
struct shopline_webhooks {
    struct shopline_webhook *items;
    size_t n, cap;
};
void shopline_webhooks_cleanup(struct shopline_webhooks *w);

/* Appends the subscriptions of {"webhooks":[...]} (id, topic, address required). */
enum st shopline_parse_webhooks(const char *body, size_t len, struct shopline_webhooks *out,
                                struct errbuf *err);
/* The id of {"webhook":{"id":...}} (owned), the reply of a create. */
enum st shopline_parse_webhook_id(const char *body, size_t len, char **id, struct errbuf *err);
/* {"webhook":{"address","topic","api_version"}}; ST_FAIL (err) on empty input. */
enum st shopline_build_webhook(const char *address, const char *topic, const char *api_version,
                               struct buf *out, struct errbuf *err);

/* The operate of an apps/installed_uninstalled body. */
enum shopline_app_op { SHOPLINE_APP_INSTALL, SHOPLINE_APP_UNINSTALL };
/* Reads {"operate":"INSTALL"|"UNINSTALL",...} (case as sent); ST_FAIL (err) for anything else. */
enum st shopline_parse_app_operate(const char *body, size_t len, enum shopline_app_op *op,
                                   struct errbuf *err);

/*
 * The address of the listener: public_url (an absolute URL, a trailing '/'
 * dropped) + SHOPLINE_WEBHOOKS_PATH. Owned.
 */
char *shopline_webhook_address(const char *public_url);

/* What one wanted topic needs. */
enum whsub_need {
    WHSUB_OK,               /* subscribed at the address with the version */
    WHSUB_MISSING,          /* no subscription for the topic */
    WHSUB_WRONG_ADDRESS,    /* subscribed, but to another address */
    WHSUB_WRONG_VERSION     /* subscribed at the address, with another api_version */
};
/* "ok", "missing", "wrong_address", "wrong_api_version". */
const char *whsub_need_name(enum whsub_need n);

struct whsub_item {
    const char *topic;                /* borrowed from shopline_webhook_topics */
    enum whsub_need need;
    const struct shopline_webhook *seen; /* the closest existing one, or NULL (borrowed) */
};

/*
 * For every wanted topic (out has SHOPLINE_WEBHOOK_N_TOPICS entries, in
 * table order), what have needs for topic at address with api_version.
 * An exact match wins over a wrong one; among wrong ones, the one at the
 * address (wrong version) is reported before one elsewhere.
 */
void whsub_plan(const struct shopline_webhooks *have, const char *address,
                const char *api_version, struct whsub_item *out);

#endif
