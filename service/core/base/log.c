/*
 * log.c - structured logging to stderr.
 *
 * Call sites hand over an event name and key/value pairs (log.h); this
 * file is the only place that turns them into bytes. That is the point:
 * when callers formatted "key=%s" text themselves and the JSON form was
 * parsed back out of it, a value holding a quote or an '=' could forge a
 * field (an HTTP method of `X","level":"error` did), and an error text with
 * a newline split an event over two lines. Now each value is escaped once,
 * for the format it lands in: json-c builds the JSON object (after the
 * strings are made valid UTF-8, which json-c does not check), and the text
 * form quotes and escapes with the rules in log.h. Both forms walk the
 * same characters with the same cut, so the two always carry the same data.
 *
 * A line is rendered into a heap buffer and written with one write(), so
 * lines from different threads never interleave. Its size is bounded by
 * the caps on pairs, keys and values, not by a fixed buffer that would cut
 * a line in the middle of an escape.
 */
#include "log.h"

#include <json-c/json.h>
#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_int log_min_level = LOG_INFO;
static atomic_int log_json = 0;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

const char log_tag_i64[] = "<i64>";
const char log_tag_f64[] = "<f64>";

void log_configure(const char *level, const char *format)
{
    for (int i = 0; i < 4; i++)
        if (level != NULL && strcmp(level, level_names[i]) == 0)
            atomic_store(&log_min_level, i);
    if (format != NULL)
        atomic_store(&log_json, strcmp(format, "json") == 0);
}

int log_enabled(enum log_level level)
{
    return (int)level >= atomic_load(&log_min_level);
}

/* ---- characters ------------------------------------------------------------ */

/* One character of a value: its bytes, and whether it is shown as it is. */
struct log_char {
    size_t len;      /* bytes it takes (1 for a byte that is not UTF-8) */
    bool utf8;       /* well-formed UTF-8 */
    bool control;    /* C0, DEL or C1 */
};

static struct log_char log_char_at(const unsigned char *s, size_t n)
{
    struct log_char c = {utf8_char_len(s, n), true, false};

    if (c.len == 0) {
        c.len = 1;
        c.utf8 = false;
    }
    c.control = s[0] < 0x20 || s[0] == 0x7f || (c.len == 2 && s[0] == 0xc2 && s[1] < 0xa0);
    return c;
}

/* Bytes of s kept under the value cap, never splitting a character; sets *cut. */
static size_t log_value_len(const char *s, bool *cut)
{
    size_t n = strlen(s), at = 0;

    *cut = n > LOG_MAX_VALUE_BYTES;
    if (!*cut)
        return n;
    while (at < n) {
        size_t len = log_char_at((const unsigned char *)s + at, n - at).len;

        if (at + len > LOG_MAX_VALUE_BYTES)
            break;
        at += len;
    }
    return at;
}

/* The key as both forms show it: [A-Za-z0-9_.-], anything else '_', cut, never empty. */
static void log_clean_key(const char *key, char out[LOG_MAX_KEY_BYTES + 1])
{
    size_t i = 0;

    for (; key != NULL && key[i] != '\0' && i < LOG_MAX_KEY_BYTES; i++) {
        char c = key[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.' || c == '-';

        out[i] = ok ? c : '_';
    }
    if (i == 0)
        out[i++] = '_';
    out[i] = '\0';
}

/* ---- text form ------------------------------------------------------------- */

static bool log_text_bare(const char *s, size_t n)
{
    for (size_t at = 0; at < n;) {
        struct log_char c = log_char_at((const unsigned char *)s + at, n - at);

        if (!c.utf8 || c.control || s[at] == ' ' || s[at] == '"' || s[at] == '=' ||
            s[at] == '\\')
            return false;
        at += c.len;
    }
    return n > 0;
}

static int log_text_value(struct buf *out, const char *s)
{
    bool cut;
    size_t n = log_value_len(s, &cut);
    int rc = 0;

    if (log_text_bare(s, n) && !cut)
        return buf_append(out, s, n);
    rc |= buf_append(out, "\"", 1);
    for (size_t at = 0; at < n;) {
        struct log_char c = log_char_at((const unsigned char *)s + at, n - at);

        if (s[at] == '"' || s[at] == '\\') {
            rc |= buf_appendf(out, "\\%c", s[at]);
        } else if (!c.utf8 || c.control) {
            for (size_t k = 0; k < c.len; k++)
                rc |= buf_appendf(out, "\\x%02x", (unsigned char)s[at + k]);
        } else {
            rc |= buf_append(out, s + at, c.len);
        }
        at += c.len;
    }
    rc |= buf_append_str(out, cut ? "...\"" : "\"");
    return rc;
}

static int log_text_pair(struct buf *out, const struct log_kv *kv)
{
    char key[LOG_MAX_KEY_BYTES + 1];
    int rc;

    log_clean_key(kv->key, key);
    rc = buf_appendf(out, " %s=", key);
    if (kv->type == LOG_KV_I64)
        rc |= buf_appendf(out, "%lld", (long long)kv->i);
    else if (kv->type == LOG_KV_F64)
        rc |= buf_appendf(out, "%.3f", kv->f);
    else
        rc |= log_text_value(out, kv->s != NULL ? kv->s : "");
    return rc;
}

/* ---- JSON form --------------------------------------------------------------- */

/* s cut and made valid UTF-8 (a bad byte becomes U+FFFD), as a json-c string. */
static struct json_object *log_json_string(struct buf *scratch, const char *s)
{
    bool cut;
    size_t n = log_value_len(s, &cut);

    buf_reset(scratch);
    for (size_t at = 0; at < n;) {
        struct log_char c = log_char_at((const unsigned char *)s + at, n - at);

        if (c.utf8)
            buf_append(scratch, s + at, c.len);
        else
            buf_append_str(scratch, "\xef\xbf\xbd");
        at += c.len;
    }
    if (cut)
        buf_append_str(scratch, "...");
    return json_object_new_string_len(buf_cstr(scratch), (int)scratch->len);
}

static struct json_object *log_json_value(struct buf *scratch, const struct log_kv *kv)
{
    char num[64];

    if (kv->type == LOG_KV_I64)
        return json_object_new_int64(kv->i);
    if (kv->type == LOG_KV_F64 && isfinite(kv->f)) {
        snprintf(num, sizeof(num), "%.3f", kv->f);
        return json_object_new_double_s(kv->f, num);
    }
    if (kv->type == LOG_KV_F64) {
        snprintf(num, sizeof(num), "%f", kv->f);   /* nan, inf: not JSON numbers */
        return json_object_new_string(num);
    }
    return log_json_string(scratch, kv->s != NULL ? kv->s : "");
}

static int log_json_line(struct buf *out, const char *ts, enum log_level level,
                         const char *event, const struct log_kv *kv, size_t n)
{
    struct json_object *o = json_object_new_object();
    struct buf scratch;
    int rc;

    buf_init(&scratch, 0);
    json_object_object_add(o, "ts", json_object_new_string(ts));
    json_object_object_add(o, "level", json_object_new_string(level_names[level]));
    json_object_object_add(o, "event", log_json_string(&scratch, event != NULL ? event : ""));
    for (size_t i = 0; i < n && i < LOG_MAX_PAIRS; i++) {
        char key[LOG_MAX_KEY_BYTES + 1];

        log_clean_key(kv[i].key, key);
        if (!json_object_object_get_ex(o, key, NULL))
            json_object_object_add(o, key, log_json_value(&scratch, &kv[i]));
    }
    rc = buf_append_str(out, json_object_to_json_string_ext(
                                 o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    rc |= buf_append(out, "\n", 1);
    json_object_put(o);
    buf_cleanup(&scratch);
    return rc;
}

/* ---- lines ------------------------------------------------------------------- */

int log_render(struct buf *out, bool json, const char *ts, enum log_level level,
               const char *event, const struct log_kv *kv, size_t n)
{
    int rc;

    if ((int)level < LOG_DEBUG || level > LOG_ERROR)
        level = LOG_ERROR;
    if (json)
        return log_json_line(out, ts, level, event, kv, n);
    rc = buf_appendf(out, "ts=%s level=%s event=", ts, level_names[level]);
    rc |= log_text_value(out, event != NULL ? event : "");
    for (size_t i = 0; i < n && i < LOG_MAX_PAIRS; i++)
        rc |= log_text_pair(out, &kv[i]);
    rc |= buf_append(out, "\n", 1);
    return rc < 0 ? -1 : 0;
}

/* The NULL-ended pairs of log_event, up to the cap (the rest is read and dropped). */
static size_t log_collect(va_list ap, struct log_kv *kv)
{
    size_t n = 0;
    const char *first;

    while ((first = va_arg(ap, const char *)) != NULL) {
        struct log_kv one = {first, LOG_KV_STR, NULL, 0, 0.0};

        if (first == log_tag_i64) {
            one.key = va_arg(ap, const char *);
            one.type = LOG_KV_I64;
            one.i = va_arg(ap, int64_t);
        } else if (first == log_tag_f64) {
            one.key = va_arg(ap, const char *);
            one.type = LOG_KV_F64;
            one.f = va_arg(ap, double);
        } else {
            one.s = va_arg(ap, const char *);
        }
        if (n < LOG_MAX_PAIRS)
            kv[n++] = one;
    }
    return n;
}

void log_event(enum log_level level, const char *event, ...)
{
    struct log_kv kv[LOG_MAX_PAIRS];
    struct buf line;
    char ts[40];
    struct timespec now;
    struct tm tm;
    va_list ap;
    size_t n;
    int len;

    if (!log_enabled(level))
        return;
    va_start(ap, event);
    n = log_collect(ap, kv);
    va_end(ap);
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    len = (int)strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts + len, sizeof(ts) - (size_t)len, ".%03ldZ", now.tv_nsec / 1000000);
    buf_init(&line, 0);
    if (log_render(&line, atomic_load(&log_json) != 0, ts, level, event, kv, n) == 0 &&
        write(STDERR_FILENO, line.data, line.len) < 0)
        line.len = 0;   /* nowhere to report a failed write to stderr */
    buf_cleanup(&line);
}
