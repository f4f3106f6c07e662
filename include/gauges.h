/*
 * gauges.h - the database gauges of /metrics, computed off the request path.
 *
 * A scrape used to run full-table GROUP BY queries on `orders` and `jobs`
 * on the webhook threads: with 2M done jobs and 16 scrapers, signed
 * webhooks waited 4.4 s. Now one thread per replica refreshes the gauges
 * every SHOPVOX_METRICS_REFRESH_S (15 s) on its own connection, with
 * queries that the indexes answer (live jobs, orders in states that move,
 * open exceptions), and a scrape only reads memory. Orders in settled
 * states (sent, despatched, ...) are counted about every
 * GAUGES_SETTLED_S seconds.
 *
 * Families: shopvox_orders{state} (every known state, 0 included),
 * shopvox_jobs{kind,state} (pending, running, dead; done jobs are counted
 * by shopvox_jobs_processed_total, and purged by retention),
 * shopvox_exceptions_open{type}, shopvox_despatches_unconfirmed (pending
 * despatches recorded more than SHOPVOX_UNCONFIRMED_DESPATCH_S ago: the
 * loop is late, whatever the cause), shopvox_despatch_unconfirmed_oldest_seconds
 * (the age of the oldest pending despatch, late or not, 0 when none: how
 * far behind the loop is), shopvox_db_up (did the last pass reach the
 * database) and shopvox_gauges_refreshed_timestamp_seconds. Failed
 * despatches are not counted by the despatch gauges: Shopline refused
 * them for good, nothing will bring them down on its own, and each has
 * open fulfillment_failed and despatch_unconfirmed exceptions
 * (shopvox_exceptions_open) instead.
 */
#ifndef SHOPVOX_GAUGES_H
#define SHOPVOX_GAUGES_H

#include "config.h"
#include "store.h"

#define GAUGES_SETTLED_S 300

struct gauges;

/* Describes the families and starts the refresher (first pass at once). */
struct gauges *gauges_start(const struct cfg *cfg);
/* Stops and joins the refresher; NULL is fine. */
void gauges_stop(struct gauges *g);

/*
 * One refresh pass on c (the thread's body; tests call it directly) with
 * cfg's thresholds. settled: also count orders in settled states. ST_OK or
 * the failure.
 */
enum st gauges_refresh(struct store_conn *c, const struct cfg *cfg, bool settled,
                       struct errbuf *err);

#endif
