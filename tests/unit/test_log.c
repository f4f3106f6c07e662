/*
 * test_log.c - log lines as their readers see them. Events go in as a name
 * and key/value pairs (log_event, or log_render for a fixed timestamp);
 * the tests check the text form's escaping table, caps and numbers, and
 * that every JSON line parses as one JSON object (json-c, strict, UTF-8
 * validated) that carries exactly the members given, whatever bytes the
 * values hold: quotes, backslashes, control characters, bytes that are not
 * UTF-8, values written to forge another member, and values longer than
 * the caps.
 *
 * log_event writes to file descriptor 2; each test points it at a
 * temporary file for the calls it checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <math.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "common.h"
#include "log.h"
#include "ts_utf8.h"

/* ---- capturing stderr ---------------------------------------------------- */

static FILE *cap_file;
static int cap_saved_fd = -1;

static void capture_begin(void)
{
    fflush(stderr);
    if (cap_file == NULL)
        cap_file = tmpfile();          /* one file for the program, emptied each time */
    assert_non_null(cap_file);
    assert_int_equal(ftruncate(fileno(cap_file), 0), 0);
    rewind(cap_file);
    cap_saved_fd = dup(STDERR_FILENO);
    assert_true(cap_saved_fd >= 0);
    assert_true(dup2(fileno(cap_file), STDERR_FILENO) >= 0);
}

/* What was written since capture_begin (owned). */
static char *capture_end(void)
{
    struct buf b;
    char chunk[4096];
    size_t n;

    dup2(cap_saved_fd, STDERR_FILENO);
    close(cap_saved_fd);
    rewind(cap_file);
    buf_init(&b, 0);
    while ((n = fread(chunk, 1, sizeof(chunk), cap_file)) > 0)
        buf_append(&b, chunk, n);
    return buf_steal(&b);
}

static int reset_log(void **state)
{
    log_configure("info", "text");
    return 0;
}

static int close_capture(void **state)
{
    if (cap_file != NULL)
        fclose(cap_file);
    return 0;
}

/* ---- reading lines back ------------------------------------------------- */

/* One line as a JSON object (owned), strictly parsed; fails the test otherwise. */
static struct json_object *json_line(const char *line)
{
    const char *nl = strchr(line, '\n');
    size_t len = nl != NULL ? (size_t)(nl - line) : strlen(line);
    struct json_tokener *tok = json_tokener_new();
    struct json_object *o;

    assert_non_null(nl);
    assert_null(strchr(nl + 1, '\n'));      /* one line per call */
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    o = json_tokener_parse_ex(tok, line, (int)len);
    if (o == NULL || json_tokener_get_parse_end(tok) != len ||
        !json_object_is_type(o, json_type_object))
        fail_msg("not one JSON object (%s at %zu of %zu): %.*s",
                 json_tokener_error_desc(json_tokener_get_error(tok)),
                 json_tokener_get_parse_end(tok), len, (int)(len < 300 ? len : 300), line);
    json_tokener_free(tok);
    assert_true(ts_utf8_valid(line, len));
    return o;
}

static const char *member(struct json_object *o, const char *key)
{
    struct json_object *v;

    if (!json_object_object_get_ex(o, key, &v))
        fail_msg("no member %s in %s", key, json_object_to_json_string(o));
    return json_object_get_string(v);
}

/* ---- the text form -------------------------------------------------------- */

#define TS "2026-01-02T03:04:05.678Z"

/* The line log_render makes for one event (owned). */
static char *render(bool json, enum log_level level, const char *event, const struct log_kv *kv,
                    size_t n)
{
    struct buf b;

    buf_init(&b, 0);
    assert_int_equal(log_render(&b, json, TS, level, event, kv, n), 0);
    return buf_steal(&b);
}

/* The text line of an event with one string pair v=value (owned). */
static char *text_of_value(const char *value)
{
    struct log_kv kv = {"v", LOG_KV_STR, value, 0, 0.0};

    return render(false, LOG_INFO, "e", &kv, 1);
}

/* One line, ending in '\n', with no raw control byte anywhere. */
static void assert_one_text_line(const char *line)
{
    size_t len = strlen(line);

    assert_true(len > 0 && line[len - 1] == '\n');
    for (size_t i = 0; i + 1 < len; i++)
        if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
            fail_msg("raw control byte 0x%02x at %zu: %s", (unsigned char)line[i], i, line);
}

struct quote_case {
    const char *in;
    const char *want;
};

static const struct quote_case quote_cases[] = {
    {"abc", "abc"},
    {"order-1001", "order-1001"},
    {"caf\xc3\xa9", "caf\xc3\xa9"},                /* UTF-8 is not escaped */
    {"", "\"\""},                                    /* empty: visible */
    {NULL, "\"\""},                                  /* NULL reads as "" */
    {"a b", "\"a b\""},
    {"k=v", "\"k=v\""},
    {"say \"hi\"", "\"say \\\"hi\\\"\""},
    {"C:\\dir", "\"C:\\\\dir\""},
    {"tab\there", "\"tab\\x09here\""},
    {"line\nnext\r", "\"line\\x0anext\\x0d\""},
    {"\x01", "\"\\x01\""},
    {"\x7f", "\"\\x7f\""},                           /* DEL is a control */
    {"c1 \xc2\x85", "\"c1 \\xc2\\x85\""},          /* so is U+0085 (NEL) */
    {"nbsp\xc2\xa0", "nbsp\xc2\xa0"},                 /* U+00A0 is not */
    {"bad\xff", "\"bad\\xff\""},                     /* not UTF-8: escaped */
    {"cut\xe2\x82", "\"cut\\xe2\\x82\""},
    {"X\",\"level\":\"error", "\"X\\\",\\\"level\\\":\\\"error\""},
    {"a level=error", "\"a level=error\""},
};

static void test_text_value_table(void **state)
{
    for (size_t i = 0; i < ARRAY_LEN(quote_cases); i++) {
        const struct quote_case *c = &quote_cases[i];
        char *line = text_of_value(c->in);
        char *want = xasprintf("ts=" TS " level=info event=e v=%s\n", c->want);

        assert_one_text_line(line);
        if (strcmp(line, want) != 0)
            fail_msg("case %zu: got [%s], want [%s]", i, line, want);
        free(want);
        free(line);
    }
}

/* Keys keep [A-Za-z0-9_.-]; the event is a value like the others. */
static void test_text_keys_and_event(void **state)
{
    struct log_kv kv[] = {
        {"ok_key.1-x", LOG_KV_STR, "1", 0, 0.0},
        {"bad key=\"\n", LOG_KV_STR, "2", 0, 0.0},
        {"", LOG_KV_STR, "3", 0, 0.0},
        {NULL, LOG_KV_STR, "4", 0, 0.0},
    };
    char *line = render(false, LOG_WARN, "ev ent\n", kv, ARRAY_LEN(kv));

    assert_string_equal(line, "ts=" TS " level=warn event=\"ev ent\\x0a\" ok_key.1-x=1 "
                              "bad_key___=2 _=3 _=4\n");
    free(line);
}

/* Numbers: integers as they are, doubles with three decimals, in both forms. */
static void test_numbers(void **state)
{
    struct log_kv kv[] = {
        {"n", LOG_KV_I64, NULL, -9223372036854775807LL - 1, 0.0},
        {"ms", LOG_KV_F64, NULL, 0, 12.3456},
        {"bad", LOG_KV_F64, NULL, 0, NAN},
    };
    char *text = render(false, LOG_INFO, "num", kv, ARRAY_LEN(kv));
    char *json = render(true, LOG_INFO, "num", kv, ARRAY_LEN(kv));
    struct json_object *o = json_line(json), *v;

    assert_string_equal(text, "ts=" TS " level=info event=num n=-9223372036854775808 "
                              "ms=12.346 bad=nan\n");
    assert_true(json_object_object_get_ex(o, "n", &v) && json_object_is_type(v, json_type_int));
    assert_true(json_object_get_int64(v) == INT64_MIN);
    assert_true(json_object_object_get_ex(o, "ms", &v) &&
                json_object_is_type(v, json_type_double));
    assert_null(strstr(json, "12.3456"));
    assert_non_null(strstr(json, "\"ms\":12.346"));
    assert_string_equal(member(o, "bad"), "nan");
    json_object_put(o);
    free(json);
    free(text);
}

/* A value past the cap is cut at a character boundary and marked "...". */
static void test_value_cap(void **state)
{
    static const char *const units[] = {"a", "\xc3\xa9", "\xe2\x82\xac", "\"", "\xff"};

    for (size_t u = 0; u < ARRAY_LEN(units); u++) {
        size_t unit = strlen(units[u]), n = 2 * LOG_MAX_VALUE_BYTES / unit + 1;
        char *value = xmalloc(n * unit + 1);
        struct log_kv kv = {"v", LOG_KV_STR, value, 0, 0.0};
        char *text, *json;
        struct json_object *o;
        const char *got;

        for (size_t k = 0; k < n; k++)
            memcpy(value + k * unit, units[u], unit);
        value[n * unit] = '\0';
        text = render(false, LOG_INFO, "long", &kv, 1);
        json = render(true, LOG_INFO, "long", &kv, 1);
        assert_one_text_line(text);
        assert_true(strlen(text) < 5 * LOG_MAX_VALUE_BYTES);
        assert_non_null(strstr(text, "...\"\n"));
        o = json_line(json);
        got = member(o, "v");
        assert_true(strlen(got) <= 3 * LOG_MAX_VALUE_BYTES + 3);
        assert_string_equal(got + strlen(got) - 3, "...");
        if (units[u][0] != '\xff') {   /* whole characters kept, as many as fit */
            assert_int_equal(strlen(got) - 3, LOG_MAX_VALUE_BYTES / unit * unit);
            assert_memory_equal(got, value, strlen(got) - 3);
        }
        json_object_put(o);
        free(json);
        free(text);
        free(value);
    }
}

/* Pairs past LOG_MAX_PAIRS are dropped, in both forms. */
static void test_pair_cap(void **state)
{
    struct log_kv kv[LOG_MAX_PAIRS + 5];
    char keys[LOG_MAX_PAIRS + 5][8];
    char *text, *json;
    struct json_object *o;

    for (size_t i = 0; i < ARRAY_LEN(kv); i++) {
        snprintf(keys[i], sizeof(keys[i]), "k%zu", i);
        kv[i] = (struct log_kv){keys[i], LOG_KV_I64, NULL, (int64_t)i, 0.0};
    }
    text = render(false, LOG_INFO, "many", kv, ARRAY_LEN(kv));
    json = render(true, LOG_INFO, "many", kv, ARRAY_LEN(kv));
    o = json_line(json);
    assert_int_equal(json_object_object_length(o), 3 + LOG_MAX_PAIRS);
    snprintf(keys[0], sizeof(keys[0]), " k%d=", LOG_MAX_PAIRS - 1);
    assert_non_null(strstr(text, keys[0]));
    snprintf(keys[0], sizeof(keys[0]), " k%d=", LOG_MAX_PAIRS);
    assert_null(strstr(text, keys[0]));
    json_object_put(o);
    free(json);
    free(text);
}

/* ---- levels and the text line ---------------------------------------------- */

static void test_levels(void **state)
{
    static const struct {
        const char *set;   /* NULL: leave as is */
        enum log_level level;
        int enabled;
    } cases[] = {
        {"info", LOG_DEBUG, 0}, {"info", LOG_INFO, 1},    {"debug", LOG_DEBUG, 1},
        {"warn", LOG_INFO, 0},  {"warn", LOG_WARN, 1},    {"loud", LOG_INFO, 0}, /* kept */
        {NULL, LOG_WARN, 1},    {"error", LOG_WARN, 0},   {"error", LOG_ERROR, 1},
    };
    char *out;

    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        log_configure(cases[i].set, NULL);
        if (log_enabled(cases[i].level) != cases[i].enabled)
            fail_msg("case %zu: level %d after %s", i, cases[i].level,
                     cases[i].set ? cases[i].set : "(none)");
    }
    log_configure("warn", NULL);
    capture_begin();
    log_event(LOG_INFO, "hidden", NULL);
    log_event(LOG_WARN, "shown", NULL);
    out = capture_end();
    assert_null(strstr(out, "hidden"));
    assert_non_null(strstr(out, "level=warn event=shown\n"));
    free(out);
}

/* ts=YYYY-MM-DDTHH:MM:SS.mmmZ: the shape, never the time itself. */
static void assert_timestamp_shape(const char *ts)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";

    for (size_t i = 0; i < sizeof(shape) - 1; i++) {
        if (shape[i] == 'd')
            assert_true(isdigit((unsigned char)ts[i]));
        else
            assert_int_equal(ts[i], shape[i]);
    }
}

/* log_event: its pairs, numbers through the macros, NULL values as "". */
static void test_text_line(void **state)
{
    char *out;

    capture_begin();
    log_event(LOG_ERROR, "job_failed", LOG_I64("job", 7), "why", "said \"no\"\nnext", "none",
              NULL, LOG_F64("ms", 1.5), "kind", "sales_order", NULL);
    out = capture_end();
    assert_memory_equal(out, "ts=", 3);
    assert_timestamp_shape(out + 3);
    assert_string_equal(out + 3 + 24, " level=error event=job_failed job=7 "
                                      "why=\"said \\\"no\\\"\\x0anext\" none=\"\" "
                                      "ms=1.500 kind=sales_order\n");
    free(out);
}

/* ---- JSON ----------------------------------------------------------------- */

/* The JSON line log_event writes for one string pair v=value (owned). */
static char *json_of_value(enum log_level level, const char *value)
{
    log_configure("debug", "json");
    capture_begin();
    log_event(level, "quoted", "v", value, NULL);
    return capture_end();
}

static void test_json_members(void **state)
{
    char *line;
    struct json_object *o, *v;

    log_configure("debug", "json");
    capture_begin();
    log_event(LOG_WARN, "job_failed", LOG_I64("job", 7), "why", "said \"no\" \\ twice", "empty",
              "", "none", NULL, NULL);
    line = capture_end();
    o = json_line(line);
    assert_int_equal(json_object_object_length(o), 7);
    assert_timestamp_shape(member(o, "ts"));
    assert_string_equal(member(o, "level"), "warn");
    assert_string_equal(member(o, "event"), "job_failed");
    assert_true(json_object_object_get_ex(o, "job", &v) && json_object_get_int(v) == 7);
    assert_string_equal(member(o, "why"), "said \"no\" \\ twice");
    assert_string_equal(member(o, "empty"), "");
    assert_string_equal(member(o, "none"), "");
    json_object_put(o);
    free(line);
}

struct json_case {
    const char *value;
    const char *want;   /* what a reader gets back */
};

/* Values a caller may log; bytes that are not UTF-8 come back as U+FFFD each. */
#define FFFD "\xef\xbf\xbd"
static const struct json_case json_cases[] = {
    {"plain", "plain"},
    {"two words", "two words"},
    {"\"quoted\"", "\"quoted\""},
    {"back\\slash\\", "back\\slash\\"},
    {"\\x41 is not an escape here", "\\x41 is not an escape here"},
    {"nl\ncr\rtab\tnul-less\x01\x1f", "nl\ncr\rtab\tnul-less\x01\x1f"},
    {"del\x7f", "del\x7f"},
    {"slash /", "slash /"},
    {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x9a\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x9a\x80"},
    {"bad \xff byte", "bad " FFFD " byte"},
    {"overlong \xc0\xaf", "overlong " FFFD FFFD},
    {"surrogate \xed\xa0\x80", "surrogate " FFFD FFFD FFFD},
    {"past max \xf4\x90\x80\x80", "past max " FFFD FFFD FFFD FFFD},
    {"cut \xe2\x82", "cut " FFFD FFFD},
    {"stray \x80 cont", "stray " FFFD " cont"},
    {"a=b c=d", "a=b c=d"},
    {"X\",\"level\":\"error\",\"event\":\"forged", "X\",\"level\":\"error\",\"event\":\"forged"},
    {"relation \"orders\" does not exist\n", "relation \"orders\" does not exist\n"},
    {"", ""},
};

/* Every value comes back as it was (but for bytes that are not UTF-8), forging nothing. */
static void test_json_values_round_trip(void **state)
{
    for (size_t i = 0; i < ARRAY_LEN(json_cases); i++) {
        char *line = json_of_value(LOG_INFO, json_cases[i].value);
        struct json_object *o = json_line(line);

        if (strcmp(member(o, "v"), json_cases[i].want) != 0)
            fail_msg("case %zu: got [%s] from %s", i, member(o, "v"), line);
        assert_string_equal(member(o, "event"), "quoted");
        assert_string_equal(member(o, "level"), "info");
        assert_int_equal(json_object_object_length(o), 4);
        json_object_put(o);
        free(line);
    }
}

/* Keys are cleaned as in the text form; a key already there is dropped, never replaces. */
static void test_json_keys(void **state)
{
    struct log_kv kv[] = {
        {"level", LOG_KV_STR, "error", 0, 0.0},
        {"event", LOG_KV_STR, "forged", 0, 0.0},
        {"ts", LOG_KV_STR, "0", 0, 0.0},
        {"a\"b", LOG_KV_STR, "1", 0, 0.0},
        {"a_b", LOG_KV_STR, "2", 0, 0.0},
        {"\xff", LOG_KV_STR, "3", 0, 0.0},
    };
    char *line = render(true, LOG_INFO, "real", kv, ARRAY_LEN(kv));
    struct json_object *o = json_line(line);

    assert_int_equal(json_object_object_length(o), 5);
    assert_string_equal(member(o, "ts"), TS);
    assert_string_equal(member(o, "level"), "info");
    assert_string_equal(member(o, "event"), "real");
    assert_string_equal(member(o, "a_b"), "1");
    assert_string_equal(member(o, "_"), "3");
    json_object_put(o);
    free(line);
}

/* Long values of 1 to 6 output bytes per input byte: one valid line, bounded. */
static void test_long_values_stay_valid(void **state)
{
    static const char *const units[] = {"a", "\"", "\\", "\x01", "\xff", "\xc3\xa9", " ", "=",
                                        "\n"};
    static const size_t lengths[] = {300, 683, 1021, 1366, 2047, 5000};

    for (size_t u = 0; u < ARRAY_LEN(units); u++) {
        for (size_t l = 0; l < ARRAY_LEN(lengths); l++) {
            size_t unit = strlen(units[u]), n = lengths[l];
            char *value = xmalloc(n * unit + 1);
            struct log_kv kv[3] = {{"a", LOG_KV_STR, value, 0, 0.0},
                                   {value, LOG_KV_STR, "k", 0, 0.0},
                                   {"b", LOG_KV_STR, value, 0, 0.0}};
            char *text, *json;

            for (size_t k = 0; k < n; k++)
                memcpy(value + k * unit, units[u], unit);
            value[n * unit] = '\0';
            text = render(false, LOG_INFO, value, kv, 3);
            json = render(true, LOG_INFO, value, kv, 3);
            assert_one_text_line(text);
            assert_true(strlen(text) < 3 * (4 * LOG_MAX_VALUE_BYTES + LOG_MAX_KEY_BYTES + 8) + 80);
            json_object_put(json_line(json));
            free(json);
            free(text);
            free(value);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_value_table),
        cmocka_unit_test(test_text_keys_and_event),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_value_cap),
        cmocka_unit_test(test_pair_cap),
        cmocka_unit_test_teardown(test_levels, reset_log),
        cmocka_unit_test_teardown(test_text_line, reset_log),
        cmocka_unit_test_teardown(test_json_members, reset_log),
        cmocka_unit_test_teardown(test_json_values_round_trip, reset_log),
        cmocka_unit_test(test_json_keys),
        cmocka_unit_test(test_long_values_stay_valid),
    };

    return cmocka_run_group_tests(tests, NULL, close_capture);
}
