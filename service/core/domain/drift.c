/*
 * drift.c - judging one inventory level, and the report's arithmetic
 * (see drift.h for the decisions).
 *
 * The top list is a sorted array of DRIFT_TOP_MAX: an insertion costs at
 * most ten moves, so a reconciliation of 100,000 levels stays linear and
 * allocates only the strings it keeps.
 */
#include "drift.h"

#include <stdlib.h>
#include <string.h>

#include "common.h"

const char *drift_verdict_name(enum drift_verdict v)
{
    static const char *const names[] = {"clean", "pending", "drifted", "unread"};

    return (size_t)v < ARRAY_LEN(names) ? names[v] : "unknown";
}

enum drift_verdict drift_judge(const struct drift_level *l)
{
    if (!l->shown_known)
        return DRIFT_UNREAD;
    if (l->pushed_known && l->shown != l->pushed)
        return DRIFT_DRIFTED;
    if (!l->pushed_known && l->shown != l->desired)
        return DRIFT_PENDING;      /* never pushed: the sync's first push is due */
    if (l->pushed_known && l->pushed != l->desired)
        return DRIFT_PENDING;
    return DRIFT_CLEAN;
}

long drift_variance(const struct drift_level *l)
{
    if (drift_judge(l) != DRIFT_DRIFTED)
        return 0;
    return labs(l->shown - l->desired);
}

void drift_summary_add(struct drift_summary *s, const struct drift_level *l,
                       enum drift_verdict v)
{
    if (v == DRIFT_UNREAD) {
        s->unread++;
        return;
    }
    s->checked++;
    s->expected_units += l->desired > 0 ? l->desired : 0;
    if (v == DRIFT_PENDING)
        s->pending++;
    if (v == DRIFT_DRIFTED) {
        s->drifted++;
        s->variance_units += labs(l->shown - l->desired);
    }
}

double drift_drifted_pct(const struct drift_summary *s)
{
    return s->checked > 0 ? 100.0 * (double)s->drifted / (double)s->checked : 0.0;
}

double drift_variance_pct(const struct drift_summary *s)
{
    return 100.0 * (double)s->variance_units /
           (double)(s->expected_units > 0 ? s->expected_units : 1);
}

bool drift_exceeds(const struct drift_summary *s, int pct, long units)
{
    if (pct > 0 && drift_drifted_pct(s) > (double)pct)
        return true;
    return units > 0 && s->variance_units > units;
}

void drift_top_init(struct drift_top *t)
{
    memset(t, 0, sizeof(*t));
}

/* Whether a ranks before b: larger variance, then item code, then location. */
static bool ranks_before(long va, const char *ia, const char *la, const struct drift_top_item *b)
{
    int c;

    if (va != b->variance)
        return va > b->variance;
    c = strcmp(ia, b->item_code);
    return c != 0 ? c < 0 : strcmp(la, b->location_id) < 0;
}

void drift_top_add(struct drift_top *t, const struct drift_level *l)
{
    long v = labs(l->shown - l->desired);
    size_t at = t->n;

    while (at > 0 && ranks_before(v, l->item_code, l->location_id, &t->items[at - 1]))
        at--;
    if (at >= DRIFT_TOP_MAX)
        return;
    if (t->n == DRIFT_TOP_MAX) {   /* the last one falls off */
        free(t->items[DRIFT_TOP_MAX - 1].item_code);
        free(t->items[DRIFT_TOP_MAX - 1].location_id);
        t->n--;
    }
    memmove(&t->items[at + 1], &t->items[at], (t->n - at) * sizeof(t->items[0]));
    t->items[at] = (struct drift_top_item){.item_code = xstrdup(l->item_code),
                                           .location_id = xstrdup(l->location_id),
                                           .desired = l->desired, .pushed = l->pushed,
                                           .shown = l->shown, .variance = v,
                                           .pushed_known = l->pushed_known};
    t->n++;
}

void drift_top_cleanup(struct drift_top *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->items[i].item_code);
        free(t->items[i].location_id);
    }
    t->n = 0;
}
