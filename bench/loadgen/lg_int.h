/*
 * lg_int.h - what the load generator's files share (bench/loadgen/): the
 * options, one delivery, the latency histogram (lg_hist.c), the order
 * payloads (lg_payload.c) and the mixing hash both draw from.
 */
#ifndef SHOPVOX_LG_INT_H
#define SHOPVOX_LG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAX_DURATION_S 600.0
#define MAX_CONNECTIONS 256
#define MAX_ORDERS 100000000L
#define MAX_TIMEOUT_MS 60000L
#define MAX_SECRET_BYTES 4096
#define MAX_RETRIES 100
#define RECENT_DELIVERIES 1024 /* per thread: the pool re-deliveries draw from */

/* Log-linear histogram of microseconds: exact below 128 us, then 64
 * sub-buckets per power of two up to 2^41 us (~25 days, clamped). */
#define HIST_SUB_BITS 7
#define HIST_SUB (1u << HIST_SUB_BITS)
#define HIST_HALF (HIST_SUB / 2)
#define HIST_MAX_MSB 41
#define HIST_BUCKETS (HIST_SUB + (HIST_MAX_MSB - HIST_SUB_BITS + 1) * HIST_HALF)

struct hist {
    uint64_t count;
    uint64_t max_us;
    uint64_t bucket[HIST_BUCKETS];
};

struct options {
    const char *url;
    char *secret; /* owned */
    const char *shop_domain;
    double rate_per_s;
    double duration_s;
    long connections;
    long orders;
    double dup_ratio;
    long timeout_ms;
    uint64_t seed;
    uint64_t first_seq; /* added to every delivery's sequence number */
    bool allow_remote;
    long retries;      /* redeliveries of one delivery after a transport error or 408/429/5xx */
    bool deliver_all;  /* every slot of the window is sent, late if need be; dups on top */
};

struct delivery {
    uint64_t seq;
    int64_t updated_at_s;
};

/* splitmix64's mixing step: the payloads and the thread generators draw from it. */
static inline uint64_t mix64(uint64_t x)
{
    x += UINT64_C(0x9e3779b97f4a7c15);
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

void hist_record(struct hist *h, int64_t ns);
void hist_merge(struct hist *into, const struct hist *from);
double hist_percentile_ms(const struct hist *h, double p);

/* The orders/paid body of delivery d (malloc'd, NUL-terminated). */
char *build_order_body(const struct options *opt, int64_t start_wall_s,
                       const struct delivery *d);
/* A UUID-shaped webhook id, a pure function of (seed, seq). */
void make_webhook_id(char out[37], uint64_t seed, uint64_t seq);

/* Fills opt from argv; false (after a message) on any error (lg_options.c). */
bool parse_options(int argc, char **argv, struct options *opt);

#endif
