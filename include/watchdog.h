/*
 * watchdog.h - orders that should be in Peoplevox by now but are not.
 *
 * A paid order still `ready` SHOPVOX_STALLED_ORDER_S after it became ready
 * (paid; orders.ready_at, else created_at) means its post is stuck (Peoplevox down for long, a dead job, a worker
 * fleet that is not running): ops get one `stalled_order` exception per
 * order, and it resolves itself once the order leaves `ready`.
 */
#ifndef SHOPVOX_WATCHDOG_H
#define SHOPVOX_WATCHDOG_H

#include "job_handler.h"

/* Job "detect_stalled" (payload {}), enqueued by the scheduler every minute. */
void watchdog_stalled_handler(struct worker_ctx *w, const struct job *j, struct job_result *r);

#endif
