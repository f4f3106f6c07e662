/*
 * despatch_jobs.h - the despatch loop's job kinds (app/despatch.c).
 *
 * poll_despatches (scheduled by the leader every SHOPVOX_DESPATCH_POLL_S)
 * reads Peoplevox's `Despatch summary` report from the watermark (cursor
 * DESPATCH_WATERMARK, Unix seconds UTC) minus DESPATCH_OVERLAP_S, records each
 * new despatch once with its lines allocated to the order's Shopline line
 * ids, moves the order to partially_despatched / despatched (history in
 * order_events), then advances the watermark. A despatch for an unknown
 * order, of an order that cannot take it, or whose items do not fit the
 * order's lines opens one `despatch_unmapped` exception (owner ops) and
 * never blocks the other despatches; later polls read it again (for
 * DESPATCH_RETRY_S) and record it once they can (the order arrived, a
 * sku_map was added), which resolves the exception. Report dates are read
 * in PEOPLEVOX_TIMEZONE.
 */
#ifndef SHOPVOX_DESPATCH_JOBS_H
#define SHOPVOX_DESPATCH_JOBS_H

#include "job_handler.h"

#define DESPATCH_WATERMARK "despatch_watermark"
#define DESPATCH_OVERLAP_S 3600       /* late rows: re-read the last hour each poll */
#define DESPATCH_MAX_ROWS 200000      /* rows one poll reads, at most */
/* despatch_unmapped exceptions younger than this are looked at again by each poll */
#define DESPATCH_RETRY_S (7 * 86400)
#define DESPATCH_RETRY_MAX 50         /* ... at most this many of them, oldest first */

/* The poll_despatches job (payload ignored). */
void despatch_poll_handler(struct worker_ctx *w, const struct job *j, struct job_result *r);

#define DESPATCH_FULFIL_KIND "create_fulfillment"

/*
 * The create_fulfillment job of one recorded despatch (dedupe key: the
 * despatch number; payload ignored): creates its fulfillment in Shopline
 * exactly once and, when the order is then wholly fulfilled, moves it to
 * fulfilled (fulfillment.c).
 */
void despatch_fulfil_handler(struct worker_ctx *w, const struct job *j, struct job_result *r);

#endif
