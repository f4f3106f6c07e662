/*
 * sandbox_fake.h - what every fake outside API shares (private to the
 * sandbox; the Peoplevox fake in peoplevox/ is the first user).
 *
 * A fake embeds a struct sbx_fake and hands it three hooks. The shared
 * layer serves the fake through the service's HTTP adapter, with the
 * settings a fake wants: a thread per connection (a held call never holds
 * up another), an 8 MiB body cap, a 120 s idle timeout (longer than the
 * 118 s libcurl reuses a connection for, so a client never sends into one
 * the fake has just closed as idle), host names and IPv6, and no access log. Requests under /_sandbox/ go to the JSON
 * control API, the rest to the fake.
 *
 * It also keeps what every fake needs to misbehave like a real service:
 * answer-level faults (429, 500, a hang, a reply dropped after a write was
 * applied, added latency), a sliding-window rate limit, and a log of recent
 * calls. The fake decides what a fault looks like in its dialect (a SOAP
 * fault, a JSON error) and which calls are writes.
 *
 * The shared layer has three parts, each with its header:
 *   sandbox_fake.[ch]     the types, the server (start, stop, routing)
 *   sandbox_faults.[ch]   faults, latency, the rate limit, the call log
 *   sandbox_control.[ch]  the /_sandbox/ control API and its JSON helpers
 * fake -> control -> faults, and fake -> faults: no part calls back.
 *
 * One mutex, lock, guards the shared part and the fake's own state alike.
 * Functions marked "lock held" expect the caller to hold it; hooks say
 * whether they are called with it.
 */
#ifndef SHOPVOX_SANDBOX_FAKE_H
#define SHOPVOX_SANDBOX_FAKE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "common.h"
#include "http_server.h"

struct json_object;

#define SBX_CONTROL_PREFIX "/_sandbox/"
#define SBX_MAX_BODY_BYTES (8u * 1024 * 1024)
#define SBX_CALL_LOG 256      /* recent calls kept for GET /_sandbox/calls */
#define SBX_MAX_OPS 16        /* distinct operations counted in the state */
#define SBX_RATE_MAX_CALLS 1000

/* One answered (or refused, or dropped) call of the fake's API. */
struct sbx_call {
    long seq;
    int64_t at_ms;
    char op[32];
    char tmpl[48];       /* what the call worked on (Peoplevox: the template) */
    long rows;
    long response_id;
    int http_code;       /* 0: no answer (hung or dropped) */
};

struct sbx_calls {
    struct sbx_call ring[SBX_CALL_LOG];
    long n;                            /* total ever; ring index = n % SBX_CALL_LOG */
    struct { char op[32]; long n; } per_op[SBX_MAX_OPS];
    size_t n_ops;
};

/* Pending faults: each count answers that many coming calls. */
struct sbx_faults {
    long http_500, http_429;   /* answered with that status, nothing applied */
    long timeout;              /* held for hang_ms (or until stop), then no answer */
    long drop_after_apply;     /* a write applied, then the connection closed */
    long slow_ms;              /* added to every call until reset */
};

/* At most `calls` calls per sliding window_ms (calls 0 = off). */
struct sbx_rate_limit {
    long calls, window_ms;
    int64_t at_ms[SBX_RATE_MAX_CALLS]; /* when the last `calls` admitted calls came, a ring */
    long n, next;
    long refused;                      /* calls answered "too busy" */
};

/* How the shared layer reaches the fake. */
struct sbx_fake_hooks {
    /* A request outside /_sandbox/: the fake's own API. Lock NOT held. */
    http_handler_fn serve;
    /*
     * A control request the shared layer does not answer itself (it answers
     * POST reset and GET calls). path follows /_sandbox/; in is the POST
     * body (a JSON object, borrowed) or NULL for a GET. Writes a JSON answer
     * to out and returns its HTTP code. Lock held.
     */
    int (*control)(void *ctx, const char *method, const char *path, struct json_object *in,
                   struct buf *out);
    /* POST /_sandbox/reset: the fake's state back to the start. Lock held. */
    void (*reset)(void *ctx);
    /*
     * Optional (NULL: none): offered every control request first, lock NOT
     * held, for endpoints that wait on the outside world (a webhook the
     * fake delivers) and take the lock only around state. Returns true when
     * it answered resp, false to let the shared layer and control go on.
     */
    bool (*control_unlocked)(void *ctx, const struct http_request *req,
                             struct http_response *resp);
    void *ctx;
};

struct sbx_fake_opts {
    const char *host;          /* borrowed during sbx_fake_start only */
    int port;                  /* 0: any free port */
    long latency_ms;           /* added to every call */
    long hang_ms;              /* how long a "timeout" fault holds a call; 0 -> 30000 */
    long rate_calls;           /* 0: no rate limit */
    long rate_window_ms;       /* 0 -> 15000 */
    now_ms_fn now_ms;          /* the fake's clock (rate window, the fake's own
                                * expiries); NULL -> now_ms_monotonic */
    void *now_ctx;
};

struct sbx_fake {
    struct http_server *http;
    pthread_mutex_t lock;
    pthread_cond_t wake;       /* broadcast on stop: ends hangs and latency at once */
    bool stopping;
    struct sbx_fake_hooks hooks;
    struct sbx_fake_opts opts; /* as started (host cleared) */
    struct sbx_faults faults;
    struct sbx_rate_limit rate;
    struct sbx_calls calls;
};

/* sandbox_fake.c: the server */

/*
 * Starts serving the fake on its own threads. The fake's state must be
 * ready: hooks run from the first request on. ST_FAIL with err set (and
 * nothing left to release) when it cannot listen.
 */
enum st sbx_fake_start(struct sbx_fake *f, const struct sbx_fake_opts *opts,
                       const struct sbx_fake_hooks *hooks, struct errbuf *err);
/* The bound TCP port. */
int sbx_fake_port(const struct sbx_fake *f);
/* Wakes held calls, stops the server (waits for its threads), releases the lock. */
void sbx_fake_stop(struct sbx_fake *f);
/* A plain-text answer. */
void sbx_reply_text(struct http_response *resp, int status, const char *msg);
/* Now on the fake's clock (opts.now_ms), in ms. */
int64_t sbx_fake_now_ms(const struct sbx_fake *f);

#endif
