/*
 * webhook.c - Shopline webhook signature check and topic routing.
 *
 * The signature header is decoded to the 32 raw MAC bytes before anything
 * is compared, so "hex or base64" never turns into "compare two strings":
 * the encodings are told apart by length alone (64 -> hex in any case,
 * 44 -> standard base64 with one '=' of padding), each decoder is strict
 * (no whitespace, no URL-safe alphabet, no non-canonical trailing bits),
 * and the comparison of the decoded bytes is constant-time.
 *
 * A NULL or empty secret never verifies anything: an empty HMAC key is
 * public knowledge, so accepting it would let anyone forge deliveries.
 * A failure inside OpenSSL is treated as a mismatch, never as a zeroed MAC
 * (a header of 64 zeros must not pass because the library failed).
 */
#include "webhook.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common.h"

#define WHK_MAC_BYTES 32
#define WHK_HEX_CHARS 64
#define WHK_BASE64_CHARS 44

const char *whk_verify_name(enum whk_verify v)
{
    switch (v) {
    case WHK_VERIFY_OK: return "ok";
    case WHK_VERIFY_MISSING: return "missing";
    case WHK_VERIFY_MALFORMED: return "malformed";
    case WHK_VERIFY_MISMATCH: return "mismatch";
    }
    return "unknown";
}

/* 0 and out filled, or -1 when OpenSSL could not compute the MAC. */
static int whk_compute_mac(const char *key, const void *body, size_t body_len,
                           unsigned char out[WHK_MAC_BYTES])
{
    static const unsigned char empty[1];
    unsigned int out_len = 0;

    if (key == NULL)
        key = "";
    if (body == NULL || body_len == 0) /* OpenSSL wants a valid pointer */
        body = empty;
    if (HMAC(EVP_sha256(), key, (int)strlen(key), body, body_len, out, &out_len) == NULL)
        return -1;
    return out_len == WHK_MAC_BYTES ? 0 : -1;
}

void whk_hmac_sha256(const char *key, const void *body, size_t body_len, unsigned char out[32])
{
    /* Callers (tests, sandbox) have no error path; a broken libcrypto is fatal. */
    if (whk_compute_mac(key, body, body_len, out) < 0) {
        fputs("fatal: HMAC-SHA256 failed in libcrypto\n", stderr);
        abort();
    }
}

void whk_sign_hex(const char *key, const void *body, size_t body_len, char out[65])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char mac[WHK_MAC_BYTES];
    size_t i;

    whk_hmac_sha256(key, body, body_len, mac);
    for (i = 0; i < WHK_MAC_BYTES; i++) {
        out[2 * i] = digits[mac[i] >> 4];
        out[2 * i + 1] = digits[mac[i] & 0x0f];
    }
    out[WHK_HEX_CHARS] = '\0';
}

void whk_sign_base64(const char *key, const void *body, size_t body_len, char out[45])
{
    unsigned char mac[WHK_MAC_BYTES];

    whk_hmac_sha256(key, body, body_len, mac);
    /* 32 bytes -> exactly 44 characters plus the NUL EVP_EncodeBlock writes. */
    EVP_EncodeBlock((unsigned char *)out, mac, WHK_MAC_BYTES);
}

static int whk_hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int whk_decode_hex(const char *s, unsigned char out[WHK_MAC_BYTES])
{
    size_t i;

    for (i = 0; i < WHK_MAC_BYTES; i++) {
        int hi = whk_hex_value(s[2 * i]);
        int lo = whk_hex_value(s[2 * i + 1]);

        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}

static int whk_base64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/*
 * 32 bytes encode as 43 significant characters (258 bits) and one '='.
 * The 2 spare bits must be zero, so each MAC has exactly one accepted form.
 */
static int whk_decode_base64(const char *s, unsigned char out[WHK_MAC_BYTES])
{
    uint32_t acc = 0;
    unsigned nbits = 0;
    size_t i, n = 0;

    if (s[WHK_BASE64_CHARS - 1] != '=')
        return -1;
    for (i = 0; i < WHK_BASE64_CHARS - 1; i++) {
        int v = whk_base64_value(s[i]);

        if (v < 0)
            return -1;
        acc = (acc << 6 | (uint32_t)v) & 0xfff;
        nbits += 6;
        if (nbits >= 8) {
            nbits -= 8;
            out[n++] = (unsigned char)(acc >> nbits);
            acc &= (1u << nbits) - 1;
        }
    }
    return (n == WHK_MAC_BYTES && acc == 0) ? 0 : -1;
}

static int whk_decode_signature(const char *header, unsigned char out[WHK_MAC_BYTES])
{
    size_t len = strlen(header);

    if (len == WHK_HEX_CHARS)
        return whk_decode_hex(header, out);
    if (len == WHK_BASE64_CHARS)
        return whk_decode_base64(header, out);
    return -1;
}

bool whk_signature_well_formed(const char *signature_header)
{
    unsigned char given[WHK_MAC_BYTES];

    return signature_header != NULL && whk_decode_signature(signature_header, given) == 0;
}

static bool whk_secret_matches(const char *secret, const void *body, size_t body_len,
                               const unsigned char given[WHK_MAC_BYTES])
{
    unsigned char mac[WHK_MAC_BYTES];
    bool match = false;

    if (secret == NULL || secret[0] == '\0')
        goto out;
    if (whk_compute_mac(secret, body, body_len, mac) < 0)
        goto out;
    match = CRYPTO_memcmp(mac, given, WHK_MAC_BYTES) == 0;
out:
    OPENSSL_cleanse(mac, sizeof(mac));
    return match;
}

enum whk_verify whk_verify(const char *signature_header, const void *body, size_t body_len,
                           const char *secret, const char *previous_secret)
{
    unsigned char given[WHK_MAC_BYTES];
    bool current, previous;

    if (signature_header == NULL || signature_header[0] == '\0')
        return WHK_VERIFY_MISSING;
    if (whk_decode_signature(signature_header, given) < 0)
        return WHK_VERIFY_MALFORMED;
    /* Both secrets are always tried so timing does not tell which one is live. */
    current = whk_secret_matches(secret, body, body_len, given);
    previous = whk_secret_matches(previous_secret, body, body_len, given);
    return (current || previous) ? WHK_VERIFY_OK : WHK_VERIFY_MISMATCH;
}

enum whk_topic_kind whk_topic_classify(const char *topic)
{
    static const struct {
        const char *topic;
        enum whk_topic_kind kind;
    } table[] = {
        {"orders/create", WHK_TOPIC_ORDER},
        {"orders/updated", WHK_TOPIC_ORDER},
        {"orders/paid", WHK_TOPIC_ORDER},
        {"orders/cancelled", WHK_TOPIC_ORDER},
        {"refunds/create", WHK_TOPIC_REFUND},
        {"return/create", WHK_TOPIC_RETURN},
        {"return/update", WHK_TOPIC_RETURN},
        {"apps/installed_uninstalled", WHK_TOPIC_APP},
        {"products/update", WHK_TOPIC_PRODUCT},
        {"inventory_items/update", WHK_TOPIC_INVENTORY},
    };
    size_t i;

    if (topic == NULL)
        return WHK_TOPIC_IGNORED;
    for (i = 0; i < ARRAY_LEN(table); i++) {
        if (strcmp(topic, table[i].topic) == 0)
            return table[i].kind;
    }
    return WHK_TOPIC_IGNORED;
}
