/*
 * carrier.c - carrier mapping rules (see carrier.h for the decisions).
 *
 * Small and pure: an ASCII case-insensitive compare (the C library's
 * strcasecmp follows the locale), the two-pass lookup, a template walk
 * that reports the first rule broken with its byte position, and the
 * substitution with percent-encoding.
 */
#include "carrier.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

void carrier_tracking_cleanup(struct carrier_tracking *t)
{
    free(t->company);
    free(t->url);
    t->company = NULL;
    t->url = NULL;
}

static char ascii_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Equal without regard to ASCII case; NULL reads as "". */
static bool name_equal(const char *a, const char *b)
{
    a = a ? a : "";
    b = b ? b : "";
    for (; *a != '\0' && *b != '\0'; a++, b++)
        if (ascii_lower(*a) != ascii_lower(*b))
            return false;
    return *a == *b;
}

/* The index of the rule of carrier whose service is service, or -1. */
static long find_rule(const struct carrier_rule *rules, size_t n, const char *carrier,
                      const char *service)
{
    for (size_t i = 0; i < n; i++)
        if (name_equal(rules[i].carrier, carrier) && name_equal(rules[i].service, service))
            return (long)i;
    return -1;
}

long carrier_resolve(const struct carrier_rule *rules, size_t n, const char *carrier,
                     const char *service, const char *tracking, struct carrier_tracking *out)
{
    long i = -1;
    bool has_carrier = carrier != NULL && carrier[0] != '\0';
    bool has_tracking = tracking != NULL && tracking[0] != '\0';

    out->company = NULL;
    out->url = NULL;
    if (has_carrier && service != NULL && service[0] != '\0')
        i = find_rule(rules, n, carrier, service);
    if (has_carrier && i < 0)
        i = find_rule(rules, n, carrier, "");
    if (i < 0) {
        out->company = has_carrier ? xstrdup(carrier) : NULL;
        return -1;
    }
    out->company = xstrdup(rules[i].company);
    if (has_tracking && rules[i].url_template != NULL && rules[i].url_template[0] != '\0')
        out->url = carrier_tracking_url(rules[i].url_template, tracking);
    return i;
}

static bool unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

char *carrier_tracking_url(const char *url_template, const char *tracking)
{
    static const char hex[] = "0123456789ABCDEF";
    const size_t plen = strlen(CARRIER_PLACEHOLDER);
    struct buf b;

    buf_init(&b, 0);
    for (const char *p = url_template; *p != '\0';) {
        if (strncmp(p, CARRIER_PLACEHOLDER, plen) != 0) {
            buf_append(&b, p++, 1);
            continue;
        }
        for (const unsigned char *t = (const unsigned char *)(tracking ? tracking : "");
             *t != '\0'; t++) {
            char enc[3] = {'%', hex[*t >> 4], hex[*t & 15]};

            if (unreserved(*t))
                buf_append(&b, (const char *)t, 1);
            else
                buf_append(&b, enc, sizeof(enc));
        }
        p += plen;
    }
    return buf_steal(&b);
}

/* The first control character (or, with no_blank, blank) of s: its offset, or -1. */
static long first_bad_byte(const char *s, bool no_blank)
{
    for (const char *p = s; *p != '\0'; p++) {
        unsigned char c = (unsigned char)*p;

        if (c < 0x20 || c == 0x7f || (no_blank && c == ' '))
            return (long)(p - s);
    }
    return -1;
}

enum st carrier_check_name(const char *what, const char *name, bool may_be_empty,
                           struct errbuf *err)
{
    size_t len = name ? strlen(name) : 0;
    long bad;

    if (len == 0) {
        if (may_be_empty)
            return ST_OK;
        errbuf_set(err, "%s is empty", what);
        return ST_FAIL;
    }
    if (len > CARRIER_NAME_MAX_BYTES) {
        errbuf_set(err, "%s is longer than %d bytes", what, CARRIER_NAME_MAX_BYTES);
        return ST_FAIL;
    }
    bad = first_bad_byte(name, false);
    if (bad >= 0) {
        errbuf_set(err, "%s has control character 0x%02x at byte %ld", what,
                   (unsigned char)name[bad], bad + 1);
        return ST_FAIL;
    }
    if (name[0] == ' ' || name[len - 1] == ' ') {
        errbuf_set(err, "%s '%s' starts or ends with a blank (it would never match)", what,
                   name);
        return ST_FAIL;
    }
    return ST_OK;
}

/* Length of the scheme prefix ("https://" or "http://", any case), or 0. */
static size_t scheme_len(const char *t)
{
    static const char *const schemes[] = {"https://", "http://"};

    for (size_t i = 0; i < ARRAY_LEN(schemes); i++) {
        size_t n = strlen(schemes[i]);
        size_t k = 0;

        while (k < n && t[k] != '\0' && ascii_lower(t[k]) == schemes[i][k])
            k++;
        if (k == n)
            return n;
    }
    return 0;
}

/* Checks the braces: every '{' opens {tracking}, no stray '}'; counts the placeholders. */
static enum st check_placeholders(const char *t, size_t *count, struct errbuf *err)
{
    const size_t plen = strlen(CARRIER_PLACEHOLDER);

    *count = 0;
    for (const char *p = t; *p != '\0'; p++) {
        if (*p == '{' && strncmp(p, CARRIER_PLACEHOLDER, plen) == 0) {
            (*count)++;
            p += plen - 1;
        } else if (*p == '{' || *p == '}') {
            errbuf_set(err, "tracking URL template has an unknown placeholder at byte %ld "
                            "(only " CARRIER_PLACEHOLDER " is replaced)",
                       (long)(p - t) + 1);
            return ST_FAIL;
        }
    }
    return ST_OK;
}

enum st carrier_check_template(const char *t, struct errbuf *err)
{
    size_t len = t ? strlen(t) : 0, skip, host, count = 0;
    long bad;

    if (len == 0 || len > CARRIER_TEMPLATE_MAX_BYTES) {
        if (len == 0)
            errbuf_set(err, "tracking URL template is empty");
        else
            errbuf_set(err, "tracking URL template is longer than %d bytes",
                       CARRIER_TEMPLATE_MAX_BYTES);
        return ST_FAIL;
    }
    bad = first_bad_byte(t, true);
    if (bad >= 0) {
        errbuf_set(err, "tracking URL template has %s at byte %ld", t[bad] == ' ' ? "a blank"
                   : "a control character", bad + 1);
        return ST_FAIL;
    }
    skip = scheme_len(t);
    if (skip == 0) {
        errbuf_set(err, "tracking URL template must start with https:// or http://");
        return ST_FAIL;
    }
    host = strcspn(t + skip, "/?#");
    if (host == 0 || memchr(t + skip, '{', host) != NULL) {
        errbuf_set(err, "tracking URL template must name a host before any placeholder "
                        "(e.g. https://track.example.com/?n=" CARRIER_PLACEHOLDER ")");
        return ST_FAIL;
    }
    if (check_placeholders(t, &count, err) != ST_OK)
        return ST_FAIL;
    if (count == 0) {
        errbuf_set(err, "tracking URL template must contain " CARRIER_PLACEHOLDER
                        " where the tracking number goes");
        return ST_FAIL;
    }
    return ST_OK;
}

enum st carrier_parse_key(const char *key, char *carrier, char *service, size_t cap,
                          struct errbuf *err)
{
    const char *slash = strchr(key, '/');
    size_t clen = slash ? (size_t)(slash - key) : strlen(key);

    carrier[0] = service[0] = '\0';
    if (clen >= cap || (slash != NULL && strlen(slash + 1) >= cap)) {
        errbuf_set(err, "carrier or service is longer than %d bytes", CARRIER_NAME_MAX_BYTES);
        return ST_FAIL;
    }
    memcpy(carrier, key, clen);
    carrier[clen] = '\0';
    if (slash != NULL)
        snprintf(service, cap, "%s", slash + 1);
    if (carrier_check_name("carrier", carrier, false, err) != ST_OK)
        return ST_FAIL;
    if (slash != NULL && service[0] == '\0') {
        errbuf_set(err, "service after '/' is empty (leave out the '/' to map every service "
                        "of %s)", carrier);
        return ST_FAIL;
    }
    return carrier_check_name("service", service, true, err);
}
