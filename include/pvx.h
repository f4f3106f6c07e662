/*
 * pvx.h - the Peoplevox client (SOAP over libcurl), one per tenant.
 *
 * A client holds what a tenant shares: its credentials, ONE session (renewed
 * once on a "session" error and then reused by every thread), the cached
 * GetSaveTemplate headers, a cap on calls in flight and call counters. It
 * is safe to use from many threads at once, but threads never share a CURL
 * handle: each call takes the caller's own easy handle (or NULL, and the
 * client uses a temporary one for that call).
 *
 * Every call returns ST_OK, ST_RETRY or ST_FAIL and describes itself in a
 * struct pvx_outcome (why, HTTP status, and whether a write's effect is
 * unknown). The caller decides and logs.
 *
 * Ownership: config strings are copied at create; outputs (tables, field
 * lists, responses) are owned by the caller and released with their
 * cleanup functions; every other pointer argument is borrowed.
 */
#ifndef SHOPVOX_PVX_H
#define SHOPVOX_PVX_H

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>

#include "buf.h"
#include "common.h"
#include "csv.h"
#include "pvx_soap.h"

#define PVX_MAX_PAGE_ITEMS 1000
#define PVX_DEFAULT_MAX_RESPONSE_BYTES (64u * 1024u * 1024u)

/*
 * The shared budget (limiter.h provides one, backed by the database): every
 * HTTP request the client sends takes a token first, inside its slot, right
 * before it goes out, so what was granted is what is sent. Both functions
 * are called from any caller thread at once and must be thread-safe. The
 * caller of the client holds no database transaction across a Peoplevox
 * call (every handler calls outside its transactions), so a wait holds none.
 */
struct pvx_limiter {
    /*
     * One token for one request: ST_OK to send now; otherwise not now, and
     * *wait_ms (> 0) says when to ask again (err may say why, e.g. the
     * limiter's database is unreachable: a limiter fails closed).
     */
    enum st (*acquire)(void *ctx, int64_t *wait_ms, struct errbuf *err);
    /* Peoplevox refused a request for load; retry_after_ms from Retry-After, 0 when none. */
    void (*throttled)(void *ctx, int64_t retry_after_ms);
    void *ctx;              /* borrowed: must outlive the client */
};

struct pvx_config {
    const char *url;               /* .../integrationservicev4.asmx */
    const char *client_id;
    const char *username;
    const char *password;          /* clear text; encoded per password_encoding */
    const char *password_encoding; /* "base64" (default when NULL) or "plain" */
    long timeout_ms;               /* whole request; > 0 */
    int max_concurrency;           /* calls in flight for this tenant; >= 1 */
    size_t max_response_bytes;     /* 0 = PVX_DEFAULT_MAX_RESPONSE_BYTES */
    long throttle_base_ms;         /* first cool-down after a throttled call; 0 = 1000 */
    long throttle_max_ms;          /* cool-down cap; 0 = 15000 */
    now_ms_fn now_ms;              /* the cool-down's clock; NULL = now_ms_monotonic
                                    * (tests inject a fake one; the shutdown deadline
                                    * of _abort_at stays on the monotonic clock) */
    void *now_ctx;                 /* borrowed: must outlive the client */
    const struct pvx_limiter *limiter; /* NULL: no shared budget; copied at create */
    long limit_sleep_max_ms;       /* a token wait up to this is slept inside the call
                                    * (in steps that notice shutdown); a longer one
                                    * returns throttled with retry_after_ms = the wait,
                                    * so the job is rescheduled. 0 = 2000 */
};

/* What happened on one call, for the caller that decides and logs. */
struct pvx_outcome {
    long http_status;        /* last HTTP status seen, 0 when none */
    bool unknown;            /* a write may have been applied: check before re-posting */
    bool session_renewed;    /* the call re-authenticated once */
    bool throttled;          /* refused for load (HTTP 503/429, "too busy", a rate-limit
                                fault or refusal), or not sent during the cool-down that
                                followed one: nothing was applied (ST_RETRY, !unknown) */
    long retry_after_ms;     /* when throttled: the cool-down left, in ms */
    struct errbuf err;       /* why, when the call did not return ST_OK */
};

/* Snapshot of the call counters (monotonic, since create). */
struct pvx_stats {
    unsigned long requests[PVX_OP_COUNT]; /* HTTP requests sent, by operation */
    unsigned long transport_errors;       /* timeouts, refused and dropped connections */
    unsigned long http_errors;            /* answers with a status other than 200 */
    unsigned long faults;                 /* SOAP faults */
    unsigned long session_renewals;       /* re-authentications after a session error */
    unsigned long slot_waits;             /* calls that had to wait for a free slot */
    unsigned long throttled;              /* calls refused for load by Peoplevox */
    unsigned long cooled;                 /* calls not sent: the client was cooling down */
    unsigned long limited;                /* calls not sent: no token in the shared budget */
    unsigned long limit_sleeps;           /* calls that slept for a token, then were sent */
};

struct pvx_client;

/* Validates cfg and copies it. NULL (err set) on invalid configuration. */
struct pvx_client *pvx_client_create(const struct pvx_config *cfg, struct errbuf *err);
/* Releases the client; NULL is fine. No call may be in flight. */
void pvx_client_destroy(struct pvx_client *pc);
void pvx_client_stats(const struct pvx_client *pc, struct pvx_stats *out);

/*
 * Shutdown: calls still in flight at deadline_ms (now_ms_monotonic clock)
 * are cut short, and calls started after it fail at once, both ST_RETRY
 * (a write cut short is oc->unknown, as any lost answer). 0 clears it.
 */
void pvx_client_abort_at(struct pvx_client *pc, int64_t deadline_ms);

/*
 * Whether a whole-call refusal (ResponseId != 0 without row statuses) is
 * Peoplevox's trouble rather than the data's, from its Detail text (NULL
 * is not): too busy, timeout, try again, temporarily, unavailable,
 * deadlock, server error, throttling, rate limit... A transient refusal
 * is ST_RETRY (nothing was applied); any other is ST_FAIL, the data's
 * problem, to be held with Peoplevox's text. Pure.
 */
bool pvx_refusal_is_transient(const char *detail);

/* Whether a message says Peoplevox refused the call for load (a subset of transient). Pure. */
bool pvx_refusal_is_throttle(const char *detail);

/* Forces a new session (normally done on demand by the other calls). */
enum st pvx_authenticate(struct pvx_client *pc, CURL *curl, struct pvx_outcome *oc);

/* A list of owned names (template header fields, unknown fields). */
struct pvx_fields {
    size_t n;
    char **names;
};
void pvx_fields_cleanup(struct pvx_fields *f);

/*
 * The tenant's field names for a save template, in the tenant's order.
 * Cached per template; refresh = true asks Peoplevox again. *out is a copy.
 */
enum st pvx_get_save_template(struct pvx_client *pc, CURL *curl, const char *template_name,
                              bool refresh, struct pvx_fields *out, struct pvx_outcome *oc);

/*
 * One page of GetData (page_no from 1, items_per_page 1..PVX_MAX_PAGE_ITEMS)
 * into *out (row 0 is the header when there is data; zero rows when none)
 * and *total_count. search_clause may be NULL or "".
 */
enum st pvx_get_data(struct pvx_client *pc, CURL *curl, const char *template_name,
                     const char *search_clause, int page_no, int items_per_page,
                     struct csv_table *out, long *total_count, struct pvx_outcome *oc);
/*
 * Every page (items_per_page 0 means PVX_MAX_PAGE_ITEMS) until
 * PageNo * ItemsPerPage >= TotalCount, merged under one header. ST_FAIL
 * when the header changes between pages or the rows pass max_rows (0 =
 * unlimited).
 */
enum st pvx_get_data_all(struct pvx_client *pc, CURL *curl, const char *template_name,
                         const char *search_clause, int items_per_page, size_t max_rows,
                         struct csv_table *out, struct pvx_outcome *oc);

/* GetReportData: req's page fields are used as given. */
enum st pvx_get_report_data(struct pvx_client *pc, CURL *curl,
                            const struct pvx_report_request *req, struct csv_table *out,
                            long *total_count, struct pvx_outcome *oc);
/* Every page of a report; req's page fields are ignored. Same rules as _get_data_all. */
enum st pvx_get_report_data_all(struct pvx_client *pc, CURL *curl,
                                const struct pvx_report_request *req, size_t max_rows,
                                struct csv_table *out, struct pvx_outcome *oc);

/*
 * Receives one page of a paged read: row 0 its header, then its data rows
 * (none when the report is empty: the header alone). page is borrowed and released after the call (the sink may move
 * rows out of it). A status other than ST_OK (err filled) ends the walk.
 */
typedef enum st (*pvx_page_sink)(void *ctx, struct csv_table *page, struct errbuf *err);

/*
 * A report's pages from *page_no (< 1 means 1) one at a time into sink,
 * each released before the next is fetched, so memory holds one page
 * whatever the report's size (req's page_no is ignored; items_per_page 0
 * means PVX_MAX_PAGE_ITEMS). Ends as _get_data_all does. On failure
 * *page_no is the page that failed, so a caller can wait and resume there
 * (a throttled page is not lost); on success, the last page read.
 */
enum st pvx_get_report_data_each(struct pvx_client *pc, CURL *curl,
                                 const struct pvx_report_request *req, int *page_no,
                                 pvx_page_sink sink, void *ctx, struct pvx_outcome *oc);

/*
 * SaveData (Action 0) of csv (header + rows). *out receives the parsed
 * response (per-row statuses) whenever one came back, also on ST_FAIL.
 * ST_FAIL when Peoplevox rejected the request or any row; oc->unknown is
 * set when the request may have been applied without us seeing the answer.
 */
enum st pvx_save_data(struct pvx_client *pc, CURL *curl, const char *template_name,
                      const char *csv, struct pvx_response *out, struct pvx_outcome *oc);

/*
 * Builds SaveData CSV for a template: the header is the tenant's field list
 * (its order), each record's values are placed by name (case-insensitive,
 * trimmed); tenant fields we do not fill stay empty. Names we have but the
 * tenant does not are appended once each to *unknown (caller-owned, starts
 * empty) so the caller can log them. ST_FAIL on an empty header, a name
 * given twice in one record, or out's cap.
 */
enum st pvx_build_csv(const struct pvx_fields *header, const struct pvx_record *records,
                      size_t n_records, struct buf *out, struct pvx_fields *unknown,
                      struct errbuf *err);

#endif
