/*
 * test_log.c - log lines as their readers see them: log_quote's table (and
 * its cut never splitting an escape), levels, the text line's shape, and
 * the JSON format, where every line must parse as one JSON object (json-c,
 * strict, UTF-8 validated) whatever the caller put in it: quotes,
 * backslashes, control characters, bytes that are not UTF-8, unbalanced
 * quotes, and lines longer than the logger's buffers.
 *
 * log_msg writes to file descriptor 2; each test points it at a temporary
 * file for the calls it checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
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

/* ---- log_quote ------------------------------------------------------------ */

struct quote_case {
    const char *in;
    size_t cap;
    const char *want;
};

static const struct quote_case quote_cases[] = {
    {"abc", 64, "abc"},
    {"order-1001", 64, "order-1001"},
    {"caf\xc3\xa9", 64, "caf\xc3\xa9"},             /* UTF-8 is not escaped */
    {"\x7f", 64, "\x7f"},
    {"", 64, "\"\""},                                 /* empty: visible */
    {"a b", 64, "\"a b\""},
    {"k=v", 64, "\"k=v\""},
    {"say \"hi\"", 64, "\"say \\\"hi\\\"\""},
    {"C:\\dir", 64, "\"C:\\\\dir\""},
    {"tab\there", 64, "\"tab\\x09here\""},
    {"line\nnext\r", 64, "\"line\\x0anext\\x0d\""},
    {"\x01", 64, "\"\\x01\""},
    {"abcdef", 4, "abc"},                             /* plain: cut */
    {"a b c d e f", 8, "\"a\""},                      /* quoted: cut, still closed */
    {"\"\"\"\"", 9, "\"\\\"\""},                      /* an escape is never split */
    {"\n\n", 11, "\"\\x0a\""},
    {"a b", 3, "\"\""},
    {"a b", 2, ""},
};

static void test_quote_table(void **state)
{
    for (size_t i = 0; i < ARRAY_LEN(quote_cases); i++) {
        const struct quote_case *c = &quote_cases[i];
        char out[64];

        assert_ptr_equal(log_quote(c->in, out, c->cap), out);
        if (strcmp(out, c->want) != 0)
            fail_msg("case %zu: log_quote(\"%s\", %zu) = [%s], want [%s]", i, c->in, c->cap, out,
                     c->want);
    }
}

/* Every cap: NUL-terminated inside it, and a quoted result is closed. */
static void test_quote_every_cap(void **state)
{
    static const char *const inputs[] = {"plain", "with space", "q\"u\\o\tte\x01", "\"\"\"\"\""};

    for (size_t i = 0; i < ARRAY_LEN(inputs); i++) {
        for (size_t cap = 1; cap < 40; cap++) {
            char out[40];
            size_t len;

            memset(out, 'X', sizeof(out));
            log_quote(inputs[i], out, cap);
            len = strnlen(out, cap);
            assert_true(len < cap);
            if (len > 0 && out[0] == '"') {
                assert_true(len >= 2);
                assert_int_equal(out[len - 1], '"');
                assert_true(len < 3 || out[len - 2] != '\\' || out[len - 3] == '\\');
            }
        }
    }
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
    log_msg(LOG_INFO, "event=hidden");
    log_msg(LOG_WARN, "event=shown");
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

static void test_text_line(void **state)
{
    char q[64];
    char *out;

    capture_begin();
    log_msg(LOG_ERROR, "event=job_failed job=%d why=%s", 7, log_quote("said \"no\"", q, sizeof(q)));
    out = capture_end();
    assert_memory_equal(out, "ts=", 3);
    assert_timestamp_shape(out + 3);
    assert_string_equal(out + 3 + 24, " level=error event=job_failed job=7 why=\"said \\\"no\\\"\"\n");
    free(out);
}

/* ---- JSON ----------------------------------------------------------------- */

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

/* The JSON line of one log_msg call (owned). */
static char *json_of(enum log_level level, const char *fmt, ...) SV_PRINTF(2, 3);
static char *json_of(enum log_level level, const char *fmt, ...)
{
    char msg[8192];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log_configure("debug", "json");
    capture_begin();
    log_msg(level, "%s", msg);
    return capture_end();
}

static void test_json_members(void **state)
{
    char q[64];
    char *line = json_of(LOG_WARN, "event=job_failed job=%d why=%s empty=%s bare", 7,
                         log_quote("said \"no\" \\ twice", q, sizeof(q)), "\"\"");
    struct json_object *o = json_line(line);

    assert_timestamp_shape(member(o, "ts"));
    assert_string_equal(member(o, "level"), "warn");
    assert_string_equal(member(o, "event"), "job_failed");
    assert_string_equal(member(o, "job"), "7");
    assert_string_equal(member(o, "why"), "said \"no\" \\ twice");
    assert_string_equal(member(o, "empty"), "");
    assert_string_equal(member(o, "bare"), "");
    json_object_put(o);
    free(line);
}

struct json_case {
    const char *value;
    const char *want;   /* what a reader gets back from a log_quote'd value */
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
    {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x9a\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x9a\x80"},
    {"bad \xff byte", "bad " FFFD " byte"},
    {"overlong \xc0\xaf", "overlong " FFFD FFFD},
    {"surrogate \xed\xa0\x80", "surrogate " FFFD FFFD FFFD},
    {"past max \xf4\x90\x80\x80", "past max " FFFD FFFD FFFD FFFD},
    {"cut \xe2\x82", "cut " FFFD FFFD},
    {"stray \x80 cont", "stray " FFFD " cont"},
    {"a=b c=d", "a=b c=d"},
    {"", ""},
};

/* A log_quote'd value comes back as it was (but for bytes that are not UTF-8). */
static void test_json_quoted_values_round_trip(void **state)
{
    for (size_t i = 0; i < ARRAY_LEN(json_cases); i++) {
        char q[256];
        char *line = json_of(LOG_INFO, "event=quoted v=%s",
                             log_quote(json_cases[i].value, q, sizeof(q)));
        struct json_object *o = json_line(line);

        if (strcmp(member(o, "v"), json_cases[i].want) != 0)
            fail_msg("case %zu: got [%s] from %s", i, member(o, "v"), line);
        assert_string_equal(member(o, "event"), "quoted");
        json_object_put(o);
        free(line);
    }
}

/* Callers that put raw text in a pair (error="%s") still make valid JSON. */
static void test_json_raw_values_stay_valid(void **state)
{
    static const char *const extra[] = {
        "\"", "\"\"\"", "=", "==", " = ", "\\", "\\\"", "\\x", "\\x4", "\\xzz", "k=\"open",
        "\"k\"=v", "relation \"orders\" does not exist",
    };

    for (size_t i = 0; i < ARRAY_LEN(json_cases) + ARRAY_LEN(extra); i++) {
        const char *v = i < ARRAY_LEN(json_cases) ? json_cases[i].value
                                                  : extra[i - ARRAY_LEN(json_cases)];
        char *line = json_of(LOG_ERROR, "event=raw error=\"%s\" tail=%s %s", v, v, v);
        struct json_object *o = json_line(line);

        assert_string_equal(member(o, "level"), "error");
        assert_string_equal(member(o, "event"), "raw");
        json_object_put(o);
        free(line);
    }
}

/*
 * Past the message (2 KiB) and line (4 KiB) buffers: cut, and still one
 * valid object. Values of 1, 2, 4 and 6 bytes of output per input byte make
 * the cut fall in a key, in a value and in an escape.
 */
static void test_json_long_lines_stay_valid(void **state)
{
    static const char *const units[] = {"a", "\"", "\\", "\x01", "\xff", "\xc3\xa9", " ", "="};
    static const size_t lengths[] = {300, 683, 1021, 1366, 2047, 2400};

    for (size_t u = 0; u < ARRAY_LEN(units); u++) {
        for (size_t l = 0; l < ARRAY_LEN(lengths); l++) {
            size_t unit = strlen(units[u]), n = lengths[l];
            char *value = xmalloc(n * unit + 1);
            char *quoted = xmalloc(4 * n * unit + 3);
            char *lines[3];

            for (size_t k = 0; k < n; k++)
                memcpy(value + k * unit, units[u], unit);
            value[n * unit] = '\0';
            log_quote(value, quoted, 4 * n * unit + 3);
            lines[0] = json_of(LOG_INFO, "event=long v=%s", quoted);
            lines[1] = json_of(LOG_INFO, "event=long error=\"%s\"", value);
            lines[2] = json_of(LOG_INFO, "%s", value);     /* one huge key */
            for (size_t k = 0; k < ARRAY_LEN(lines); k++) {
                json_object_put(json_line(lines[k]));
                free(lines[k]);
            }
            free(quoted);
            free(value);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quote_table),
        cmocka_unit_test(test_quote_every_cap),
        cmocka_unit_test_teardown(test_levels, reset_log),
        cmocka_unit_test_teardown(test_text_line, reset_log),
        cmocka_unit_test_teardown(test_json_members, reset_log),
        cmocka_unit_test_teardown(test_json_quoted_values_round_trip, reset_log),
        cmocka_unit_test_teardown(test_json_raw_values_stay_valid, reset_log),
        cmocka_unit_test_teardown(test_json_long_lines_stay_valid, reset_log),
    };

    return cmocka_run_group_tests(tests, NULL, close_capture);
}
