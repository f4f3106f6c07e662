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
