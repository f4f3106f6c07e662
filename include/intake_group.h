/*
 * intake_group.h - group commit for webhook deliveries.
 *
 * Deliveries that arrive while a committer is busy share its next
 * transaction and its one COMMIT (one WAL flush). Each caller blocks
 * until the COMMIT that holds its delivery returned, so an answer of
 * "stored" still means durably stored; when the COMMIT fails, every
 * delivery of the group gets that error (503/500: Shopline retries).
 */
#ifndef SHOPVOX_INTAKE_GROUP_H
#define SHOPVOX_INTAKE_GROUP_H

#include "common.h"
#include "intake.h"

struct intake_group;

/*
 * Starts committers threads, each with its own connection to url
 * (borrowed; copied), taking at most group_max queued deliveries into one
 * transaction. Never returns NULL.
 */
struct intake_group *intake_group_create(const char *url, int committers, int group_max);

/*
 * Turns the pending inbox on (intake_apply.h): a group of at least
 * defer_at deliveries, every group while deliveries arrive faster than
 * INTAKE_PRESSURE_RATE, and every group while applier has a backlog (so
 * deliveries are applied in arrival order), is stored as pending rows in
 * one INSERT and answered INTAKE_ACCEPTED (or INTAKE_DUPLICATE) once that
 * committed; applier (borrowed, outliving g) is nudged. defer_at 0, or
 * applier NULL: every delivery runs the order logic before its answer
 * (the default). Call before the first submit.
 */
struct intake_applier;
void intake_group_defer(struct intake_group *g, int defer_at, struct intake_applier *applier);

/*
 * Deferred groups are stored one at a time -- the next INSERT then carries
 * everything that arrived meanwhile -- unless the one in flight has taken
 * stagger_us or more (a slow statement or fsync must not hold every
 * delivery back): then another committer starts the next. Default
 * INTAKE_DEFER_STAGGER_US; tests set it. Call before the first submit.
 */
#define INTAKE_DEFER_STAGGER_US 1000
void intake_group_stagger(struct intake_group *g, int stagger_us);

/* Stops the committers once the queue is empty, frees everything; NULL is accepted. */
void intake_group_destroy(struct intake_group *g);

/*
 * Processes one delivery (r, borrowed until the call returns) in the next
 * group and waits for its COMMIT. Statuses and out as intake_process:
 * ST_OK only once the delivery's transaction committed (or, for a
 * duplicate, once it was found a duplicate); ST_RETRY when the database
 * is unavailable or nothing took the delivery within wait_ms; ST_FAIL on
 * an unexpected SQL error.
 */
enum st intake_group_submit(struct intake_group *g, const struct intake_request *r,
                            int wait_ms, struct intake_result *out, struct errbuf *err);

#endif
