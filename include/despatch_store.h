/*
 * despatch_store.h - the despatches and despatch_lines tables (libpq).
 *
 * Functions run in the caller's transaction. Ownership: every argument is
 * borrowed. They return ST_OK, ST_RETRY (connection lost) or ST_FAIL (SQL)
 * with err set when not ST_OK.
 */
#ifndef SHOPVOX_DESPATCH_STORE_H
#define SHOPVOX_DESPATCH_STORE_H

#include <stddef.h>

#include "common.h"
#include "despatch.h"
#include "store.h"

/*
 * Inserts despatch d of order order_id (pending) unless its number is
 * already recorded: id (cap bytes) receives the new row's id as text, or
 * "" when the number was there before.
 */
enum st despatch_store_insert(struct store_conn *c, const char *order_id,
                              const struct despatch *d, char *id, size_t cap,
                              struct errbuf *err);

/* Adds one allocated line to despatch despatch_id. */
enum st despatch_store_add_line(struct store_conn *c, const char *despatch_id,
                                const char *line_id, const char *item_code, long quantity,
                                struct errbuf *err);

#endif
