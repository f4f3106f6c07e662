/*
 * console_auth.c - cookies and the login limiter of the web page (see
 * console_auth.h). A cookie is found by exact name among "; "-separated
 * pairs, so "xshopvox_session=" or a value that merely contains the name
 * never matches.
 */
#include "console_auth.h"

#include <stdio.h>
#include <string.h>

bool console_cookie_get(const char *header, const char *name, char *out, size_t cap)
{
    size_t nlen = strlen(name);
    const char *p = header;

    out[0] = '\0';
    while (p != NULL && *p != '\0') {
        const char *end;
        size_t vlen;

        while (*p == ' ' || *p == ';')
            p++;
        end = strchr(p, ';');
        if (end == NULL)
            end = p + strlen(p);
        if ((size_t)(end - p) > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
            vlen = (size_t)(end - p) - nlen - 1;
            while (vlen > 0 && p[nlen + vlen] == ' ')
                vlen--;
            if (vlen == 0 || vlen >= cap)
                return false;
            memcpy(out, p + nlen + 1, vlen);
            out[vlen] = '\0';
            return true;
        }
        p = end;
    }
    return false;
}

void console_cookie_format(const char *value, bool secure, char *out, size_t cap)
{
    snprintf(out, cap, "%s=%s; Path=/; HttpOnly; SameSite=Strict%s%s", CONSOLE_COOKIE,
             value != NULL ? value : "", value != NULL ? "" : "; Max-Age=0",
             secure ? "; Secure" : "");
}

void console_hex(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

void console_limiter_init(struct console_limiter *l)
{
    memset(l, 0, sizeof(*l));
    pthread_mutex_init(&l->lock, NULL);
}

void console_limiter_cleanup(struct console_limiter *l)
{
    pthread_mutex_destroy(&l->lock);
}

bool console_limiter_take(struct console_limiter *l, const char *client, int64_t now_s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    bool ok;

    for (const char *p = client; *p != '\0'; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    h %= CONSOLE_LIMIT_SLOTS;
    pthread_mutex_lock(&l->lock);
    if (now_s - l->slots[h].window_start_s >= CONSOLE_LOGIN_WINDOW_S) {
        l->slots[h].window_start_s = now_s;
        l->slots[h].tries = 0;
    }
    ok = l->slots[h].tries < CONSOLE_LOGINS_PER_WINDOW;
    if (ok)
        l->slots[h].tries++;
    pthread_mutex_unlock(&l->lock);
    return ok;
}
