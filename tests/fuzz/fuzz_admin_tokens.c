/*
 * fuzz_admin_tokens.c - admin_tokens_parse on arbitrary bytes (the
 * SHOPVOX_ADMIN_TOKENS_FILE a deployment mounts).
 *
 * Invariants: a failed parse leaves no entries and a reason; a parsed
 * list has at most ADMIN_TOKENS_MAX entries with valid, distinct names
 * and roles; parsing twice gives the same list.
 */
#include <string.h>

#include "admin_tokens.h"
#include "fuzz.h"

static void check_list(const struct admin_tokens *t)
{
    FUZZ_CHECK(t->n <= ADMIN_TOKENS_MAX);
    for (size_t i = 0; i < t->n; i++) {
        size_t n = strlen(t->items[i].name);

        FUZZ_CHECK(n > 0 && n < ADMIN_NAME_MAX_BYTES);
        FUZZ_CHECK(t->items[i].role == ADMIN_ROLE_VIEWER ||
                   t->items[i].role == ADMIN_ROLE_OPERATOR);
        for (size_t j = 0; j < i; j++)
            FUZZ_CHECK(strcmp(t->items[i].name, t->items[j].name) != 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct admin_tokens t, again;
    char *text = xcalloc(size + 1, 1);
    struct errbuf err;

    memcpy(text, data, size); /* the configuration is a C string: it stops at a NUL */
    errbuf_clear(&err);
    if (admin_tokens_parse(&t, text, NULL, &err) < 0) {
        FUZZ_CHECK(t.n == 0 && err.msg[0] != '\0');
        free(text);
        return 0;
    }
    check_list(&t);
    FUZZ_CHECK(admin_tokens_parse(&again, text, NULL, &err) == 0);
    FUZZ_CHECK(again.n == t.n);
    for (size_t i = 0; i < t.n; i++)
        FUZZ_CHECK(strcmp(again.items[i].name, t.items[i].name) == 0 &&
                   again.items[i].role == t.items[i].role &&
                   memcmp(again.items[i].digest, t.items[i].digest, ADMIN_DIGEST_BYTES) == 0);
    free(text);
    return 0;
}
