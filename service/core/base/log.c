/*
 * log.c - structured logging to stderr.
 *
 * Lines are built in a stack buffer and written with one write() so lines
 * from different threads never interleave. JSON output re-reads the
 * key=value text the caller produced, which keeps call sites simple.
 */
#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
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

/* Appends the key=value text as JSON members (values become strings). */
static size_t kv_to_json(const char *kv, char *out, size_t cap)
{
    size_t o = 0;
    const char *p = kv;

    while (*p != '\0' && o + 8 < cap) {
        while (*p == ' ')
            p++;
        if (*p == '\0')
            break;
        out[o++] = ',';
        out[o++] = '"';
        while (*p && *p != '=' && *p != ' ' && o + 4 < cap)
            out[o++] = *p++;
        out[o++] = '"';
        out[o++] = ':';
        out[o++] = '"';
        if (*p == '=')
            p++;
        if (*p == '"') {
            for (p++; *p && *p != '"' && o + 4 < cap; p++) {
                if (*p == '\\' && p[1] != '\0' && p[1] != 'x') {
                    out[o++] = '\\';
                    out[o++] = *++p;
                } else if (*p != '\\') {
                    out[o++] = *p;
                }
            }
            if (*p == '"')
                p++;
        } else {
            while (*p && *p != ' ' && o + 4 < cap)
                out[o++] = *p++;
        }
        out[o++] = '"';
    }
    return o;
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
