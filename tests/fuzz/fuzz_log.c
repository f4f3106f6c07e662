/*
 * fuzz_log.c - log_render on arbitrary event names, keys and values.
 *
 * The input is cut at NUL bytes into fields: the first byte picks the
 * level and a number, then come the event name, an HTTP method and a path
 * (the request line's fields, logged as http_server logs them), then key,
 * value, key, value... Every event is rendered in both forms and read back:
 *  - JSON: exactly one line, strictly parsed by json-c with UTF-8
 *    validation, one object whose ts, level and event are the ones given
 *    (no value can forge them), with no member beyond the ones given, and
 *    each valid UTF-8 value under the cap read back as it went in (json-c's
 *    own UTF-8 check lets overlong forms and surrogates through, so the
 *    tests' strict checker, tests/support/ts_utf8.c, decides what is valid);
 *  - text: exactly one line, no raw control byte, and a tokenizer that
 *    knows only the documented rules (bare, or "..." with \" \\ \xNN) finds
 *    exactly ts, level, event and one pair per pair given.
 */
#include <json-c/json.h>

#include "fuzz.h"
#include "log.h"
#include "ts_utf8.h"

#define FZ_TS "2026-01-02T03:04:05.678Z"

static const char *const fz_levels[] = {"debug", "info", "warn", "error"};

/* One text line split as its documented grammar says; returns the pairs, -1 if malformed. */
static int fz_text_pairs(const char *line, size_t len)
{
    size_t at = 0;
    int pairs = 0;

    while (at < len) {
        size_t key = at;

        while (at < len && line[at] != '=' && line[at] != ' ')
            at++;
        if (at == key || at == len || line[at] != '=')
            return -1;
        at++;
        if (at < len && line[at] == '"') {
            for (at++; at < len && line[at] != '"'; at++)
                if (line[at] == '\\') {
                    at++;
                    if (at < len && line[at] == 'x')
                        at += 2;
                    else if (at >= len || (line[at] != '"' && line[at] != '\\'))
                        return -1;
                }
            if (at >= len)
                return -1;
            at++;
        } else {
            while (at < len && line[at] != ' ' && line[at] != '"' && line[at] != '=')
                at++;
        }
        if (at < len && line[at++] != ' ')
            return -1;
        pairs++;
    }
    return pairs;
}

static void fz_check_text(const char *line, size_t n_pairs)
{
    size_t len = strlen(line);

    FUZZ_CHECK(len > 0 && line[len - 1] == '\n');
    for (size_t i = 0; i + 1 < len; i++)
        FUZZ_CHECK((unsigned char)line[i] >= 0x20 && line[i] != 0x7f);
    FUZZ_CHECK(fz_text_pairs(line, len - 1) == (int)(3 + n_pairs));
}

/* A value the JSON form must give back unchanged: valid UTF-8, under the cap. */
static bool fz_kept_as_is(const char *s)
{
    return strlen(s) <= LOG_MAX_VALUE_BYTES && ts_utf8_valid_str(s);
}

static void fz_check_json(const char *line, enum log_level level, const char *event,
                          const struct log_kv *kv, size_t n)
{
    const char *nl = strchr(line, '\n');
    size_t len = (size_t)(nl - line);
    struct json_tokener *tok = json_tokener_new();
    struct json_object *o, *v;
    size_t extra = 0;

    FUZZ_CHECK(nl != NULL && nl[1] == '\0');
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    o = json_tokener_parse_ex(tok, line, (int)len);
    FUZZ_CHECK(o != NULL && json_tokener_get_parse_end(tok) == len);
    FUZZ_CHECK(json_object_is_type(o, json_type_object));
    FUZZ_CHECK(json_object_object_get_ex(o, "ts", &v));
    FUZZ_CHECK(strcmp(json_object_get_string(v), FZ_TS) == 0);
    FUZZ_CHECK(json_object_object_get_ex(o, "level", &v));
    FUZZ_CHECK(strcmp(json_object_get_string(v), fz_levels[level]) == 0);
    FUZZ_CHECK(json_object_object_get_ex(o, "event", &v));
    if (fz_kept_as_is(event))
        FUZZ_CHECK(strcmp(json_object_get_string(v), event) == 0);
    for (size_t i = 0; i < n; i++) {
        /* keys from the input are cleaned; only a key that is kept as it is can be looked up */
        bool plain = kv[i].key[0] != '\0' && strlen(kv[i].key) <= LOG_MAX_KEY_BYTES &&
                     strspn(kv[i].key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                       "0123456789_.-") == strlen(kv[i].key);
        bool first = true;

        for (size_t k = 0; k < i; k++)
            first = first && strcmp(kv[k].key, kv[i].key) != 0;
        if (!plain || !first || strcmp(kv[i].key, "ts") == 0 ||
            strcmp(kv[i].key, "level") == 0 || strcmp(kv[i].key, "event") == 0)
            continue;
        extra++;
        FUZZ_CHECK(json_object_object_get_ex(o, kv[i].key, &v));
        if (kv[i].type == LOG_KV_STR && fz_kept_as_is(kv[i].s))
            FUZZ_CHECK(strcmp(json_object_get_string(v), kv[i].s) == 0);
    }
    FUZZ_CHECK((size_t)json_object_object_length(o) >= 3 + extra);
    FUZZ_CHECK((size_t)json_object_object_length(o) <= 3 + n);
    json_object_put(o);
    json_tokener_free(tok);
}

static void fz_render_both(enum log_level level, const char *event, const struct log_kv *kv,
                           size_t n)
{
    struct buf b;

    buf_init(&b, 0);
    FUZZ_CHECK(log_render(&b, false, FZ_TS, level, event, kv, n) == 0);
    fz_check_text(buf_cstr(&b), n < LOG_MAX_PAIRS ? n : LOG_MAX_PAIRS);
    buf_reset(&b);
    FUZZ_CHECK(log_render(&b, true, FZ_TS, level, event, kv, n) == 0);
    fz_check_json(buf_cstr(&b), level, event, kv, n < LOG_MAX_PAIRS ? n : LOG_MAX_PAIRS);
    buf_cleanup(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *fields[2 * LOG_MAX_PAIRS + 8];
    struct log_kv kv[LOG_MAX_PAIRS + 4];
    size_t n_fields = 0, n = 0, at = 1;
    enum log_level level;
    int64_t number;

    if (size == 0)
        return 0;
    level = (enum log_level)(data[0] & 3);
    number = (int64_t)(int8_t)data[0] * 1000003;
    while (at <= size && n_fields < ARRAY_LEN(fields)) {
        const uint8_t *end = memchr(data + at, 0, size - at);
        size_t len = end != NULL ? (size_t)(end - (data + at)) : size - at;

        fields[n_fields++] = xstrndup((const char *)data + at, len);
        at += len + 1;
    }
    while (n_fields < 3)
        fields[n_fields++] = xstrdup("");
    /* the request event as http_server logs it: method and path from the wire */
    kv[n++] = (struct log_kv){"method", LOG_KV_STR, fields[1], 0, 0.0};
    kv[n++] = (struct log_kv){"path", LOG_KV_STR, fields[2], 0, 0.0};
    kv[n++] = (struct log_kv){"status", LOG_KV_I64, NULL, number, 0.0};
    kv[n++] = (struct log_kv){"duration_ms", LOG_KV_F64, NULL, 0, (double)number / 7.0};
    fz_render_both(level, fields[0], kv, n);
    n = 0;
    for (size_t i = 3; i + 1 < n_fields && n < ARRAY_LEN(kv); i += 2)
        kv[n++] = (struct log_kv){fields[i], LOG_KV_STR, fields[i + 1], 0, 0.0};
    fz_render_both(level, fields[0], kv, n);
    for (size_t i = 0; i < n_fields; i++)
        free(fields[i]);
    return 0;
}
