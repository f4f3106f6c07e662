/*
 * admin_tokens.c - parsing and matching the admin API's tokens (see
 * admin_tokens.h for the rules).
 *
 * The text comes from the environment or a mounted file (at most 1 MiB,
 * config.c's cap), so the parser reads it with explicit lengths and never
 * copies more than one bounded field; it is fuzzed (tests/fuzz).
 */
#include "admin_tokens.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <string.h>

#define STR_(x) #x
#define STR(x) STR_(x)

const char *admin_role_name(enum admin_role role)
{
    return role == ADMIN_ROLE_OPERATOR ? "operator" : "viewer";
}

bool admin_role_parse(const char *s, size_t len, enum admin_role *out)
{
    if (len == 6 && memcmp(s, "viewer", 6) == 0)
        *out = ADMIN_ROLE_VIEWER;
    else if (len == 8 && memcmp(s, "operator", 8) == 0)
        *out = ADMIN_ROLE_OPERATOR;
    else
        return false;
    return true;
}

static bool name_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '.' || ch == '_' || ch == '-';
}

static bool token_char(char ch)
{
    return name_char(ch) || ch == '~' || ch == '+' || ch == '/' || ch == '=';
}

static bool is_blank(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r';
}

/* Why a token of len bytes is refused, or NULL. */
static const char *token_problem(const char *tok, size_t len)
{
    if (len < ADMIN_TOKEN_MIN_BYTES)
        return "is shorter than " STR(ADMIN_TOKEN_MIN_BYTES) " characters "
               "(e.g. openssl rand -hex 24)";
    if (len > ADMIN_TOKEN_MAX_BYTES)
        return "is longer than " STR(ADMIN_TOKEN_MAX_BYTES) " characters";
    for (size_t i = 0; i < len; i++)
        if (!token_char(tok[i]))
            return "may only hold letters, digits and - . _ ~ + / =";
    return NULL;
}

/* Adds one entry; -1 with err on a duplicate name or token, or too many. */
static int add_entry(struct admin_tokens *t, size_t entry, const char *name, size_t name_len,
                     enum admin_role role, const char *tok, size_t tok_len, struct errbuf *err)
{
    struct admin_token *e;

    if (t->n == ADMIN_TOKENS_MAX) {
        errbuf_set(err, "more than %d entries", ADMIN_TOKENS_MAX);
        return -1;
    }
    e = &t->items[t->n];
    memcpy(e->name, name, name_len);
    e->name[name_len] = '\0';
    e->role = role;
    SHA256((const unsigned char *)tok, tok_len, e->digest);
    for (size_t i = 0; i < t->n; i++) {
        if (strcmp(t->items[i].name, e->name) == 0) {
            errbuf_set(err, "entry %zu: name '%s' is used twice", entry, e->name);
            return -1;
        }
        if (memcmp(t->items[i].digest, e->digest, ADMIN_DIGEST_BYTES) == 0) {
            errbuf_set(err, "entry %zu (%s): same token as '%s'", entry, e->name,
                       t->items[i].name);
            return -1;
        }
    }
    t->n++;
    return 0;
}

/* One `name:role:token` entry of len bytes, blanks trimmed already. */
static int parse_entry(struct admin_tokens *t, size_t entry, const char *s, size_t len,
                       struct errbuf *err)
{
    const char *c1 = memchr(s, ':', len);
    const char *c2 = c1 != NULL ? memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - s)) : NULL;
    size_t name_len, role_len;
    enum admin_role role;
    const char *why;

    if (c2 == NULL) {
        errbuf_set(err, "entry %zu: expected name:role:token", entry);
        return -1;
    }
    name_len = (size_t)(c1 - s);
    role_len = (size_t)(c2 - c1 - 1);
    if (name_len == 0 || name_len >= ADMIN_NAME_MAX_BYTES) {
        errbuf_set(err, "entry %zu: the name must be 1 to %d characters", entry,
                   ADMIN_NAME_MAX_BYTES - 1);
        return -1;
    }
    for (size_t i = 0; i < name_len; i++)
        if (!name_char(s[i])) {
            errbuf_set(err, "entry %zu: the name may only hold letters, digits and . _ -",
                       entry);
            return -1;
        }
    if (!admin_role_parse(c1 + 1, role_len, &role)) {
        errbuf_set(err, "entry %zu (%.*s): role must be viewer or operator", entry,
                   (int)name_len, s);
        return -1;
    }
    why = token_problem(c2 + 1, len - (size_t)(c2 + 1 - s));
    if (why != NULL) {
        errbuf_set(err, "entry %zu (%.*s): the token %s", entry, (int)name_len, s, why);
        return -1;
    }
    return add_entry(t, entry, s, name_len, role, c2 + 1, len - (size_t)(c2 + 1 - s), err);
}

/* The entries of one line (comma-separated); *entry counts them across lines. */
static int parse_line(struct admin_tokens *t, const char *s, size_t len, size_t *entry,
                      struct errbuf *err)
{
    size_t i = 0;

    while (i < len && is_blank(s[i]))
        i++;
    if (i < len && s[i] == '#')
        return 0;
    while (i <= len) {
        const char *comma = memchr(s + i, ',', len - i);
        size_t end = comma != NULL ? (size_t)(comma - s) : len;
        size_t a = i, b = end;

        while (a < b && is_blank(s[a]))
            a++;
        while (b > a && is_blank(s[b - 1]))
            b--;
        if (b > a && parse_entry(t, ++*entry, s + a, b - a, err) < 0)
            return -1;
        i = end + 1;
    }
    return 0;
}

int admin_tokens_parse(struct admin_tokens *t, const char *list, const char *legacy_token,
                       struct errbuf *err)
{
    const char *p = list != NULL ? list : "";
    size_t entry = 0;
    const char *why;

    t->n = 0;
    while (*p != '\0') {
        const char *nl = strchr(p, '\n');
        size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);

        if (parse_line(t, p, len, &entry, err) < 0)
            goto fail;
        p += len + (nl != NULL ? 1 : 0);
    }
    if (legacy_token == NULL || legacy_token[0] == '\0')
        return 0;
    why = token_problem(legacy_token, strlen(legacy_token));
    if (why != NULL) {
        errbuf_set(err, "SHOPVOX_ADMIN_TOKEN %s", why);
        goto fail;
    }
    if (add_entry(t, entry + 1, ADMIN_LEGACY_NAME, strlen(ADMIN_LEGACY_NAME),
                  ADMIN_ROLE_OPERATOR, legacy_token, strlen(legacy_token), err) < 0)
        goto fail;
    return 0;
fail:
    t->n = 0;
    return -1;
}

const struct admin_token *admin_tokens_match(const struct admin_tokens *t, const char *presented,
                                             size_t len)
{
    unsigned char digest[ADMIN_DIGEST_BYTES];
    const struct admin_token *found = NULL;

    SHA256((const unsigned char *)presented, len, digest);
    for (size_t i = 0; i < t->n; i++) {
        bool same = CRYPTO_memcmp(digest, t->items[i].digest, ADMIN_DIGEST_BYTES) == 0;

        found = same ? &t->items[i] : found; /* no early exit: every entry is compared */
    }
    return found;
}
