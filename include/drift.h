/*
 * drift.h - inventory drift: what SHOPLINE shows against what shopvox
 * last pushed and wants (pure; app/drift.c reads, stores and corrects).
 *
 * Decisions:
 *  - Three figures per level (item x location): `shown`, the store's
 *    available as inventory_levels.json answered; `pushed`, the last value
 *    Shopline accepted from shopvox at that location; `desired`, what
 *    shopvox wants it to show (Peoplevox's available less the in-flight
 *    reservation, kept by the sync).
 *  - A level has DRIFTED when the store shows something other than what
 *    shopvox last pushed there: someone (an app, a person, a lost write)
 *    changed it behind shopvox's back. That is the only case the sync
 *    cannot see by itself, so it is the one the reconciliation corrects.
 *  - shown == pushed but pushed != desired is PENDING, not drift: a push
 *    is due and the sync has it (or will); so is a level never pushed.
 *  - A level the store does not answer (the item is not connected to the
 *    location, or its stock is not tracked) is UNREAD: counted, never
 *    drift (the sync's 422 handling owns it).
 *  - Variance is |shown - desired| of each drifted level: how many units
 *    the store gets wrong. Its % is against the units the checked levels
 *    should show (at least 1, so an empty store divides by one).
 *  - A report is over the threshold when the drifted share of the checked
 *    levels passes pct percent, or the variance passes units (either 0:
 *    that test is off). Strictly above: a 1 % limit tolerates 1 in 100.
 *  - Top items: the DRIFT_TOP_MAX drifted levels with the largest
 *    variance, ties by item code then location, so a report reads the
 *    same each time.
 *
 * Ownership: inputs are borrowed; a drift_top copies what it keeps and
 * drift_top_cleanup releases it.
 */
#ifndef SHOPVOX_DRIFT_H
#define SHOPVOX_DRIFT_H

#include <stdbool.h>
#include <stddef.h>

#define DRIFT_TOP_MAX 10

/* One level as the reconciliation sees it. */
struct drift_level {
    const char *item_code;
    const char *location_id;
    long desired;
    bool pushed_known;          /* shopvox pushed a value at this location */
    long pushed;
    bool shown_known;           /* the store answered a tracked level */
    long shown;
};

enum drift_verdict { DRIFT_CLEAN, DRIFT_PENDING, DRIFT_DRIFTED, DRIFT_UNREAD };

/* "clean", "pending", "drifted", "unread". */
const char *drift_verdict_name(enum drift_verdict v);

enum drift_verdict drift_judge(const struct drift_level *l);

/* |shown - desired| of a drifted level, else 0. */
long drift_variance(const struct drift_level *l);

struct drift_summary {
    long checked;               /* levels the store answered (clean, pending, drifted) */
    long drifted, pending, unread;
    long variance_units;        /* sum of the drifted levels' variance */
    long expected_units;        /* sum of desired over the checked levels */
};

/* Counts l (judged v) into s. */
void drift_summary_add(struct drift_summary *s, const struct drift_level *l,
                       enum drift_verdict v);
/* drifted / checked in percent (0 when nothing was checked). */
double drift_drifted_pct(const struct drift_summary *s);
/* variance_units / max(1, expected_units) in percent. */
double drift_variance_pct(const struct drift_summary *s);
/* Whether s passes the thresholds (see Decisions). */
bool drift_exceeds(const struct drift_summary *s, int pct, long units);

/* One of the top drifted levels (owned strings). */
struct drift_top_item {
    char *item_code;
    char *location_id;
    long desired, pushed, shown, variance;
    bool pushed_known;
};

struct drift_top {
    size_t n;
    struct drift_top_item items[DRIFT_TOP_MAX];   /* largest variance first */
};

void drift_top_init(struct drift_top *t);
/* Keeps l when it is among the DRIFT_TOP_MAX largest variances (l must be drifted). */
void drift_top_add(struct drift_top *t, const struct drift_level *l);
void drift_top_cleanup(struct drift_top *t);

#endif
