/*
 * shopline_wire.c - what SHOPLINE puts around its bodies (see shopline_json.h):
 * the `errors` member of a refusal flattened to one line, and the link header.
 *
 * Errors come as a string, an array or an object (of strings or arrays);
 * they are flattened in order, cut to the caller's buffer and kept to
 * well-formed UTF-8 without control characters, since they end up in logs
 * and exception details. A reply that is not JSON gives a short snippet.
 *
 * The link header (RFC 8288): `<url>; rel="next", <url>; rel="previous"`.
 * Only the page_info argument of the next url is kept: the client builds
 * the next request on its own base url, so a link naming another host
 * never receives the token. The cursor is opaque and sent back verbatim,
 * so it may only hold characters that are safe in a query string.
 */
#include "shopline_json.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "json_text.h"

/* ---- errors ---- */

/*
 * Copies src into out (cap bytes with the NUL) whole characters at a time:
 * a byte that is not UTF-8 becomes '?', a control character a space (the
 * message goes to logs and exceptions).
 */
static void sj_copy_clean(char *out, size_t cap, const char *src, size_t len)
{
    const unsigned char *s = (const unsigned char *)src;
    size_t at = 0, n = 0, c;

    while (at < len) {
        c = utf8_char_len(s + at, len - at);
        if (n + (c ? c : 1) >= cap)
            break;
        if (c == 0 || s[at] < 0x20 || s[at] == 0x7f) {
            out[n++] = c == 0 ? '?' : ' ';
            c = 1;
        } else {
            memcpy(out + n, s + at, c);
            n += c;
        }
        at += c;
    }
    out[n] = '\0';
}

/* Appends v as readable text: arrays joined by sep, objects as "key: value". */
static void sj_flatten(struct json_object *v, const char *sep, struct buf *out, int depth)
{
    size_t i, n;
    bool first = true;

    if (out->len > ERRBUF_MAX * 4 || depth > 8)
        return;
    if (json_object_is_type(v, json_type_string)) {
        buf_append_str(out, json_object_get_string(v));
    } else if (json_object_is_type(v, json_type_array)) {
        n = json_object_array_length(v);
        for (i = 0; i < n; i++) {
            buf_append_str(out, i > 0 ? sep : "");
            sj_flatten(json_object_array_get_idx(v, i), ", ", out, depth + 1);
        }
    } else if (json_object_is_type(v, json_type_object)) {
        json_object_object_foreach(v, key, val) {
            buf_appendf(out, "%s%s: ", first ? "" : "; ", key);
            sj_flatten(val, ", ", out, depth + 1);
            first = false;
        }
    } else if (v != NULL) {
        buf_append_str(out, json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
    }
}

/* The body's first bytes as printable ASCII, white space collapsed. */
static void sj_snippet(const char *body, size_t len, char *out, size_t cap)
{
    size_t i, n = 0;

    for (i = 0; i < len && n + 1 < cap && n < 200; i++) {
        char c = body[i];

        if (c == '\0')
            break;
        if ((unsigned char)c < 0x20 || (unsigned char)c > 0x7e)
            c = ' ';
        if (c == ' ' && (n == 0 || out[n - 1] == ' '))
            continue;
        out[n++] = c;
    }
    while (n > 0 && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
}

void shopline_errors_message(const char *body, size_t len, char *out, size_t cap)
{
    struct errbuf ignored;
    struct json_object *root, *errors = NULL;
    struct buf b;

    if (cap == 0)
        return;
    out[0] = '\0';
    if (body == NULL || len == 0)
        return;
    root = json_text_parse(body, len, "error reply", &ignored);
    if (json_object_is_type(root, json_type_object) &&
        !json_object_object_get_ex(root, "errors", &errors))
        errors = NULL;
    if (errors == NULL) {
        sj_snippet(body, len, out, cap);
        json_object_put(root);
        return;
    }
    buf_init(&b, 0);
    sj_flatten(errors, "; ", &b, 0);
    sj_copy_clean(out, cap, buf_cstr(&b), strlen(buf_cstr(&b)));
    buf_cleanup(&b);
    json_object_put(root);
}

/* ---- the link header ---- */

static bool sj_cursor_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           strchr("-._~%+=", c) != NULL;
}

bool shopline_cursor_valid(const char *s)
{
    size_t n = 0;

    for (; s != NULL && s[n] != '\0'; n++) {
        if (!sj_cursor_char(s[n]))
            return false;
    }
    return n >= 1 && n <= SHOPLINE_MAX_CURSOR_BYTES;
}

/* The page_info argument of url[0..len), or NULL; -1 when it is there but unusable. */
static int sj_url_page_info(const char *url, size_t len, char **out)
{
    const char *q = memchr(url, '?', len), *end = url + len, *arg, *amp;

    *out = NULL;
    for (arg = q != NULL ? q + 1 : end; arg < end; arg = amp + 1) {
        amp = memchr(arg, '&', (size_t)(end - arg));
        if (amp == NULL)
            amp = end;
        if ((size_t)(amp - arg) < 10 || strncmp(arg, "page_info=", 10) != 0)
            continue;
        *out = xstrndup(arg + 10, (size_t)(amp - arg) - 10);
        if (shopline_cursor_valid(*out))
            return 1;
        free(*out);
        *out = NULL;
        return -1;
    }
    return -1;
}

/* Whether the parameters params[0..len) say rel="next" (rel may list several types). */
static bool sj_rel_next(const char *params, size_t len)
{
    char *p = xstrndup(params, len), *save = NULL, *tok, *v;
    bool next = false;

    for (tok = strtok_r(p, ";", &save); tok != NULL; tok = strtok_r(NULL, ";", &save)) {
        tok += strspn(tok, " \t");
        if (strncasecmp(tok, "rel", 3) != 0)
            continue;
        v = tok + 3 + strspn(tok + 3, " \t");
        if (*v != '=')
            continue;
        for (v = strtok_r(v + 1, " \t\"", &save); v != NULL; v = strtok_r(NULL, " \t\"", &save))
            next = next || strcasecmp(v, "next") == 0;
        break;
    }
    free(p);
    return next;
}

int shopline_link_next(const char *link, char **page_info)
{
    const char *p = link, *close, *comma;

    *page_info = NULL;
    if (link == NULL)
        return 0;
    for (;;) {
        p += strspn(p, " \t,");
        if (*p == '\0')
            return 0;
        close = *p == '<' ? strchr(p, '>') : NULL;
        if (close == NULL)
            return -1;                      /* not a link: we cannot tell what it said */
        comma = strchr(close, ',');
        if (comma == NULL)
            comma = close + strlen(close);
        if (sj_rel_next(close + 1, (size_t)(comma - close - 1)))
            return sj_url_page_info(p + 1, (size_t)(close - p - 1), page_info);
        p = comma;
    }
}
