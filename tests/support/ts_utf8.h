/*
 * ts_utf8.h - the tests' one UTF-8 checker (unit and integration tests).
 *
 * Tests check that text shopvox cuts, escapes or formats stays valid UTF-8.
 * The checker is written independently of the service's own validator
 * (service/core/domain/sku.c), so a bug there is not copied into the test
 * that should find it. Strict, as RFC 3629: no overlong forms, no UTF-16
 * surrogates, nothing past U+10FFFF, no truncated sequence.
 */
#ifndef SHOPVOX_TS_UTF8_H
#define SHOPVOX_TS_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Whether the len bytes at s are valid UTF-8 (a NUL byte is valid). */
bool ts_utf8_valid(const char *s, size_t len);
/* The same for a NUL-terminated string. */
bool ts_utf8_valid_str(const char *s);

#endif
