/*
 * ts_pvx_fake.h - a tiny in-process Peoplevox for the client's unit tests:
 * the service's HTTP adapter on port 0 answering canned SOAP (Authenticate,
 * GetData/GetReportData pages, SaveData rows), scripted to fail (HTML
 * errors, SOAP faults, whole-call refusals, sessions never valid) or to hold
 * each call at a gate the test opens, so "in flight" is a state, not a
 * duration. The clients it makes run their cool-downs on a fake clock.
 *
 * One fake per process (the globals fk and clk): a cmocka group's setup and
 * teardown are ts_pvx_fake_start/stop.
 */
#ifndef TS_PVX_FAKE_H
#define TS_PVX_FAKE_H

#include <pthread.h>
#include <stdbool.h>

#include "http_server.h"
#include "pvx.h"
#include "ts_clock.h"

/* How the fake misbehaves for non-Authenticate requests. */
struct fake_script {
    int fail_count;            /* next N requests answer fail_status with HTML */
    int fail_status;
    const char *fault_code;    /* non-NULL: answer this SOAP fault */
    const char *fault_string;
    int fault_http;            /* HTTP status of the fault; 0 = 500 */
    const char *refuse_detail; /* non-NULL: answer ResponseId -1 with this Detail */
    int hold;                  /* hold each request until fake_release() or stop */
    int always_invalid;        /* no session is ever valid */
};

struct fake {
    struct http_server *hs;
    int port;
    pthread_mutex_t lock;
    int session_no;            /* valid session is "S<session_no>" */
    int auth_calls;
    int calls[PVX_OP_COUNT];
    int in_flight;
    int max_in_flight;
    char password[64];
    struct fake_script script; /* set with FAKE_SET while the server runs */
    pthread_cond_t gate;       /* held requests wait here */
    bool stopping;
    long total_items;          /* rows behind GetData / GetReportData */
};

#define FAKE_SET(field, v)                                                      \
    do {                                                                        \
        pthread_mutex_lock(&fk.lock);                                           \
        fk.script.field = (v);                                                  \
        pthread_mutex_unlock(&fk.lock);                                         \
    } while (0)

extern struct fake fk;      /* the running fake: tests read its counters */
extern struct ts_clock clk; /* the clients' clock: cool-downs run on it */

/* cmocka setup/teardown: starts the fake on a free port with 3 items / stops it. */
int fake_start(void **state);
int fake_stop(void **state);

/* Lets held requests (and those to come) through. */
void fake_release(void);

/* A client of the fake with the given cool-downs after a throttled call. */
struct pvx_client *client_cooling(long timeout_ms, int max_concurrency, long base_ms,
                                  long max_ms);

/* A client whose throttled cool-downs are 1 ms (passed by advancing clk). */
struct pvx_client *client_new(long timeout_ms, int max_concurrency);

/* One SaveData of a one-row Sales order; its status. */
enum st save_one(struct pvx_client *pc, struct pvx_outcome *oc);

#endif
