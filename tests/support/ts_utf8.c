/*
 * ts_utf8.c - UTF-8 validity for the tests (see ts_utf8.h), table-style:
 * each lead byte range names its length and the allowed range of the
 * first continuation byte (which is what rules out overlong forms,
 * surrogates and code points past U+10FFFF).
 */
#include "ts_utf8.h"

#include <string.h>

struct lead_range {
    unsigned char lo, hi;        /* lead byte */
    size_t len;                  /* sequence length */
    unsigned char next_lo, next_hi; /* first continuation byte */
};

static const struct lead_range leads[] = {
    {0x00, 0x7f, 1, 0, 0},
    {0xc2, 0xdf, 2, 0x80, 0xbf},
    {0xe0, 0xe0, 3, 0xa0, 0xbf},  /* no overlong 3-byte forms */
    {0xe1, 0xec, 3, 0x80, 0xbf},
    {0xed, 0xed, 3, 0x80, 0x9f},  /* no surrogates */
    {0xee, 0xef, 3, 0x80, 0xbf},
    {0xf0, 0xf0, 4, 0x90, 0xbf},  /* no overlong 4-byte forms */
    {0xf1, 0xf3, 4, 0x80, 0xbf},
    {0xf4, 0xf4, 4, 0x80, 0x8f},  /* nothing past U+10FFFF */
};

static const struct lead_range *lead_of(unsigned char c)
{
    for (size_t i = 0; i < sizeof(leads) / sizeof(leads[0]); i++)
        if (c >= leads[i].lo && c <= leads[i].hi)
            return &leads[i];
    return NULL;
}

bool ts_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    while (i < len) {
        const struct lead_range *l = lead_of(p[i]);

        if (l == NULL || len - i < l->len)
            return false;
        if (l->len > 1 && (p[i + 1] < l->next_lo || p[i + 1] > l->next_hi))
            return false;
        for (size_t k = 2; k < l->len; k++)
            if ((p[i + k] & 0xc0) != 0x80)
                return false;
        i += l->len;
    }
    return true;
}

bool ts_utf8_valid_str(const char *s)
{
    return ts_utf8_valid(s, strlen(s));
}
