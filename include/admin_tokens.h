/*
 * admin_tokens.h - the admin API's named tokens and their roles (pure).
 *
 * SHOPVOX_ADMIN_TOKENS (or its _FILE) lists who may call /api/v1/: entries
 * `name:role:token`, separated by commas or newlines. The old single
 * SHOPVOX_ADMIN_TOKEN is one more entry, an operator named "admin".
 *
 * Decisions:
 *  - Roles: `viewer` reads, `operator` reads and writes (resolve, retry).
 *    A role is a closed set: anything else is a configuration error.
 *  - A line whose first non-blank character is '#' is a comment (the
 *    file's form); blank lines and empty entries (a trailing comma) are
 *    allowed, like an empty list. Blanks around an entry are ignored.
 *  - Names are 1..ADMIN_NAME_MAX_BYTES-1 of [A-Za-z0-9._-] (they go into
 *    the audit log and the access log), once each. Tokens are
 *    ADMIN_TOKEN_MIN_BYTES..ADMIN_TOKEN_MAX_BYTES of the Bearer token68
 *    set [A-Za-z0-9-._~+/=], and a token appears once (two names for one
 *    secret would make the audit log lie).
 *  - Only a SHA-256 digest of each token is kept; admin_tokens_match
 *    digests what was presented and compares it with every entry with
 *    CRYPTO_memcmp, without stopping at a match, so neither the content,
 *    the length nor the position of a token leaks through timing.
 *  - Errors name the entry by number and name, never its token.
 */
#ifndef SHOPVOX_ADMIN_TOKENS_H
#define SHOPVOX_ADMIN_TOKENS_H

#include <stdbool.h>
#include <stddef.h>

#include "common.h"

#define ADMIN_NAME_MAX_BYTES 64
#define ADMIN_TOKEN_MIN_BYTES 32
#define ADMIN_TOKEN_MAX_BYTES 512
#define ADMIN_TOKENS_MAX 64
#define ADMIN_DIGEST_BYTES 32
/* The name the old single SHOPVOX_ADMIN_TOKEN gets. */
#define ADMIN_LEGACY_NAME "admin"

enum admin_role { ADMIN_ROLE_VIEWER, ADMIN_ROLE_OPERATOR };

struct admin_token {
    char name[ADMIN_NAME_MAX_BYTES];
    enum admin_role role;
    unsigned char digest[ADMIN_DIGEST_BYTES]; /* SHA-256 of the token */
};

struct admin_tokens {
    size_t n;
    struct admin_token items[ADMIN_TOKENS_MAX];
};

/* "viewer" / "operator". */
const char *admin_role_name(enum admin_role role);
/* Parses "viewer" or "operator"; false for anything else. */
bool admin_role_parse(const char *s, size_t len, enum admin_role *out);

/*
 * Fills t from list (SHOPVOX_ADMIN_TOKENS; NULL or "" = none) and
 * legacy_token (SHOPVOX_ADMIN_TOKEN; NULL or "" = none). 0, or -1 with
 * err naming the first problem (t is then empty).
 */
int admin_tokens_parse(struct admin_tokens *t, const char *list, const char *legacy_token,
                       struct errbuf *err);

/*
 * The entry whose token is presented (len bytes), or NULL; in time that
 * depends only on the number of entries (borrowed from t).
 */
const struct admin_token *admin_tokens_match(const struct admin_tokens *t, const char *presented,
                                             size_t len);

#endif
