/*
 * api_path.c - the admin API's pure helpers (see api.h): path matching,
 * opaque cursors, the time syntax of filters. No I/O, unit-tested.
 *
 * A cursor carries its kind, so a cursor of one list given to another is
 * refused (400) rather than read as an id of the wrong table; it is
 * base64url so it survives a query string unescaped.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

bool api_path_match(const char *pattern, const char *path, struct api_params *out)
{
    struct api_params tmp;
    struct api_params *p = out != NULL ? out : &tmp;

    p->n = 0;
    while (*pattern != '\0' && *path != '\0') {
        const char *pe = strchr(pattern, '/');
        const char *se = strchr(path, '/');
        size_t pn = pe != NULL ? (size_t)(pe - pattern) : strlen(pattern);
        size_t sn = se != NULL ? (size_t)(se - path) : strlen(path);

        if (pn > 2 && pattern[0] == '{' && pattern[pn - 1] == '}') {
            if (sn == 0 || sn >= API_PARAM_MAX_BYTES || p->n == API_MAX_PARAMS)
                return false;
            memcpy(p->values[p->n], path, sn);
            p->values[p->n++][sn] = '\0';
        } else if (pn != sn || memcmp(pattern, path, pn) != 0) {
            return false;
        }
        pattern += pn;
        path += sn;
        if ((*pattern == '/') != (*path == '/'))
            return false;
        if (*pattern == '/') {
            pattern++;
            path++;
        }
    }
    return *pattern == '\0' && *path == '\0';
}

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void api_cursor_encode(const char *kind, long long id, char *out, size_t cap)
{
    char plain[64];
    size_t n = (size_t)snprintf(plain, sizeof(plain), "%.40s:%lld", kind, id);
    size_t o = 0;

    for (size_t i = 0; i < n && o + 5 <= cap; i += 3) {
        unsigned v = (unsigned char)plain[i] << 16;

        v |= i + 1 < n ? (unsigned)(unsigned char)plain[i + 1] << 8 : 0;
        v |= i + 2 < n ? (unsigned char)plain[i + 2] : 0;
        out[o++] = b64url[(v >> 18) & 63];
        out[o++] = b64url[(v >> 12) & 63];
        if (i + 1 < n)
            out[o++] = b64url[(v >> 6) & 63];
        if (i + 2 < n)
            out[o++] = b64url[v & 63];
    }
    out[o] = '\0';
}

static int b64url_value(char ch)
{
    const char *p = ch != '\0' ? strchr(b64url, ch) : NULL;

    return p != NULL ? (int)(p - b64url) : -1;
}

int api_cursor_decode(const char *kind, const char *cursor, long long *id)
{
    char plain[64];
    size_t n = strlen(cursor), o = 0, k = strlen(kind);
    char *end = NULL;

    if (n == 0 || n >= API_CURSOR_MAX_BYTES || n % 4 == 1)
        return -1;
    for (size_t i = 0; i < n; i += 4) {
        int v[4] = {0, 0, 0, 0};
        size_t m = n - i < 4 ? n - i : 4;

        for (size_t j = 0; j < m; j++)
            if ((v[j] = b64url_value(cursor[i + j])) < 0)
                return -1;
        plain[o++] = (char)((v[0] << 2) | (v[1] >> 4));
        if (m > 2)
            plain[o++] = (char)(((v[1] & 15) << 4) | (v[2] >> 2));
        if (m > 3)
            plain[o++] = (char)(((v[2] & 3) << 6) | v[3]);
    }
    plain[o] = '\0';
    if (o <= k + 1 || strncmp(plain, kind, k) != 0 || plain[k] != ':' ||
        !isdigit((unsigned char)plain[k + 1]))
        return -1;
    *id = strtoll(plain + k + 1, &end, 10);
    return *end == '\0' && *id > 0 && strlen(plain) == o ? 0 : -1;
}

/* n digits at *s, advancing it; false when they are not there. */
static bool digits(const char **s, int n)
{
    for (int i = 0; i < n; i++)
        if (!isdigit((unsigned char)(*s)[i]))
            return false;
    *s += n;
    return true;
}

static bool lit(const char **s, char ch)
{
    if (**s != ch)
        return false;
    (*s)++;
    return true;
}

bool api_time_ok(const char *s)
{
    if (!(digits(&s, 4) && lit(&s, '-') && digits(&s, 2) && lit(&s, '-') && digits(&s, 2)))
        return false;
    if (*s == '\0')
        return true;
    if (!(lit(&s, 'T') && digits(&s, 2) && lit(&s, ':') && digits(&s, 2)))
        return false;
    if (lit(&s, ':')) {
        if (!digits(&s, 2))
            return false;
        if (lit(&s, '.')) {
            if (!digits(&s, 1))
                return false;
            while (isdigit((unsigned char)*s))
                s++;
        }
    }
    if (lit(&s, 'Z'))
        return *s == '\0';
    if (*s == '\0')
        return true;
    if (!(lit(&s, '+') || lit(&s, '-')))
        return false;
    return digits(&s, 2) && lit(&s, ':') && digits(&s, 2) && *s == '\0';
}
