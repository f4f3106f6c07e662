/*
 * session_store.c - the console_sessions table (see session_store.h).
 * Hashes travel as hex and are decoded in SQL (decode($1, 'hex')), so
 * every parameter is text, as in the other store modules.
 */
#include "session_store.h"

#include <stdio.h>
#include <string.h>

enum st session_store_create(struct store_conn *c, const char *shop, const char *id_hash_hex,
                             const struct session_row *row, int idle_s, struct errbuf *err)
{
    char idle[16];
    const char *p[6] = {id_hash_hex, shop, row->token_name, row->token_fp, row->csrf, idle};
    enum st st;
    PGresult *res;

    snprintf(idle, sizeof(idle), "%d", idle_s);
    res = store_exec(c, "DELETE FROM console_sessions WHERE expires_at < now()", 0, NULL, &st,
                     err);
    if (res == NULL)
        return st;
    PQclear(res);
    res = store_exec(c, "DELETE FROM console_login_failures WHERE window_start < now() - "
                        "interval '1 hour'", /* windows long over */
                     0, NULL, &st, err);
    if (res == NULL)
        return st;
    PQclear(res);
    res = store_exec_prepared(c, "session_create",
                              "INSERT INTO console_sessions (id_hash, shop, token_name, "
                              "token_fp, csrf, expires_at) VALUES (decode($1, 'hex'), $2, $3, "
                              "$4, $5, now() + make_interval(secs => $6::int))",
                              6, p, NULL, NULL, &st, err);
    PQclear(res);
    return res != NULL ? ST_OK : st;
}

int session_store_touch(struct store_conn *c, const char *shop, const char *id_hash_hex,
                        int idle_s, struct session_row *out, enum st *st, struct errbuf *err)
{
    char idle[16];
    const char *p[3] = {id_hash_hex, shop, idle};
    PGresult *res;
    int found;

    snprintf(idle, sizeof(idle), "%d", idle_s);
    res = store_exec_prepared(c, "session_touch",
                              "UPDATE console_sessions SET last_seen_at = now(), expires_at = "
                              "now() + make_interval(secs => $3::int) WHERE id_hash = "
                              "decode($1, 'hex') AND shop = $2 AND expires_at > now() "
                              "RETURNING token_name, token_fp, csrf",
                              3, p, NULL, NULL, st, err);
    if (res == NULL)
        return -1;
    found = PQntuples(res) == 1;
    if (found) {
        snprintf(out->token_name, sizeof(out->token_name), "%s", PQgetvalue(res, 0, 0));
        snprintf(out->token_fp, sizeof(out->token_fp), "%s", PQgetvalue(res, 0, 1));
        snprintf(out->csrf, sizeof(out->csrf), "%s", PQgetvalue(res, 0, 2));
    }
    PQclear(res);
    return found;
}

/* A statement of console_login_failures with $1 shop, $2 client, $3 window_s, $4 limit. */
static PGresult *login_exec(struct store_conn *c, const char *name, const char *sql,
                            const char *shop, const char *client, int window_s, int limit,
                            enum st *st, struct errbuf *err)
{
    char window[16], lim[16];
    const char *p[4] = {shop, client, window, lim};

    snprintf(window, sizeof(window), "%d", window_s);
    snprintf(lim, sizeof(lim), "%d", limit);
    return store_exec_prepared(c, name, sql, limit > 0 ? 4 : 3, p, NULL, NULL, st, err);
}

int session_store_login_blocked(struct store_conn *c, const char *shop, const char *client,
                                int window_s, int limit, enum st *st, struct errbuf *err)
{
    PGresult *res = login_exec(c, "login_blocked",
                               "SELECT 1 FROM console_login_failures WHERE shop = $1 AND "
                               "client = $2 AND failures >= $4::int AND window_start > now() - "
                               "make_interval(secs => $3::int)",
                               shop, client, window_s, limit, st, err);
    int blocked = res != NULL ? PQntuples(res) == 1 : -1;

    PQclear(res);
    return blocked;
}

enum st session_store_login_failed(struct store_conn *c, const char *shop, const char *client,
                                   int window_s, struct errbuf *err)
{
    enum st st;
    PGresult *res = login_exec(c, "login_failed",
                               "INSERT INTO console_login_failures AS f (shop, client, failures) "
                               "VALUES ($1, $2, 1) ON CONFLICT (shop, client) DO UPDATE SET "
                               "failures = CASE WHEN f.window_start > now() - make_interval(secs "
                               "=> $3::int) THEN f.failures + 1 ELSE 1 END, window_start = CASE "
                               "WHEN f.window_start > now() - make_interval(secs => $3::int) "
                               "THEN f.window_start ELSE now() END",
                               shop, client, window_s, 0, &st, err);

    PQclear(res);
    return res != NULL ? ST_OK : st;
}

enum st session_store_delete(struct store_conn *c, const char *id_hash_hex, struct errbuf *err)
{
    const char *p[1] = {id_hash_hex};
    enum st st;
    PGresult *res = store_exec(c, "DELETE FROM console_sessions WHERE id_hash = "
                                  "decode($1, 'hex')",
                               1, p, &st, err);

    PQclear(res);
    return res != NULL ? ST_OK : st;
}
