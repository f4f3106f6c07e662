/*
 * daily_store.h - the daily report's reads (libpq): what happened to a
 * shop's orders, despatches, exceptions, drift reports and sweeps in a
 * window of time. The arithmetic (percentiles, renderings) is daily.h's;
 * the window comes from the app (daily_report.h), as instants.
 *
 * Definitions (the README's): received = orders first stored in the
 * window (orders.created_at); posted = Sales Orders accepted (sent_at);
 * despatched = orders with a despatch dated in the window; fulfilled =
 * orders with a despatch whose Shopline fulfillment was confirmed in it;
 * paid -> Sales Order = sent_at - ready_at (ready_at: first paid) of the
 * posted orders; despatch -> fulfillment = confirmed_at - despatched_at of
 * the confirmed despatches; exceptions opened = first_seen in the window,
 * closed = resolved_at in it, open = open at the window's end; sweeps =
 * runs finished in the window (order_sweeps).
 */
#ifndef SHOPVOX_DAILY_STORE_H
#define SHOPVOX_DAILY_STORE_H

#include "common.h"
#include "daily.h"
#include "store.h"

#define DAILY_MAX_DELAYS 1000000 /* rows read per delay and day, at most */

/* The delays of a day in seconds (owned arrays; daily_delays_cleanup). */
struct daily_delays {
    double *paid_to_sales_order;
    size_t n_paid;
    double *despatch_to_fulfillment;
    size_t n_despatch;
};
void daily_delays_cleanup(struct daily_delays *d);

/*
 * Fills r's counts, teams (r->teams[i].team must be set), sweeps and
 * stock_drift (the latest drift report finished in the window, owned) and
 * *d for shop in [from, to) (ISO 8601 instants). ST_RETRY/ST_FAIL with err
 * set on a database failure.
 */
enum st daily_store_read(struct store_conn *c, const char *shop, const char *from,
                         const char *to, struct daily_report *r, struct daily_delays *d,
                         struct errbuf *err);

#endif
