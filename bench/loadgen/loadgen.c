/*
 * loadgen.c - open-loop load generator for POST /webhooks/shopline.
 *
 * Design notes
 *
 * - Open loop. With --rate R the k-th request is due at t0 + k/R, whatever
 *   happened to the previous ones. Each of the --connections threads claims
 *   the next slot from a shared counter, sleeps until it is due and sends it
 *   on its own keep-alive connection (lg_http.c: plain HTTP/1.1 on a
 *   blocking socket, no connection shared between threads). Latency is
 *   measured twice: from the slot's due time (what a sender such as
 *   Shopline experiences, including the time spent waiting for a free
 *   connection: this avoids coordinated omission) and from the moment the
 *   request actually left (the server's service time). With
 *   --rate 0 every thread sends back to back and both figures coincide.
 *   "connects" counts new connections: about one per thread when keep-alive
 *   holds.
 * - Realistic deliveries. Bodies are Shopline orders/paid payloads (26-digit
 *   id strings, money as strings, ISO-8601 times with +08:00, 2-3 lines),
 *   signed with HMAC-SHA256 (hex) over the exact bytes sent. A body is a pure
 *   function of (seed, delivery sequence, updated_at), so a re-delivery
 *   (--dup-ratio) resends byte-identical content under the same
 *   X-Shopline-Webhook-Id, as the platform does when it retries.
 * - Every order, when asked (--deliver-all, --retries; the orders bench).
 *   Without them a slot still unsent at the deadline is "missed" and a
 *   failed request is only counted, so a generator starved of CPU or
 *   connections under-delivers and a figure measures it, not the server.
 *   --deliver-all sends every slot due in the window, late if need be
 *   ("late" counts them; latency still runs from the slot's due time), and
 *   sends re-deliveries in addition to the slots, and new delivery k is
 *   order k (not a random one of --orders, which repeats some), so a run
 *   delivers exactly rate x duration distinct new orders. --retries N
 *   redelivers a delivery that got no answer (connection refused or reset,
 *   timeout) or a 408, 429 or 5xx: the same bytes under the same webhook
 *   id, as Shopline does, after 100 ms doubling to 5 s; "retries" counts
 *   them and the last outcome is the one recorded.
 * - Cheap. A request costs the generator one HMAC, one body written into a
 *   fixed buffer (lg_payload.c) and about two system calls, so that on a
 *   small machine the CPU goes to the server being measured, not to the
 *   generator (libcurl and a json-c tree per body cost ~145 us a request,
 *   about what shopvox spends answering it).
 * - Bounded. The run stops at --duration (at most 600 s) plus one request
 *   timeout (with --deliver-all, once the slots still due are sent; with
 *   --retries, their redeliveries too); latencies go to fixed-size log-linear histograms (~1.6%
 *   resolution), not to a per-request array, so memory does not grow with
 *   the run. Only the given URL is contacted (no redirects, no proxy,
 *   http only) and, unless --allow-remote is given, only a loopback
 *   host.
 *
 * Exit status: 0 when every request got a 2xx answer, 1 when some did not
 * (non-2xx or transport error), 2 on bad usage or setup failure.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "webhook.h"

#define NS_PER_S INT64_C(1000000000)
#define RETRY_FIRST_MS 100  /* the first redelivery waits this long, doubling */
#define RETRY_MAX_MS 5000   /* up to this */

#include "lg_int.h"

/* Shared by all threads; read-only once the threads start, except the
 * atomics. */
struct run {
    const struct options *opt;
    int64_t start_ns;    /* CLOCK_MONOTONIC */
    int64_t end_ns;
    int64_t start_wall_ms; /* the wall clock at start_ns: bodies' times, --slow-ms lines */
    char *head; /* fixed_head(): owned */
    size_t head_len;
    atomic_uint_fast64_t next_slot;
};

struct stats {
    uint64_t sent;
    uint64_t new_deliveries;
    uint64_t redeliveries;
    uint64_t ok;
    uint64_t errors;
    uint64_t connects; /* new connections opened: keep-alive works when ~= threads */
    uint64_t slots;    /* slots of the schedule sent (a --deliver-all dup is not one) */
    uint64_t late;     /* slots sent after the window (--deliver-all) */
    uint64_t retries;  /* redeliveries after a transport error or 408/429/5xx */
    uint64_t by_code[600]; /* index = HTTP status; others land in 0 */
    struct hist from_schedule;
    struct hist from_send;
    char first_error[256];
};

struct worker {
    pthread_t tid;
    struct run *run; /* shared; workers only touch next_slot */
    struct lg_conn conn;
    uint64_t rng;
    struct delivery recent[RECENT_DELIVERIES];
    size_t recent_len;
    size_t recent_next;
    struct stats *st; /* owned */
    char err[200];   /* the last transport error */
    char body[LG_BODY_MAX];
};

static atomic_int stop_requested;

/* ---- small helpers ---------------------------------------------------- */

static int64_t mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

/* Sleeps until the monotonic deadline, waking every 100 ms to notice a stop
 * request; returns false when stopped. */
static bool sleep_until_ns(int64_t deadline_ns)
{
    for (;;) {
        int64_t now = mono_ns();
        int64_t wake = deadline_ns;
        struct timespec ts;

        if (atomic_load(&stop_requested))
            return false;
        if (now >= deadline_ns)
            return true;
        if (wake - now > NS_PER_S / 10)
            wake = now + NS_PER_S / 10;
        ts.tv_sec = (time_t)(wake / NS_PER_S);
        ts.tv_nsec = (long)(wake % NS_PER_S);
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
    }
}

/* splitmix64: a good 64-bit mixer, used both as a PRNG step and as a hash. */
static uint64_t rng_next(uint64_t *state)
{
    *state += UINT64_C(0x9e3779b97f4a7c15);
    return mix64(*state);
}

/* Uniform in [0, 1). */
static double rng_unit(uint64_t *state)
{
    return (double)(rng_next(state) >> 11) * (1.0 / 9007199254740992.0);
}

/* ---- one request ------------------------------------------------------ */

/* The request head up to the per-delivery headers: the same for every request. */
static char *fixed_head(const struct options *opt)
{
    return xasprintf("POST %s HTTP/1.1\r\n"
                     "Host: %s\r\n"
                     "User-Agent: shopvox-loadgen/1\r\n"
                     "Content-Type: application/json; charset=utf-8\r\n"
                     "X-Shopline-Topic: orders/paid\r\n"
                     "X-Shopline-API-Version: v20260301\r\n"
                     "X-Shopline-Shop-Domain: %s\r\n",
                     opt->target.path, opt->target.host, opt->shop_domain);
}

/* What a send may be: either (dup_ratio decides), a new delivery, a re-delivery. */
enum pick { PICK_ANY, PICK_NEW, PICK_DUP };

/* Picks a re-delivery (dup_ratio, or always for PICK_DUP) or a new delivery numbered slot. */
static struct delivery next_delivery(struct worker *w, uint64_t slot, enum pick pick,
                                     bool *is_dup)
{
    const struct options *opt = w->run->opt;
    struct delivery d;

    *is_dup = false;
    if (w->recent_len > 0 &&
        (pick == PICK_DUP ||
         (pick == PICK_ANY && opt->dup_ratio > 0.0 && rng_unit(&w->rng) < opt->dup_ratio))) {
        *is_dup = true;
        return w->recent[rng_next(&w->rng) % w->recent_len];
    }
    d.seq = slot + opt->first_seq;
    d.updated_at_s = (int64_t)time(NULL);
    w->recent[w->recent_next] = d;
    w->recent_next = (w->recent_next + 1) % RECENT_DELIVERIES;
    if (w->recent_len < RECENT_DELIVERIES)
        w->recent_len++;
    return d;
}

/* Whether an attempt's outcome is one Shopline redelivers: no answer, 408, 429, 5xx. */
static bool worth_retrying(bool answered, int code)
{
    return !answered || code == 408 || code == 429 || code >= 500;
}

static void record_result(struct worker *w, bool answered, int code, int64_t due_ns,
                          int64_t sent_ns, int64_t done_ns)
{
    struct stats *st = w->st;

    st->sent++;
    if (!answered) {
        st->errors++;
        if (st->first_error[0] == '\0')
            snprintf(st->first_error, sizeof(st->first_error), "%s", w->err);
        return;
    }
    st->by_code[code > 0 && code < 600 ? code : 0]++;
    if (code >= 200 && code < 300)
        st->ok++;
    hist_record(&st->from_schedule, done_ns - due_ns);
    hist_record(&st->from_send, done_ns - sent_ns);
    if (w->run->opt->slow_ms > 0 && done_ns - due_ns > w->run->opt->slow_ms * 1000000)
        fprintf(stderr, "slow due_ms=%.3f wall_ms=%.3f schedule_ms=%.3f send_ms=%.3f code=%d\n",
                (double)(due_ns - w->run->start_ns) / 1e6,
                (double)w->run->start_wall_ms + (double)(due_ns - w->run->start_ns) / 1e6,
                (double)(done_ns - due_ns) / 1e6, (double)(done_ns - sent_ns) / 1e6, code);
}

/*
 * Sends delivery slot (what pick allows); due_ns < 0 means unpaced (due when
 * sent). Up to --retries redeliveries of the same bytes after an outcome
 * worth retrying, backing off from RETRY_FIRST_MS; the last outcome counts.
 */
static void send_one(struct worker *w, uint64_t slot, int64_t due_ns, enum pick pick)
{
    const struct options *opt = w->run->opt;
    struct delivery d;
    bool is_dup;
    bool answered;
    int code = 0;
    char webhook_id[37];
    char signature[65];
    char head[256];
    size_t body_len;
    int64_t sent_ns;
    struct iovec req[3];

    d = next_delivery(w, slot, pick, &is_dup);
    body_len = build_order_body(opt, w->run->start_wall_ms / 1000, &d, w->body);
    whk_sign_hex(opt->secret, w->body, body_len, signature);
    make_webhook_id(webhook_id, opt->seed, d.seq);
    req[0] = (struct iovec){w->run->head, w->run->head_len};
    req[1].iov_base = head;
    req[1].iov_len = (size_t)snprintf(head, sizeof(head),
                                      "X-Shopline-Webhook-Id: %s\r\n"
                                      "X-Shopline-Hmac-Sha256: %s\r\n"
                                      "Content-Length: %zu\r\n\r\n",
                                      webhook_id, signature, body_len);
    req[2] = (struct iovec){w->body, body_len};
    for (long attempt = 0;; attempt++) {
        int64_t backoff_ms = RETRY_FIRST_MS << (attempt < 6 ? attempt : 6);

        sent_ns = mono_ns();
        answered = lg_conn_exchange(&w->conn, &opt->target, req, 3, opt->timeout_ms, &code,
                                    w->err, sizeof(w->err));
        if (attempt >= opt->retries || !worth_retrying(answered, code))
            break;
        w->st->retries++;
        if (!sleep_until_ns(mono_ns() +
                            (backoff_ms < RETRY_MAX_MS ? backoff_ms : RETRY_MAX_MS) * 1000000))
            break;
    }
    record_result(w, answered, code, due_ns < 0 ? sent_ns : due_ns, sent_ns, mono_ns());
    if (is_dup)
        w->st->redeliveries++;
    else
        w->st->new_deliveries++;
}

/* ---- threads ---------------------------------------------------------- */

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct run *run = w->run;
    const double rate = run->opt->rate_per_s;

    while (!atomic_load(&stop_requested)) {
        uint64_t slot = atomic_fetch_add(&run->next_slot, 1);
        int64_t due_ns = 0;

        if (rate > 0.0) {
            due_ns = run->start_ns + (int64_t)((double)slot * 1e9 / rate);
            if (due_ns >= run->end_ns || !sleep_until_ns(due_ns))
                break;
        }
        if (mono_ns() >= run->end_ns) {
            if (!(run->opt->deliver_all && rate > 0.0))
                break; /* behind schedule at the deadline: the rest is "missed" */
            w->st->late++;
        }
        w->st->slots++;
        if (!run->opt->deliver_all) {
            send_one(w, slot, rate > 0.0 ? due_ns : -1, PICK_ANY);
            continue;
        }
        send_one(w, slot, rate > 0.0 ? due_ns : -1, PICK_NEW);
        if (run->opt->dup_ratio > 0.0 && rng_unit(&w->rng) < run->opt->dup_ratio)
            send_one(w, slot, rate > 0.0 ? due_ns : -1, PICK_DUP);
    }
    w->st->connects = w->conn.connects;
    return NULL;
}

static void worker_setup(struct worker *w, struct run *run, unsigned idx)
{
    w->run = run;
    w->rng = mix64(run->opt->seed + 0x5157 + idx);
    w->st = xcalloc(1, sizeof(*w->st));
    lg_conn_init(&w->conn);
}

static void worker_cleanup(struct worker *w)
{
    lg_conn_close(&w->conn);
    free(w->st);
}

static void on_signal(int sig)
{
    (void)sig;
    atomic_store(&stop_requested, 1);
}

/* ---- report ----------------------------------------------------------- */

static void stats_merge(struct stats *into, const struct stats *from)
{
    into->sent += from->sent;
    into->new_deliveries += from->new_deliveries;
    into->redeliveries += from->redeliveries;
    into->ok += from->ok;
    into->errors += from->errors;
    into->connects += from->connects;
    into->slots += from->slots;
    into->late += from->late;
    into->retries += from->retries;
    for (size_t i = 0; i < ARRAY_LEN(into->by_code); i++)
        into->by_code[i] += from->by_code[i];
    hist_merge(&into->from_schedule, &from->from_schedule);
    hist_merge(&into->from_send, &from->from_send);
    if (into->first_error[0] == '\0')
        memcpy(into->first_error, from->first_error, sizeof(into->first_error));
}

static void print_latency(const char *label, const struct hist *h)
{
    printf("  %-14s p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f ms\n", label,
           hist_percentile_ms(h, 50.0), hist_percentile_ms(h, 90.0),
           hist_percentile_ms(h, 99.0), hist_percentile_ms(h, 99.9),
           (double)h->max_us / 1000.0);
}

/*
 * The sending window is --duration, or the time until ^C: the tail spent
 * waiting for the last answers is not part of it.
 */
static void report(const struct options *opt, const struct stats *t, double elapsed_s,
                   bool interrupted)
{
    double window_s = interrupted && elapsed_s < opt->duration_s ? elapsed_s : opt->duration_s;
    uint64_t non2xx = t->sent - t->ok - t->errors;
    uint64_t expected = opt->rate_per_s > 0.0 ? (uint64_t)ceil(opt->rate_per_s * window_s) : 0;
    uint64_t missed = expected > t->slots ? expected - t->slots : 0;
    double rps = window_s > 0.0 ? (double)t->sent / window_s : 0.0;
    char codes[1024] = "";
    char rate[32];
    size_t used = 0;

    for (size_t c = 0; c < ARRAY_LEN(t->by_code); c++) {
        if (t->by_code[c] == 0 || (c >= 200 && c < 300))
            continue;
        used += (size_t)snprintf(codes + used, sizeof(codes) - used, "%s%zu:%" PRIu64,
                                 used ? "," : "", c, t->by_code[c]);
        if (used >= sizeof(codes))
            break;
    }
    if (opt->rate_per_s > 0.0)
        snprintf(rate, sizeof(rate), "%.6g/s", opt->rate_per_s);
    else
        snprintf(rate, sizeof(rate), "max");
    printf("loadgen: %s rate=%s duration=%.6gs connections=%ld orders=%ld dup_ratio=%.6g "
           "seed=%" PRIu64 "\n",
           opt->url, rate, opt->duration_s, opt->connections, opt->orders, opt->dup_ratio,
           opt->seed);
    printf("  sent           %" PRIu64 " (new %" PRIu64 ", redelivered %" PRIu64 ")\n", t->sent,
           t->new_deliveries, t->redeliveries);
    printf("  ok (2xx)       %" PRIu64 "\n", t->ok);
    printf("  non-2xx        %" PRIu64 "%s%s%s\n", non2xx, codes[0] ? " (" : "", codes,
           codes[0] ? ")" : "");
    printf("  errors         %" PRIu64 "%s%s\n", t->errors, t->first_error[0] ? ", first: " : "",
           t->first_error);
    if (opt->rate_per_s > 0.0)
        printf("  missed         %" PRIu64 " (due before the deadline, never sent)\n", missed);
    printf("  achieved       %.1f req/s over %.2f s%s\n", rps, window_s,
           interrupted ? " (interrupted)" : "");
    printf("  connections    %" PRIu64 " opened\n", t->connects);
    printf("  retries        %" PRIu64
           " (redeliveries after no answer, 408, 429, 5xx; max %ld each)\n",
           t->retries, opt->retries);
    if (opt->deliver_all)
        printf("  late           %" PRIu64 " (sent after the window: --deliver-all)\n", t->late);
    puts("  latency (answered requests):");
    print_latency("from schedule", &t->from_schedule);
    print_latency("from send", &t->from_send);
    printf("RESULT target_rps=%.6g rps=%.1f interrupted=%d sent=%" PRIu64 " ok=%" PRIu64
           " non2xx=%" PRIu64 " errors=%" PRIu64 " missed=%" PRIu64 " redelivered=%" PRIu64
           " connects=%" PRIu64,
           opt->rate_per_s, rps, interrupted ? 1 : 0, t->sent, t->ok, non2xx, t->errors,
           missed, t->redeliveries, t->connects);
    printf(" p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f",
           hist_percentile_ms(&t->from_schedule, 50.0),
           hist_percentile_ms(&t->from_schedule, 90.0),
           hist_percentile_ms(&t->from_schedule, 99.0),
           hist_percentile_ms(&t->from_schedule, 99.9),
           (double)t->from_schedule.max_us / 1000.0);
    printf(" send_p50_ms=%.3f send_p99_ms=%.3f send_max_ms=%.3f codes=%s",
           hist_percentile_ms(&t->from_send, 50.0), hist_percentile_ms(&t->from_send, 99.0),
           (double)t->from_send.max_us / 1000.0, codes[0] ? codes : "-");
    printf(" new=%" PRIu64 " retries=%" PRIu64 " late=%" PRIu64 "\n", t->new_deliveries,
           t->retries, t->late);
}

/* ---- main ------------------------------------------------------------- */

int main(int argc, char **argv)
{
    struct options opt;
    struct run run;
    struct worker *workers = NULL;
    struct stats *total = NULL;
    struct sigaction sa;
    sigset_t block;
    sigset_t old;
    long started = 0;
    int exit_code = 2;

    memset(&run, 0, sizeof(run));
    if (!parse_options(argc, argv, &opt))
        goto out;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    workers = xcalloc((size_t)opt.connections, sizeof(*workers));
    run.opt = &opt;
    run.head = fixed_head(&opt);
    run.head_len = strlen(run.head);
    atomic_init(&run.next_slot, 0);
    for (long i = 0; i < opt.connections; i++)
        worker_setup(&workers[i], &run, (unsigned)i);

    /* signals go to the main thread only; workers poll stop_requested */
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    run.start_wall_ms = now_ms_wall();
    run.start_ns = mono_ns();
    run.end_ns = run.start_ns + (int64_t)(opt.duration_s * 1e9);
    for (; started < opt.connections; started++) {
        if (pthread_create(&workers[started].tid, NULL, worker_main, &workers[started]) != 0) {
            fprintf(stderr, "loadgen: could not start thread %ld\n", started);
            atomic_store(&stop_requested, 1);
            break;
        }
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);

    total = xcalloc(1, sizeof(*total));
    for (long i = 0; i < started; i++) {
        pthread_join(workers[i].tid, NULL);
        stats_merge(total, workers[i].st);
    }
    report(&opt, total, (double)(mono_ns() - run.start_ns) / 1e9,
           atomic_load(&stop_requested) != 0);
    if (started == opt.connections)
        exit_code = (total->ok == total->sent && total->sent > 0) ? 0 : 1;

out:
    if (workers != NULL) {
        for (long i = 0; i < opt.connections; i++)
            worker_cleanup(&workers[i]);
    }
    free(workers);
    free(total);
    free(run.head);
    free(opt.secret);
    return exit_code;
}
