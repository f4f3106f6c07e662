/*
 * it_http.h - talking HTTP to a server under test (libcurl, loopback only).
 *
 * Every call is one fresh connection with a 30 s ceiling; any thread may
 * call (libcurl's global init must have run first: a test that sends from
 * several threads calls curl_global_init before starting them).
 */
#ifndef SHOPVOX_IT_HTTP_H
#define SHOPVOX_IT_HTTP_H

#include <stddef.h>

struct it_resp {
    long status;   /* 0 when no answer */
    char *body;    /* owned, NUL-terminated, never NULL after a call */
};

/*
 * METHOD http://127.0.0.1:PORT/PATH with body (NULL: none) and extra header
 * lines (NULL-terminated, may be NULL). 0 when an answer came (any status,
 * also one sent before the upload ended), -1 when none. Free out with
 * it_resp_free either way.
 */
int it_http(int port, const char *method, const char *path, const char *body, size_t body_len,
            const char *const *headers, struct it_resp *out);
/* The status of GET path (0 when no answer). */
long it_http_get_status(int port, const char *path);
void it_resp_free(struct it_resp *r);

/*
 * POSTs body to /webhooks/shopline as Shopline would, for shop IT_SHOP,
 * with topic and webhook_id; sig_mode: "hex", "base64", "HEX" (upper-case
 * hex), "none" (no signature header) or "bad" (signed with another key).
 */
int it_post_webhook(int port, const char *topic, const char *webhook_id, const char *body,
                    const char *sig_mode, struct it_resp *out);

#endif
