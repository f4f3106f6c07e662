/*
 * slf_subs.c - the fake store's webhook subscriptions and its app
 * install/uninstall webhook.
 *
 * The Admin API part is what the shared note documents: `GET webhooks.json`
 * answers {"webhooks":[{id, address, topic, api_version, created_at}]},
 * `POST webhooks.json` takes {"webhook":{"address","topic","api_version"}}
 * and answers {"webhook":{...}} with the new id; a body without the three
 * strings is a 422 in SHOPLINE's dialect. The note documents no delete
 * endpoint, so the fake has none: a subscription goes only the way the
 * platform removes one after failed deliveries, through the control API:
 *
 *   GET  /_sandbox/subscriptions             every subscription
 *   POST /_sandbox/subscriptions/delete      {"topic": T} or {"id": ID}:
 *                                            "delete" it as the platform does
 *   POST /_sandbox/app                       {"operate":"INSTALL"|"UNINSTALL"}:
 *                                            deliver a signed
 *                                            apps/installed_uninstalled webhook
 *
 * Ids are 26 digits of kind 91, from a sequence of their own.
 */
#include "slf_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "../sandbox_control.h"

#define SLF_K_SUB 91

static void slf_sub_free(struct slf_sub *s)
{
    free(s->topic);
    free(s->address);
    free(s->api_version);
    memset(s, 0, sizeof(*s));
}

void slf_subs_reset(struct slf_subs *subs)
{
    while (subs->n > 0)
        slf_sub_free(&subs->items[--subs->n]);
    free(subs->items);
    memset(subs, 0, sizeof(*subs));
}

static struct json_object *slf_sub_json(const struct sandbox_shopline *sb,
                                        const struct slf_sub *s)
{
    struct json_object *o = json_object_new_object();
    char at[40];

    slf_format_time(sb, s->created_ms, at, sizeof(at));
    json_object_object_add(o, "id", json_object_new_string(s->id));
    json_object_object_add(o, "address", json_object_new_string(s->address));
    json_object_object_add(o, "topic", json_object_new_string(s->topic));
    json_object_object_add(o, "api_version", json_object_new_string(s->api_version));
    json_object_object_add(o, "created_at", json_object_new_string(at));
    json_object_object_add(o, "updated_at", json_object_new_string(at));
    return o;
}

static struct json_object *slf_subs_json(const struct sandbox_shopline *sb)
{
    struct json_object *arr = json_object_new_array();

    for (size_t i = 0; i < sb->subs.n; i++)
        json_object_array_add(arr, slf_sub_json(sb, &sb->subs.items[i]));
    return arr;
}

void slf_subs_get(struct sandbox_shopline *sb, struct http_response *resp, struct slf_call *call)
{
    struct json_object *o = json_object_new_object();

    call->rows = (long)sb->subs.n;
    json_object_object_add(o, "webhooks", slf_subs_json(sb));
    slf_reply_json(resp, 200, o);
}

void slf_subs_post(struct sandbox_shopline *sb, const struct http_request *req,
                   struct http_response *resp)
{
    struct json_object *in = slf_json_parse_ids(req->body, req->body_len), *w = NULL, *o;
    const char *address = NULL, *topic = NULL, *version = NULL;
    struct slf_sub *s;

    if (in != NULL && json_object_object_get_ex(in, "webhook", &w) &&
        json_object_is_type(w, json_type_object)) {
        address = sbx_json_str(w, "address");
        topic = sbx_json_str(w, "topic");
        version = sbx_json_str(w, "api_version");
    }
    if (address == NULL || address[0] == '\0' || topic == NULL || topic[0] == '\0' ||
        version == NULL || version[0] == '\0') {
        slf_reply_errors(resp, 422, "webhook address, topic and api_version are required");
        goto out;
    }
    sb->subs.items = buf_grow_array(sb->subs.items, &sb->subs.cap, sb->subs.n + 1,
                                    sizeof(*sb->subs.items));
    s = &sb->subs.items[sb->subs.n++];
    snprintf(s->id, sizeof(s->id), "%02d%024ld", SLF_K_SUB, ++sb->subs.next_id);
    s->topic = xstrdup(topic);
    s->address = xstrdup(address);
    s->api_version = xstrdup(version);
    s->created_ms = sbx_fake_now_ms(&sb->fake);
    o = json_object_new_object();
    json_object_object_add(o, "webhook", slf_sub_json(sb, s));
    slf_reply_json(resp, 200, o);
out:
    json_object_put(in);
}

/* Removes every subscription matching id or topic; how many went. */
static long slf_subs_delete(struct sandbox_shopline *sb, const char *id, const char *topic)
{
    long gone = 0;

    for (size_t i = 0; i < sb->subs.n;) {
        struct slf_sub *s = &sb->subs.items[i];

        if ((id != NULL && strcmp(s->id, id) == 0) ||
            (topic != NULL && strcmp(s->topic, topic) == 0)) {
            slf_sub_free(s);
            memmove(s, s + 1, (sb->subs.n - i - 1) * sizeof(*s));
            sb->subs.n--;
            gone++;
        } else {
            i++;
        }
    }
    return gone;
}

int slf_subs_control(struct sandbox_shopline *sb, const char *path, struct json_object *in,
                     struct buf *out)
{
    struct json_object *o;
    const char *id, *topic;
    long gone;

    if (strcmp(path, "subscriptions") == 0 && in == NULL) {
        o = json_object_new_object();
        json_object_object_add(o, "webhooks", slf_subs_json(sb));
        return sbx_json_reply(out, 200, o);
    }
    if (strcmp(path, "subscriptions/delete") != 0 || in == NULL)
        return 0;
    id = sbx_json_str(in, "id");
    topic = sbx_json_str(in, "topic");
    if (id == NULL && topic == NULL)
        return sbx_json_error(out, 400, "give \"id\" or \"topic\"");
    gone = slf_subs_delete(sb, id, topic);
    if (gone == 0)
        return sbx_json_error(out, 404, "no such subscription");
    o = json_object_new_object();
    json_object_object_add(o, "deleted", json_object_new_int64(gone));
    return sbx_json_reply(out, 200, o);
}

bool slf_subs_app(struct sandbox_shopline *sb, const struct http_request *req,
                  struct http_response *resp)
{
    struct json_object *in = json_tokener_parse(req->body_len > 0 ? req->body : "{}"), *body, *j;
    const char *operate = in != NULL ? sbx_json_str(in, "operate") : NULL;
    struct slf_send *s = NULL;
    char msg[160] = "";

    resp->content_type = "application/json";
    if (operate == NULL || (strcmp(operate, "INSTALL") != 0 && strcmp(operate, "UNINSTALL") != 0)) {
        resp->status = sbx_json_error(&resp->body, 400, "operate must be INSTALL or UNINSTALL");
        goto out;
    }
    pthread_mutex_lock(&sb->fake.lock);
    if (slf_webhook_check(sb, in, msg, sizeof(msg)) == 0) {
        body = json_object_new_object();
        json_object_object_add(body, "operate", json_object_new_string(operate));
        json_object_object_add(body, "shop_domain", json_object_new_string(sb->cfg.shop_domain));
        s = xcalloc(1, sizeof(*s));
        slf_webhook_fill(sb, in, "apps/installed_uninstalled",
                         json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN), NULL, s);
        json_object_put(body);
    }
    pthread_mutex_unlock(&sb->fake.lock);
    if (s == NULL) {
        resp->status = sbx_json_error(&resp->body, 400, msg);
        goto out;
    }
    slf_webhook_send(sb, s, 1);
    j = json_object_new_object();
    json_object_object_add(j, "deliveries", slf_webhook_finish(s, 1));
    resp->status = sbx_json_reply(&resp->body, 200, j);
out:
    json_object_put(in);
    return true;
}
