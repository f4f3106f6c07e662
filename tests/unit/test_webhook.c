/*
 * test_webhook.c - HMAC-SHA256 against RFC 4231, the signature header in
 * every shape Shopline (or an attacker) may send, and topic routing.
 *
 * The expected signatures of the sample body were computed independently
 * with `openssl dgst -sha256 -mac HMAC`, so the sign/verify pair is not
 * only checked against itself. RFC 4231 case 5 is left out: it tests a
 * truncated MAC, which shopvox never uses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "common.h"
#include "webhook.h"

/* ---- RFC 4231 ---------------------------------------------------------- */

struct rfc_case {
    int number;
    unsigned char key_fill; /* 0: key is 0x01, 0x02, ... */
    size_t key_len;
    const char *data;       /* NULL: data_len bytes of data_fill */
    unsigned char data_fill;
    size_t data_len;
    const char *want_hex;
};

static const struct rfc_case rfc_cases[] = {
    { 1, 0x0b, 20, "Hi There", 0, 0,
      "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7" },
    { 2, 0, 0, "what do ya want for nothing?", 0, 0,
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
    { 3, 0xaa, 20, NULL, 0xdd, 50,
      "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe" },
    { 4, 0, 25, NULL, 0xcd, 50,
      "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b" },
    { 6, 0xaa, 131, "Test Using Larger Than Block-Size Key - Hash Key First", 0, 0,
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54" },
    { 7, 0xaa, 131,
      "This is a test using a larger than block-size key and a larger than block-size data."
      " The key needs to be hashed before being used by the HMAC algorithm.", 0, 0,
      "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2" },
};

/* The keys contain no NUL byte, so they fit the C-string key of the API. */
static void rfc_build_key(const struct rfc_case *c, char *key, size_t cap)
{
    size_t i;

    assert_true(c->key_len < cap);
    if (c->number == 2) {
        strcpy(key, "Jefe");
        return;
    }
    for (i = 0; i < c->key_len; i++)
        key[i] = (char)(c->key_fill ? c->key_fill : (unsigned char)(i + 1));
    key[c->key_len] = '\0';
}

static void test_hmac_rfc4231(void **state)
{
    size_t i;

    for (i = 0; i < ARRAY_LEN(rfc_cases); i++) {
        const struct rfc_case *c = &rfc_cases[i];
        char key[256];
        unsigned char data[64];
        const void *body = c->data;
        size_t body_len = c->data ? strlen(c->data) : c->data_len;
        char hex[65];

        rfc_build_key(c, key, sizeof(key));
        if (c->data == NULL) {
            memset(data, c->data_fill, c->data_len);
            body = data;
        }
        whk_sign_hex(key, body, body_len, hex);
        if (strcmp(hex, c->want_hex) != 0)
            fail_msg("RFC 4231 case %d: got %s", c->number, hex);
    }
}

/* ---- signing and verification of a Shopline-like delivery ---------------- */

#define BODY "{\"id\":\"7013345678901234567890123\",\"name\":\"#1001\",\"financial_status\":\"paid\"}"
#define SECRET "shpss_current_secret"
#define PREVIOUS "shpss_previous_secret"
#define HEX_CUR "2a3f98d5b3b06f5838ec419973c7e67507b92507283389e9f8af875abc51aa44"
#define HEX_CUR_UPPER "2A3F98D5B3B06F5838EC419973C7E67507B92507283389E9F8AF875ABC51AA44"
#define B64_CUR "Kj+Y1bOwb1g47EGZc8fmdQe5JQcoM4np+K+HWrxRqkQ="
#define HEX_PREV "21d8ccb0645b6296172181484345aa33b84f6ce4cb5cce65a9dffad2304a16f2"
#define B64_PREV "IdjMsGRbYpYXIYFIQ0WqM7hPbOTLXM5lqd/60jBKFvI="

static void test_sign_known_values(void **state)
{
    char hex[65];
    char b64[45];
    unsigned char raw[32];

    whk_sign_hex(SECRET, BODY, strlen(BODY), hex);
    assert_string_equal(hex, HEX_CUR);
    whk_sign_base64(SECRET, BODY, strlen(BODY), b64);
    assert_string_equal(b64, B64_CUR);
    whk_sign_base64(PREVIOUS, BODY, strlen(BODY), b64);
    assert_string_equal(b64, B64_PREV);
    whk_hmac_sha256(SECRET, BODY, strlen(BODY), raw);
    assert_int_equal(raw[0], 0x2a);
    assert_int_equal(raw[31], 0x44);
}

struct verify_case {
    const char *what;
    const char *header;
    const char *secret;
    const char *previous;
    enum whk_verify want;
};

static const struct verify_case verify_cases[] = {
    { "lowercase hex", HEX_CUR, SECRET, NULL, WHK_VERIFY_OK },
    { "uppercase hex", HEX_CUR_UPPER, SECRET, NULL, WHK_VERIFY_OK },
    { "mixed-case hex", "2a3F98d5B3b06f5838ec419973c7e67507b92507283389e9f8af875abc51aA44",
      SECRET, NULL, WHK_VERIFY_OK },
    { "base64", B64_CUR, SECRET, NULL, WHK_VERIFY_OK },
    { "current secret while rotating", HEX_CUR, SECRET, PREVIOUS, WHK_VERIFY_OK },
    { "previous secret hex", HEX_PREV, SECRET, PREVIOUS, WHK_VERIFY_OK },
    { "previous secret base64", B64_PREV, SECRET, PREVIOUS, WHK_VERIFY_OK },
    { "previous signature, rotation over", HEX_PREV, SECRET, NULL, WHK_VERIFY_MISMATCH },
    { "previous signature, empty previous", HEX_PREV, SECRET, "", WHK_VERIFY_MISMATCH },
    { "wrong secret", HEX_CUR, "shpss_other", NULL, WHK_VERIFY_MISMATCH },
    { "wrong secret base64", B64_CUR, "shpss_other", "shpss_older", WHK_VERIFY_MISMATCH },
    { "no secret configured", HEX_CUR, NULL, NULL, WHK_VERIFY_MISMATCH },
    { "well-formed zeros",
      "0000000000000000000000000000000000000000000000000000000000000000",
      SECRET, PREVIOUS, WHK_VERIFY_MISMATCH },
    { "truncated hex (63)",
      "2a3f98d5b3b06f5838ec419973c7e67507b92507283389e9f8af875abc51aa4",
      SECRET, NULL, WHK_VERIFY_MALFORMED },
    { "hex plus one (65)", HEX_CUR "4", SECRET, NULL, WHK_VERIFY_MALFORMED },
    { "hex with a non-hex char",
      "2a3f98d5b3b06f5838ec419973c7e67507b92507283389e9f8af875abc51aa4g",
      SECRET, NULL, WHK_VERIFY_MALFORMED },
    { "empty header", "", SECRET, NULL, WHK_VERIFY_MISSING },
    { "NULL header", NULL, SECRET, NULL, WHK_VERIFY_MISSING },
    { "garbage", "not-a-signature", SECRET, NULL, WHK_VERIFY_MALFORMED },
    { "sha256= prefix", "sha256=" HEX_CUR, SECRET, NULL, WHK_VERIFY_MALFORMED },
    { "base64 url-safe alphabet", "Kj-Y1bOwb1g47EGZc8fmdQe5JQcoM4np-K-HWrxRqkQ=",
      SECRET, NULL, WHK_VERIFY_MALFORMED },
    { "base64 with '*'", "Kj*Y1bOwb1g47EGZc8fmdQe5JQcoM4np+K+HWrxRqkQ=",
      SECRET, NULL, WHK_VERIFY_MALFORMED },
    { "base64 without padding (43)", "Kj+Y1bOwb1g47EGZc8fmdQe5JQcoM4np+K+HWrxRqkQ",
      SECRET, NULL, WHK_VERIFY_MALFORMED },
    { "base64 double padding", "Kj+Y1bOwb1g47EGZc8fmdQe5JQcoM4np+K+HWrxRqk==",
      SECRET, NULL, WHK_VERIFY_MALFORMED },
    { "base64 non-canonical last char", "Kj+Y1bOwb1g47EGZc8fmdQe5JQcoM4np+K+HWrxRqkR=",
      SECRET, NULL, WHK_VERIFY_MALFORMED },
    { "leading space", " " HEX_CUR, SECRET, NULL, WHK_VERIFY_MALFORMED },
    { "trailing newline", HEX_CUR "\n", SECRET, NULL, WHK_VERIFY_MALFORMED },
    { "space inside base64", "Kj+Y1bOwb1g47EGZc8fmdQe5 JQcoM4np+K+HWrxRqkQ=",
      SECRET, NULL, WHK_VERIFY_MALFORMED },
    { "only spaces", "   ", SECRET, NULL, WHK_VERIFY_MALFORMED },
};

static void test_verify_table(void **state)
{
    size_t i;

    for (i = 0; i < ARRAY_LEN(verify_cases); i++) {
        const struct verify_case *c = &verify_cases[i];
        enum whk_verify got = whk_verify(c->header, BODY, strlen(BODY), c->secret, c->previous);

        if (got != c->want)
            fail_msg("%s: got %s, want %s", c->what, whk_verify_name(got),
                     whk_verify_name(c->want));
    }
}

static void test_verify_tampered_body(void **state)
{
    char body[] = BODY;

    assert_int_equal(whk_verify(HEX_CUR, body, strlen(body), SECRET, NULL), WHK_VERIFY_OK);
    body[10] ^= 1;
    assert_int_equal(whk_verify(HEX_CUR, body, strlen(body), SECRET, NULL),
                     WHK_VERIFY_MISMATCH);
    /* The signature covers the exact length: a dropped trailing byte fails. */
    assert_int_equal(whk_verify(HEX_CUR, BODY, strlen(BODY) - 1, SECRET, NULL),
                     WHK_VERIFY_MISMATCH);
}

/* An empty key is public: a forger could sign with it, so it never verifies. */
static void test_verify_empty_secret_refused(void **state)
{
    char hex[65];

    whk_sign_hex("", BODY, strlen(BODY), hex);
    assert_int_equal(whk_verify(hex, BODY, strlen(BODY), "", NULL), WHK_VERIFY_MISMATCH);
    assert_int_equal(whk_verify(hex, BODY, strlen(BODY), "", ""), WHK_VERIFY_MISMATCH);
}

static void test_verify_empty_body(void **state)
{
    char hex[65];
    char b64[45];

    whk_sign_hex(SECRET, NULL, 0, hex);
    whk_sign_base64(SECRET, "", 0, b64);
    assert_int_equal(strlen(hex), 64);
    assert_int_equal(strlen(b64), 44);
    assert_int_equal(whk_verify(hex, NULL, 0, SECRET, NULL), WHK_VERIFY_OK);
    assert_int_equal(whk_verify(b64, "", 0, SECRET, NULL), WHK_VERIFY_OK);
}

/* Bodies are bytes: an embedded NUL is signed like any other byte. */
static void test_verify_binary_body(void **state)
{
    static const unsigned char body[] = { 'a', 0, 'b', 0xff, 0 };
    char b64[45];

    whk_sign_base64(SECRET, body, sizeof(body), b64);
    assert_int_equal(whk_verify(b64, body, sizeof(body), SECRET, NULL), WHK_VERIFY_OK);
    assert_int_equal(whk_verify(b64, body, 1, SECRET, NULL), WHK_VERIFY_MISMATCH);
}

static void test_verify_names(void **state)
{
    assert_string_equal(whk_verify_name(WHK_VERIFY_OK), "ok");
    assert_string_equal(whk_verify_name(WHK_VERIFY_MISSING), "missing");
    assert_string_equal(whk_verify_name(WHK_VERIFY_MALFORMED), "malformed");
    assert_string_equal(whk_verify_name(WHK_VERIFY_MISMATCH), "mismatch");
}

/* ---- topics -------------------------------------------------------------- */

struct topic_case {
    const char *topic;
    enum whk_topic_kind want;
};

static void test_topic_table(void **state)
{
    static const struct topic_case cases[] = {
        { "orders/create", WHK_TOPIC_ORDER },
        { "orders/updated", WHK_TOPIC_ORDER },
        { "orders/paid", WHK_TOPIC_ORDER },
        { "orders/cancelled", WHK_TOPIC_ORDER },
        { "refunds/create", WHK_TOPIC_REFUND },
        { "return/create", WHK_TOPIC_RETURN },
        { "return/update", WHK_TOPIC_RETURN },
        { "apps/installed_uninstalled", WHK_TOPIC_APP },
        { "products/update", WHK_TOPIC_PRODUCT },
        { "inventory_items/update", WHK_TOPIC_INVENTORY },
        { "orders/update", WHK_TOPIC_IGNORED },     /* Shopline spells it "updated" */
        { "orders/canceled", WHK_TOPIC_IGNORED },
        { "Orders/Create", WHK_TOPIC_IGNORED },     /* case-sensitive by contract */
        { "orders/create ", WHK_TOPIC_IGNORED },
        { "orders/", WHK_TOPIC_IGNORED },
        { "orders/fulfilled", WHK_TOPIC_IGNORED },
        { "products/create", WHK_TOPIC_IGNORED },
        { "returns/create", WHK_TOPIC_IGNORED },
        { "", WHK_TOPIC_IGNORED },
        { NULL, WHK_TOPIC_IGNORED },
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        enum whk_topic_kind got = whk_topic_classify(cases[i].topic);

        if (got != cases[i].want)
            fail_msg("topic \"%s\": got %d, want %d",
                     cases[i].topic ? cases[i].topic : "(null)", (int)got, (int)cases[i].want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hmac_rfc4231),
        cmocka_unit_test(test_sign_known_values),
        cmocka_unit_test(test_verify_table),
        cmocka_unit_test(test_verify_tampered_body),
        cmocka_unit_test(test_verify_empty_secret_refused),
        cmocka_unit_test(test_verify_empty_body),
        cmocka_unit_test(test_verify_binary_body),
        cmocka_unit_test(test_verify_names),
        cmocka_unit_test(test_topic_table),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
