/*
 * fulfillment_match.c - matching a despatch to a listed fulfillment, and
 * reading a refusal (see fulfillment_match.h for the decisions).
 *
 * Orders have a handful of lines, so the comparisons are plain nested
 * loops over the two line lists: no allocation, no sorting.
 */
#include "fulfillment_match.h"

#include <string.h>

/* Units of line_id in the despatch's lines. */
static long despatch_units(const struct shopline_line_qty *lines, size_t n, const char *line_id)
{
    long sum = 0;

    for (size_t i = 0; i < n; i++)
        if (strcmp(lines[i].line_id, line_id) == 0)
            sum += lines[i].quantity;
    return sum;
}

/* Units of line_id in a listed fulfillment. */
static long listed_units(const struct shopline_fulfillment *f, const char *line_id)
{
    long sum = 0;

    for (size_t i = 0; i < f->n_lines; i++)
        if (f->lines[i].line_id != NULL && strcmp(f->lines[i].line_id, line_id) == 0)
            sum += f->lines[i].quantity;
    return sum;
}

static bool same_lines(const struct shopline_fulfillment *f,
                       const struct shopline_line_qty *lines, size_t n)
{
    if (n == 0 || f->n_lines == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (listed_units(f, lines[i].line_id) != despatch_units(lines, n, lines[i].line_id))
            return false;
    for (size_t i = 0; i < f->n_lines; i++)
        if (f->lines[i].line_id == NULL || despatch_units(lines, n, f->lines[i].line_id) == 0)
            return false;
    return true;
}

static bool carries_tracking(const struct shopline_fulfillment *f, const char *tracking)
{
    for (size_t t = 0; t < f->n_tracking; t++)
        if (f->tracking_numbers[t] != NULL && strcmp(f->tracking_numbers[t], tracking) == 0)
            return true;
    return false;
}

/* A fulfillment that shipped nothing (cancelled, failed) or is another despatch's. */
static bool excluded(const struct shopline_fulfillment *f, const char *const *taken,
                     size_t n_taken)
{
    static const char *const dead[] = {"cancelled", "canceled", "failure", "error"};

    for (size_t i = 0; f->status != NULL && i < ARRAY_LEN(dead); i++)
        if (strcmp(f->status, dead[i]) == 0)
            return true;
    for (size_t i = 0; i < n_taken; i++)
        if (f->id != NULL && taken[i] != NULL && strcmp(f->id, taken[i]) == 0)
            return true;
    return false;
}

long fulfillment_match(const struct shopline_fulfillments *listed, const char *tracking,
                       const struct shopline_line_qty *lines, size_t n_lines,
                       const char *const *taken, size_t n_taken)
{
    bool tracked = tracking != NULL && tracking[0] != '\0';

    for (size_t i = 0; listed != NULL && i < listed->n; i++) {
        const struct shopline_fulfillment *f = &listed->items[i];

        if (excluded(f, taken, n_taken) || (tracked && !carries_tracking(f, tracking)))
            continue;
        if (same_lines(f, lines, n_lines))
            return (long)i;
    }
    return -1;
}

enum fulfillment_refusal fulfillment_refusal_of(const char *errors)
{
    if (errors == NULL)
        return FULFILLMENT_REFUSED_OTHER;
    if (strcasestr(errors, "already") != NULL && strcasestr(errors, "fulfil") != NULL)
        return FULFILLMENT_REFUSED_ALREADY;
    if (strcasestr(errors, "cancel") != NULL)
        return FULFILLMENT_REFUSED_CANCELLED;
    return FULFILLMENT_REFUSED_OTHER;
}
