/*
 * test_metrics.c - the Prometheus registry as a scraper reads it.
 *
 * Every rendered text is checked line by line against the text exposition
 * format (version 0.0.4): `# HELP name text` with \\ and \n escaped,
 * `# TYPE name counter|gauge|histogram` once per family before its samples,
 * samples `name{label="value",...} number` whose label values use only the
 * \\ \" \n escapes (label values are escaped by the caller; the registry
 * passes them through), and histograms with cumulative buckets ending in
 * le="+Inf" equal to _count. Then exact texts for small registries, the
 * series cap, and the bookkeeping (get, set, idempotent describe, reset).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "common.h"
#include "metrics.h"

static int fresh(void **state)
{
    metrics_reset();
    return 0;
}

static char *render(void)
{
    struct buf b;

    buf_init(&b, 0);
    metrics_render(&b);
    return buf_steal(&b);
}

/* ---- a checker for the text format --------------------------------------- */

struct family_seen {
    char name[96];
    char type[16];
};

struct exposition {
    struct family_seen fam[64];
    size_t n_fam;
    /* the histogram series being read: its last bucket bound and count */
    double last_le;
    double last_bucket;
};

static bool metric_name_ok(const char *s, size_t n)
{
    if (n == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_' || s[0] == ':'))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == ':'))
            return false;
    return true;
}

static const struct family_seen *family_of(const struct exposition *x, const char *sample,
                                           size_t n)
{
    static const char *const suffixes[] = {"", "_bucket", "_sum", "_count"};

    for (size_t f = 0; f < x->n_fam; f++) {
        for (size_t s = 0; s < ARRAY_LEN(suffixes); s++) {
            size_t fl = strlen(x->fam[f].name), sl = strlen(suffixes[s]);

            if (fl + sl == n && strncmp(sample, x->fam[f].name, fl) == 0 &&
                strncmp(sample + fl, suffixes[s], sl) == 0 &&
                (s == 0 || strcmp(x->fam[f].type, "histogram") == 0))
                return &x->fam[f];
        }
    }
    return NULL;
}

/* `# HELP name text` or `# TYPE name type`; fails the test on anything else. */
static void check_comment(struct exposition *x, const char *line)
{
    const char *name = line + 7, *sp = strchr(name, ' ');

    assert_non_null(sp);
    assert_true(metric_name_ok(name, (size_t)(sp - name)));
    if (strncmp(line, "# HELP ", 7) == 0) {
        for (const char *p = sp + 1; *p; p++)
            if (*p == '\\')
                assert_true(p[1] == '\\' || p[1] == 'n'), p++;
        return;
    }
    assert_memory_equal(line, "# TYPE ", 7);
    assert_true(strcmp(sp + 1, "counter") == 0 || strcmp(sp + 1, "gauge") == 0 ||
                strcmp(sp + 1, "histogram") == 0);
    for (size_t f = 0; f < x->n_fam; f++)
        if (strncmp(x->fam[f].name, name, (size_t)(sp - name)) == 0 &&
            x->fam[f].name[sp - name] == '\0')
            fail_msg("TYPE twice for %s", x->fam[f].name);
    assert_true(x->n_fam < ARRAY_LEN(x->fam));
    snprintf(x->fam[x->n_fam].name, sizeof(x->fam[0].name), "%.*s", (int)(sp - name), name);
    snprintf(x->fam[x->n_fam].type, sizeof(x->fam[0].type), "%s", sp + 1);
    x->n_fam++;
}

/* {l="v",...}: returns past the '}', and the le label's value into le (when present). */
static const char *check_labels(const char *p, char *le, size_t le_cap)
{
    assert_int_equal(*p, '{');
    p++;
    le[0] = '\0';
    while (*p != '}') {
        const char *name = p, *value;

        while (isalnum((unsigned char)*p) || *p == '_')
            p++;
        assert_true(p > name && !isdigit((unsigned char)name[0]));
        assert_int_equal(p[0], '=');
        assert_int_equal(p[1], '"');
        value = p += 2;
        for (; *p != '"'; p++) {
            assert_true(*p != '\0' && *p != '\n');
            if (*p == '\\') {
                assert_true(p[1] == '\\' || p[1] == '"' || p[1] == 'n');
                p++;
            }
        }
        if (p - name > 3 && strncmp(name, "le=", 3) == 0)
            snprintf(le, le_cap, "%.*s", (int)(p - value), value);
        p++;
        if (*p == ',')
            p++;
        else
            assert_int_equal(*p, '}');
    }
    return p + 1;
}

static void check_sample(struct exposition *x, const char *line)
{
    const char *p = line;
    const struct family_seen *fam;
    char le[32], *end;
    double v;

    while (*p && *p != '{' && *p != ' ')
        p++;
    assert_true(metric_name_ok(line, (size_t)(p - line)));
    fam = family_of(x, line, (size_t)(p - line));
    if (fam == NULL)
        fail_msg("sample before its TYPE: %s", line);
    le[0] = '\0';
    if (*p == '{')
        p = check_labels(p, le, sizeof(le));
    assert_int_equal(*p, ' ');
    v = strtod(p + 1, &end);
    if (end == p + 1 || *end != '\0')
        fail_msg("not a number: %s", line);
    if (strcmp(fam->type, "histogram") != 0)
        return;
    if (strstr(line, "_bucket") != NULL) {
        double bound = strcmp(le, "+Inf") == 0 ? 1e308 : strtod(le, NULL);

        assert_true(le[0] != '\0');
        if (x->last_le >= 0) {
            assert_true(bound > x->last_le);     /* bounds increase */
            assert_true(v >= x->last_bucket);    /* counts are cumulative */
        }
        x->last_le = bound;
        x->last_bucket = v;
    } else if (strstr(line, "_count") != NULL) {
        assert_true(x->last_le == 1e308);        /* the last bucket was +Inf ... */
        assert_true(v == x->last_bucket);        /* ... and holds every observation */
        x->last_le = -1;
    } else {
        assert_true(le[0] == '\0');
    }
}

/* Fails the test unless text is a valid exposition; returns the number of samples. */
static size_t check_exposition(const char *text)
{
    struct exposition x = {.n_fam = 0, .last_le = -1, .last_bucket = 0};
    size_t samples = 0;
    char *copy = xstrdup(text), *save = NULL;

    assert_true(text[0] == '\0' || text[strlen(text) - 1] == '\n');
    for (char *line = strtok_r(copy, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#') {
            check_comment(&x, line);
        } else {
            check_sample(&x, line);
            samples++;
        }
    }
    free(copy);
    return samples;
}

/* ---- exact texts ----------------------------------------------------------- */

static void test_counter_and_gauge_text(void **state)
{
    char *text;

    metrics_describe("t_webhooks_total", MET_COUNTER, "Webhooks by topic");
    metrics_describe("t_leader", MET_GAUGE, "1 when leading");
    metrics_inc("t_webhooks_total", "topic=\"orders/paid\",outcome=\"stored\"");
    metrics_inc("t_webhooks_total", "topic=\"orders/paid\",outcome=\"stored\"");
    metrics_add("t_webhooks_total", "topic=\"carts/update\",outcome=\"ignored\"", 3);
    metrics_set("t_leader", "", 1);
    metrics_set("t_leader", "", 0);
    text = render();
    assert_string_equal(text, "# HELP t_webhooks_total Webhooks by topic\n"
                              "# TYPE t_webhooks_total counter\n"
                              "t_webhooks_total{topic=\"orders/paid\",outcome=\"stored\"} 2\n"
                              "t_webhooks_total{topic=\"carts/update\",outcome=\"ignored\"} 3\n"
                              "# HELP t_leader 1 when leading\n"
                              "# TYPE t_leader gauge\n"
                              "t_leader 0\n");
    assert_int_equal(check_exposition(text), 3);
    free(text);
}

static void test_histogram_text(void **state)
{
    static const double seconds[] = {0.0001, 0.003, 0.003, 0.2, 7.0};
    char *text;

    metrics_describe("t_duration_seconds", MET_HISTOGRAM, "Request duration");
    for (size_t i = 0; i < ARRAY_LEN(seconds); i++)
        metrics_observe("t_duration_seconds", "route=\"webhook\"", seconds[i]);
    metrics_observe("t_duration_seconds", "", 0.01);
    text = render();
    assert_string_equal(text,
                        "# HELP t_duration_seconds Request duration\n"
                        "# TYPE t_duration_seconds histogram\n"
                        "t_duration_seconds_bucket{route=\"webhook\",le=\"0.0005\"} 1\n"
                        "t_duration_seconds_bucket{route=\"webhook\",le=\"0.001\"} 1\n"
                        "t_duration_seconds_bucket{route=\"webhook\",le=\"0.0025\"} 1\n"
                        "t_duration_seconds_bucket{route=\"webhook\",le=\"0.005\"} 3\n"
                        "t_duration_seconds_bucket{route=\"webhook\",le=\"0.01\"} 3\n"
                        "t_duration_seconds_bucket{route=\"webhook\",le=\"0.025\"} 3\n"
                        "t_duration_seconds_bucket{route=\"webhook\",le=\"0.05\"} 3\n"
                        "t_duration_seconds_bucket{route=\"webhook\",le=\"0.1\"} 3\n"
                        "t_duration_seconds_bucket{route=\"webhook\",le=\"0.25\"} 4\n"
                        "t_duration_seconds_bucket{route=\"webhook\",le=\"0.5\"} 4\n"
                        "t_duration_seconds_bucket{route=\"webhook\",le=\"1\"} 4\n"
                        "t_duration_seconds_bucket{route=\"webhook\",le=\"2.5\"} 4\n"
                        "t_duration_seconds_bucket{route=\"webhook\",le=\"+Inf\"} 5\n"
                        "t_duration_seconds_sum{route=\"webhook\"} 7.206100\n"
                        "t_duration_seconds_count{route=\"webhook\"} 5\n"
                        "t_duration_seconds_bucket{le=\"0.0005\"} 0\n"
                        "t_duration_seconds_bucket{le=\"0.001\"} 0\n"
                        "t_duration_seconds_bucket{le=\"0.0025\"} 0\n"
                        "t_duration_seconds_bucket{le=\"0.005\"} 0\n"
                        "t_duration_seconds_bucket{le=\"0.01\"} 1\n"
                        "t_duration_seconds_bucket{le=\"0.025\"} 1\n"
                        "t_duration_seconds_bucket{le=\"0.05\"} 1\n"
                        "t_duration_seconds_bucket{le=\"0.1\"} 1\n"
                        "t_duration_seconds_bucket{le=\"0.25\"} 1\n"
                        "t_duration_seconds_bucket{le=\"0.5\"} 1\n"
                        "t_duration_seconds_bucket{le=\"1\"} 1\n"
                        "t_duration_seconds_bucket{le=\"2.5\"} 1\n"
                        "t_duration_seconds_bucket{le=\"+Inf\"} 1\n"
                        "t_duration_seconds_sum 0.010000\n"
                        "t_duration_seconds_count 1\n");
    assert_int_equal(check_exposition(text), 30);
    free(text);
}

/* ---- escaping ---------------------------------------------------------------- */

struct escape_case {
    const char *help;
    const char *want_help_line;
};

/* HELP text may hold a backslash or a line break: escaped as \\ and \n. */
static const struct escape_case help_cases[] = {
    {"plain help", "# HELP t_m plain help\n"},
    {"C:\\path", "# HELP t_m C:\\\\path\n"},
    {"two\nlines", "# HELP t_m two\\nlines\n"},
    {"quotes \"stay\"", "# HELP t_m quotes \"stay\"\n"},
};

static void test_help_is_escaped(void **state)
{
    for (size_t i = 0; i < ARRAY_LEN(help_cases); i++) {
        char *text;

        metrics_reset();
        metrics_describe("t_m", MET_GAUGE, help_cases[i].help);
        text = render();
        if (strncmp(text, help_cases[i].want_help_line, strlen(help_cases[i].want_help_line)) != 0)
            fail_msg("case %zu: %s", i, text);
        check_exposition(text);
        free(text);
    }
}

/* Label values escaped by the caller reach the scraper unchanged and parse. */
static void test_label_values_pass_through(void **state)
{
    static const char *const labels[] = {
        "path=\"a\\\"b\"",                   /* a quote */
        "path=\"C:\\\\dir\"",                /* a backslash */
        "path=\"one\\ntwo\"",                /* a line break */
        "path=\"caf\xc3\xa9\",code=\"200\"", /* UTF-8 and two labels */
    };
    char *text;

    metrics_describe("t_requests_total", MET_COUNTER, "Requests");
    metrics_describe("t_latency_seconds", MET_HISTOGRAM, "Latency");
    for (size_t i = 0; i < ARRAY_LEN(labels); i++) {
        metrics_inc("t_requests_total", labels[i]);
        metrics_observe("t_latency_seconds", labels[i], 0.02);
    }
    text = render();
    for (size_t i = 0; i < ARRAY_LEN(labels); i++) {
        char want[128];

        snprintf(want, sizeof(want), "t_requests_total{%s} 1\n", labels[i]);
        assert_non_null(strstr(text, want));
        snprintf(want, sizeof(want), "t_latency_seconds_bucket{%s,le=\"0.025\"} 1\n", labels[i]);
        assert_non_null(strstr(text, want));
    }
    assert_int_equal(check_exposition(text), ARRAY_LEN(labels) * (1 + 13 + 2));
    free(text);
}

/* ---- bookkeeping --------------------------------------------------------------- */

static void test_get_set_and_unknown_families(void **state)
{
    char *text;

    metrics_describe("t_g", MET_GAUGE, "first help");
    metrics_describe("t_g", MET_COUNTER, "second help is ignored");
    metrics_set("t_g", "a=\"1\"", 2.5);
    metrics_add("t_g", "a=\"1\"", -1);
    assert_true(metrics_get("t_g", "a=\"1\"") == 1.5);
    assert_true(metrics_get("t_g", "a=\"2\"") == 0);
    assert_true(metrics_get("t_unknown", "") == 0);
    metrics_inc("t_unknown", "");                 /* not described: ignored */
    metrics_observe("t_unknown", "", 1);
    text = render();
    assert_string_equal(text, "# HELP t_g first help\n# TYPE t_g gauge\nt_g{a=\"1\"} 1.5\n");
    free(text);
    metrics_reset();
    text = render();
    assert_string_equal(text, "");
    free(text);
}

/* A label fed from outside can never grow the registry past MET_MAX_SERIES. */
static void test_series_cap(void **state)
{
    char labels[32], *text;

    metrics_describe("t_capped_total", MET_COUNTER, "Capped");
    for (int i = 0; i < MET_MAX_SERIES + 50; i++) {
        snprintf(labels, sizeof(labels), "n=\"%d\"", i);
        metrics_inc("t_capped_total", labels);
    }
    text = render();
    assert_int_equal(check_exposition(text), MET_MAX_SERIES);
    assert_non_null(strstr(text, "t_capped_total{n=\"0\"} 1\n"));
    snprintf(labels, sizeof(labels), "{n=\"%d\"}", MET_MAX_SERIES);
    assert_null(strstr(text, labels));
    free(text);
    /* an existing series still counts at the cap */
    metrics_inc("t_capped_total", "n=\"0\"");
    assert_true(metrics_get("t_capped_total", "n=\"0\"") == 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_counter_and_gauge_text, fresh),
        cmocka_unit_test_setup(test_histogram_text, fresh),
        cmocka_unit_test_setup(test_help_is_escaped, fresh),
        cmocka_unit_test_setup(test_label_values_pass_through, fresh),
        cmocka_unit_test_setup(test_get_set_and_unknown_families, fresh),
        cmocka_unit_test_setup(test_series_cap, fresh),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);

    metrics_reset();
    return rc;
}
