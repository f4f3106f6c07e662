/*
 * watchdog.h - the loop watched: orders that should be in Peoplevox by
 * now, and despatches that should be confirmed in Shopline by now, but
 * are not.
 *
 * A paid order still `ready` SHOPVOX_STALLED_ORDER_S after it became ready
 * (paid; orders.ready_at, else created_at) means its post is stuck
 * (Peoplevox down for long, a dead job, a worker fleet that is not
 * running): ops get one `stalled_order` exception per order, and it
 * resolves itself once the order leaves `ready`.
 *
 * A despatch not confirmed in Shopline SHOPVOX_UNCONFIRMED_DESPATCH_S after
 * the poller recorded it means the customer has not been told it shipped:
 * customer service get one `despatch_unconfirmed` exception per despatch,
 * naming the order, the despatch number, the tracking number and the
 * create_fulfillment job's last error. A failed despatch (Shopline refused
 * it; ops have its `fulfillment_failed`) counts too: the customer has not
 * been told either. It resolves itself once the despatch is fulfilled
 * (at the next pass); one that a person resolved is not raised again for
 * that despatch (a failed despatch fulfilled by hand in Shopline stays
 * failed in shopvox).
 */
#ifndef SHOPVOX_WATCHDOG_H
#define SHOPVOX_WATCHDOG_H

#include "config.h"
#include "job_handler.h"

/* Job "detect_stalled" (payload {}), enqueued by the scheduler every minute. */
void watchdog_stalled_handler(struct worker_ctx *w, const struct job *j, struct job_result *r);

/*
 * Job "detect_unconfirmed" (payload {}), enqueued by the scheduler every
 * watchdog_unconfirmed_interval_s.
 */
void watchdog_unconfirmed_handler(struct worker_ctx *w, const struct job *j,
                                  struct job_result *r);

/*
 * How often the unconfirmed-despatch pass runs: a tenth of the threshold,
 * 1..60 s (every minute at the default 900 s; a few-second threshold in a
 * test is checked every second), so an exception opens and closes within
 * a tenth of the threshold of when it should.
 */
int watchdog_unconfirmed_interval_s(const struct cfg *cfg);

#endif
