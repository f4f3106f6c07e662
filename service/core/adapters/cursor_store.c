/*
 * cursor_store.c - the cursors table (see cursor_store.h).
 *
 * The "due?" check is one upsert whose update only happens when the row is
 * old enough: RETURNING yields the row only to the caller that moved it, so
 * two schedulers racing (a leadership change mid-tick) cannot both claim
 * one period. Statements are prepared: the scheduler runs the claim every
 * tick, the catalogue's check runs before every post.
 */
#include "cursor_store.h"

#include <stdio.h>
#include <stdlib.h>

enum st cursor_store_claim_due(struct store_conn *c, const char *name, int interval_s, bool *due,
                               struct errbuf *err)
{
    char interval[16];
    const char *p[2] = {name, interval};
    enum st st;
    PGresult *res;

    snprintf(interval, sizeof(interval), "%d", interval_s);
    res = store_exec_prepared(
        c, "cursor_claim_due",
        "INSERT INTO cursors (name, value) VALUES ($1, 'enqueued') "
        "ON CONFLICT (name) DO UPDATE SET value = 'enqueued', updated_at = now() "
        "WHERE cursors.updated_at < now() - ($2::int * interval '1 second') "
        "RETURNING name",
        2, p, NULL, NULL, &st, err);
    *due = res != NULL && PQntuples(res) == 1;
    PQclear(res);
    return st;
}

enum st cursor_store_bring_forward(struct store_conn *c, const char *name, int interval_s,
                                   int gap_s, struct errbuf *err)
{
    char interval[16], gap[16];
    const char *p[3] = {name, interval, gap};
    enum st st;

    snprintf(interval, sizeof(interval), "%d", interval_s);
    snprintf(gap, sizeof(gap), "%d", gap_s);
    /*
     * Due when updated_at < now() - interval: updated_at moves to (when due)
     * - interval, once per claim (value 'nudged' until the claim sets it back
     * to 'enqueued'), so a flood cannot keep pulling it earlier.
     */
    PQclear(store_exec_prepared(
        c, "cursor_bring_forward",
        "WITH t AS (SELECT greatest(updated_at + $3::int * interval '1 second', now()) - "
        "$2::int * interval '1 second' AS due_from FROM cursors WHERE name = $1) "
        "UPDATE cursors SET updated_at = t.due_from, value = 'nudged' FROM t "
        "WHERE cursors.name = $1 AND cursors.value <> 'nudged' "
        "AND cursors.updated_at > t.due_from",
        3, p, NULL, NULL, &st, err));
    return st;
}

enum st cursor_store_stamp(struct store_conn *c, const char *name, const char *note,
                           struct errbuf *err)
{
    const char *p[2] = {name, note};
    enum st st;

    PQclear(store_exec_prepared(
        c, "cursor_stamp",
        "INSERT INTO cursors (name, value, updated_at) VALUES ($1, "
        STORE_ISO_UTC("now()") " || ' ' || $2, now()) "
        "ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value, "
        "updated_at = EXCLUDED.updated_at",
        2, p, NULL, NULL, &st, err));
    return st;
}

enum st cursor_store_get(struct store_conn *c, const char *name, char **value,
                         struct errbuf *err)
{
    const char *p[1] = {name};
    enum st st;
    PGresult *res = store_exec_prepared(c, "cursor_get",
                                        "SELECT value FROM cursors WHERE name = $1", 1, p, NULL,
                                        NULL, &st, err);

    *value = res != NULL && PQntuples(res) > 0 ? xstrdup(PQgetvalue(res, 0, 0)) : NULL;
    PQclear(res);
    return st;
}

enum st cursor_store_exists(struct store_conn *c, const char *name, bool *exists,
                            struct errbuf *err)
{
    char *value = NULL;
    enum st st = cursor_store_get(c, name, &value, err);

    *exists = value != NULL;
    free(value);
    return st;
}

enum st cursor_store_set(struct store_conn *c, const char *name, const char *value,
                         struct errbuf *err)
{
    const char *p[2] = {name, value};
    enum st st;

    PQclear(store_exec_prepared(c, "cursor_set",
                                "INSERT INTO cursors (name, value, updated_at) VALUES ($1, $2, "
                                "now()) ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value, "
                                "updated_at = EXCLUDED.updated_at",
                                2, p, NULL, NULL, &st, err));
    return st;
}

enum st cursor_store_advance(struct store_conn *c, const char *name, const char *value,
                             bool *advanced, struct errbuf *err)
{
    const char *p[2] = {name, value};
    enum st st;
    PGresult *res = store_exec(c,
                               "INSERT INTO cursors (name, value, updated_at) VALUES ($1, $2, "
                               "now()) ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value, "
                               "updated_at = EXCLUDED.updated_at WHERE cursors.value < "
                               "EXCLUDED.value RETURNING 1",
                               2, p, &st, err);

    *advanced = res != NULL && PQntuples(res) == 1;
    PQclear(res);
    return st;
}
