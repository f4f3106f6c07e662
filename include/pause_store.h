/*
 * pause_store.h - the outbound_pauses table (libpq): a shop whose outbound
 * calls are paused (the app was uninstalled from the store).
 *
 * The limiter's take reads the table itself, in its one statement
 * (ratelimit_store.c); this module writes it, and answers for the CLI and
 * the gauges. Functions run in the caller's transaction if one is open.
 *
 * Ownership: every argument is borrowed. Functions return ST_OK, ST_RETRY
 * (connection lost) or ST_FAIL (SQL) with err set when not ST_OK.
 */
#ifndef SHOPVOX_PAUSE_STORE_H
#define SHOPVOX_PAUSE_STORE_H

#include <stdbool.h>

#include "common.h"
#include "store.h"

/* Pauses shop's outbound calls (kept as it is when already paused); *changed: it was not. */
enum st pause_store_set(struct store_conn *c, const char *shop, const char *reason,
                        bool *changed, struct errbuf *err);
/* Lifts the pause; *changed: there was one. */
enum st pause_store_clear(struct store_conn *c, const char *shop, bool *changed,
                          struct errbuf *err);
/* Whether shop's outbound calls are paused. */
enum st pause_store_get(struct store_conn *c, const char *shop, bool *paused,
                        struct errbuf *err);

#endif
