/*
 * inventory.h - Peoplevox stock as SHOPLINE inventory levels (pure).
 *
 * The sync reads the `Item inventory summary` report (one row per item per
 * site), stores `Available` per item x site, and publishes to each mapped
 * Shopline location the value computed here. No database, no network: the
 * app module (app/inventory.c) reads, stores and pushes.
 *
 * Decisions:
 *  - Columns are found by NAME (case-insensitive, trimmed): `Item code`,
 *    `Available` and `Site reference` are required (a missing one fails the
 *    whole table: nothing can be read right); `On hand` and `Allocated` are
 *    read when present. A row that cannot be read (no item code, no site, a
 *    quantity that is not a whole number) is skipped and counted, never the
 *    table: one bad row must not stop the others. The same item x site
 *    twice keeps the last row (a report is one snapshot); the rows come
 *    back sorted by item code and site.
 *  - The value to publish is Peoplevox's available minus the in-flight
 *    reservation (units of paid orders Peoplevox has not received yet, so
 *    the store never sells what the warehouse is about to allocate), never
 *    below 0; with the reservation switched off (SHOPVOX_RESERVE_IN_FLIGHT=0)
 *    it is the available alone. Negative availability (Peoplevox can show it
 *    after a stock adjustment) publishes 0.
 *  - A value is pushed only when it differs from the last value Shopline
 *    accepted (or none was ever pushed): change detection is "desired !=
 *    pushed", so a failed push is pushed again and an unchanged one never.
 *  - The change source (PEOPLEVOX_INVENTORY_CHANGES): `events` (default:
 *    item codes hinted by Peoplevox's AvailabilityChanges callbacks are read
 *    with a filtered report; the hourly full read is the source of truth),
 *    `report:TEMPLATE:COLUMN` (a tenant report with the Item inventory
 *    summary's columns and a last-changed date column: rows changed since
 *    the last read, plus the hinted items), or `full` (no change source:
 *    only the full read, for tenants whose callbacks cannot reach shopvox).
 *  - A set_inventory job's key is "ITEM|LOCATION": the location id is
 *    digits, so the key splits at its LAST '|' whatever the item code holds.
 *
 * Ownership: results are owned by the caller (the _cleanup functions
 * release them); inputs are borrowed.
 */
#ifndef SHOPVOX_INVENTORY_H
#define SHOPVOX_INVENTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "common.h"
#include "csv.h"

#define INVENTORY_REPORT "Item inventory summary"
#define INVENTORY_MAX_QTY 100000000L   /* |quantity| above this is not a count */
#define INVENTORY_CODES_PER_CLAUSE 50  /* item codes ORed into one search clause */
#define INVENTORY_NO_VALUE (-1L)       /* On hand / Allocated when the report has none */

/* One item x site of the report. */
struct inventory_row {
    char *item_code;
    char *site;
    long available;                 /* may be negative as Peoplevox reports it */
    long on_hand, allocated;        /* INVENTORY_NO_VALUE when the column is absent */
    size_t seq;                     /* internal: position while duplicates are dropped */
};

struct inventory_rows {
    size_t n;
    struct inventory_row *rows;
    size_t skipped;                 /* rows that could not be read */
    char first_skipped[160];        /* why the first of them was skipped, "" when none */
};

/*
 * Maps the rows of an `Item inventory summary` table (row 0 the header) by
 * column name, appending to *out (see Decisions). ST_FAIL (err names the
 * column and the header seen) when a required column is missing. A table
 * without rows gives none.
 */
enum st inventory_rows_from_table(const struct csv_table *t, struct inventory_rows *out,
                                  struct errbuf *err);
void inventory_rows_cleanup(struct inventory_rows *r);

/* max(0, available - reserved) when reserve_in_flight, else max(0, available). */
long inventory_publish_value(long available, long reserved, bool reserve_in_flight);

/* Whether desired must be pushed: nothing pushed yet (!pushed_known) or a different value. */
bool inventory_should_push(long desired, bool pushed_known, long pushed);

/* PEOPLEVOX_INVENTORY_CHANGES, parsed. */
enum inventory_source_kind { INVENTORY_SOURCE_EVENTS, INVENTORY_SOURCE_REPORT,
                             INVENTORY_SOURCE_FULL };

struct inventory_source {
    enum inventory_source_kind kind;
    char report[96];                /* INVENTORY_SOURCE_REPORT: the template */
    char column[96];                /*   and its last-changed date column */
};

/*
 * "events", "full" or "report:TEMPLATE:COLUMN" (spaces around the parts
 * ignored; names of 1..95 bytes without '"', ']' or control characters).
 * -1 with err saying what was expected.
 */
int inventory_source_parse(const char *text, struct inventory_source *out, struct errbuf *err);

/* Whether an item code can be named inside a search clause's quotes as it is. */
bool inventory_code_quotable(const char *code);

/*
 * `[Item code] == "A" OR [Item code] == "B" ...` for codes[0..n) into out
 * (appended); codes that are not quotable are left out (the full read
 * covers them). Returns how many codes went in.
 */
size_t inventory_codes_clause(const char *const *codes, size_t n, struct buf *out);

/*
 * `[COLUMN] >= DateTime(y,m,d,h,mi,s)` for wall_s (the tenant's wall
 * clock, seconds as if UTC) appended to out: the changes report's window.
 */
void inventory_since_clause(const char *column, int64_t wall_s, struct buf *out);

/* "ITEM|LOCATION" into out; -1 when it does not fit in cap bytes. */
int inventory_job_key(const char *item_code, const char *location_id, char *out, size_t cap);
/* Splits a job key at its last '|'; -1 when there is none or either part is empty or too long. */
int inventory_job_key_split(const char *key, char *item_code, size_t item_cap, char *location_id,
                            size_t location_cap);

/* What the sync costs, per hour, for a catalogue and a change rate. */
struct inventory_budget_in {
    long item_sites;                /* rows of a full read (items x sites) */
    int full_sync_s;                /* SHOPVOX_INVENTORY_FULL_SYNC_S */
    int sync_s;                     /* SHOPVOX_INVENTORY_SYNC_S */
    long changed_items_per_hour;    /* distinct item codes hinted (or reported changed) */
    long changed_levels_per_hour;   /* item x location values that change */
    enum inventory_source_kind source; /* PEOPLEVOX_INVENTORY_CHANGES */
};

struct inventory_budget {
    double pvx_full_calls_per_hour;   /* report pages of the full reads */
    double pvx_change_calls_per_hour; /* filtered reads of changed items */
    double pvx_calls_per_hour;        /* both */
    double shopline_calls_per_hour;   /* inventory_levels/set.json, one per change */
};

/*
 * The arithmetic of the README's budget table: a full read is
 * ceil(item_sites / 1000) pages every full_sync_s. Events: a run (every
 * sync_s) reads only when items were hinted, one call per
 * INVENTORY_CODES_PER_CLAUSE codes, so n changed items spread over the
 * hour cost min(n, runs) calls while n <= runs, else runs x
 * ceil(n / runs / 50). A changes report is read every run, one page per
 * 1000 changed rows (at least one). Full: no change reads. Shopline
 * takes one call per changed level (it has no batch write).
 */
void inventory_budget_estimate(const struct inventory_budget_in *in, struct inventory_budget *out);

#endif
