/*
 * shopline_int.h - private to the SHOPLINE client (shopline.c, shopline_calls.c):
 * the client, one request and its reply, and the paged read, shared by the
 * request core (shopline.c) and the calls built on it (shopline_calls.c).
 */
#ifndef SHOPVOX_SHOPLINE_INT_H
#define SHOPVOX_SHOPLINE_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "shopline.h"

struct shopline_client {
    char *base;                 /* no trailing slash */
    char *auth_header;          /* "Authorization: Bearer ..." */
    long timeout_ms, connect_timeout_ms;
    size_t max_response_bytes;
    int max_pages;
    shopline_acquire_fn acquire;
    shopline_throttled_fn throttled;
    void *limiter_ctx;
    atomic_ulong requests[SHOPLINE_OP_COUNT];
    atomic_ulong errors[SHOPLINE_R_COUNT];
};

/* ---- one request ---- */

struct sl_request {
    enum shopline_op op;
    const char *path;         /* after the base, with its query string */
    const struct buf *body;   /* NULL: GET; else POST with this JSON */
};

/* What came back: the body under the cap and the headers that matter. */
struct sl_reply {
    struct buf body;
    struct buf link;
    bool too_large;
    struct shopline_outcome *oc;
};

/* ---- paged reads ---- */

/* Parses one page's body and appends what it holds to list. */
typedef enum st (*sl_parse_fn)(const char *body, size_t len, void *list, struct errbuf *err);

struct sl_pages {
    enum shopline_op op;
    const char *path;         /* "orders.json" */
    const char *first_query;  /* the first page's arguments, without '?' */
    int limit;
    const char *page_info;    /* the caller's cursor, or NULL */
    bool all_pages;
    sl_parse_fn parse;
    void *list;
};

enum st sl_exchange(struct shopline_client *sc, CURL *curl, const struct sl_request *rq,
                           struct sl_reply *reply, struct shopline_outcome *oc);
void sl_reply_init(struct sl_reply *r, size_t max_body, struct shopline_outcome *oc);
void sl_reply_cleanup(struct sl_reply *r);
void sl_outcome_reset(struct shopline_outcome *oc);
enum st sl_bad_reply(struct shopline_client *sc, const struct sl_request *rq,
                            const struct errbuf *why, struct shopline_outcome *oc);
enum st sl_bad_request(struct shopline_client *sc, struct shopline_outcome *oc);
enum st sl_get_pages(struct shopline_client *sc, CURL *curl, const struct sl_pages *pg,
                            char **next, struct shopline_outcome *oc);

#endif
