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
#include <sys/socket.h>
#include <sys/uio.h>

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

/* Where requests go: an http URL, resolved once (lg_http.c). */
struct lg_target {
    struct sockaddr_storage addr;
    socklen_t addr_len;
    char host[300];  /* the Host header: host[:port] as the URL has it */
    char path[1024]; /* path and query */
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
    long slow_ms;      /* > 0: each answer slower than this (from schedule) is listed on stderr */
    struct lg_target target; /* from url */
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

/* The orders/paid body of delivery d, written into out (NUL-terminated); its
 * length. Bodies are ~1.9 KiB: LG_BODY_MAX leaves room to spare. */
#define LG_BODY_MAX 4096
size_t build_order_body(const struct options *opt, int64_t start_wall_s,
                        const struct delivery *d, char out[LG_BODY_MAX]);
/* A UUID-shaped webhook id, a pure function of (seed, seq). */
void make_webhook_id(char out[37], uint64_t seed, uint64_t seq);

/* ---- HTTP/1.1 over one keep-alive connection (lg_http.c) ---- */

#define LG_RESP_MAX 16384 /* an answer (head and body) larger than this is an error */

/* Parses an http URL into t (resolved once); false after a message when it
 * is not http, not loopback (unless allow_remote), or does not resolve. */
bool lg_target_parse(const char *url, bool allow_remote, struct lg_target *t);

struct lg_resp {
    int status;
    bool keep_alive; /* the server keeps the connection open after this answer */
};

/* Parses the answer at the start of buf[0..len) (eof: the server closed
 * after these bytes): its whole length (head and body) with *r filled, 0
 * while incomplete, -1 when malformed or larger than LG_RESP_MAX. Pure. */
long lg_resp_parse(const char *buf, size_t len, bool eof, struct lg_resp *r);

struct lg_conn {
    int fd; /* -1: not connected */
    uint64_t connects; /* connections opened */
    size_t in_len;
    char in[LG_RESP_MAX];
};

void lg_conn_init(struct lg_conn *c);
void lg_conn_close(struct lg_conn *c);
/* Sends the request req[0..n_iov) (at most 4 pieces) on c, connecting first
 * when needed, and reads its answer within timeout_ms: true with *status;
 * false (connection closed) with a message in err. A kept-alive connection
 * the server had closed meanwhile is replaced once, as libcurl does. */
bool lg_conn_exchange(struct lg_conn *c, const struct lg_target *t, const struct iovec *req,
                      int n_iov, long timeout_ms, int *status, char *err, size_t err_len);

/* Fills opt from argv; false (after a message) on any error (lg_options.c). */
bool parse_options(int argc, char **argv, struct options *opt);

#endif
