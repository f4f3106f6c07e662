/*
 * metrics.c - a small, capped Prometheus registry.
 *
 * Series live in a flat array searched linearly under one mutex: a few
 * hundred series and a lookup per request cost far less than the database
 * commit each webhook makes, and the simplicity makes rendering trivial.
 */
#include "metrics.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MET_MAX_FAMILIES 64
#define MET_BUCKETS 12

static const double met_bounds[MET_BUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                               0.05,   0.1,   0.25,   0.5,   1.0,  2.5};

struct met_family {
    char *name;
    char *help;
    enum met_type type;
};

struct met_series {
    int family;
    char *labels;
    double value;                  /* counter/gauge; histogram: sum */
    unsigned long count;           /* histogram only */
    unsigned long buckets[MET_BUCKETS];
};

static pthread_mutex_t met_lock = PTHREAD_MUTEX_INITIALIZER;
static struct met_family met_families[MET_MAX_FAMILIES];
static int met_n_families;
static struct met_series met_series[MET_MAX_SERIES];
static int met_n_series;

static int family_find(const char *name)
{
    for (int i = 0; i < met_n_families; i++)
        if (strcmp(met_families[i].name, name) == 0)
            return i;
    return -1;
}

void metrics_describe(const char *name, enum met_type type, const char *help)
{
    pthread_mutex_lock(&met_lock);
    if (family_find(name) < 0 && met_n_families < MET_MAX_FAMILIES) {
        met_families[met_n_families].name = xstrdup(name);
        met_families[met_n_families].help = xstrdup(help);
        met_families[met_n_families].type = type;
        met_n_families++;
    }
    pthread_mutex_unlock(&met_lock);
}

/* Finds or creates a series; NULL when the family is unknown or the cap is hit. */
static struct met_series *series_get(const char *name, const char *labels)
{
    int fam = family_find(name);

    if (fam < 0)
        return NULL;
    for (int i = 0; i < met_n_series; i++)
        if (met_series[i].family == fam && strcmp(met_series[i].labels, labels) == 0)
            return &met_series[i];
    if (met_n_series == MET_MAX_SERIES)
        return NULL;
    memset(&met_series[met_n_series], 0, sizeof(met_series[0]));
    met_series[met_n_series].family = fam;
    met_series[met_n_series].labels = xstrdup(labels);
    return &met_series[met_n_series++];
}

void metrics_add(const char *name, const char *labels, double delta)
{
    struct met_series *s;

    pthread_mutex_lock(&met_lock);
    s = series_get(name, labels);
    if (s != NULL)
        s->value += delta;
    pthread_mutex_unlock(&met_lock);
}

void metrics_inc(const char *name, const char *labels)
{
    metrics_add(name, labels, 1.0);
}

void metrics_set(const char *name, const char *labels, double value)
{
    struct met_series *s;

    pthread_mutex_lock(&met_lock);
    s = series_get(name, labels);
    if (s != NULL)
        s->value = value;
    pthread_mutex_unlock(&met_lock);
}

void metrics_replace(const char *name, size_t n, const char *const *labels,
                     const double *values)
{
    int fam;

    pthread_mutex_lock(&met_lock);
    fam = family_find(name);
    for (int i = 0; i < met_n_series && fam >= 0; i++)
        if (met_series[i].family == fam)
            met_series[i].value = 0;
    for (size_t i = 0; i < n; i++) {
        struct met_series *s = series_get(name, labels[i]);

        if (s != NULL)
            s->value = values[i];
    }
    pthread_mutex_unlock(&met_lock);
}

void metrics_observe(const char *name, const char *labels, double value)
{
    struct met_series *s;

    pthread_mutex_lock(&met_lock);
    s = series_get(name, labels);
    if (s != NULL) {
        s->value += value;
        s->count++;
        for (int b = 0; b < MET_BUCKETS; b++)
            if (value <= met_bounds[b])
                s->buckets[b]++;
    }
    pthread_mutex_unlock(&met_lock);
}

double metrics_get(const char *name, const char *labels)
{
    double v = 0;
    int fam;

    pthread_mutex_lock(&met_lock);
    fam = family_find(name);
    for (int i = 0; fam >= 0 && i < met_n_series; i++)
        if (met_series[i].family == fam && strcmp(met_series[i].labels, labels) == 0)
            v = met_series[i].value;
    pthread_mutex_unlock(&met_lock);
    return v;
}

static void render_histogram(struct buf *out, const char *name, const struct met_series *s)
{
    const char *sep = s->labels[0] ? "," : "";
    /* no labels: no braces (the text format has no empty label set) */
    const char *open = s->labels[0] ? "{" : "", *close = s->labels[0] ? "}" : "";

    for (int b = 0; b < MET_BUCKETS; b++)
        buf_appendf(out, "%s_bucket{%s%sle=\"%g\"} %lu\n", name, s->labels, sep, met_bounds[b],
                    s->buckets[b]);
    buf_appendf(out, "%s_bucket{%s%sle=\"+Inf\"} %lu\n", name, s->labels, sep, s->count);
    buf_appendf(out, "%s_sum%s%s%s %.6f\n", name, open, s->labels, close, s->value);
    buf_appendf(out, "%s_count%s%s%s %lu\n", name, open, s->labels, close, s->count);
}

/* HELP text escapes backslash and line feed, as the text format asks. */
static void render_help(struct buf *out, const char *help)
{
    for (const char *p = help; *p != '\0'; p++) {
        if (*p == '\\')
            buf_append_str(out, "\\\\");
        else if (*p == '\n')
            buf_append_str(out, "\\n");
        else
            buf_append(out, p, 1);
    }
}

void metrics_render(struct buf *out)
{
    static const char *const type_names[] = {"counter", "gauge", "histogram"};

    pthread_mutex_lock(&met_lock);
    for (int f = 0; f < met_n_families; f++) {
        const struct met_family *fam = &met_families[f];

        buf_appendf(out, "# HELP %s ", fam->name);
        render_help(out, fam->help);
        buf_appendf(out, "\n# TYPE %s %s\n", fam->name, type_names[fam->type]);
        for (int i = 0; i < met_n_series; i++) {
            const struct met_series *s = &met_series[i];

            if (s->family != f)
                continue;
            if (fam->type == MET_HISTOGRAM)
                render_histogram(out, fam->name, s);
            else if (s->labels[0] != '\0')
                buf_appendf(out, "%s{%s} %.17g\n", fam->name, s->labels, s->value);
            else
                buf_appendf(out, "%s %.17g\n", fam->name, s->value);
        }
    }
    pthread_mutex_unlock(&met_lock);
}

void metrics_reset(void)
{
    pthread_mutex_lock(&met_lock);
    for (int i = 0; i < met_n_series; i++)
        free(met_series[i].labels);
    for (int f = 0; f < met_n_families; f++) {
        free(met_families[f].name);
        free(met_families[f].help);
    }
    met_n_series = 0;
    met_n_families = 0;
    pthread_mutex_unlock(&met_lock);
}
