/*
 * api_auth.c - who is calling (see api.h).
 *
 * The one function the rest of the API asks, so a new way in (the web
 * page's session cookie) is one more branch here and nothing else: a
 * Bearer token is tried first (admin_tokens_match: digests compared in
 * constant time, every entry), then the session hook. The token never
 * leaves this file: not logged, not copied into the caller.
 */
#include <string.h>
#include <strings.h>

#include "api_int.h"

#define BEARER "Bearer "

bool api_caller_resolve(const struct api *a, const struct http_request *req,
                        struct api_caller *out)
{
    const char *h = http_header(req, "Authorization");
    const struct admin_token *t = NULL;

    if (h != NULL && strncasecmp(h, BEARER, strlen(BEARER)) == 0) {
        const char *tok = h + strlen(BEARER);
        size_t len = strlen(tok);

        while (*tok == ' ')
            tok++, len--;
        while (len > 0 && tok[len - 1] == ' ')
            len--;
        if (len > 0 && len <= ADMIN_TOKEN_MAX_BYTES)
            t = admin_tokens_match(&a->tokens, tok, len);
    }
    if (t != NULL) {
        memcpy(out->name, t->name, sizeof(out->name));
        out->role = t->role;
        return true;
    }
    return a->session_fn != NULL && a->session_fn(a->session_ctx, req, out);
}
