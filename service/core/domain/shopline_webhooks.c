/*
 * shopline_webhooks.c - SHOPLINE webhook subscriptions (see shopline_webhooks.h).
 *
 * The list reply is read as the other Admin API lists are (shopline_json.c):
 * parsed with json_text_parse so a big integer id stays exact, an id may
 * be a string or an integer, null is absent, and a field of the wrong type
 * fails the whole reply, appending nothing: a half-read list must never
 * look like a short one, or the plan would re-create subscriptions that
 * exist. At most SHOPLINE_WEBHOOKS_MAX subscriptions are read (a store has
 * a handful; more is a wrong reply).
 *
 * The topics table is the one place that says what shopvox subscribes to
 * (whk_topic_classify in webhook.c says what intake does with each). The
 * refund and return topics join it with the returns work.
 */
#include "shopline_webhooks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "json_text.h"

const char *const shopline_webhook_topics[SHOPLINE_WEBHOOK_N_TOPICS] = {
    "orders/create",   "orders/updated",         "orders/paid",
    "orders/cancelled", "products/update",       "inventory_items/update",
    "apps/installed_uninstalled", "return/create", "return/update",
    "refunds/create",
};
_Static_assert(ARRAY_LEN(shopline_webhook_topics) == SHOPLINE_WEBHOOK_N_TOPICS,
               "SHOPLINE_WEBHOOK_N_TOPICS is the length of the table");

/* ---- reading ---- */

/* The member as owned text: an id may be an integer; absent or null is NULL. */
static int swh_field(struct json_object *o, const char *key, bool id_ok, char **out,
                     struct errbuf *err)
{
    struct json_object *v = NULL;

    *out = NULL;
    if (!json_object_object_get_ex(o, key, &v) || v == NULL)
        return 0;
    if (id_ok && json_object_is_type(v, json_type_int) && json_object_get_int64(v) >= 0) {
        *out = xasprintf("%lld", (long long)json_object_get_int64(v));
        return 0;
    }
    if (!json_object_is_type(v, json_type_string)) {
        errbuf_set(err, "\"%s\" is not a string", key);
        return -1;
    }
    *out = xstrdup(json_object_get_string(v));
    return 0;
}

static void swh_free(struct shopline_webhook *w)
{
    free(w->id);
    free(w->topic);
    free(w->address);
    free(w->api_version);
    memset(w, 0, sizeof(*w));
}

static int swh_read(struct json_object *o, struct shopline_webhook *w, struct errbuf *err)
{
    memset(w, 0, sizeof(*w));
    if (!json_object_is_type(o, json_type_object)) {
        errbuf_set(err, "a webhook is not an object");
        return -1;
    }
    if (swh_field(o, "id", true, &w->id, err) < 0 ||
        swh_field(o, "topic", false, &w->topic, err) < 0 ||
        swh_field(o, "address", false, &w->address, err) < 0 ||
        swh_field(o, "api_version", false, &w->api_version, err) < 0)
        return -1;
    if (w->id == NULL || w->id[0] == '\0' || w->topic == NULL || w->address == NULL) {
        errbuf_set(err, "a webhook lacks its id, topic or address");
        return -1;
    }
    return 0;
}

/* The member key of root, which must be of type t. */
static struct json_object *swh_member(struct json_object *root, const char *key,
                                      enum json_type t, struct errbuf *err)
{
    struct json_object *v = NULL;

    if (!json_object_is_type(root, json_type_object) ||
        !json_object_object_get_ex(root, key, &v) || !json_object_is_type(v, t)) {
        errbuf_set(err, "reply has no \"%s\" %s", key, t == json_type_array ? "array" : "object");
        return NULL;
    }
    return v;
}

enum st shopline_parse_webhooks(const char *body, size_t len, struct shopline_webhooks *out,
                                struct errbuf *err)
{
    struct json_object *root = json_text_parse(body, len, "webhooks reply", err);
    struct json_object *arr = root != NULL ? swh_member(root, "webhooks", json_type_array, err)
                                           : NULL;
    size_t start = out->n, i, n;
    enum st st = ST_FAIL;

    if (arr == NULL)
        goto out;
    n = json_object_array_length(arr);
    if (n > SHOPLINE_WEBHOOKS_MAX) {
        errbuf_set(err, "webhooks reply lists %zu subscriptions (at most %d)", n,
                   SHOPLINE_WEBHOOKS_MAX);
        goto out;
    }
    for (i = 0; i < n; i++) {
        out->items = buf_grow_array(out->items, &out->cap, out->n + 1, sizeof(*out->items));
        if (swh_read(json_object_array_get_idx(arr, i), &out->items[out->n], err) < 0) {
            swh_free(&out->items[out->n]);
            goto out;
        }
        out->n++;
    }
    st = ST_OK;
out:
    while (st != ST_OK && out->n > start)
        swh_free(&out->items[--out->n]);
    json_object_put(root);
    return st;
}

void shopline_webhooks_cleanup(struct shopline_webhooks *w)
{
    while (w->n > 0)
        swh_free(&w->items[--w->n]);
    free(w->items);
    memset(w, 0, sizeof(*w));
}

enum st shopline_parse_webhook_id(const char *body, size_t len, char **id, struct errbuf *err)
{
    struct json_object *root = json_text_parse(body, len, "webhook reply", err);
    struct json_object *w = root != NULL ? swh_member(root, "webhook", json_type_object, err)
                                         : NULL;
    enum st st = ST_FAIL;

    *id = NULL;
    if (w != NULL && swh_field(w, "id", true, id, err) == 0) {
        if (*id != NULL && (*id)[0] != '\0')
            st = ST_OK;
        else
            errbuf_set(err, "webhook reply has no id");
    }
    if (st != ST_OK) {
        free(*id);
        *id = NULL;
    }
    json_object_put(root);
    return st;
}

enum st shopline_parse_app_operate(const char *body, size_t len, enum shopline_app_op *op,
                                   struct errbuf *err)
{
    struct json_object *root = json_text_parse(body, len, "app webhook", err);
    char *operate = NULL;
    enum st st = ST_FAIL;

    if (root == NULL)
        return ST_FAIL;
    if (!json_object_is_type(root, json_type_object))
        errbuf_set(err, "app webhook is not an object");
    else if (swh_field(root, "operate", false, &operate, err) == 0) {
        st = ST_OK;
        if (operate != NULL && strcmp(operate, "INSTALL") == 0)
            *op = SHOPLINE_APP_INSTALL;
        else if (operate != NULL && strcmp(operate, "UNINSTALL") == 0)
            *op = SHOPLINE_APP_UNINSTALL;
        else {
            errbuf_set(err, "app webhook operate \"%.40s\" is not INSTALL or UNINSTALL",
                       operate != NULL ? operate : "");
            st = ST_FAIL;
        }
    }
    free(operate);
    json_object_put(root);
    return st;
}

/* ---- writing ---- */

enum st shopline_build_webhook(const char *address, const char *topic, const char *api_version,
                               struct buf *out, struct errbuf *err)
{
    struct json_object *root, *w;
    const char *text;
    enum st st = ST_OK;

    if (address == NULL || address[0] == '\0' || topic == NULL || topic[0] == '\0' ||
        api_version == NULL || api_version[0] == '\0') {
        errbuf_set(err, "webhook subscription needs an address, a topic and an api_version");
        return ST_FAIL;
    }
    root = json_object_new_object();
    w = json_object_new_object();
    json_object_object_add(w, "address", json_object_new_string(address));
    json_object_object_add(w, "topic", json_object_new_string(topic));
    json_object_object_add(w, "api_version", json_object_new_string(api_version));
    json_object_object_add(root, "webhook", w);
    text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
                                                    JSON_C_TO_STRING_NOSLASHESCAPE);
    if (buf_append_str(out, text) < 0) {
        errbuf_set(err, "webhook body exceeds its cap");
        st = ST_FAIL;
    }
    json_object_put(root);
    return st;
}

char *shopline_webhook_address(const char *public_url)
{
    size_t n = strlen(public_url);

    while (n > 0 && public_url[n - 1] == '/')
        n--;
    return xasprintf("%.*s%s", (int)n, public_url, SHOPLINE_WEBHOOKS_PATH);
}

/* ---- the plan ---- */

const char *whsub_need_name(enum whsub_need n)
{
    static const char *const names[] = {"ok", "missing", "wrong_address", "wrong_api_version"};

    return (size_t)n < ARRAY_LEN(names) ? names[n] : "unknown";
}

/* How far w is from what is wanted (lower is closer). */
static enum whsub_need whsub_judge(const struct shopline_webhook *w, const char *address,
                                   const char *api_version)
{
    if (strcmp(w->address, address) != 0)
        return WHSUB_WRONG_ADDRESS;
    if (w->api_version == NULL || strcmp(w->api_version, api_version) != 0)
        return WHSUB_WRONG_VERSION;
    return WHSUB_OK;
}

/* Ranks for "closest": ok first, then wrong version, then wrong address. */
static int whsub_rank(enum whsub_need n)
{
    return n == WHSUB_OK ? 0 : n == WHSUB_WRONG_VERSION ? 1 : 2;
}

void whsub_plan(const struct shopline_webhooks *have, const char *address,
                const char *api_version, struct whsub_item *out)
{
    for (size_t t = 0; t < SHOPLINE_WEBHOOK_N_TOPICS; t++) {
        out[t].topic = shopline_webhook_topics[t];
        out[t].need = WHSUB_MISSING;
        out[t].seen = NULL;
        for (size_t i = 0; i < have->n; i++) {
            const struct shopline_webhook *w = &have->items[i];
            enum whsub_need n;

            if (strcmp(w->topic, out[t].topic) != 0)
                continue;
            n = whsub_judge(w, address, api_version);
            if (out[t].seen == NULL || whsub_rank(n) < whsub_rank(out[t].need)) {
                out[t].need = n;
                out[t].seen = w;
            }
        }
    }
}
