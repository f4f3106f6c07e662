/*
 * slf_webhook.c - the fake store delivers order webhooks to shopvox as
 * SHOPLINE does: POST of the order JSON itself, HMAC-SHA256 of the raw
 * body keyed with the app secret in X-Shopline-Hmac-Sha256 (lowercase hex
 * or base64: public material shows both), X-Shopline-Topic, -Shop-Domain,
 * -Shop-Id, -Merchant-Id, -API-Version and -Webhook-Id (the same id on a
 * re-sent copy, the receiver's dedupe key).
 *
 * A delivery is planned under the fake's lock (the body is a version of
 * the order: the newest, an older one, or all of them newest first, which
 * is how tests deliver out of order), then sent with libcurl without the
 * lock, so a slow receiver never stalls the fake's API; each answer is
 * logged for GET /_sandbox/deliveries. One attempt per delivery: retrying
 * like SHOPLINE (for 48 hours) is the test's business, with duplicates.
 */
#include "slf_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "webhook.h"

#define SLF_WEBHOOK_TIMEOUT_MS 5000L
#define SLF_MAX_DUPLICATES 10

static const char *slf_opt_str(struct json_object *o, const char *key, const char *dflt)
{
    struct json_object *v;

    if (o != NULL && json_object_object_get_ex(o, key, &v) &&
        json_object_is_type(v, json_type_string))
        return json_object_get_string(v);
    return dflt;
}

static long slf_opt_long(struct json_object *o, const char *key, long dflt)
{
    struct json_object *v;

    if (o != NULL && json_object_object_get_ex(o, key, &v) &&
        json_object_is_type(v, json_type_int))
        return (long)json_object_get_int64(v);
    return dflt;
}

/* Adds the copies of one version (1 + duplicates, one webhook id). */
static void slf_plan_version(struct sandbox_shopline *sb, const struct slf_order *o,
                             size_t version, struct json_object *opts, const char *topic,
                             struct slf_send *s, size_t *n)
{
    long copies = 1 + slf_opt_long(opts, "duplicates", 0);
    size_t first = *n;

    for (long c = 0; c < copies; c++, (*n)++) {
        /* a re-sent copy keeps the first one's id */
        slf_webhook_fill(sb, opts, topic, o->versions[version],
                         c > 0 ? s[first].webhook_id : NULL, &s[*n]);
        memcpy(s[*n].order_id, o->id, SLF_ID_CHARS);
    }
}

void slf_webhook_fill(struct sandbox_shopline *sb, struct json_object *opts, const char *topic,
                      const char *body, const char *webhook_id, struct slf_send *s)
{
    const char *given_id = webhook_id != NULL ? webhook_id
                                              : slf_opt_str(opts, "webhook_id", NULL);

    s->url = xstrdup(slf_opt_str(opts, "url", sb->cfg.webhook_url));
    s->secret = xstrdup(slf_opt_str(opts, "secret", sb->cfg.app_secret));
    s->body = xstrdup(body);
    s->topic = xstrdup(topic);
    if (given_id != NULL)
        s->webhook_id = xstrdup(given_id);
    else
        s->webhook_id = xasprintf("wh-%ld-%ld", (long)sbx_fake_port(&sb->fake),
                                  ++sb->next_webhook);
    s->base64 = strcmp(slf_opt_str(opts, "encoding", "hex"), "base64") == 0;
}

int slf_webhook_check(const struct sandbox_shopline *sb, struct json_object *opts, char *msg,
                      size_t cap)
{
    long dups = slf_opt_long(opts, "duplicates", 0);
    const char *enc = slf_opt_str(opts, "encoding", "hex");

    if (slf_opt_str(opts, "url", sb->cfg.webhook_url) == NULL)
        snprintf(msg, cap, "no webhook url: give \"url\" or start the fake with one");
    else if (dups < 0 || dups > SLF_MAX_DUPLICATES)
        snprintf(msg, cap, "duplicates must be 0..%d", SLF_MAX_DUPLICATES);
    else if (strcmp(enc, "hex") != 0 && strcmp(enc, "base64") != 0)
        snprintf(msg, cap, "encoding must be hex or base64");
    else
        return 0;
    return -1;
}

int slf_webhook_plan(struct sandbox_shopline *sb, const struct slf_order *o,
                     const char *default_topic, struct json_object *opts, struct slf_send **out,
                     size_t *n, char *msg, size_t cap)
{
    long dups = slf_opt_long(opts, "duplicates", 0);
    long version = slf_opt_long(opts, "version", (long)o->n_versions - 1);
    struct json_object *rev = NULL;
    bool reverse = opts != NULL && json_object_object_get_ex(opts, "reverse", &rev) &&
                   json_object_get_boolean(rev);
    size_t n_versions = reverse ? o->n_versions : 1;

    *out = NULL;
    *n = 0;
    if (slf_webhook_check(sb, opts, msg, cap) != 0)
        return -1;
    if (version < 0 || (size_t)version >= o->n_versions) {
        snprintf(msg, cap, "version must be 0..%zu", o->n_versions - 1);
        return -1;
    }
    *out = xcalloc(n_versions * (size_t)(dups + 1), sizeof(**out));
    for (size_t k = 0; k < n_versions; k++)
        slf_plan_version(sb, o, reverse ? o->n_versions - 1 - k : (size_t)version, opts,
                         slf_opt_str(opts, "topic", default_topic), *out, n);
    return 0;
}

static size_t slf_discard(char *p, size_t size, size_t n, void *userdata)
{
    (void)p;
    (void)userdata;
    return size * n;
}

static struct curl_slist *slf_headers(const struct sandbox_shopline *sb, const struct slf_send *s)
{
    struct curl_slist *h = NULL;
    char sig[65];
    char line[256];

    if (s->base64)
        whk_sign_base64(s->secret, s->body, strlen(s->body), sig);
    else
        whk_sign_hex(s->secret, s->body, strlen(s->body), sig);
    h = curl_slist_append(h, "Content-Type: application/json; charset=utf-8");
    h = curl_slist_append(h, "Expect:");
#define SLF_HEADER(name, value)                                            \
    do {                                                                   \
        snprintf(line, sizeof(line), "X-Shopline-" name ": %s", (value));  \
        h = curl_slist_append(h, line);                                    \
    } while (0)
    SLF_HEADER("Topic", s->topic);
    SLF_HEADER("Hmac-Sha256", sig);
    SLF_HEADER("Shop-Domain", sb->cfg.shop_domain);
    SLF_HEADER("Shop-Id", "1700000001");
    SLF_HEADER("Merchant-Id", "2700000001");
    SLF_HEADER("API-Version", sb->cfg.api_version);
    SLF_HEADER("Webhook-Id", s->webhook_id);
#undef SLF_HEADER
    return h;
}

/* One POST; the HTTP status, 0 when none came. */
static long slf_post(const struct sandbox_shopline *sb, const struct slf_send *s)
{
    CURL *c = curl_easy_init();
    struct curl_slist *h = slf_headers(sb, s);
    long code = 0;

    curl_easy_setopt(c, CURLOPT_URL, s->url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, s->body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(s->body));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, slf_discard);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, SLF_WEBHOOK_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return code;
}

void slf_webhook_send(struct sandbox_shopline *sb, struct slf_send *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        s[i].status = slf_post(sb, &s[i]);
    pthread_mutex_lock(&sb->fake.lock);
    for (size_t i = 0; i < n; i++) {
        struct slf_delivery *d = &sb->deliveries[sb->n_deliveries++ % SLF_DELIVERY_LOG];

        snprintf(d->webhook_id, sizeof(d->webhook_id), "%s", s[i].webhook_id);
        snprintf(d->topic, sizeof(d->topic), "%s", s[i].topic);
        memcpy(d->order_id, s[i].order_id, SLF_ID_CHARS);
        d->status = s[i].status;
    }
    pthread_mutex_unlock(&sb->fake.lock);
}

struct json_object *slf_webhook_finish(struct slf_send *s, size_t n)
{
    struct json_object *arr = json_object_new_array();

    for (size_t i = 0; i < n; i++) {
        struct json_object *d = json_object_new_object();

        json_object_object_add(d, "webhook_id", json_object_new_string(s[i].webhook_id));
        json_object_object_add(d, "topic", json_object_new_string(s[i].topic));
        json_object_object_add(d, "status", json_object_new_int64(s[i].status));
        json_object_array_add(arr, d);
        free(s[i].url);
        free(s[i].secret);
        free(s[i].body);
        free(s[i].topic);
        free(s[i].webhook_id);
    }
    free(s);
    return arr;
}
