/*
 * cursor_store.h - the cursors table (libpq): one named row of progress
 * per schedule or sync, kept in the database so it survives restarts and
 * leadership changes.
 *
 * Used by the scheduler (when each periodic task last ran) and by the
 * catalogue (when a shop's catalogue sync last completed, through
 * catalogue_store). The names are the callers' ("catalogue_sync",
 * "catalogue_sync:<shop>"); this module only reads and writes rows.
 * Functions run in the caller's transaction if one is open.
 *
 * Ownership: the store_conn and every string argument are borrowed.
 * Functions return ST_OK, ST_RETRY (connection lost) or ST_FAIL (SQL)
 * with err set when not ST_OK.
 */
#ifndef SHOPVOX_CURSOR_STORE_H
#define SHOPVOX_CURSOR_STORE_H

#include <stdbool.h>

#include "common.h"
#include "store.h"

/*
 * Claims cursor name when it is due: creates it, or moves it on when it
 * was last moved more than interval_s seconds ago (value 'enqueued',
 * updated_at now). *due is true when this call claimed it; of two
 * concurrent callers at most one does.
 */
enum st cursor_store_claim_due(struct store_conn *c, const char *name, int interval_s, bool *due,
                               struct errbuf *err);

/*
 * Brings the claim of cursor name (cursor_store_claim_due with interval_s)
 * forward: it becomes due now, or gap_s after it was last claimed if that
 * is later, so any number of calls cause at most one early claim per gap_s
 * (the cursor's value is 'nudged' until that claim). Nothing when the
 * cursor does not exist yet (its first claim is due anyway), is due
 * already or was brought forward since its last claim.
 */
enum st cursor_store_bring_forward(struct store_conn *c, const char *name, int interval_s,
                                   int gap_s, struct errbuf *err);

/* Sets cursor name (creating it) to "<now as ISO 8601 UTC> <note>", updated_at now. */
enum st cursor_store_stamp(struct store_conn *c, const char *name, const char *note,
                           struct errbuf *err);

/* Whether cursor name exists. */
enum st cursor_store_exists(struct store_conn *c, const char *name, bool *exists,
                            struct errbuf *err);

/*
 * Reads cursor name's value into *value (owned, free()), NULL when the
 * cursor does not exist. For cursors that carry a position (a watermark).
 */
enum st cursor_store_get(struct store_conn *c, const char *name, char **value,
                         struct errbuf *err);

/* Sets cursor name (creating it) to value, updated_at now. */
enum st cursor_store_set(struct store_conn *c, const char *name, const char *value,
                         struct errbuf *err);

/*
 * Sets cursor name to value only when it is absent or holds a smaller
 * value (text order: ISO dates compare as they sort); *advanced tells
 * whether it moved. Of two callers with the same value, one advances it.
 */
enum st cursor_store_advance(struct store_conn *c, const char *name, const char *value,
                             bool *advanced, struct errbuf *err);

#endif
