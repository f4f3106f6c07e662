/*
 * log.c - structured logging to stderr.
 *
 * Lines are built in a stack buffer and written with one write() so lines
 * from different threads never interleave. JSON output re-reads the
 * key=value text the caller produced, which keeps call sites simple, and
 * escapes all of it, so each line is valid JSON whatever the caller put in
 * (tests/unit/test_log.c parses every line it makes).
 */
#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_int log_min_level = LOG_INFO;
static atomic_int log_json = 0;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

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

const char *log_quote(const char *s, char *out, size_t out_len)
{
    size_t o = 0;
    bool plain = *s != '\0';

    for (const char *p = s; *p && plain; p++)
        if (*p == ' ' || *p == '"' || *p == '=' || *p == '\\' || (unsigned char)*p < 0x20)
            plain = false;
    if (plain) {
        snprintf(out, out_len, "%s", s);
        return out;
    }
    if (out_len < 3) {
        out[0] = '\0';
        return out;
    }
    out[o++] = '"';
    for (const char *p = s; *p && o + 6 < out_len; p++) {
        unsigned char ch = (unsigned char)*p;

        if (ch == '"' || ch == '\\') {
            out[o++] = '\\';
            out[o++] = (char)ch;
        } else if (ch < 0x20) {
            o += (size_t)snprintf(out + o, out_len - o, "\\x%02x", ch);
        } else {
            out[o++] = (char)ch;
        }
    }
    out[o++] = '"';
    out[o] = '\0';
    return out;
}

/*
 * The JSON form of the caller's key=value text. Callers do not all quote
 * what they log (an error text may hold quotes, controls or bytes that are
 * not UTF-8), so nothing is copied as it is: every key and value becomes a
 * JSON string, escaped as RFC 8259 asks, bytes that are not UTF-8 become
 * U+FFFD, and log_quote's escapes (\" \\ \xNN) are decoded first. When
 * the line is full the member being written is closed, so the line is
 * always one valid JSON object.
 */
struct jline {
    char *buf;
    size_t len;
    size_t room;     /* usable bytes; the rest is kept to close a member */
    bool full;       /* something did not fit: nothing more is added */
};

static void jl_raw(struct jline *j, const char *s, size_t n)
{
    if (j->full || j->room - j->len < n) {
        j->full = true;
        return;
    }
    memcpy(j->buf + j->len, s, n);
    j->len += n;
}

/* Length of the well-formed UTF-8 sequence at s (n bytes left), 0 when there is none. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    size_t len = s[0] < 0x80 ? 1
                 : s[0] < 0xc2 ? 0   /* a continuation byte, or an overlong 2-byte lead */
                 : s[0] < 0xe0 ? 2
                 : s[0] < 0xf0 ? 3
                 : s[0] < 0xf5 ? 4
                 : 0;                /* past U+10FFFF */
    /* the second byte's range rules out overlong forms, surrogates and > U+10FFFF */
    unsigned char lo = s[0] == 0xe0 ? 0xa0 : s[0] == 0xf0 ? 0x90 : 0x80;
    unsigned char hi = s[0] == 0xed ? 0x9f : s[0] == 0xf4 ? 0x8f : 0xbf;

    if (len == 0 || len > n || (len > 1 && (s[1] < lo || s[1] > hi)))
        return 0;
    for (size_t i = 2; i < len; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    return len;
}

/* One character of s (n bytes left) as JSON string content; returns the bytes it took. */
static size_t jl_char(struct jline *j, const char *s, size_t n)
{
    unsigned char c = (unsigned char)s[0];
    char esc[8];
    size_t len;

    if (c == '"' || c == '\\') {
        esc[0] = '\\';
        esc[1] = (char)c;
        jl_raw(j, esc, 2);
        return 1;
    }
    if (c < 0x20) {
        snprintf(esc, sizeof(esc), "\\u%04x", c);
        jl_raw(j, esc, 6);
        return 1;
    }
    len = utf8_len((const unsigned char *)s, n);
    if (len == 0) {
        jl_raw(j, "\\ufffd", 6);
        return 1;
    }
    jl_raw(j, s, len);
    return len;
}

/* Text from p up to one of stops (or end) as string content; returns where it stopped. */
static const char *jl_text(struct jline *j, const char *p, const char *end, const char *stops)
{
    while (p < end && strchr(stops, *p) == NULL)
        p += jl_char(j, p, (size_t)(end - p));
    return p;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* A log_quote'd value after its opening quote; returns past the closing quote. */
static const char *jl_quoted(struct jline *j, const char *p, const char *end)
{
    while (p < end && *p != '"') {
        if (*p == '\\' && end - p > 1 && (p[1] == '"' || p[1] == '\\')) {
            p += 1 + jl_char(j, p + 1, 1);
        } else if (*p == '\\' && end - p > 3 && p[1] == 'x' && hex_digit(p[2]) >= 0 &&
                   hex_digit(p[3]) >= 0) {
            char byte = (char)(hex_digit(p[2]) * 16 + hex_digit(p[3]));

            jl_char(j, &byte, 1);
            p += 4;
        } else {
            p += jl_char(j, p, (size_t)(end - p));
        }
    }
    return p < end ? p + 1 : p;
}

/* Appends the key=value text as JSON members (values become strings); returns the length. */
static size_t kv_to_json(const char *kv, char *out, size_t cap)
{
    static const char close_key[] = "\":\"\"", close_value[] = "\"";
    struct jline j = {out, 0, cap > sizeof(close_key) ? cap - sizeof(close_key) : 0, false};
    const char *p = kv, *end = kv + strlen(kv);
    const char *pending = NULL;   /* what closes the member being written */

    while (!j.full) {
        while (*p == ' ')
            p++;
        if (p == end)
            break;
        jl_raw(&j, ",\"", 2);
        pending = j.full ? NULL : close_key;
        p = jl_text(&j, p, end, "= ");
        jl_raw(&j, close_key, 3);
        pending = j.full ? pending : close_value;
        if (*p == '=')
            p++;
        p = *p == '"' ? jl_quoted(&j, p + 1, end) : jl_text(&j, p, end, " ");
        jl_raw(&j, close_value, 1);
        pending = j.full ? pending : NULL;
    }
    if (pending != NULL) {
        memcpy(out + j.len, pending, strlen(pending));
        j.len += strlen(pending);
    }
    return j.len;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    char msg[2048];
    char line[4096];
    char ts[40];
    struct timespec now;
    struct tm tm;
    va_list ap;
    int n;

    if (!log_enabled(level))
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    n = (int)strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts + n, sizeof(ts) - (size_t)n, ".%03ldZ", now.tv_nsec / 1000000);
    if (atomic_load(&log_json)) {
        n = snprintf(line, sizeof(line), "{\"ts\":\"%s\",\"level\":\"%s\"", ts, level_names[level]);
        n += (int)kv_to_json(msg, line + n, sizeof(line) - (size_t)n - 3);
        n += snprintf(line + n, sizeof(line) - (size_t)n, "}\n");
    } else {
        n = snprintf(line, sizeof(line), "ts=%s level=%s %s\n", ts, level_names[level], msg);
    }
    if (n > (int)sizeof(line) - 1)
        n = (int)sizeof(line) - 1;
    if (write(STDERR_FILENO, line, (size_t)n) < 0)
        return;
}
