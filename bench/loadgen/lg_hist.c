/*
 * lg_hist.c - the load generator's latency histogram (see lg_int.h):
 * log-linear buckets of microseconds, bounded memory whatever the run.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "lg_int.h"

static size_t hist_index(uint64_t us)
{
    int msb;
    int shift;

    if (us < HIST_SUB)
        return (size_t)us;
    msb = 63 - __builtin_clzll(us);
    if (msb > HIST_MAX_MSB) {
        msb = HIST_MAX_MSB;
        us = (UINT64_C(1) << (HIST_MAX_MSB + 1)) - 1;
    }
    shift = msb - (HIST_SUB_BITS - 1);
    return HIST_SUB + (size_t)(msb - HIST_SUB_BITS) * HIST_HALF +
           (size_t)((us >> shift) - HIST_HALF);
}

/* Midpoint of a bucket, in microseconds. */
static double hist_bucket_mid_us(size_t idx)
{
    size_t k;
    int shift;
    uint64_t lower;

    if (idx < HIST_SUB)
        return (double)idx;
    k = idx - HIST_SUB;
    shift = (int)(k / HIST_HALF) + 1;
    lower = (uint64_t)(HIST_HALF + k % HIST_HALF) << shift;
    return (double)lower + (double)(UINT64_C(1) << shift) / 2.0;
}

void hist_record(struct hist *h, int64_t ns)
{
    uint64_t us = ns > 0 ? (uint64_t)(ns / 1000) : 0;

    h->bucket[hist_index(us)]++;
    h->count++;
    if (us > h->max_us)
        h->max_us = us;
}

void hist_merge(struct hist *into, const struct hist *from)
{
    for (size_t i = 0; i < HIST_BUCKETS; i++)
        into->bucket[i] += from->bucket[i];
    into->count += from->count;
    if (from->max_us > into->max_us)
        into->max_us = from->max_us;
}

/* The p-th percentile (0 < p <= 100) in milliseconds; 0 when empty. */
double hist_percentile_ms(const struct hist *h, double p)
{
    uint64_t rank;
    uint64_t seen = 0;

    if (h->count == 0)
        return 0.0;
    rank = (uint64_t)ceil(p / 100.0 * (double)h->count);
    if (rank == 0)
        rank = 1;
    for (size_t i = 0; i < HIST_BUCKETS; i++) {
        seen += h->bucket[i];
        if (seen >= rank) {
            double us = hist_bucket_mid_us(i);

            if (us > (double)h->max_us)
                us = (double)h->max_us;
            return us / 1000.0;
        }
    }
    return (double)h->max_us / 1000.0;
}
