/*
 * log.h - one line per event on stderr, key=value text or JSON.
 *
 * An event is a name and key/value pairs handed over separately, never a
 * preformatted line: the logger renders each value itself, so no value can
 * forge another field or break the line, whatever its bytes.
 *
 *   log_event(LOG_WARN, "webhook_rejected", "reason", why, "topic", topic,
 *             LOG_I64("status", code), LOG_F64("duration_ms", ms), NULL);
 *
 * The variadic part is pairs of (const char *key, const char *value) ended
 * by NULL (the compiler checks the NULL). A number goes through LOG_I64 or
 * LOG_F64, which expand to a tag, the key and the typed number, so JSON
 * gets a real number. A NULL value is logged as "" (never dereferenced).
 *
 * Rendering (log_render, also used by the tests and the fuzzer):
 *  - text: `ts=... level=... event=<v> key=<v> ...`; a value is bare when it
 *    is non-empty printable ASCII/UTF-8 without space, '"', '=' or '\',
 *    otherwise quoted with \" and \\ escapes, and every control byte
 *    (C0, DEL, C1) and every byte that is not part of well-formed UTF-8
 *    written as \xNN. Keys keep [A-Za-z0-9_.-] and turn anything else
 *    into '_'.
 *  - json: one object built with json-c: ts, level, event, then the pairs;
 *    strings are made valid UTF-8 first (a bad byte becomes U+FFFD); a key
 *    that is already present (ts, level, event or a repeat) is dropped.
 *  - caps: at most LOG_MAX_PAIRS pairs, keys cut to LOG_MAX_KEY_BYTES and
 *    values to LOG_MAX_VALUE_BYTES (at a character boundary, then "..."),
 *    so one event is always exactly one line of bounded length.
 *
 * Never log a secret, a full address or a card.
 */
#ifndef SHOPVOX_LOG_H
#define SHOPVOX_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "common.h"

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };

#define LOG_MAX_PAIRS 24
#define LOG_MAX_KEY_BYTES 64
#define LOG_MAX_VALUE_BYTES 1024

/* Sets level ("debug".."error") and format ("text"|"json"); unknown keeps defaults. */
void log_configure(const char *level, const char *format);
int log_enabled(enum log_level level);

/* Tags that mark a typed number in log_event's pairs; use the macros. */
extern const char log_tag_i64[];
extern const char log_tag_f64[];
#define LOG_I64(key, n) log_tag_i64, (const char *)(key), (int64_t)(n)
#define LOG_F64(key, x) log_tag_f64, (const char *)(key), (double)(x)

#if defined(__GNUC__)
#define SV_SENTINEL __attribute__((sentinel))
#else
#define SV_SENTINEL
#endif

/*
 * Writes one line for event with the NULL-ended pairs after it, when level
 * is enabled; one write(), so lines of different threads never interleave.
 * Pairs past LOG_MAX_PAIRS are dropped. Strings are borrowed for the call.
 */
void log_event(enum log_level level, const char *event, ...) SV_SENTINEL;

enum log_kv_type { LOG_KV_STR, LOG_KV_I64, LOG_KV_F64 };

/* One pair as log_render takes it (strings borrowed; NULL reads as ""). */
struct log_kv {
    const char *key;
    enum log_kv_type type;
    const char *s;
    int64_t i;
    double f;
};

/*
 * Appends the line (ending in '\n') for one event to out, in the JSON form
 * when json, else the text form; ts is the timestamp text. The rules are in
 * the note above. Returns 0, or -1 when out's cap is reached.
 */
int log_render(struct buf *out, bool json, const char *ts, enum log_level level,
               const char *event, const struct log_kv *kv, size_t n);

#endif
