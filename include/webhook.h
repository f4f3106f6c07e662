/*
 * webhook.h - Shopline webhook verification and topic routing (pure).
 *
 * Shopline signs the raw body bytes with HMAC-SHA256 keyed by the app
 * secret. Public material disagrees on the header encoding, so both are
 * accepted: 64 hex characters (any case) or 44 base64 characters. The 32
 * decoded bytes are compared in constant time. Anything else is rejected.
 * No libcurl, libpq or libmicrohttpd in here: unit-tested without servers.
 */
#ifndef SHOPVOX_WEBHOOK_H
#define SHOPVOX_WEBHOOK_H

#include <stdbool.h>
#include <stddef.h>

enum whk_verify {
    WHK_VERIFY_OK = 0,
    WHK_VERIFY_MISSING,   /* header absent or empty */
    WHK_VERIFY_MALFORMED, /* not 64 hex / 44 base64 chars */
    WHK_VERIFY_MISMATCH   /* well-formed but no secret matches */
};

/*
 * Verifies signature_header (may be NULL) over body[0..body_len) against
 * secret and, when non-NULL and non-empty, previous_secret (rotation).
 */
enum whk_verify whk_verify(const char *signature_header, const void *body, size_t body_len,
                           const char *secret, const char *previous_secret);

const char *whk_verify_name(enum whk_verify v);

/*
 * Whether signature_header (may be NULL) has the form whk_verify accepts
 * (64 hex digits or 44 characters of padded base64), without a secret:
 * lets the server refuse an unsigned delivery before reading its body.
 */
bool whk_signature_well_formed(const char *signature_header);

/* Raw 32-byte HMAC-SHA256 of body with key (for tests, bench and sandbox). */
void whk_hmac_sha256(const char *key, const void *body, size_t body_len, unsigned char out[32]);
/* Lowercase hex (65 bytes incl. NUL) and base64 (45 bytes incl. NUL) signatures. */
void whk_sign_hex(const char *key, const void *body, size_t body_len, char out[65]);
void whk_sign_base64(const char *key, const void *body, size_t body_len, char out[45]);

/* What shopvox does with a topic. */
enum whk_topic_kind {
    WHK_TOPIC_IGNORED = 0, /* recorded, nothing else */
    WHK_TOPIC_ORDER,       /* orders/create|updated|paid|cancelled */
    WHK_TOPIC_REFUND,      /* refunds/create */
    WHK_TOPIC_RETURN,      /* return/create, return/update */
    WHK_TOPIC_APP,         /* apps/installed_uninstalled */
    WHK_TOPIC_PRODUCT,     /* products/update */
    WHK_TOPIC_INVENTORY    /* inventory_items/update */
};

/* Classifies a topic header value (case-sensitive, as Shopline sends it). */
enum whk_topic_kind whk_topic_classify(const char *topic);

#endif
