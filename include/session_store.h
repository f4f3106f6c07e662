/*
 * session_store.h - the web page's sessions (console_sessions, migration
 * 022). A session is found by the SHA-256 of its cookie value (hex here);
 * the value itself never reaches the database. Every lookup that finds a
 * live session moves its expiry idle_s past now, so a session ends after
 * idle_s without use (or at logout). Expired rows are deleted when a new
 * session is created. Failed logins are counted per client address for the
 * login limiter every replica shares.
 */
#ifndef SHOPVOX_SESSION_STORE_H
#define SHOPVOX_SESSION_STORE_H

#include "common.h"
#include "store.h"

#define SESSION_HASH_HEX_BYTES 65  /* SHA-256 as hex, and the NUL */
#define SESSION_CSRF_HEX_BYTES 33  /* 128 random bits as hex, and the NUL */
#define SESSION_NAME_MAX_BYTES 64

/* A live session as the lookup returns it. */
struct session_row {
    char token_name[SESSION_NAME_MAX_BYTES];
    char token_fp[SESSION_HASH_HEX_BYTES];
    char csrf[SESSION_CSRF_HEX_BYTES];
};

/* Records a new session (id_hash_hex: 64 hex digits), deleting expired ones first. */
enum st session_store_create(struct store_conn *c, const char *shop, const char *id_hash_hex,
                             const struct session_row *row, int idle_s, struct errbuf *err);
/*
 * The live session of id_hash_hex into *out, its expiry moved to now +
 * idle_s: 1; 0 when there is none (unknown or expired); -1 with *st and
 * err set when the database failed.
 */
int session_store_touch(struct store_conn *c, const char *shop, const char *id_hash_hex,
                        int idle_s, struct session_row *out, enum st *st, struct errbuf *err);
/*
 * Failed logins (console_login_failures, migration 029), shared by every
 * replica: whether client (an address as text) has failed limit times
 * within the window of window_s seconds that began at its first failure:
 * 1 blocked, 0 not, -1 with *st and err set when the database failed.
 */
int session_store_login_blocked(struct store_conn *c, const char *shop, const char *client,
                                int window_s, int limit, enum st *st, struct errbuf *err);
/* Counts a failed login of client: one more in its window, or the first of a new one. */
enum st session_store_login_failed(struct store_conn *c, const char *shop, const char *client,
                                   int window_s, struct errbuf *err);
/* Deletes the session of id_hash_hex (none: not an error). */
enum st session_store_delete(struct store_conn *c, const char *id_hash_hex, struct errbuf *err);

#endif
