/*
 * loadgen.c - open-loop load generator for POST /webhooks/shopline.
 *
 * Design notes
 *
 * - Open loop. With --rate R the k-th request is due at t0 + k/R, whatever
 *   happened to the previous ones. Each of the --connections threads claims
 *   the next slot from a shared counter, sleeps until it is due and sends it
 *   on its own persistent libcurl easy handle (keep-alive, no handle shared
 *   between threads). Latency is measured twice: from the slot's due time
 *   (what a sender such as Shopline experiences, including the time spent
 *   waiting for a free connection: this avoids coordinated omission) and from
 *   the moment the request actually left (the server's service time). With
 *   --rate 0 every thread sends back to back and both figures coincide.
 *   "connects" counts new connections: about one per thread when keep-alive
 *   holds.
 * - Realistic deliveries. Bodies are Shopline orders/paid payloads (26-digit
 *   id strings, money as strings, ISO-8601 times with +08:00, 2-3 lines),
 *   signed with HMAC-SHA256 (hex) over the exact bytes sent. A body is a pure
 *   function of (seed, delivery sequence, updated_at), so a re-delivery
 *   (--dup-ratio) resends byte-identical content under the same
 *   X-Shopline-Webhook-Id, as the platform does when it retries.
 * - Bounded. The run stops at --duration (at most 600 s) plus one request
 *   timeout; latencies go to fixed-size log-linear histograms (~1.6%
 *   resolution), not to a per-request array, so memory does not grow with
 *   the run. Only the given URL is contacted (no redirects, no proxy,
 *   http/https only) and, unless --allow-remote is given, only a loopback
 *   host.
 *
 * Exit status: 0 when every request got a 2xx answer, 1 when some did not
 * (non-2xx or transport error), 2 on bad usage or setup failure.
 */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
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

#define MAX_DURATION_S 600.0
#define MAX_CONNECTIONS 256
#define MAX_ORDERS 100000000L
#define MAX_TIMEOUT_MS 60000L
#define MAX_SECRET_BYTES 4096
#define NS_PER_S INT64_C(1000000000)

#include "lg_int.h"

/* Shared by all threads; read-only once the threads start, except the
 * atomics. */
struct run {
    const struct options *opt;
    int64_t start_ns;    /* CLOCK_MONOTONIC */
    int64_t end_ns;
    int64_t start_wall_s;
    atomic_uint_fast64_t next_slot;
};

struct stats {
    uint64_t sent;
    uint64_t new_deliveries;
    uint64_t redeliveries;
    uint64_t ok;
    uint64_t errors;
    uint64_t connects; /* new connections opened: keep-alive works when ~= threads */
    uint64_t by_code[600]; /* index = HTTP status; others land in 0 */
    struct hist from_schedule;
    struct hist from_send;
    char first_error[CURL_ERROR_SIZE + 64];
};

struct worker {
    pthread_t tid;
    struct run *run; /* shared; workers only touch next_slot */
    CURL *curl;
    uint64_t rng;
    struct delivery recent[RECENT_DELIVERIES];
    size_t recent_len;
    size_t recent_next;
    struct stats *st; /* owned */
    char curl_err[CURL_ERROR_SIZE];
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

static size_t discard_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    (void)ptr;
    (void)userdata;
    return size * nmemb;
}

static struct curl_slist *build_headers(const struct options *opt, const char *webhook_id,
                                        const char *signature)
{
    struct curl_slist *h = NULL;
    char line[512];

    h = curl_slist_append(h, "Content-Type: application/json; charset=utf-8");
    h = curl_slist_append(h, "Expect:"); /* no 100-continue round trip */
    h = curl_slist_append(h, "X-Shopline-Topic: orders/paid");
    h = curl_slist_append(h, "X-Shopline-API-Version: v20260301");
    snprintf(line, sizeof(line), "X-Shopline-Shop-Domain: %s", opt->shop_domain);
    h = curl_slist_append(h, line);
    snprintf(line, sizeof(line), "X-Shopline-Webhook-Id: %s", webhook_id);
    h = curl_slist_append(h, line);
    snprintf(line, sizeof(line), "X-Shopline-Hmac-Sha256: %s", signature);
    h = curl_slist_append(h, line);
    return h;
}

/* Picks a re-delivery (dup_ratio) or a new delivery numbered slot. */
static struct delivery next_delivery(struct worker *w, uint64_t slot, bool *is_dup)
{
    const struct options *opt = w->run->opt;
    struct delivery d;

    *is_dup = false;
    if (w->recent_len > 0 && opt->dup_ratio > 0.0 && rng_unit(&w->rng) < opt->dup_ratio) {
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

static void record_result(struct worker *w, CURLcode cc, int64_t due_ns, int64_t sent_ns,
                          int64_t done_ns)
{
    struct stats *st = w->st;
    long code = 0;
    long connects = 0;

    st->sent++;
    if (curl_easy_getinfo(w->curl, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK && connects > 0)
        st->connects += (uint64_t)connects;
    if (cc != CURLE_OK) {
        st->errors++;
        if (st->first_error[0] == '\0')
            snprintf(st->first_error, sizeof(st->first_error), "%s: %s",
                     curl_easy_strerror(cc), w->curl_err);
        return;
    }
    curl_easy_getinfo(w->curl, CURLINFO_RESPONSE_CODE, &code);
    st->by_code[code > 0 && code < 600 ? code : 0]++;
    if (code >= 200 && code < 300)
        st->ok++;
    hist_record(&st->from_schedule, done_ns - due_ns);
    hist_record(&st->from_send, done_ns - sent_ns);
}

/* Sends delivery slot; due_ns < 0 means unpaced (due when sent). */
static void send_one(struct worker *w, uint64_t slot, int64_t due_ns)
{
    const struct options *opt = w->run->opt;
    struct curl_slist *headers;
    struct delivery d;
    bool is_dup;
    char webhook_id[37];
    char signature[65];
    char *body;
    size_t body_len;
    int64_t sent_ns;
    CURLcode cc;

    d = next_delivery(w, slot, &is_dup);
    body = build_order_body(opt, w->run->start_wall_s, &d);
    body_len = strlen(body);
    whk_sign_hex(opt->secret, body, body_len, signature);
    make_webhook_id(webhook_id, opt->seed, d.seq);
    headers = build_headers(opt, webhook_id, signature);

    curl_easy_setopt(w->curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(w->curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(w->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    w->curl_err[0] = '\0';
    sent_ns = mono_ns();
    cc = curl_easy_perform(w->curl);
    record_result(w, cc, due_ns < 0 ? sent_ns : due_ns, sent_ns, mono_ns());
    if (is_dup)
        w->st->redeliveries++;
    else
        w->st->new_deliveries++;

    curl_slist_free_all(headers);
    free(body);
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
        if (mono_ns() >= run->end_ns)
            break; /* behind schedule at the deadline: the rest is "missed" */
        send_one(w, slot, rate > 0.0 ? due_ns : -1);
    }
    return NULL;
}

static int worker_setup(struct worker *w, struct run *run, unsigned idx)
{
    const struct options *opt = run->opt;

    w->run = run;
    w->rng = mix64(opt->seed + 0x5157 + idx);
    w->st = xcalloc(1, sizeof(*w->st));
    w->curl = curl_easy_init();
    if (w->curl == NULL)
        return -1;
    curl_easy_setopt(w->curl, CURLOPT_URL, opt->url);
    curl_easy_setopt(w->curl, CURLOPT_POST, 1L);
    curl_easy_setopt(w->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(w->curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(w->curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(w->curl, CURLOPT_NOPROXY, "*"); /* ignore http_proxy: the URL only */
    curl_easy_setopt(w->curl, CURLOPT_TIMEOUT_MS, opt->timeout_ms);
    curl_easy_setopt(w->curl, CURLOPT_CONNECTTIMEOUT_MS, opt->timeout_ms);
    curl_easy_setopt(w->curl, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(w->curl, CURLOPT_MAXCONNECTS, 1L);
    curl_easy_setopt(w->curl, CURLOPT_WRITEFUNCTION, discard_body);
    curl_easy_setopt(w->curl, CURLOPT_ERRORBUFFER, w->curl_err);
    curl_easy_setopt(w->curl, CURLOPT_USERAGENT, "shopvox-loadgen/1");
    return 0;
}

static void worker_cleanup(struct worker *w)
{
    if (w->curl != NULL)
        curl_easy_cleanup(w->curl);
    free(w->st);
}

static void on_signal(int sig)
{
    (void)sig;
    atomic_store(&stop_requested, 1);
}

/* ---- options ---------------------------------------------------------- */

static void usage(FILE *f)
{
    fputs("usage: loadgen --url URL (--secret S | --secret-file F | env SHOPLINE_APP_SECRET)\n"
          "               [--rate N] [--duration S] [--connections C] [--orders N]\n"
          "               [--dup-ratio R] [--shop-domain D] [--timeout-ms MS] [--seed N]\n"
          "               [--first-seq N] [--allow-remote]\n"
          "\n"
          "  --url URL         webhook endpoint, e.g. http://127.0.0.1:8080/webhooks/shopline\n"
          "  --secret S        app secret used to sign bodies (hex HMAC-SHA256)\n"
          "  --secret-file F   read the secret from F (trailing newline dropped)\n"
          "  --rate N          target requests/s, open loop; 0 = as fast as possible (100)\n"
          "  --duration S      seconds to run, at most 600 (10)\n"
          "  --connections C   threads, each with one keep-alive connection, 1-256 (4)\n"
          "  --orders N        distinct order ids (1000)\n"
          "  --dup-ratio R     fraction of re-deliveries reusing a webhook id, 0-1 (0.1)\n"
          "  --shop-domain D   X-Shopline-Shop-Domain (loadgen.myshopline.com)\n"
          "  --timeout-ms MS   per-request timeout, at most 60000 (10000)\n"
          "  --seed N          makes ids reproducible (default: from the clock)\n"
          "  --first-seq N     number of the first delivery (0): runs sharing a --seed (and\n"
          "                    so its order ids) get distinct webhook ids from distinct N\n"
          "  --allow-remote    permit a non-loopback host (default: loopback only)\n",
          f);
}

static bool parse_double(const char *s, double lo, double hi, double *out)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !(v >= lo && v <= hi))
        return false;
    *out = v;
    return true;
}

static bool parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

static char *read_secret_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    char buf[MAX_SECRET_BYTES + 1];
    size_t n;

    if (f == NULL) {
        fprintf(stderr, "loadgen: could not open secret file \"%s\": %s\n", path,
                strerror(errno));
        return NULL;
    }
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        n--;
    return xstrndup(buf, n);
}

/* true when host (as libcurl reports it) is a loopback name or address */
static bool host_is_loopback(const char *host)
{
    return strcmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0 ||
           strncmp(host, "127.", 4) == 0;
}

static bool check_url(const struct options *opt)
{
    CURLU *u = curl_url();
    char *scheme = NULL;
    char *host = NULL;
    bool ok = false;

    if (u == NULL || curl_url_set(u, CURLUPART_URL, opt->url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
        fprintf(stderr, "loadgen: invalid --url \"%s\"\n", opt->url);
        goto out;
    }
    if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
        fprintf(stderr, "loadgen: --url must be http or https, got \"%s\"\n", scheme);
        goto out;
    }
    if (!opt->allow_remote && !host_is_loopback(host)) {
        fprintf(stderr,
                "loadgen: refusing non-loopback host \"%s\" (pass --allow-remote to load a "
                "server you own)\n",
                host);
        goto out;
    }
    ok = true;
out:
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return ok;
}

enum { OPT_URL = 256, OPT_SECRET, OPT_SECRET_FILE, OPT_RATE, OPT_DURATION, OPT_CONNECTIONS,
       OPT_ORDERS, OPT_DUP_RATIO, OPT_SHOP_DOMAIN, OPT_TIMEOUT, OPT_SEED, OPT_ALLOW_REMOTE,
       OPT_HELP, OPT_FIRST_SEQ };

static const struct option long_options[] = {
    {"url", required_argument, NULL, OPT_URL},
    {"secret", required_argument, NULL, OPT_SECRET},
    {"secret-file", required_argument, NULL, OPT_SECRET_FILE},
    {"rate", required_argument, NULL, OPT_RATE},
    {"duration", required_argument, NULL, OPT_DURATION},
    {"connections", required_argument, NULL, OPT_CONNECTIONS},
    {"orders", required_argument, NULL, OPT_ORDERS},
    {"dup-ratio", required_argument, NULL, OPT_DUP_RATIO},
    {"shop-domain", required_argument, NULL, OPT_SHOP_DOMAIN},
    {"timeout-ms", required_argument, NULL, OPT_TIMEOUT},
    {"seed", required_argument, NULL, OPT_SEED},
    {"first-seq", required_argument, NULL, OPT_FIRST_SEQ},
    {"allow-remote", no_argument, NULL, OPT_ALLOW_REMOTE},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

static bool bad_value(const char *name, const char *value, const char *range)
{
    fprintf(stderr, "loadgen: invalid %s \"%s\" (allowed: %s)\n", name, value, range);
    return false;
}

/* Fills opt from argv; false (after a message) on any error. */
static bool parse_options(int argc, char **argv, struct options *opt)
{
    long seed = -1;
    int c;

    *opt = (struct options){.shop_domain = "loadgen.myshopline.com", .rate_per_s = 100.0,
                            .duration_s = 10.0, .connections = 4, .orders = 1000,
                            .dup_ratio = 0.1, .timeout_ms = 10000};
    while ((c = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
        switch (c) {
        case OPT_URL: opt->url = optarg; break;
        case OPT_SECRET:
            free(opt->secret);
            opt->secret = xstrdup(optarg);
            break;
        case OPT_SECRET_FILE:
            free(opt->secret);
            opt->secret = read_secret_file(optarg);
            if (opt->secret == NULL)
                return false;
            break;
        case OPT_RATE:
            if (!parse_double(optarg, 0.0, 1e7, &opt->rate_per_s))
                return bad_value("--rate", optarg, "0 to 10000000");
            break;
        case OPT_DURATION:
            if (!parse_double(optarg, 0.001, MAX_DURATION_S, &opt->duration_s))
                return bad_value("--duration", optarg, "0.001 to 600");
            break;
        case OPT_CONNECTIONS:
            if (!parse_long(optarg, 1, MAX_CONNECTIONS, &opt->connections))
                return bad_value("--connections", optarg, "1 to 256");
            break;
        case OPT_ORDERS:
            if (!parse_long(optarg, 1, MAX_ORDERS, &opt->orders))
                return bad_value("--orders", optarg, "1 to 100000000");
            break;
        case OPT_DUP_RATIO:
            if (!parse_double(optarg, 0.0, 1.0, &opt->dup_ratio))
                return bad_value("--dup-ratio", optarg, "0 to 1");
            break;
        case OPT_SHOP_DOMAIN:
            if (strlen(optarg) == 0 || strlen(optarg) > 255 || strpbrk(optarg, "\r\n") != NULL)
                return bad_value("--shop-domain", optarg, "1 to 255 characters, one line");
            opt->shop_domain = optarg;
            break;
        case OPT_TIMEOUT:
            if (!parse_long(optarg, 1, MAX_TIMEOUT_MS, &opt->timeout_ms))
                return bad_value("--timeout-ms", optarg, "1 to 60000");
            break;
        case OPT_SEED:
            if (!parse_long(optarg, 0, 999999999, &seed))
                return bad_value("--seed", optarg, "0 to 999999999");
            break;
        case OPT_FIRST_SEQ: {
            long first = 0;

            if (!parse_long(optarg, 0, 999999999999L, &first))
                return bad_value("--first-seq", optarg, "0 to 999999999999");
            opt->first_seq = (uint64_t)first;
            break;
        }
        case OPT_ALLOW_REMOTE: opt->allow_remote = true; break;
        case OPT_HELP: usage(stdout); exit(0);
        default: usage(stderr); return false;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "loadgen: unexpected argument \"%s\"\n", argv[optind]);
        return false;
    }
    if (opt->url == NULL) {
        fputs("loadgen: --url is required\n", stderr);
        return false;
    }
    if (opt->secret == NULL && getenv("SHOPLINE_APP_SECRET") != NULL)
        opt->secret = xstrdup(getenv("SHOPLINE_APP_SECRET"));
    if (opt->secret == NULL || opt->secret[0] == '\0') {
        fputs("loadgen: a secret is required (--secret, --secret-file or SHOPLINE_APP_SECRET)\n",
              stderr);
        return false;
    }
    opt->seed = seed >= 0 ? (uint64_t)seed
                          : (uint64_t)now_ms_wall() % UINT64_C(1000000000);
    return check_url(opt);
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
    uint64_t missed = expected > t->sent ? expected - t->sent : 0;
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
    printf(" send_p50_ms=%.3f send_p99_ms=%.3f send_max_ms=%.3f codes=%s\n",
           hist_percentile_ms(&t->from_send, 50.0), hist_percentile_ms(&t->from_send, 99.0),
           (double)t->from_send.max_us / 1000.0, codes[0] ? codes : "-");
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

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fputs("loadgen: could not initialise libcurl\n", stderr);
        return 2;
    }
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
    atomic_init(&run.next_slot, 0);
    for (long i = 0; i < opt.connections; i++) {
        if (worker_setup(&workers[i], &run, (unsigned)i) < 0) {
            fputs("loadgen: could not create a libcurl handle\n", stderr);
            goto out;
        }
    }

    /* signals go to the main thread only; workers poll stop_requested */
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    run.start_wall_s = now_ms_wall() / 1000;
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
    free(opt.secret);
    curl_global_cleanup();
    return exit_code;
}
