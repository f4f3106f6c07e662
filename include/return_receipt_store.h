/*
 * return_receipt_store.h - the warehouse side's tables: return_receipts
 * (sql/018: each `Return summary` row counted once) and what the
 * warehouse side writes on the returns core's tables (the expected
 * return's reference, received / restocked / written-off units).
 *
 * Every function runs inside the caller's transaction (none BEGINs or
 * COMMITs). Strings in arguments are borrowed.
 */
#ifndef SHOPVOX_RETURN_RECEIPT_STORE_H
#define SHOPVOX_RETURN_RECEIPT_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "common.h"
#include "return_report.h"
#include "returns.h"
#include "store.h"

/* Sets returns.return_reference of return_id of shop. */
enum st return_receipt_store_set_reference(struct store_conn *c, const char *shop,
                                           long long return_id, const char *reference,
                                           struct errbuf *err);

/*
 * Counts row r (valid, returned_at_s set) for shop: *inserted = false when
 * it was counted before (same return code, sales order and item code).
 * A new row starts wholly unmatched (return_receipt_store_matched moves it).
 */
enum st return_receipt_store_insert(struct store_conn *c, const char *shop,
                                    const struct return_receipt *r, bool *inserted,
                                    struct errbuf *err);

/*
 * Records that matched units of row r (in all, counting units matched
 * before) went to returns; return_id the first return that took some (0 =
 * none; a return_id stored before is kept).
 */
enum st return_receipt_store_matched(struct store_conn *c, const char *shop,
                                     const struct return_receipt *r, long long return_id,
                                     long matched, struct errbuf *err);

/*
 * Up to limit counted rows of shop with units still unmatched that a
 * return now waiting for goods (awaiting_receipt, received; a line of the
 * item with room) could take, oldest first, appended to *out (valid rows:
 * the cleanup is return_receipt_list_cleanup's). Not locked: see
 * return_receipt_store_lock.
 */
enum st return_receipt_store_retryable(struct store_conn *c, const char *shop, int limit,
                                       struct return_receipt_list *out, struct errbuf *err);

/* Locks counted row r (FOR UPDATE); *unmatched its unmatched units now (0: gone). */
enum st return_receipt_store_lock(struct store_conn *c, const char *shop,
                                  const struct return_receipt *r, long *unmatched,
                                  struct errbuf *err);

/* *units: shop's units of return code code that no return took yet. */
enum st return_receipt_store_code_unmatched(struct store_conn *c, const char *shop,
                                            const char *code, long *units, struct errbuf *err);

/* A return line that may take received units. */
struct return_cand {
    long long return_id;
    enum return_state state;
    char line_item_id[32];
    char item_code[64];
    long quantity, received;
};

struct return_cands {
    size_t n;
    struct return_cand *items;   /* owned: return_cands_cleanup */
};

/*
 * The lines with item code item_code of shop's returns of Sales Order so
 * that wait for goods (awaiting_receipt, received), oldest return first,
 * line id next; their returns are locked (FOR UPDATE) until the caller's
 * transaction ends, so receipts and operators queue on a return.
 */
enum st return_receipt_store_candidates(struct store_conn *c, const char *shop, const char *so,
                                        const char *item_code, struct return_cands *out,
                                        struct errbuf *err);
void return_cands_cleanup(struct return_cands *c);

/* Adds received, restocked and written-off units to one line of return_id. */
enum st return_receipt_store_add_units(struct store_conn *c, long long return_id,
                                       const char *line_item_id, long received, long restocked,
                                       long written_off, struct errbuf *err);

#endif
