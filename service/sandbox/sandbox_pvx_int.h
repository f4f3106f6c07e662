/*
 * sandbox_pvx_int.h - private contract between the sandbox_*.c files.
 *
 * The fake Peoplevox is split by concern: sandbox_pvx.c owns the daemon,
 * routing and faults; sandbox_result.c holds an operation's outcome;
 * sandbox_soap.c parses SOAP requests (libxml2) and renders
 * IntegrationResponse envelopes; sandbox_ops.c runs each operation;
 * sandbox_store.c holds the warehouse state (catalogue, orders, despatches,
 * returns, sessions) and its rules; sandbox_query.c evaluates search
 * clauses and pages result tables; sandbox_control.c serves /_sandbox/ JSON.
 * Every sbx_store_* and sbx_ops_* function expects the caller to hold
 * sb->lock. Nothing here is used outside the sandbox.
 */
#ifndef SHOPVOX_SANDBOX_PVX_INT_H
#define SHOPVOX_SANDBOX_PVX_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libxml/tree.h>

#include "buf.h"
#include "common.h"
#include "csv.h"
#include "sandbox.h"

struct json_object;
struct MHD_Daemon;

#define SBX_NS "http://www.peoplevox.net/"
#define SBX_MAX_BODY_BYTES (8u * 1024 * 1024)
#define SBX_MAX_RESPONSE_BYTES (64u * 1024 * 1024)
#define SBX_MAX_CSV_ROWS 100000
#define SBX_CALL_LOG 256
#define SBX_MAX_OPS 16
#define SBX_SO_MAX_CHARS 30
#define SBX_CODE_MAX_CHARS 50

/* ---- result of one operation (rendered as IntegrationResponse) ---- */

struct sbx_status {
    char *reference; /* owned */
    char *status;    /* "Success" | "Error"; owned */
    char *message;   /* owned, may be "" */
};

struct sbx_result {
    long response_id;      /* 0 ok, -1 error */
    long total_count;
    char *detail;          /* owned; NULL renders empty */
    struct sbx_status *statuses; /* owned */
    size_t n_statuses, cap_statuses;
};

/* sandbox_result.c */
void sbx_result_init(struct sbx_result *r);
void sbx_result_cleanup(struct sbx_result *r);
/* Sets ResponseId -1 and Detail to the formatted message. */
void sbx_result_fail(struct sbx_result *r, const char *fmt, ...) SV_PRINTF(2, 3);
void sbx_result_add_status(struct sbx_result *r, const char *ref, const char *status,
                           const char *msg);

/* ---- state ---- */

struct sbx_item {
    char *code, *barcode, *name, *description, *weight; /* owned */
};

struct sbx_stock {
    char *item_code, *site; /* owned */
    long on_hand;
};

struct sbx_line {
    char **vals;      /* owned, one per sbx_line_fields entry */
    long despatched;
};

struct sbx_order {
    char **vals;      /* owned, one per sbx_order_fields entry */
    char *status;     /* owned: New | Partially despatched | Despatched | Cancelled */
    struct sbx_line *lines;
    size_t n_lines, cap_lines;
};

struct sbx_dline {
    char *item_code; /* owned */
    long qty;
};

struct sbx_despatch {
    char *number, *so, *carrier, *service, *tracking, *site; /* owned */
    int64_t at_ms;
    struct sbx_dline *lines;
    size_t n_lines;
};

struct sbx_return {
    char *code, *so, *item_code, *reason, *condition, *site; /* owned */
    long qty;
    bool reusable;
    int64_t at_ms;
};

struct sbx_session {
    char id[33];
    int64_t last_used_ms;
};

struct sbx_call {
    long seq;
    int64_t at_ms;
    char op[32];
    char tmpl[48];
    long rows;
    long response_id;
    int http_code;
};

struct sbx_faults {
    long http_500, http_429, timeout, drop_after_apply, slow_ms;
    long refuse_save;             /* next n SaveData: ResponseId -1, refuse_detail, nothing applied */
    char refuse_detail[256];
};

#define SBX_RATE_MAX_CALLS 1000

/* The request-rate cap: at most calls SOAP calls per sliding window_ms (calls 0 = off). */
struct sbx_rate_limit {
    long calls, window_ms;
    int64_t at_ms[SBX_RATE_MAX_CALLS]; /* when the last `calls` accepted calls came, a ring */
    long n, next;
    long refused;                 /* calls answered 503 "Server Too Busy" */
};

struct sbx_state {
    struct sbx_item *items;
    size_t n_items, cap_items;
    struct sbx_stock *stock;
    size_t n_stock, cap_stock;
    struct sbx_order *orders;
    size_t n_orders, cap_orders;
    struct sbx_despatch *despatches;
    size_t n_despatches, cap_despatches;
    struct sbx_return *returns;
    size_t n_returns, cap_returns;
    struct sbx_session *sessions;
    size_t n_sessions, cap_sessions;
    struct sbx_call calls[SBX_CALL_LOG];
    long n_calls;                      /* total ever; ring index = n % LOG */
    struct { char op[32]; long n; } op_counts[SBX_MAX_OPS];
    size_t n_op_counts;
    struct sbx_faults faults;
    struct sbx_rate_limit rate;
    long next_despatch, next_return, next_subscription;
};

/* Copied options (strings owned). */
struct sbx_config {
    char *host, *client_id, *username, *password, *password_b64;
    enum sandbox_pw_encoding password_encoding;
    long session_idle_timeout_ms, latency_ms, hang_ms;
    long rate_calls, rate_window_ms;
    bool seed, plain_report_dates;
};

struct sandbox_pvx {
    struct MHD_Daemon *daemon;
    int port;
    struct sbx_config cfg;
    pthread_mutex_t lock;
    pthread_cond_t wake;   /* broadcast on stop: ends hangs and latency */
    bool stopping;
    struct sbx_state st;
};

/* Tenant field lists (the `Sales orders` order is deliberately unusual). */
extern const char *const sbx_order_fields[];
extern const size_t sbx_n_order_fields;
extern const char *const sbx_line_fields[];
extern const size_t sbx_n_line_fields;

/* sandbox_store.c */
void sbx_store_init(struct sbx_state *st, bool seed);
void sbx_store_cleanup(struct sbx_state *st);
void sbx_store_reset(struct sbx_state *st, bool seed);
struct sbx_order *sbx_store_find_order(struct sbx_state *st, const char *so);
const char *sbx_order_get(const struct sbx_order *o, const char *field);
const char *sbx_line_get(const struct sbx_line *l, const char *field);
bool sbx_store_site_known(const char *site);
/* Upserts catalogue item code with optional stock (site, qty) pairs. */
void sbx_store_put_item(struct sbx_state *st, const char *code, const char *name,
                        const char *barcode, const char *site, long qty);
/* Applies SaveData rows of tmpl (header in row 0), one status per row. */
void sbx_store_save(struct sbx_state *st, const char *tmpl, const struct csv_table *csv,
                    struct sbx_result *res);
/* Records a despatch; items NULL/0 = everything outstanding. */
enum st sbx_store_despatch(struct sbx_state *st, const char *so, const struct sbx_dline *items,
                           size_t n_items, const char *carrier, const char *service,
                           const char *tracking, char **number_out, struct errbuf *err);
enum st sbx_store_add_return(struct sbx_state *st, const char *so, const char *item_code,
                             long qty, const char *reason, const char *condition,
                             bool reusable, char **code_out, struct errbuf *err);

/* sandbox_tables.c: the GetData / GetReportData views. */
struct sbx_table {
    size_t n_cols;
    char **cols;    /* owned */
    size_t n_rows, cap_rows;
    char **cells;   /* owned, n_rows * n_cols */
};

void sbx_table_init(struct sbx_table *t, const char *const *cols, size_t n_cols);
void sbx_table_add(struct sbx_table *t, const char *const *vals);
void sbx_table_cleanup(struct sbx_table *t);
/* Builds the data (report = false) or report view; ST_FAIL on unknown name. */
enum st sbx_tables_build(const struct sbx_state *st, const char *name, bool report,
                         bool plain_dates, struct sbx_table *out, struct errbuf *err);

/* sandbox_query.c */
struct sbx_query {
    const char *search;   /* SearchClause; NULL/"" = all */
    const char *filter;   /* FilterClause (reports), ANDed with search */
    const char *order_by; /* "[Col] DESC", "Col" ... */
    const char *columns;  /* comma-separated projection (reports) */
    long page_no;         /* from 1 */
    long per_page;        /* 0 = all */
};

/* Filters, sorts, pages t and writes header + page rows as CSV to out. */
enum st sbx_query_run(const struct sbx_table *t, const struct sbx_query *q, struct buf *out,
                      long *total, struct errbuf *err);
/* Parses a date in yyyy-MM-dd[ HH:mm[:ss]] or (quoted) dd/MM/yyyy[ HH:mm[:ss]] form. */
bool sbx_parse_date(const char *s, int64_t *out_s);

/* sandbox_soap.c */
struct sbx_request {
    xmlDocPtr doc;
    xmlNodePtr op_el;     /* the body's operation element */
    char op[32];
    char *client_id;      /* UserSessionCredentials, owned, may be NULL */
    char *session_id;
};

enum st sbx_soap_parse(const char *body, size_t len, const char *soap_action,
                       struct sbx_request *req, struct errbuf *err);
void sbx_soap_request_cleanup(struct sbx_request *req);
/* Text of op_el/wrapper/name (wrapper NULL = direct child); owned or NULL. */
char *sbx_soap_param(const struct sbx_request *req, const char *wrapper, const char *name);
int sbx_soap_render(struct buf *out, const char *op, const struct sbx_result *res);
int sbx_soap_render_fault(struct buf *out, const char *code, const char *msg);

/* sandbox_ops.c: one SOAP operation, caller holds sb->lock. */
struct sbx_op_out {
    struct sbx_result res;
    char tmpl[48];  /* for the call log */
    long rows;
    bool is_save;   /* SaveData: subject to drop_after_apply */
    bool unknown_op;
};

void sbx_ops_run(struct sandbox_pvx *sb, const struct sbx_request *req, struct sbx_op_out *out);

/* sandbox_control.c: /_sandbox/ endpoints. Returns the HTTP code, body in out. */
int sbx_control_handle(struct sandbox_pvx *sb, const char *method, const char *url,
                       const struct buf *body, struct buf *out);

/* sandbox_pvx.c */
/* Sets the request-rate cap (calls 0 = off; calls capped at SBX_RATE_MAX_CALLS). */
void sbx_rate_set(struct sbx_state *st, long calls, long window_ms);
void sbx_log_call(struct sbx_state *st, const char *op, const char *tmpl, long rows,
                  long response_id, int http_code);

#endif
