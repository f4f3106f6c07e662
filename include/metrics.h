/*
 * metrics.h - in-process Prometheus metrics (counters, gauges, histograms).
 *
 * A family is described once (name, type, help); series are created on
 * first use with a label string such as `topic="orders/paid",outcome="stored"`.
 * Thread-safe; the number of series is capped (MET_MAX_SERIES) so a label
 * fed from outside can never grow memory without bound — callers map
 * unknown label values to "other" before calling. Gauges that live in the
 * database (orders by state, jobs by kind and state) are computed on a
 * schedule off the request path (gauges.c) and set here with
 * metrics_replace, so a scrape never touches the database.
 */
#ifndef SHOPVOX_METRICS_H
#define SHOPVOX_METRICS_H

#include "buf.h"

#define MET_MAX_SERIES 1024

enum met_type { MET_COUNTER, MET_GAUGE, MET_HISTOGRAM };

/* Registers a family (idempotent). Must precede use of name. */
void metrics_describe(const char *name, enum met_type type, const char *help);
/* Adds delta to a counter or gauge series. labels may be "" (no labels). */
void metrics_add(const char *name, const char *labels, double delta);
void metrics_inc(const char *name, const char *labels);
void metrics_set(const char *name, const char *labels, double value);
/*
 * Sets a gauge family as a whole, atomically for readers: the n series
 * given take their values, every other series of the family becomes 0
 * (a state that emptied shows 0, not its last count).
 */
void metrics_replace(const char *name, size_t n, const char *const *labels,
                     const double *values);
/* Records one histogram observation in seconds. */
void metrics_observe(const char *name, const char *labels, double value);
/* Current value of a counter/gauge series (0 when absent); for tests. */
double metrics_get(const char *name, const char *labels);
/* Appends the exposition text of every family to out. */
void metrics_render(struct buf *out);
/* Forgets every series and family (tests). */
void metrics_reset(void);

#endif
