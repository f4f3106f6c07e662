/*
 * fuzz_webhook.c - whk_verify with an attacker's header and body.
 *
 * Input layout: the low two bits of byte 0 pick the mode, bit 2 drops the
 * previous (rotation) secret. Modes 0 to 2: the header up to the first
 * '\n', then the body. Mode 0 uses the header as given; modes 1 and 2 start
 * from the right hex / base64 signature of the body and let the header
 * bytes overwrite one character of it, so near-misses are tried as often
 * as garbage. Mode 3: the whole input, byte 0 included, is the body, under
 * its right hex signature; '{' is mode 3, so the order fixtures in
 * tests/fixtures/ (webhook bodies as Shopline sends them) are replayed
 * as they are.
 *
 * Invariants: OK exactly when the header is the signature of the body under
 * one of the two secrets (hex in any case, or the one canonical base64
 * form); MISSING exactly for an empty header; a length other than 64 or 44
 * is MALFORMED; real signatures always pass, other keys' never, and an
 * empty secret verifies nothing.
 */
#include <strings.h>

#include "fuzz.h"
#include "webhook.h"

static const char fuzz_secret[] = "shpss_fuzz_current_secret";
static const char fuzz_previous[] = "shpss_fuzz_previous_secret";

static int is_signature_of(const char *header, const char *key, const uint8_t *body,
                           size_t body_len)
{
    char hex[65], b64[45];

    if (key == NULL || key[0] == '\0')
        return 0;
    whk_sign_hex(key, body, body_len, hex);
    whk_sign_base64(key, body, body_len, b64);
    return strcasecmp(header, hex) == 0 || strcmp(header, b64) == 0;
}

/* Starts from the real signature; the raw header says which char to change to what. */
static void near_miss(char *header, size_t cap, const char *raw, int base64,
                      const uint8_t *body, size_t body_len)
{
    char sig[65];
    size_t len;

    if (base64)
        whk_sign_base64(fuzz_secret, body, body_len, sig);
    else
        whk_sign_hex(fuzz_secret, body, body_len, sig);
    snprintf(header, cap, "%s", sig);
    len = strlen(header);
    if (raw[0] != '\0' && raw[1] != '\0')
        header[(unsigned char)raw[0] % len] = raw[1];
}

static void check_round_trips(const uint8_t *body, size_t body_len, const char *previous)
{
    char hex[65], b64[45];
    size_t i;

    whk_sign_hex(fuzz_secret, body, body_len, hex);
    whk_sign_base64(fuzz_secret, body, body_len, b64);
    FUZZ_CHECK(whk_verify(hex, body, body_len, fuzz_secret, previous) == WHK_VERIFY_OK);
    FUZZ_CHECK(whk_verify(b64, body, body_len, fuzz_secret, previous) == WHK_VERIFY_OK);
    for (i = 0; hex[i] != '\0'; i++)
        hex[i] = (char)(hex[i] >= 'a' && hex[i] <= 'f' ? hex[i] - 'a' + 'A' : hex[i]);
    FUZZ_CHECK(whk_verify(hex, body, body_len, fuzz_secret, previous) == WHK_VERIFY_OK);
    /* the old secret passes only while it is configured */
    whk_sign_hex(fuzz_previous, body, body_len, hex);
    FUZZ_CHECK(whk_verify(hex, body, body_len, fuzz_secret, previous) ==
               (previous != NULL ? WHK_VERIFY_OK : WHK_VERIFY_MISMATCH));
    /* an empty key is public knowledge: never accepted, even if it "matches" */
    whk_sign_hex("", body, body_len, hex);
    FUZZ_CHECK(whk_verify(hex, body, body_len, "", NULL) == WHK_VERIFY_MISMATCH);
    FUZZ_CHECK(whk_verify(hex, body, body_len, NULL, "") == WHK_VERIFY_MISMATCH);
    FUZZ_CHECK(whk_verify(hex, body, body_len, fuzz_secret, previous) == WHK_VERIFY_MISMATCH);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl, *body;
    const char *previous;
    char *raw;
    char header[128];
    size_t body_len, hlen;
    enum whk_verify v;
    int mode, expect_ok;

    if (size == 0)
        return 0;
    mode = data[0] & 3;
    previous = (data[0] & 4) ? NULL : fuzz_previous;
    nl = memchr(data + 1, '\n', size - 1);
    raw = fuzz_cstr(data + 1, nl != NULL && mode != 3 ? (size_t)(nl - data - 1) : size - 1);
    body = mode == 3 ? data : nl != NULL ? nl + 1 : data + size;
    body_len = (size_t)(data + size - body);

    if (mode == 3)
        whk_sign_hex(fuzz_secret, body, body_len, header);
    else if (mode == 1 || mode == 2)
        near_miss(header, sizeof(header), raw, mode == 2, body, body_len);
    else
        snprintf(header, sizeof(header), "%s", raw);
    hlen = strlen(header);

    v = whk_verify(header, body, body_len, fuzz_secret, previous);
    expect_ok = is_signature_of(header, fuzz_secret, body, body_len) ||
                is_signature_of(header, previous, body, body_len);
    FUZZ_CHECK((v == WHK_VERIFY_OK) == expect_ok);
    FUZZ_CHECK(mode != 3 || v == WHK_VERIFY_OK);
    FUZZ_CHECK((v == WHK_VERIFY_MISSING) == (hlen == 0));
    if (hlen != 0 && hlen != 64 && hlen != 44)
        FUZZ_CHECK(v == WHK_VERIFY_MALFORMED);
    if (hlen == 64 && strspn(header, "0123456789abcdefABCDEF") == 64)
        FUZZ_CHECK(v == WHK_VERIFY_OK || v == WHK_VERIFY_MISMATCH);
    FUZZ_CHECK(strcmp(whk_verify_name(v), "unknown") != 0);
    /* the unverified header never reaches the keyless path */
    FUZZ_CHECK(whk_verify(header, body, body_len, NULL, NULL) != WHK_VERIFY_OK);

    check_round_trips(body, body_len, previous);
    (void)whk_topic_classify(raw);
    free(raw);
    return 0;
}
